// stat, access, readlink, chmod, chown and utimensat (handlers.h): what a
// call learns of a file, or changes of its metadata, always on our own
// descriptor of the file checked.
#include <fcntl.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>

#include "caller.h"
#include "handlers.h"
#include "paths.h"
#include "proc_view.h"

namespace sbx::trusted {

// stat, lstat, newfstatat, statx: the result is written into the caller's buffer.
Answer do_stat(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t flags, uint64_t buf,
               bool is_statx, uint64_t statx_mask) {
  int file = -1;
  std::string raw;
  if ((flags & AT_EMPTY_PATH) && (path_address == 0 || (read_argument(r, path_address, &raw) && raw.empty()))) {
    // fstat: glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH), and the
    // loader makes it before any handler of the shim exists. The caller
    // holds the descriptor already; we stat our copy of it. AT_FDCWD names
    // our descriptor of its working directory, which it does not hold: that
    // one is shown only if the rules show it (it starts where sbx run was
    // started, which no rule need name).
    file = base_fd(r, dirfd);
    if (file >= 0 && static_cast<int>(dirfd) == AT_FDCWD && !allowed(real_path(file), kPathRead, true)) {
      close(file);
      return fail(EACCES);
    }
  } else {
    std::string path;
    Answer refusal;
    const bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
    ProcView view;
    // The notification is not checked after the copy here, but by
    // write_to_caller, just before the only thing that reaches the program
    // besides the reply's error (which the kernel delivers only to a
    // pending call). A notification pending then was pending all along (it
    // never becomes valid again), so its thread id named the waiting
    // thread throughout and the path copied was its own; nothing between
    // acts on anything (O_PATH opens and lookups). One ioctl less a stat.
    if (!take_path(r, dirfd, path_address, kPathRead, &path, &refusal, true, follow ? ProcFd::kAsFstat : ProcFd::kPath,
                   &file, &view, /*checked_later=*/true))
      return refusal;
    if (view.kind != ProcView::kNone) file = view.take();  // an entry of the program's /proc, or a link of it
    if (file < 0) file = open_checked(path, follow, kPathRead, true);
  }
  if (file < 0) return fail(errno);
  bool ok;
  if (is_statx) {
    struct statx sx;
    ok = statx(file, "", AT_EMPTY_PATH, static_cast<unsigned>(statx_mask), &sx) == 0 &&
         write_to_caller(r, buf, &sx, sizeof(sx));
  } else {
    struct stat st;
    ok = fstatat(file, "", &st, AT_EMPTY_PATH) == 0 && write_to_caller(r, buf, &st, sizeof(st));
  }
  const int err = errno;
  close(file);
  return ok ? Answer{} : fail(err ? err : EFAULT);
}

Answer do_access(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t mode, uint64_t flags) {
  const unsigned wanted = access_wanted(mode);
  std::string path;
  Answer refusal;
  const bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
  int file = -1;
  ProcView view;
  if (!take_path(r, dirfd, path_address, wanted, &path, &refusal, mode == F_OK,
                 follow ? ProcFd::kChecked : ProcFd::kPath, &file, &view))
    return refusal;
  if (view.kind != ProcView::kNone) file = view.take();  // never for writing (take_path)
  if (file < 0) file = open_checked(path, follow, wanted, mode == F_OK);
  if (file < 0) return fail(errno);
  const int rc = faccessat(AT_FDCWD, fd_path(file).c_str(), static_cast<int>(mode), 0);
  const int err = errno;
  close(file);
  return rc == 0 ? Answer{} : fail(err);
}

// readlink, readlinkat. With an empty path, the descriptor's own link, as
// Linux reads it for an O_PATH descriptor of a symlink (ENOENT for anything
// else): the link's path must show in the rules, as for readlink by path.
Answer do_readlink(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t buf, uint64_t size) {
  if (static_cast<int>(size) <= 0) return fail(EINVAL);  // the kernel's bufsiz is an int
  std::string raw;
  int file = -1;
  if (!read_argument(r, path_address, &raw)) return fail(EFAULT);
  if (raw.empty()) {
    file = base_fd(r, dirfd);
    if (file < 0) return fail(errno);
    const std::string real = real_path(file);
    if (!is_file_path(real) || !allowed(real, kPathRead, true)) {
      close(file);
      return fail(EACCES);
    }
  } else {
    std::string path;
    Answer refusal;
    ProcView view;
    if (!take_path(r, dirfd, path_address, kPathRead, &path, &refusal, true, ProcFd::kLinkText, &file, &view))
      return refusal;
    // The program's /proc: a link's text (/proc/self/cwd, exe, root...);
    // an entry is no link.
    if (view.kind == ProcView::kEntry) return fail(EINVAL);
    if (view.kind == ProcView::kLink) path = view.text;
    // /proc/self/fd/N: the link's text is the path of the file the
    // descriptor is (checked: the rules show it), as natively.
    if (file >= 0 || view.kind == ProcView::kLink) {
      if (file >= 0) close(file);
      const size_t copy = path.size() < size ? path.size() : size;
      if (!write_to_caller(r, buf, path.data(), copy)) return fail(EFAULT);
      return {0, static_cast<int64_t>(copy), -1, 0};
    }
    // With O_PATH|O_NOFOLLOW, RESOLVE_NO_SYMLINKS still opens a symlink that
    // is the last component: the link itself, at exactly the checked path.
    file = open_checked(path, false, kPathRead, true);
  }
  if (file < 0) return fail(errno);
  // A file that is no symlink, by path: EINVAL, as natively (realpath and
  // readlink -f ask every name). Of a descriptor (an empty path): ENOENT.
  struct stat st;
  if (!raw.empty() && fstat(file, &st) == 0 && !S_ISLNK(st.st_mode)) {
    close(file);
    return fail(EINVAL);
  }
  char target[PATH_MAX];
  const ssize_t n = readlinkat(file, "", target, sizeof(target));
  const int err = errno;
  close(file);
  if (n < 0) return fail(err);
  const size_t copy = static_cast<size_t>(n) < size ? static_cast<size_t>(n) : size;
  if (!write_to_caller(r, buf, target, copy)) return fail(EFAULT);
  return {0, static_cast<int64_t>(copy), -1, 0};
}

namespace {

// Whether change would change the mode or owner of `file` (or we cannot tell).
bool changes_mode_or_owner(int file, const Change& change) {
  struct stat st;
  if (change.kind == Change::kTimes) return false;
  if (fstat(file, &st) != 0) return true;
  return changes_mode_or_owner(st, change);
}

Answer change_metadata(const seccomp_notif& r, int file, const Change& change) {
  if (file < 0) return fail(errno);
  const std::string path = real_path(file);
  int rc = -1;
  if (!is_file_path(path) || !path_allowed(*g_rules, path, kPathWrite)) {
    errno = EACCES;
  } else if (anchors(path) && changes_mode_or_owner(file, change)) {
    errno = EPERM;  // a rule's root, or on the way to one (by path or by descriptor): see anchors()
  } else if (!still_valid(r)) {
    errno = EINTR;
  } else if (change.kind == Change::kMode) {
    // chmod follows /proc/self/fd/N to the file: O_PATH descriptors too.
    rc = sets_set_id(change) ? (errno = EPERM, -1) : chmod(fd_path(file).c_str(), change.mode);
  } else if (change.kind == Change::kOwner) {
    rc = fchownat(file, "", change.uid, change.gid, AT_EMPTY_PATH);
  } else {
    // On the file `file` is, a symlink itself too (lutimes, or an O_PATH
    // descriptor of one): AT_EMPTY_PATH never follows.
    rc = utimensat(file, "", change.now ? nullptr : change.times, AT_EMPTY_PATH);
  }
  const int err = errno;
  close(file);
  return rc == 0 ? Answer{} : fail(err);
}

}  // namespace

// The file a metadata call names: a path (from dirfd, following a final
// symlink unless nofollow), or, with an empty path and AT_EMPTY_PATH (or no
// path at all, for fchmod/fchown/futimens), the descriptor itself.
Answer do_change(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, bool nofollow, bool empty_path_ok,
                 const Change& change) {
  if (path_address == 0 && change.kind == Change::kTimes) empty_path_ok = true;  // futimens(fd): utimensat(fd, NULL)
  if (path_address == 0 || empty_path_ok) {
    std::string raw;
    if (path_address != 0 && !read_argument(r, path_address, &raw)) return fail(EFAULT);
    if (raw.empty()) {
      if (!empty_path_ok) return fail(ENOENT);
      if (static_cast<int>(dirfd) < 0) return fail(EBADF);
      return change_metadata(r, base_fd(r, dirfd), change);
    }
  }
  std::string path;
  Answer refusal;
  int file = -1;
  if (!take_path(r, dirfd, path_address, kPathWrite, &path, &refusal, false,
                 nofollow ? ProcFd::kPath : ProcFd::kChecked, &file))
    return refusal;
  return change_metadata(r, file >= 0 ? file : open_checked(path, !nofollow, kPathWrite, false), change);
}

Answer do_utimensat(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t times, uint64_t flags) {
  Change change{Change::kTimes};
  if (times != 0) {
    if (!read_memory(r.pid, times, change.times, sizeof(change.times))) return fail(EFAULT);
    change.now = false;
  }
  return do_change(r, dirfd, path_address, flags & AT_SYMLINK_NOFOLLOW, flags & AT_EMPTY_PATH, change);
}

}  // namespace sbx::trusted
