// mkdir, unlink, rmdir, symlink, mknod, link, rename and truncate
// (handlers.h): names made, removed or moved in a parent directory resolved
// and checked for real, where the rules let the program create or write;
// never a name a rule hangs on (anchors()).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "caller.h"
#include "handlers.h"
#include "paths.h"
#include "resolve.h"

namespace sbx::trusted {

// mkdir, unlink, rmdir, symlink: in a parent directory resolved and checked
// for real.
Answer do_in_parent(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, unsigned wanted,
                    int (*act)(int parent, const char* name, uint64_t extra), uint64_t extra, AtAnchor at_anchor) {
  std::string path;
  Answer refusal;
  if (!take_path(r, dirfd, path_address, wanted, &path, &refusal)) return refusal;
  const auto [parent_path, name] = split_parent(path);
  if (name.empty()) return fail(EINVAL);
  const int parent = open_path(parent_path, true, true);
  if (parent < 0) return fail(errno);
  const std::string real = child_of(real_path(parent), name);
  int refused = 0;
  struct stat st;
  if (!path_allowed(*g_rules, real, wanted)) refused = refusal_in(parent, real, name, wanted & kPathCreate);
  else if (at_anchor == AtAnchor::kRemove && anchors(real)) refused = EBUSY;
  else if (at_anchor == AtAnchor::kLink && anchors(real))
    refused = fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? EEXIST : EACCES;
  if (refused != 0) {
    close(parent);
    return fail(refused);
  }
  const int rc = act(parent, name.c_str(), extra);
  const int err = errno;
  close(parent);
  return rc == 0 ? Answer{} : fail(err);
}

// mkdir. `mkdir -p` climbs from / and takes EEXIST as "go on": natively an
// existing path answers EEXIST before any permission check. So a refused
// mkdir of a path that exists and whose metadata the rules show (readable,
// or a directory on the way to a rule) answers EEXIST, as it would natively;
// anything else stays refused.
Answer do_mkdir(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t mode) {
  const Answer answer = do_in_parent(
      r, dirfd, path_address, kPathCreate,
      [](int parent, const char* name, uint64_t mode) { return mkdirat(parent, name, static_cast<mode_t>(mode)); },
      creation_mode(r, mode));
  if (answer.error != EACCES) return answer;
  std::string path;
  Answer refusal;
  if (!take_path(r, dirfd, path_address, kPathRead, &path, &refusal, true)) return answer;
  const int found = open_checked(path, false, kPathRead, true);
  if (found < 0) return answer;
  close(found);
  return fail(EEXIST);
}

// symlink: created where the rules let the program create. Its target is
// only text: whatever it points at, a later open through it is resolved and
// checked like any other path.
Answer do_symlink(const seccomp_notif& r, uint64_t target_address, int64_t dirfd, uint64_t path_address) {
  std::string target;
  if (!read_argument(r, target_address, &target)) return fail(EFAULT);
  if (target.empty()) return fail(ENOENT);
  return do_in_parent(
      r, dirfd, path_address, kPathCreate,
      [](int parent, const char* name, uint64_t target_text) {
        return symlinkat(reinterpret_cast<const std::string*>(target_text)->c_str(), parent, name);
      },
      reinterpret_cast<uint64_t>(&target), AtAnchor::kLink);
}

// truncate by path: a file the rules let the program write (through a
// descriptor we open for writing, so the kernel's own checks apply too).
Answer do_truncate(const seccomp_notif& r, uint64_t path_address, uint64_t length) {
  if (static_cast<int64_t>(length) < 0) return fail(EINVAL);
  std::string path;
  Answer refusal;
  if (!take_path(r, AT_FDCWD, path_address, kPathWrite, &path, &refusal)) return refusal;
  const int file = open_checked(path, true, kPathWrite, false);
  if (file < 0) return fail(errno);
  struct stat st;
  int error = 0;
  if (fstat(file, &st) != 0) error = errno;
  else if (S_ISDIR(st.st_mode)) error = EISDIR;
  else if (!S_ISREG(st.st_mode)) error = EINVAL;
  else if (!path_allowed(*g_rules, real_path(file), kPathWrite)) error = EACCES;
  const int fd = error != 0 ? -1 : open(fd_path(file).c_str(), O_WRONLY | O_CLOEXEC);
  if (error == 0 && fd < 0) error = errno;
  close(file);
  if (fd >= 0) {
    if (ftruncate(fd, static_cast<off_t>(length)) != 0) error = errno;
    close(fd);
  }
  return error == 0 ? Answer{} : fail(error);
}

// mknod and mknodat: a FIFO (a shell's mkfifo) or an empty regular file,
// made where the rules let the program create, with its umask. No device
// and no socket: EPERM, as for an unprivileged process (a device) or a
// program that has no business binding names (a socket).
Answer do_mknod(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t mode, uint64_t dev) {
  const mode_t type = mknod_type(mode);
  if (type == 0) return fail(EPERM);
  const uint64_t made = type | creation_mode(r, mode & 07777);
  (void)dev;  // ignored for a FIFO or a file, as natively
  return do_in_parent(
      r, dirfd, path_address, kPathCreate,
      [](int parent, const char* name, uint64_t mode) { return mknodat(parent, name, static_cast<mode_t>(mode), 0); },
      made, AtAnchor::kLink);
}

// link and linkat: a new name for a file the rules let the program write
// (a hard link is another way to write it: read-only by the rules must stay
// so), made where they let it create. The file linked is the one we opened
// and checked (through /proc/self/fd with AT_SYMLINK_FOLLOW, which links
// what the descriptor is: the symlink itself when the call does not follow
// one). The kernel's own checks (protected_hardlinks, the same filesystem)
// still apply. AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH natively: ENOENT.
Answer do_link(const seccomp_notif& r, int64_t olddir, uint64_t oldpath, int64_t newdir, uint64_t newpath,
               uint64_t flags) {
  if (const int refused = link_flags_refusal(flags); refused != 0) return fail(refused);
  std::string from;
  Answer refusal;
  if (!take_path(r, olddir, oldpath, kPathWrite, &from, &refusal)) return refusal;
  const int file = open_checked(from, (flags & AT_SYMLINK_FOLLOW) != 0, kPathWrite, false);
  if (file < 0) return fail(errno);
  struct stat st;
  if (fstat(file, &st) == 0 && S_ISDIR(st.st_mode)) return close(file), fail(EPERM);
  const std::string real_from = real_path(file);
  if (!is_file_path(real_from) || !path_allowed(*g_rules, real_from, kPathWrite)) return close(file), fail(EACCES);
  const std::string source = fd_path(file);
  const Answer answer = do_in_parent(
      r, newdir, newpath, kPathCreate,
      [](int parent, const char* name, uint64_t from_fd) {
        return linkat(AT_FDCWD, reinterpret_cast<const std::string*>(from_fd)->c_str(), parent, name,
                      AT_SYMLINK_FOLLOW);
      },
      reinterpret_cast<uint64_t>(&source), AtAnchor::kLink);
  close(file);
  return answer;
}

// rename, renameat, renameat2. The flags first, as the kernel checks them
// before it looks at a path (its flags are an unsigned int): unknown ones,
// and RENAME_EXCHANGE with either other, are EINVAL. RENAME_WHITEOUT is
// refused (EPERM, the answer it had before Linux 5.8 without CAP_MKNOD): it
// leaves a whiteout where the source was, a character device 0:0, and the
// program may make no device node (mknod is never brokered). A whiteout is
// only meaningful to overlayfs, which a program here has no use for.
Answer do_rename(const seccomp_notif& r, int64_t olddir, uint64_t oldpath, int64_t newdir, uint64_t newpath,
                 uint64_t flags) {
  if (const int refused = rename_flags_refusal(flags); refused != 0) return fail(refused);
  const unsigned how = static_cast<unsigned>(flags);
  std::string from, to;
  Answer refusal;
  if (!take_path(r, olddir, oldpath, kPathWrite, &from, &refusal)) return refusal;
  if (!take_path(r, newdir, newpath, kPathCreate | kPathWrite, &to, &refusal)) return refusal;
  const auto [from_parent, from_name] = split_parent(from);
  const auto [to_parent, to_name] = split_parent(to);
  const int from_dir = open_path(from_parent, true, true);
  const int from_dir_error = errno;
  const int to_dir = from_dir < 0 ? -1 : open_path(to_parent, true, true);
  Answer answer;
  if (from_dir < 0 || to_dir < 0) {
    answer = fail(from_dir < 0 ? from_dir_error : errno);
  } else if (const std::string real_from = child_of(real_path(from_dir), from_name),
             real_to = child_of(real_path(to_dir), to_name);
             !path_allowed(*g_rules, real_from, kPathWrite) ||
             !path_allowed(*g_rules, real_to, kPathCreate | kPathWrite)) {
    answer = fail(!path_allowed(*g_rules, real_from, kPathWrite) ? refusal_in(from_dir, real_from, from_name, false)
                                                                 : refusal_in(to_dir, real_to, to_name, true));
  } else if (anchors(real_from) || anchors(real_to)) {
    answer = fail(EBUSY);  // moved away, replaced, or exchanged (RENAME_EXCHANGE): see anchors()
  } else if (syscall(SYS_renameat2, from_dir, from_name.c_str(), to_dir, to_name.c_str(), how) != 0) {
    answer = fail(errno);
  }
  if (from_dir >= 0) close(from_dir);
  if (to_dir >= 0) close(to_dir);
  return answer;
}

}  // namespace sbx::trusted
