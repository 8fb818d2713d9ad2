// sbx run's crash-dump options (see core_options.h).
#include "core_options.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "path_options.h"
#include "root_links.h"

namespace sbx::cli {

bool settle_core_dumps(const std::string& dir_option, const std::string& limit_option, policy::CoreDumps* core,
                       std::string* why) {
  if (!limit_option.empty()) {
    const auto limit = policy::size_in_bytes(limit_option, why);
    if (!limit) return (*why = "--core-limit: " + *why + "; not a size"), false;
    core->limit = *limit;
  }
  if (!dir_option.empty()) core->dir = dir_option;
  if (core->dir.empty()) return true;
  const std::string said = dir_option.empty() ? "the policy's core-dir " + core->dir : "--core-dir " + dir_option;
  std::string absolute;
  if (!make_absolute(said, core->dir, &absolute, why)) return false;
  const RootLinksResult found = open_through_root_links(absolute);
  if (found.fd < 0 && !found.link.empty())
    return (*why = planted_link(said, found, "name what it points to, if that is what you mean")), false;
  if (found.fd < 0) return (*why = said + ": " + std::strerror(found.error)), false;
  struct stat st;
  char real[PATH_MAX];
  const std::string fd_path = "/proc/self/fd/" + std::to_string(found.fd);
  const ssize_t n = readlink(fd_path.c_str(), real, sizeof(real) - 1);
  const bool is_dir = fstat(found.fd, &st) == 0 && S_ISDIR(st.st_mode);
  const bool writable = faccessat(found.fd, "", W_OK | X_OK, AT_EMPTY_PATH | AT_EACCESS) == 0 ||
                        (errno == EINVAL && access(fd_path.c_str(), W_OK | X_OK) == 0);
  close(found.fd);
  if (!is_dir) return (*why = said + ": not a directory"), false;
  if (!writable) return (*why = said + ": you cannot make files in it"), false;
  if (n <= 0 || real[0] != '/') return (*why = said + ": its real path cannot be read"), false;
  core->dir.assign(real, static_cast<size_t>(n));
  if (!policy::valid_core_dir(core->dir, why)) return (*why = said + ": " + *why), false;
  if (!core->limit) {
    rlimit caller{};
    if (getrlimit(RLIMIT_CORE, &caller) != 0 || caller.rlim_cur == 0)
      core->limit = kDefaultCoreLimit;  // ulimit -c 0, the usual default, says nothing about a core-dir
    else core->limit = caller.rlim_cur == RLIM_INFINITY ? 0 : caller.rlim_cur;
  }
  return true;
}

}  // namespace sbx::cli
