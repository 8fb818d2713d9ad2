// The slow way to a path (calls.cc): a symlink is on it, or the program
// named a directory to start from (openat2 with resolve flags). Resolved
// here name by name, as the kernel resolves it (each name opened O_PATH |
// O_NOFOLLOW in the directory reached so far, links read and followed), so
// that we know every place the resolution goes through, not only the end.
//
// Why not let the kernel resolve it and check only what it found: the
// program learns more than the file. With W/l -> SECRET/X, the kernel
// found X and the rules refused it if X existed, and failed (ENOENT) if
// not: whether any host path exists, one bit per call. And with
// W/l -> SECRET/D/../../W/f, it found W/f, which the rules allow, only if
// SECRET/D existed. So an answer may depend only on places the rules show
// (`shown`: granted anything, or on the way to a rule):
//
// - A name the program chose is looked up only in a shown directory, and
//   only if the place it names is shown too; else ENOENT, before looking:
//   what the rules do not show looks absent, as under a view that does not
//   bind it. (A file to create there is refused by calls.cc, EACCES, when
//   the directory is shown: the name is handed back unlooked-at.)
//   It chose every name of its path, and the text of every link it could
//   have written: one where the rules let it create or write, or one not
//   owned by root (a link it made in an earlier run, with other rules).
//   ".." it chose is taken only from a shown directory.
// - Root's links elsewhere (the system's: /lib -> usr/lib,
//   /usr/lib/...so -> /etc/alternatives/... -> /usr/lib/...) are followed
//   wherever they lead, as the kernel would: the program cannot change
//   them, and reaching them it learns nothing it could not by opening the
//   shown link itself. What the resolution ends at is checked as before
//   (calls.cc: its real path against the rules; where they do not show
//   it, ENOENT, as if it were not there).
// - A resolution that fails (no such name, not a directory, too many
//   links...) at a place the rules do not show answers ENOENT, whether or
//   not anything is there; at a shown place, the kernel's answer (a missing
//   file inside the rules is ENOENT, as programs expect).
//
#include "resolve.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <deque>

#include "caller.h"
#include "decisions.h"

namespace sbx::trusted {

Found::~Found() {
  if (fd_ >= 0) close(fd_);
  if (parent_ >= 0) close(parent_);
}

Found::Found(Found&& other) noexcept
    : fd_(other.fd_), error_(other.error_), parent_(other.parent_), name_(std::move(other.name_)) {
  other.fd_ = other.parent_ = -1;
}

int Found::take() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

int Found::take_parent() {
  const int fd = parent_;
  parent_ = -1;
  return fd;
}

namespace {

using policy::kPathCreate;
using policy::kPathRead;
using policy::kPathWrite;

constexpr int kMaxLinks = 40;  // the kernel's MAXSYMLINKS

bool shown(const std::string& path) { return rules_show(path); }

// Whether a link at path, of owner uid, is the program's to write: its
// text is a name it chose.
bool programs_link(const std::string& path, uid_t uid) {
  return uid != 0 || policy::path_allowed(*g_rules, path, kPathWrite) ||
         policy::path_allowed(*g_rules, path, kPathCreate);
}

std::string child(const std::string& dir, const std::string& name) { return (dir == "/" ? "" : dir) + "/" + name; }

std::string parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

struct Name {
  std::string text;
  bool chosen;  // by the program
};

// The names of text, in front of those still to resolve. A trailing "/"
// (or "/."), as the kernel reads it, asks for a directory: it stays as a
// final "." after the last name.
void put_in_front(std::deque<Name>* names, const std::string& text, bool chosen) {
  std::deque<Name> mine;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('/', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) mine.push_back({text.substr(start, end - start), chosen});
    start = end + 1;
  }
  if (!text.empty() && text.back() == '/' && !mine.empty()) mine.push_back({".", chosen});
  names->insert(names->begin(), mine.begin(), mine.end());
}

// The mount a descriptor is on (-1: the root's).
uint64_t mount_of(int fd) {
  struct statx sx;
  if (statx(fd < 0 ? AT_FDCWD : fd, fd < 0 ? "/" : "", fd < 0 ? 0 : AT_EMPTY_PATH, STATX_MNT_ID, &sx) != 0 ||
      !(sx.stx_mask & STATX_MNT_ID))
    return 0;
  return sx.stx_mnt_id;
}

// Whether the link `name` in directory dir, of status st, is a magic one:
// on /proc (our /proc is the host's), and refused by RESOLVE_NO_MAGICLINKS.
bool magic_link(int dir, const std::string& name, const struct stat& st) {
  static const dev_t proc = [] {
    struct stat proc_st;
    return stat("/proc", &proc_st) == 0 ? proc_st.st_dev : dev_t{0};
  }();
  if (st.st_dev != proc) return false;
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_NO_MAGICLINKS;
  const int fd = static_cast<int>(syscall(SYS_openat2, dir, name.c_str(), &how, sizeof(how)));
  if (fd >= 0) close(fd);
  return fd < 0 && errno == ELOOP;
}

// Our descriptor of "/", opened once (the root never changes for us).
int root_fd() {
  static const int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  return root;
}

// The directory we are in while resolving: our descriptor (or the root's,
// which is not ours to close) and its path.
struct Place {
  int fd = -1;
  std::string path;
  ~Place() { let_go(); }
  void let_go() {
    if (fd >= 0 && fd != root_fd()) close(fd);
    fd = -1;
  }
  void move_to(int to, std::string to_path) {
    let_go();
    fd = to;
    path = std::move(to_path);
  }
  // The descriptor, as one of the caller's own.
  int take() {
    const int mine = fd == root_fd() ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : fd;
    fd = -1;
    return mine;
  }
};

enum class RunResult { kNone, kMoved, kFailed };

// Goes through several names at once, the kernel's way: the plain names at
// the front (not "." or "..", not the last one, each the program chose
// passing its check, see resolve) opened in one openat2 with
// RESOLVE_NO_SYMLINKS, as directories. If that works, no link was among
// them, so they are exactly the places their names say, each a directory;
// the places were checked before (the chosen names) or need none (root's
// names reach wherever, resolve.cc). If it fails (a link, a missing name),
// nothing is decided here: resolve goes one name at a time, and finds where
// and why. This only saves system calls: /lib/x86_64-linux-gnu/libc.so.6 is
// "lib" by itself (a link), then "usr/lib/x86_64-linux-gnu" at once.
RunResult try_run(Place* at, std::deque<Name>* names, const Walk& how) {
  size_t n = 0;
  std::string joined, place = at->path;
  while (n + 1 < names->size()) {
    const Name& name = (*names)[n];
    if (name.text == "." || name.text == "..") break;
    std::string next = child(place, name.text);
    if (name.chosen && (!shown(place) || !shown(next))) break;
    if (n > 0) joined += '/';
    joined += name.text;
    place = std::move(next);
    ++n;
  }
  if (n < 2) return RunResult::kNone;
  open_how request{};
  request.flags = O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC;
  request.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | (how.no_xdev ? RESOLVE_NO_XDEV : 0);
  const int fd = static_cast<int>(syscall(SYS_openat2, at->fd, joined.c_str(), &request, sizeof(request)));
  if (fd < 0) return RunResult::kFailed;
  at->move_to(fd, std::move(place));
  names->erase(names->begin(), names->begin() + static_cast<std::ptrdiff_t>(n));
  return RunResult::kMoved;
}

}  // namespace

bool rules_show(const std::string& path) { return rules_show(*g_rules, path); }

Found resolve(int start, const std::string& start_path, const std::string& path, const Walk& how) {
  Found out;
  auto fail = [&out](int err) -> Found {
    out.error_ = err;
    return std::move(out);
  };
  if (path.empty()) return fail(ENOENT);
  const bool scoped = how.beneath || how.in_root;
  if (start < 0 && (scoped || path[0] != '/')) return fail(EBADF);
  struct stat root_st {};
  if (scoped && fstat(start, &root_st) != 0) return fail(errno);
  const uint64_t start_mount = how.no_xdev ? mount_of(path[0] == '/' && !scoped ? -1 : start) : 0;
  Place at;
  // Whether the kernel would know its root yet (fs/namei.c: set for an
  // absolute path, a scoped resolution, or once a ".." is met): with
  // RESOLVE_NO_XDEV, an absolute link before that is EXDEV (nd_jump_root
  // compares the mount with a root not set), and after it only if the mount
  // changes.
  bool root_known = path[0] == '/' || scoped;
  // Where "/" is, for an absolute path or link: the start (RESOLVE_IN_ROOT),
  // none (RESOLVE_BENEATH: EXDEV), or the root.
  auto jump_to_root = [&]() -> int {
    if (how.beneath || (how.no_xdev && !root_known)) return EXDEV;
    root_known = true;
    const int fd = how.in_root ? fcntl(start, F_DUPFD_CLOEXEC, 0) : root_fd();
    if (fd < 0) return errno;
    at.move_to(fd, how.in_root ? start_path : "/");
    if (how.no_xdev && mount_of(fd) != start_mount) return EXDEV;
    return 0;
  };
  // Whether we are at the start of a scoped resolution, above which ".."
  // does not go.
  auto at_scope_root = [&]() {
    struct stat st;
    return scoped && fstat(at.fd, &st) == 0 && st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino;
  };
  if (path[0] == '/') {
    if (const int err = jump_to_root(); err != 0) return fail(err);
  } else {
    const int fd = fcntl(start, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return fail(errno);
    at.move_to(fd, start_path);
  }
  std::deque<Name> names;
  put_in_front(&names, path, true);
  int links = 0;
  // Several names at once while no link is among them (see try_run);
  // after a run fails, one by one until a link has been followed.
  bool by_one = false;
  while (!names.empty()) {
    bool failed_run = false;
    if (!by_one) {
      const RunResult run = try_run(&at, &names, how);
      if (run == RunResult::kMoved) continue;
      failed_run = by_one = run == RunResult::kFailed;
    }
    const Name name = std::move(names.front());
    names.pop_front();
    const bool last = names.empty();
    if (name.text == ".") continue;  // we are in a directory
    if (name.text == "..") {
      if (name.chosen && !shown(at.path)) return fail(ENOENT);
      root_known = true;
      if (at_scope_root()) {
        if (how.beneath) return fail(EXDEV);
        continue;  // RESOLVE_IN_ROOT: ".." of the root is the root
      }
      const int up = openat(at.fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (up < 0) return fail(errno);
      at.move_to(up, parent(at.path));
      if (how.no_xdev && mount_of(at.fd) != start_mount) return fail(shown(at.path) ? EXDEV : ENOENT);
      continue;
    }
    const std::string here = child(at.path, name.text);
    if (name.chosen && (!shown(at.path) || !shown(here))) {
      // Not looked up: absent. A last name in a shown directory is handed
      // back with it, unlooked-at, for calls.cc to refuse making it there
      // (the rules refuse it: EACCES, whether or not it is there).
      if (last && shown(at.path)) {
        out.parent_ = at.take();
        out.name_ = name.text;
      }
      return fail(ENOENT);
    }
    // From here on, an error at a place the rules do not show (reached by
    // root's links) says nothing of it either.
    auto fail_here = [&](int err) { return fail(shown(here) ? err : ENOENT); };
    // A name with more after it is a directory (opened as one, nothing more
    // to ask), or a link, or a mistake (ENOTDIR either way: then we look).
    // Right after a run of names failed, the first is likely the link.
    const bool probe = !last && !failed_run;
    int fd = probe ? openat(at.fd, name.text.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC) : -1;
    const bool directory = fd >= 0;
    struct stat st {};
    if (fd < 0 && (!probe || errno == ENOTDIR)) {
      fd = openat(at.fd, name.text.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0 && fstat(fd, &st) != 0) {
        const int err = errno;
        close(fd);
        return fail_here(err);
      }
    }
    if (fd < 0) {
      const int err = errno;
      if (err == ENOENT && last && shown(here)) {
        // The last name is missing: where a file of that name would be made.
        out.parent_ = at.take();
        out.name_ = name.text;
      }
      return fail_here(err);
    }
    if (how.no_xdev && mount_of(fd) != start_mount) {
      close(fd);
      return fail_here(EXDEV);
    }
    if (!directory && S_ISLNK(st.st_mode) && (!last || how.follow)) {
      char text[PATH_MAX];
      const ssize_t n = readlinkat(fd, "", text, sizeof(text));
      const int err = errno;
      close(fd);
      if (how.no_symlinks || ++links > kMaxLinks || magic_link(at.fd, name.text, st)) return fail_here(ELOOP);
      if (n < 0) return fail_here(err);
      if (n == 0 || n == sizeof(text)) return fail_here(n == 0 ? ENOENT : ENAMETOOLONG);
      const std::string target(text, static_cast<size_t>(n));
      if (target[0] == '/') {
        if (const int jump = jump_to_root(); jump != 0) return fail_here(jump);
      }
      put_in_front(&names, target, programs_link(here, st.st_uid));
      by_one = false;
      continue;
    }
    if (!directory && !S_ISDIR(st.st_mode) && (!last || how.directory)) {
      close(fd);
      return fail_here(ENOTDIR);
    }
    at.move_to(fd, here);
    if (last) break;
  }
  // What the path names: a directory we moved into, or the last name.
  if (how.directory) {
    struct stat st;
    if (fstat(at.fd, &st) != 0 || !S_ISDIR(st.st_mode)) return fail(ENOTDIR);
  }
  out.fd_ = at.take();
  if (out.fd_ < 0) out.error_ = errno;
  return out;
}

int open_path(const std::string& path, bool follow, bool directory) {
  // No link on the way: the path is exactly its names, each a place the
  // rules show if the path is (the way to a rule is shown, and so is the
  // way to anything under one), so one openat2 decides, as resolve would.
  if (rules_show(path)) {
    open_how request{};
    request.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW) | (directory ? O_DIRECTORY : 0);
    request.resolve = RESOLVE_NO_SYMLINKS;
    const int fd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, path.c_str(), &request, sizeof(request)));
    if (fd >= 0 || errno != ELOOP) return fd;
  }
  return walk_path(path, follow, directory);
}

int walk_path(const std::string& path, bool follow, bool directory) {
  Walk how;
  how.follow = follow;
  how.directory = directory;
  Found found = resolve(-1, "/", path, how);
  if (found.fd() < 0) errno = found.error();
  return found.take();
}

}  // namespace sbx::trusted
