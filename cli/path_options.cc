// Path options and the rules they become (see path_options.h).
#include "path_options.h"

#include <limits.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "root_links.h"

namespace sbx::cli {

bool resolve_option(const std::string& option, const std::string& path, std::string* real, std::string* why) {
  std::string absolute = path;
  if (path.empty() || path[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) return (*why = option + " " + path + ": getcwd: " + std::strerror(errno)), false;
    absolute = std::string(cwd) + "/" + path;
  }
  const RootLinksResult found = open_through_root_links(absolute);
  if (found.fd < 0 && !found.link.empty()) {
    *why = option + " " + path + ": " + found.link + " is a symlink (to " + found.target +
           ") that is not root's, and a program you ran may have put it there; name what it points to, if that "
           "is what you mean";
    return false;
  }
  if (found.fd < 0) return (*why = "cannot allow " + path + ": " + std::strerror(found.error)), false;
  char buf[PATH_MAX];
  const ssize_t n = readlink(("/proc/self/fd/" + std::to_string(found.fd)).c_str(), buf, sizeof(buf) - 1);
  close(found.fd);
  if (n <= 0 || buf[0] != '/') return (*why = "cannot allow " + path + ": its real path cannot be read"), false;
  real->assign(buf, static_cast<size_t>(n));
  return true;
}

bool rule_stands_on_root_links(const policy::PathRule& rule, std::string* why) {
  const RootLinksResult found = open_through_root_links(policy::rule_root(rule.pattern));
  if (found.fd >= 0) close(found.fd);
  if (found.link.empty()) return true;  // there, or not there (yet): either way no one else's link
  *why = "the path rule " + rule.pattern + ": " + found.link + " is a symlink (to " + found.target +
         ") that is not root's, and a program you ran may have put it there; name what it points to in the policy";
  return false;
}

bool rule_for(const std::string& real, unsigned permissions, policy::PathRule* rule, std::string* why) {
  if (real.find('*') != std::string::npos) {
    *why = real + ": a name with '*' cannot be told from a pattern in a path rule; rename it, or name a directory above it";
    return false;
  }
  struct stat st;
  const bool directory = stat(real.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  rule->permissions = permissions;
  rule->pattern = directory ? (real == "/" ? "/**" : real + "/**") : real;
  std::string bad;
  if (!policy::valid_pattern(rule->pattern, &bad)) return (*why = real + ": cannot be a path rule: " + bad), false;
  return true;
}

}  // namespace sbx::cli
