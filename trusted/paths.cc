// Reading and checking a path argument (paths.h): what every call handler
// does first, and how a refusal answers.
#include "paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string_view>
#include <utility>

#include "caller.h"
#include "resolve.h"

namespace sbx::trusted {

Answer fail(int error) { return {error, 0, -1, 0}; }

bool anchors(const std::string& real) { return policy::path_anchors_rule(*g_rules, real); }

uint64_t creation_mode(const seccomp_notif& r, uint64_t mode) { return without_set_id_bits(without_umask(r, mode)); }

bool allowed(const std::string& path, unsigned wanted, bool metadata) {
  return allowed_by(*g_rules, path, wanted, metadata);
}

int refusal_at(const std::string& real, bool creates) { return refusal_by(*g_rules, real, creates); }

int refusal_in(int dir, const std::string& real, const std::string& name, bool creates) {
  const int refused = refusal_at(real, creates);
  struct stat st;
  if (refused == EACCES && !creates && fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
  return refused;
}

namespace {

// The same for a path refused by the lexical check (take_path), before
// anything was looked up: a shown one is looked up, there the rules let the
// program see (EACCES if there; else the kernel's answer, ENOENT), and the
// file found is judged where it really is (root's links lead anywhere).
int lexical_refusal(const std::string& path, unsigned wanted, bool follow) {
  const bool creates = wanted & kPathCreate;
  if (creates || !rules_show(path)) return refusal_at(path, creates);
  const int found = open_path(path, follow);
  if (found < 0) return errno;
  const std::string real = real_path(found);
  close(found);
  return refusal_at(real, false);
}

// How the program's /proc (proc_view.h) takes a path's last name.
Look look_of(ProcFd proc) {
  if (proc == ProcFd::kPath) return Look::kNoFollow;
  return proc == ProcFd::kLinkText ? Look::kReadLink : Look::kFollow;
}

// The kernel takes ".." after a symlink from the link's target (a/to-c/..
// is the parent of what to-c leads to), and fails at a name that is not
// there (missing/.. is ENOENT); a lexical normalisation takes it from the
// name. So for a path with ".." after a name, the part up to its last ".."
// is resolved name by name (resolve.cc, under the rules: what it leaves
// them for answers as they say), and the rest normalised on the directory
// found; *path is replaced. Not for the program's own /proc (proc_view.h),
// whose names are not the host's. Returns 0 or the errno to answer.
int resolve_dotdot(const std::string& full, std::string* path) {
  const size_t last = last_dotdot_after_name(full);
  if (last == std::string::npos) return 0;
  const std::string prefix = full.substr(0, last);
  const std::string lexical = normalize_path("/", prefix);
  if (lexical == "/proc" || lexical.rfind("/proc/", 0) == 0 || path->rfind("/proc/", 0) == 0) return 0;
  Walk how;
  how.directory = true;
  Found found = resolve(-1, "/", prefix, how);
  if (found.fd() < 0) return found.error();
  const std::string real = real_path(found.fd());
  if (!is_file_path(real)) return ENOENT;
  const std::string rest = last + 1 < full.size() ? full.substr(last + 1) : "";
  *path = rest.empty() ? real : normalize_path(real, rest);
  return path->empty() ? ENAMETOOLONG : 0;
}

}  // namespace

int open_checked(const std::string& path, bool follow, unsigned wanted, bool metadata) {
  int found = open_exact(path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
  if (found >= 0 || !slow_way(errno)) return found;
  found = walk_path(path, follow);
  if (found >= 0) {
    if (const std::string real = real_path(found); !allowed(real, wanted, metadata)) {
      close(found);
      errno = refusal_at(real, false);
      return -1;
    }
  }
  return found;
}

bool held_for(int fd, unsigned wanted) { return open_for(fcntl(fd, F_GETFL), wanted); }

bool take_path(const seccomp_notif& r, int64_t dirfd, uint64_t address, unsigned wanted, std::string* path,
               Answer* refusal, bool metadata, ProcFd proc, int* descriptor, ProcView* view, bool checked_later) {
  std::string raw, base;
  if (!read_argument(r, address, &raw)) return (*refusal = fail(EFAULT)), false;
  // The copy is the waiting call's once the notification is found still
  // valid after it (it never becomes valid again). A relative path gets
  // that check from base_of below (cwd_descriptor and base_fd check it
  // after taking the directory, before anything acts), so it is made here
  // for an absolute path only: one ioctl less for every relative path.
  const bool relative = !raw.empty() && raw[0] != '/';
  if (!checked_later && !relative && !still_valid(r)) return (*refusal = fail(EINTR)), false;
  if (raw.empty()) return (*refusal = fail(ENOENT)), false;
  if (raw[0] != '/' && !base_of(r, dirfd, &base)) return (*refusal = fail(errno)), false;
  *path = normalize_path(raw[0] == '/' ? "/" : base, raw);
  if (path->empty()) return (*refusal = fail(ENAMETOOLONG)), false;
  if (const int error = resolve_dotdot(raw[0] == '/' ? raw : base + "/" + raw, path); error != 0)
    return (*refusal = fail(error)), false;
  ProcView seen = proc_view(r, path, look_of(proc));
  if (seen.kind == ProcView::kRefused) return (*refusal = fail(seen.error)), false;
  if (seen.kind == ProcView::kEntry || seen.kind == ProcView::kLink) {
    if (view == nullptr || (wanted & (kPathWrite | kPathCreate))) return (*refusal = fail(EACCES)), false;
    *view = std::move(seen);
    return true;
  }
  const bool exe = seen.kind == ProcView::kFile;
  if (exe && descriptor == nullptr) return (*refusal = fail(EACCES)), false;
  if (const int number = exe || proc == ProcFd::kPath ? -1 : proc_fd_number(*path); exe || number >= 0) {
    const int fd = exe ? seen.take() : base_fd(r, number);
    if (fd < 0) return (*refusal = fail(ENOENT)), false;
    *path = real_path(fd);
    const unsigned needed = descriptor_wanted(wanted);
    // readlink of a descriptor that is no file (a pipe, a socket), or an
    // entry of the program's own /proc: the kernel's text, which names
    // nothing of the host ("pipe:[N]", "/proc/PID/fd": proc_view.h).
    bool text_only = false;
    if (proc == ProcFd::kLinkText && !exe) {
      if (!is_file_path(*path)) {
        text_only = true;
      } else if (std::string own = own_proc_name(r, *path); !own.empty()) {
        *path = std::move(own);
        text_only = true;
      }
    }
    // A pipe or a file it holds open for what it asks now may be opened
    // again (bash's <(...) is /dev/fd/63; `echo > /dev/stderr`): nothing it
    // could not do with the descriptor it has. Not the other way: the read
    // end of a pipe it writes to would take what is meant for another
    // reader (found by an attacker review).
    if (!text_only && !exe && proc == ProcFd::kChecked && held_for(fd, needed)) {
      *descriptor = fd;
      return true;
    }
    if (!text_only && (exe || proc != ProcFd::kAsFstat) &&
        (!is_file_path(*path) || !allowed(*path, needed, metadata))) {
      close(fd);
      return (*refusal = fail(EACCES)), false;
    }
    *descriptor = fd;
    return true;
  }
  if (!allowed(*path, wanted, metadata))
    return (*refusal = fail(lexical_refusal(*path, wanted, look_of(proc) == Look::kFollow))), false;
  return true;
}

}  // namespace sbx::trusted
