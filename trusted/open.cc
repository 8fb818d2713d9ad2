// open, openat, openat2 and creat (handlers.h): the path checked for the
// flags, the file opened exactly or resolved name by name, and reopened
// with the caller's flags; what an O_PATH open or a new file becomes.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "caller.h"
#include "decisions.h"
#include "handlers.h"
#include "paths.h"
#include "placeholders.h"
#include "proc_view.h"
#include "resolve.h"

namespace sbx::trusted {

namespace {

// An O_PATH descriptor cannot be handed over: SECCOMP_IOCTL_NOTIF_ADDFD
// takes its source with fget() (kernel/seccomp.c), which refuses O_PATH
// files (fs/file.c: __fget(fd, FMODE_PATH)), and no other way installs a
// descriptor in the program. So the program gets the file it named opened
// for reading, which the rules already granted (an O_PATH open is checked
// as a read; the descriptor is never writable, whatever the flags said): a
// directory O_RDONLY|O_DIRECTORY, a regular file O_RDONLY. What it can tell:
// F_GETFL says O_RDONLY, read() works, and the open needs read permission
// on the file itself (an O_PATH open needs none): EACCES without it. Every
// use of an O_PATH descriptor (a base for *at calls, fstat, fchdir) works
// as well on these. A symlink itself (O_PATH|O_NOFOLLOW) can only be opened
// O_PATH: the program gets a placeholder we know, and every call we answer
// on it acts on our O_PATH descriptor of the link (placeholders.h). A FIFO,
// socket or device would be opened for real, with effects an O_PATH open
// does not have (a FIFO's reader, a tape's rewind): these answer
// EOPNOTSUPP. `path_fd` is closed here (or kept by the placeholder table).
int without_o_path(int path_fd) {
  struct stat st;
  int fd = -1;
  if (fstat(path_fd, &st) != 0) {
  } else if (S_ISREG(st.st_mode)) {
    fd = open(fd_path(path_fd).c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
  } else if (S_ISDIR(st.st_mode)) {
    fd = open(fd_path(path_fd).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } else if (S_ISLNK(st.st_mode)) {
    return placeholder_for(path_fd);
  } else {
    errno = EOPNOTSUPP;
  }
  const int err = errno;
  close(path_fd);
  errno = err;
  return fd;
}

// After an open that may have created a regular file: no set-user-ID or
// set-group-ID bit on it. We never ask for them (creation_mode), and Linux
// never adds them to a new regular file, but a filesystem might (a
// set-group-ID directory on one that passes the bit on to files): so the
// bits found on a file of ours that the rules let the program write are
// taken off, as the kernel would at its first write. If that fails the file
// is not handed over. -1 with errno set, or fd.
int without_set_id(int fd, uint64_t flags) {
  struct stat st;
  // Our user id from the auxiliary vector: geteuid is no call of ours
  // (builtin:trusted-process).
  const uid_t we = static_cast<uid_t>(getauxval(AT_EUID));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & (S_ISUID | S_ISGID)) || st.st_uid != we) return fd;
  // An O_TMPFILE file is new and has no name yet ("/DIR/#N (deleted)").
  if (!(flags & kTmpFileBit) && !path_allowed(*g_rules, real_path(fd), kPathWrite)) return fd;
  if (chmod(fd_path(fd).c_str(), st.st_mode & 07777 & ~static_cast<mode_t>(S_ISUID | S_ISGID)) == 0) return fd;
  const int err = errno;
  close(fd);
  errno = err;
  return -1;
}

Answer opened(int fd, uint64_t flags) {
  if (fd >= 0 && (flags & O_PATH)) fd = without_o_path(fd);
  if (fd >= 0 && creates(flags)) fd = without_set_id(fd, flags);
  return fd < 0 ? fail(errno) : Answer{0, 0, fd, (flags & O_CLOEXEC) ? unsigned{O_CLOEXEC} : 0U};
}

// The file to open was resolved to O_PATH descriptor `found` (closed
// here): refused if it had to be new, or if the rules refuse it where it
// really is; else reopened with the caller's flags (and mode: O_TMPFILE
// makes a file in the directory found).
Answer open_found(int found, uint64_t flags, uint64_t mode) {
  const unsigned wanted = wanted_by(flags);
  const std::string real = real_path(found);
  Answer answer;
  if ((flags & O_CREAT) && (flags & O_EXCL))
    answer = fail(rules_show(real) ? EEXIST : ENOENT);  // natively EEXIST first; but only of what the rules show
  else if (!path_allowed(*g_rules, real, wanted ? wanted : kPathRead)) answer = fail(refusal_at(real, false));
  else
    answer = opened(open(fd_path(found).c_str(), static_cast<int>(flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC,
                         static_cast<mode_t>(mode)),
                    flags);
  close(found);
  return answer;
}

// A file to create, `name` in the directory resolved to O_PATH descriptor
// `parent` (closed here; -1 with errno set if it failed): checked where the
// parent really is.
Answer create_in(int parent, const std::string& name, uint64_t flags, uint64_t mode) {
  if (parent < 0) return fail(errno);
  Answer answer;
  if (const std::string real = child_of(real_path(parent), name);
      !path_allowed(*g_rules, real, kPathCreate | wanted_by(flags)))
    answer = fail(refusal_at(real, true));
  else
    answer = opened(
        openat(parent, name.c_str(), static_cast<int>(flags) | O_NOFOLLOW | O_CLOEXEC, static_cast<mode_t>(mode)),
        flags);
  close(parent);
  return answer;
}

// An open resolved the slow way: the file found is checked where it really
// is and reopened (open_found); a missing last name, with O_CREAT, is made
// in the directory it would be in (create_in: a dangling link's target, as
// natively); anything else answers resolve's errno (EACCES wherever the
// resolution left what the rules show).
Answer open_resolved(Found found, uint64_t flags, uint64_t mode) {
  if (found.fd() >= 0) return open_found(found.take(), flags, mode);
  if (found.error() == ENOENT && (flags & O_CREAT) && found.has_parent())
    return create_in(found.take_parent(), found.name(), flags, mode);
  return fail(found.error());
}

}  // namespace

Answer do_open(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t flags, uint64_t mode) {
  if (flags & O_PATH) flags &= kPathOnlyFlags;
  mode = creates(flags) ? creation_mode(r, mode) : 0;
  const unsigned wanted = wanted_by(flags);
  std::string path;
  Answer refusal;
  // A path we may not read or write at all is refused before we look.
  const unsigned lexical = (flags & O_CREAT) ? kPathCreate : wanted;
  // /proc/self/fd/N reopens the caller's descriptor N: the file it is,
  // checked for these flags where it really is (open_found). O_NOFOLLOW
  // would open the magic link itself, which is nothing we can give.
  int descriptor = -1;
  ProcView view;
  if (!take_path(r, dirfd, path_address, lexical ? lexical : kPathRead, &path, &refusal, false,
                 (flags & O_NOFOLLOW) ? ProcFd::kPath : ProcFd::kChecked, &descriptor, &view))
    return refusal;
  if (view.kind != ProcView::kNone) {
    const int fd = open_view(&view, flags);
    return fd < 0 ? fail(errno) : Answer{0, 0, fd, (flags & O_CLOEXEC) ? unsigned{O_CLOEXEC} : 0U};
  }
  if (descriptor >= 0 && held_for(descriptor, wanted ? wanted & ~kPathCreate : kPathRead)) {
    const int fd =
        open(fd_path(descriptor).c_str(), static_cast<int>(flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)) | O_CLOEXEC);
    close(descriptor);
    return opened(fd, flags & ~static_cast<uint64_t>(O_PATH));
  }
  if (descriptor >= 0) return open_found(descriptor, flags, mode);
  const unsigned everything = wanted | ((flags & O_CREAT) ? unsigned{kPathCreate} : 0U);
  if (everything != 0 && path_allowed(*g_rules, path, everything)) {
    const int fd = open_exact(path, flags, mode);
    if (fd >= 0 || !slow_way(errno)) return opened(fd, flags);
  }
  return open_resolved(resolve(-1, "/", path, walk_of(flags, 0)), flags, mode);
}

namespace {

// openat2 with resolve flags (RESOLVE_BENEATH, RESOLVE_IN_ROOT, ...): the
// path is resolved the caller's way, from the caller's directory (its own
// descriptor, or its working directory), by resolve() with those flags; the
// file found is checked against the rules, then reopened with the real
// flags. A file to create is checked in the directory it would be in. No
// lexical check first: the names are the caller's, each looked up only
// where the rules show (resolve.cc), so a directory outside the rules (the
// one it was started in) gives nothing, even beneath itself.
Answer do_open_resolved(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, const open_how& caller) {
  std::string raw;
  if (!read_argument(r, path_address, &raw)) return fail(EFAULT);
  if (!still_valid(r)) return fail(EINTR);
  if (raw.empty()) return fail(ENOENT);
  const uint64_t flags = caller.flags;
  const uint64_t mode = creates(flags) ? creation_mode(r, caller.mode) : 0;
  const Walk how = walk_of(flags, caller.resolve);
  // The caller's directory, unless an absolute path ignores it.
  int base = -1;
  std::string base_path = "/";
  if (raw[0] != '/' || how.beneath || how.in_root) {
    base = base_fd(r, dirfd);
    if (base < 0) return fail(EBADF);
    struct stat st;
    if (fstat(base, &st) != 0 || !S_ISDIR(st.st_mode)) {
      close(base);
      return fail(ENOTDIR);
    }
    base_path = real_path(base);
  }
  Found found = resolve(base, base_path, raw, how);
  if (base >= 0) close(base);
  return open_resolved(std::move(found), flags, mode);
}

}  // namespace

// openat2: its open_how checked as the kernel's openat2 checks it, before
// the path is looked at (decisions.h, openat2_refusal). A struct longer
// than ours (a later version) must be zeros past it (E2BIG).
Answer do_openat2(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t how_address, uint64_t size) {
  open_how how{};
  if (const int refused = openat2_size_refusal(size); refused != 0) return fail(refused);
  if (!read_memory(r.pid, how_address, &how, sizeof(how))) return fail(EFAULT);
  if (size > sizeof(how)) {
    char rest[4096 - sizeof(open_how)];
    const size_t more = size - sizeof(how);
    if (!read_memory(r.pid, how_address + sizeof(how), rest, more)) return fail(EFAULT);
    for (size_t i = 0; i < more; ++i)
      if (rest[i] != 0) return fail(E2BIG);
  }
  if (const int refused = openat2_refusal(how); refused != 0) return fail(refused);
  if (how.resolve != 0) return do_open_resolved(r, dirfd, path_address, how);
  return do_open(r, dirfd, path_address, how.flags, how.mode);
}

}  // namespace sbx::trusted
