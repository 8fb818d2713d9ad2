// The sandboxed caller as the trusted process sees it: its memory (copied in
// and out with process_vm_readv/writev, each checked against the pending
// notification), its descriptors (taken with pidfd_getfd), its working
// directory and its umask (the kernel's, read in our /proc: host_ids.cc).
// Also our own view of a file: the path a descriptor of ours really names.
#include "caller.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <pthread.h>

#include "placeholders.h"

namespace sbx::trusted {

const Rules* g_rules;
int g_listener = -1;

// The caller's working directory is its own, in the kernel: each process
// of the sandbox has one, inherited at fork, changed by its own fchdir to a
// directory descriptor the rules gave it (the shim turns chdir into an
// open and an fchdir). We read it where our /proc shows it, for the calling
// thread: a directory, not a name (the program may rename the directory it
// is in, or put a symlink where it was, and it stays where it is, as
// natively). Checked again after: the thread must still be in its call, so
// its host id was still its own.
namespace {
bool g_two_ids = false;  // UID-range mode: real ids the program's, effective ones the caller's
uid_t g_program_uid, g_caller_uid;
gid_t g_program_gid, g_caller_gid;
}  // namespace

void remember_ids() {
  g_program_uid = getuid();
  g_caller_uid = geteuid();
  g_program_gid = getgid();
  g_caller_gid = getegid();
  g_two_ids = g_program_uid != g_caller_uid || g_program_gid != g_caller_gid;
}

AsProgram::AsProgram() {
  if (!g_two_ids) return;
  syscall(SYS_setfsgid, g_program_gid);
  syscall(SYS_setfsuid, g_program_uid);
}

AsProgram::~AsProgram() {
  if (!g_two_ids) return;
  syscall(SYS_setfsuid, g_caller_uid);
  syscall(SYS_setfsgid, g_caller_gid);
}

int cwd_descriptor(const seccomp_notif& r) {
  const std::string link = caller_proc(r, "cwd");
  if (link.empty()) return -1;
  int fd;
  {
    const AsProgram as_program;  // /proc/PID/cwd: a check on our fsuid
    fd = open(link.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  if (fd >= 0 && !still_valid(r)) {
    close(fd);
    errno = ESRCH;
    return -1;
  }
  return fd;
}

bool current_cwd(const seccomp_notif& r, std::string* path) {
  // A removed directory's path ends in " (deleted)" and names nothing (or
  // another directory, which the program may make): in it, natively,
  // getcwd answers ENOENT and no name is found or made. Its link count is
  // 0; a directory really named so is the one of that name.
  static constexpr std::string_view kDeleted = " (deleted)";
  path->clear();
  // Its path, read from the link itself: the same text as reading back a
  // descriptor opened from it (both are the kernel's path of the thread's
  // working directory), without opening and closing one. Checked again
  // after, as cwd_descriptor does: the thread id was still the caller's.
  // Only a path that says the directory was removed needs the descriptor.
  const std::string link = caller_proc(r, "cwd");
  if (link.empty()) return false;
  char target[PATH_MAX];
  ssize_t n;
  {
    const AsProgram as_program;  // /proc/PID/cwd: a check on our fsuid
    n = readlink(link.c_str(), target, sizeof(target) - 1);
  }
  if (n <= 0) return false;
  if (!still_valid(r)) return (errno = ESRCH), false;
  *path = std::string(target, static_cast<size_t>(n));
  if (!std::string_view(*path).ends_with(kDeleted)) {
    if (is_file_path(*path)) return true;
    path->clear();
    return (errno = ENOENT), false;
  }
  path->clear();
  const int fd = cwd_descriptor(r);
  if (fd < 0) return false;
  struct stat st, named;
  *path = real_path(fd);
  bool removed = false;
  if (std::string_view(*path).ends_with(kDeleted))
    removed = fstat(fd, &st) != 0 || st.st_nlink == 0 || stat(path->c_str(), &named) != 0 ||
              named.st_ino != st.st_ino || named.st_dev != st.st_dev;
  close(fd);
  if (removed || !is_file_path(*path)) {
    path->clear();
    errno = ENOENT;
    return false;
  }
  return true;
}

bool still_valid(const seccomp_notif& n) { return ioctl(g_listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id) == 0; }

// Copies a NUL-terminated string from the sandboxed process, page by page.
bool read_string(pid_t pid, uint64_t address, std::string* out) {
  out->clear();
  char buf[256];
  while (out->size() < PATH_MAX) {
    const uint64_t room = 4096 - (address % 4096);
    const size_t want = room < sizeof(buf) ? room : sizeof(buf);
    iovec local{buf, want}, remote{reinterpret_cast<void*>(address), want};
    const ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return false;
    const void* nul = std::memchr(buf, 0, static_cast<size_t>(n));
    if (nul != nullptr) {
      out->append(buf, static_cast<const char*>(nul) - buf);
      return true;
    }
    out->append(buf, static_cast<size_t>(n));
    address += static_cast<uint64_t>(n);
  }
  return false;
}

// A worker answers one call at a time, and notification ids are never
// reused (the kernel counts them up from a random start), so a copy kept
// per thread under its call's id and address is that call's. Two, for the
// calls with two paths (rename, link).
bool read_argument(const seccomp_notif& r, uint64_t address, std::string* out) {
  struct Copy {
    uint64_t id = 0, address = 0;
    bool held = false;
    std::string text;
  };
  thread_local Copy copies[2];
  thread_local unsigned next = 0;
  for (const Copy& copy : copies)
    if (copy.held && copy.id == r.id && copy.address == address) return (*out = copy.text), true;
  if (!read_string(static_cast<pid_t>(r.pid), address, out)) return false;
  Copy& kept = copies[next++ % 2];
  kept = {r.id, address, true, *out};
  return true;
}

bool read_memory(pid_t pid, uint64_t address, void* to, size_t size) {
  iovec local{to, size}, remote{reinterpret_cast<void*>(address), size};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

// Writes a result into the caller's memory. The notification is checked
// again first: the call's thread id names the thread that waits only while
// the call is pending. A thread that left its call (a signal) and exited
// frees its id; were it reused, here by one of our own workers, the write
// would land in the wrong memory. With the check just before, reuse would
// need the whole PID space to wrap in between.
bool send_descriptor(int sock, int fd, const void* data, size_t size, int flags) {
  iovec iov{const_cast<void*>(data), size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(sock, &msg, flags) == static_cast<ssize_t>(size);
}

bool write_to_caller(const seccomp_notif& n, uint64_t address, const void* from, size_t size) {
  if (!still_valid(n)) return false;
  iovec local{const_cast<void*>(from), size}, remote{reinterpret_cast<void*>(address), size};
  return process_vm_writev(static_cast<pid_t>(n.pid), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

// The path a descriptor of ours really refers to.
std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// Whether real_path gave a file's path, not "socket:[N]", "pipe:[N]",
// "anon_inode:..." or nothing.
bool is_file_path(const std::string& path) { return !path.empty() && path[0] == '/'; }

std::string real_path(int fd) {
  char target[PATH_MAX];
  const ssize_t n = readlink(fd_path(fd).c_str(), target, sizeof(target) - 1);
  if (n <= 0) return "";
  return std::string(target, static_cast<size_t>(n));
}

// The fast way to a path that passed the lexical check: openat2 with
// RESOLVE_NO_SYMLINKS fails (ELOOP) if any component is a symlink, so what
// it opens is exactly the normalised path we checked, with nothing to read
// back. Any other path (a symlink on the way, flags openat2 is stricter
// about) returns -1 with errno set, and the caller takes the slow way.
int open_exact(const std::string& path, uint64_t flags, uint64_t mode) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = creates(flags) ? (mode & 07777) : 0;
  how.resolve = RESOLVE_NO_SYMLINKS;
  return static_cast<int>(syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof(how)));
}

// Whether open_exact's failure means "take the slow way": a symlink on the
// path (ELOOP), or flags openat2 refuses that open() accepts (EINVAL).
bool slow_way(int err) { return err == ELOOP || err == EINVAL; }

namespace {
// PIDFD_THREAD (Linux 6.9; O_EXCL's value): pidfd_open of any thread, not
// only of a process. Debian 12's headers predate it.
constexpr unsigned kPidfdThread = 0200;
}  // namespace

// The caller's umask, which its created files and directories get, as
// natively: our own is 0, and we apply the caller's ourselves, read fresh
// from its /proc status (umask is its own call). If it cannot be read, 022.
uint64_t without_umask(const seccomp_notif& r, uint64_t mode) {
  mode_t mask = 022;
  char text[2048];
  const std::string status = caller_proc(r, "status");
  const int fd = status.empty() ? -1 : open(status.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    const ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    const char* line = n > 0 ? (text[n] = '\0', std::strstr(text, "\nUmask:")) : nullptr;
    if (line != nullptr) mask = static_cast<mode_t>(std::strtoul(line + 7, nullptr, 8) & 0777);
  }
  return mode & ~static_cast<uint64_t>(mask);
}

// The directory a path of the sandboxed process starts from, as an O_PATH
// descriptor of ours: its working directory, or its descriptor taken over
// from the calling thread (pidfd_getfd). The thread id is one of our PID
// namespace, which the pidfd calls understand (our /proc is the host's and
// does not). Before Linux 6.9 only a process has a pidfd: then the
// descriptor comes from the calling thread's process, whose threads share
// its descriptor table. Checked again after: the id must still be the caller's.
// A placeholder we handed out for an O_PATH descriptor of a symlink comes
// back as that symlink (placeholders.h), so every call on a descriptor acts
// on the link itself, checked by the rules like any other descriptor.
int base_fd(const seccomp_notif& r, int64_t dirfd) {
  if (static_cast<int>(dirfd) == AT_FDCWD) return cwd_descriptor(r);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(r.pid), kPidfdThread));
  if (pidfd < 0 && errno == EINVAL) pidfd = static_cast<int>(syscall(SYS_pidfd_open, caller_process(r), 0));
  if (pidfd < 0) return -1;
  const int fd = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, static_cast<int>(dirfd), 0));
  close(pidfd);
  if (fd >= 0 && !still_valid(r)) {
    close(fd);
    errno = EBADF;
    return -1;
  }
  return without_placeholder(fd);
}

// Where a path of the sandboxed process starts: the path of its working
// directory for AT_FDCWD (ENOENT if it was removed), or the directory its
// descriptor refers to. A descriptor of anything but a directory (a file, a
// symlink's placeholder, a pipe) is no base: ENOTDIR, as natively; one that
// is not open, EBADF.
bool base_of(const seccomp_notif& r, int64_t dirfd, std::string* base) {
  if (static_cast<int>(dirfd) == AT_FDCWD) return current_cwd(r, base);
  const int fd = base_fd(r, dirfd);
  if (fd < 0) return (errno = EBADF), false;
  struct stat st;
  const bool directory = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  *base = directory ? real_path(fd) : "";
  close(fd);
  if (!directory) return (errno = ENOTDIR), false;
  if (!is_file_path(*base)) return (errno = EBADF), false;
  return true;
}

}  // namespace sbx::trusted
