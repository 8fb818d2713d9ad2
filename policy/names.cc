// Names the policy language knows: x86-64 system calls (through libseccomp),
// errno names, and constants of the common flag families, with the values
// of this system's headers.
#include <asm/prctl.h>
#include <cerrno>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "policy.h"
#include "../common/sandbox.h"

namespace sbx::policy {

int syscall_number(const std::string& name) {
  const int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str());
  return nr < 0 ? -1 : nr;  // libseccomp's negative "pseudo" numbers are not x86-64 calls
}

std::string syscall_name(int nr) {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
  if (name == nullptr) return "syscall_" + std::to_string(nr);
  std::string result(name);
  free(name);
  return result;
}

// clang-format off (it would space the braces and the cast of the macro apart)
#define SBX_NAME(x) \
  { #x, static_cast < long long>(x) }
// clang-format on

std::optional<int> errno_number(const std::string& name) {
  static const std::map<std::string, long long> kErrno = {
      SBX_NAME(EPERM),        SBX_NAME(ENOENT),          SBX_NAME(ESRCH),        SBX_NAME(EINTR),
      SBX_NAME(EIO),          SBX_NAME(ENXIO),           SBX_NAME(E2BIG),        SBX_NAME(ENOEXEC),
      SBX_NAME(EBADF),        SBX_NAME(ECHILD),          SBX_NAME(EAGAIN),       SBX_NAME(EWOULDBLOCK),
      SBX_NAME(ENOMEM),       SBX_NAME(EACCES),          SBX_NAME(EFAULT),       SBX_NAME(EBUSY),
      SBX_NAME(EEXIST),       SBX_NAME(EXDEV),           SBX_NAME(ENODEV),       SBX_NAME(ENOTDIR),
      SBX_NAME(EISDIR),       SBX_NAME(EINVAL),          SBX_NAME(ENFILE),       SBX_NAME(EMFILE),
      SBX_NAME(ENOTTY),       SBX_NAME(ETXTBSY),         SBX_NAME(EFBIG),        SBX_NAME(ENOSPC),
      SBX_NAME(ESPIPE),       SBX_NAME(EROFS),           SBX_NAME(EMLINK),       SBX_NAME(EPIPE),
      SBX_NAME(EDOM),         SBX_NAME(ERANGE),          SBX_NAME(ENOSYS),       SBX_NAME(ENOTSUP),
      SBX_NAME(EOPNOTSUPP),   SBX_NAME(ELOOP),           SBX_NAME(ENAMETOOLONG), SBX_NAME(ENOTEMPTY),
      SBX_NAME(EAFNOSUPPORT), SBX_NAME(EPROTONOSUPPORT), SBX_NAME(ENETUNREACH),  SBX_NAME(ECONNREFUSED),
      SBX_NAME(ENOTSOCK),     SBX_NAME(EADDRNOTAVAIL),
  };
  const auto it = kErrno.find(name);
  if (it == kErrno.end()) return std::nullopt;
  return static_cast<int>(it->second);
}

std::optional<uint64_t> named_constant(const std::string& name) {
  static const std::map<std::string, long long> kConstants = {
      // open(2)
      SBX_NAME(O_RDONLY),
      SBX_NAME(O_WRONLY),
      SBX_NAME(O_RDWR),
      SBX_NAME(O_ACCMODE),
      SBX_NAME(O_CREAT),
      SBX_NAME(O_EXCL),
      SBX_NAME(O_NOCTTY),
      SBX_NAME(O_TRUNC),
      SBX_NAME(O_APPEND),
      SBX_NAME(O_NONBLOCK),
      SBX_NAME(O_DIRECTORY),
      SBX_NAME(O_NOFOLLOW),
      SBX_NAME(O_CLOEXEC),
      SBX_NAME(O_PATH),
      SBX_NAME(O_TMPFILE),
      SBX_NAME(O_DSYNC),
      SBX_NAME(O_SYNC),
      SBX_NAME(O_LARGEFILE),
      SBX_NAME(O_NOATIME),
      SBX_NAME(AT_FDCWD),
      SBX_NAME(AT_EMPTY_PATH),
      SBX_NAME(AT_SYMLINK_NOFOLLOW),
      SBX_NAME(AT_REMOVEDIR),
      // mmap(2), mprotect(2)
      SBX_NAME(PROT_NONE),
      SBX_NAME(PROT_READ),
      SBX_NAME(PROT_WRITE),
      SBX_NAME(PROT_EXEC),
      SBX_NAME(MAP_SHARED),
      SBX_NAME(MAP_PRIVATE),
      SBX_NAME(MAP_FIXED),
      SBX_NAME(MAP_ANONYMOUS),
      SBX_NAME(MAP_GROWSDOWN),
      SBX_NAME(MAP_NORESERVE),
      SBX_NAME(MAP_STACK),
      SBX_NAME(MAP_FIXED_NOREPLACE),
      SBX_NAME(MAP_POPULATE),
      SBX_NAME(MADV_DONTNEED),
      SBX_NAME(MADV_FREE),
      // arch_prctl(2)
      SBX_NAME(ARCH_SET_FS),
      SBX_NAME(ARCH_GET_FS),
      // clone(2)
      SBX_NAME(CLONE_VM),
      SBX_NAME(CLONE_FS),
      SBX_NAME(CLONE_FILES),
      SBX_NAME(CLONE_SIGHAND),
      SBX_NAME(CLONE_THREAD),
      SBX_NAME(CLONE_SYSVSEM),
      SBX_NAME(CLONE_SETTLS),
      SBX_NAME(CLONE_PARENT_SETTID),
      SBX_NAME(CLONE_CHILD_CLEARTID),
      SBX_NAME(CLONE_CHILD_SETTID),
      SBX_NAME(CLONE_NEWNS),
      SBX_NAME(CLONE_NEWUSER),
      SBX_NAME(CLONE_NEWPID),
      SBX_NAME(CLONE_NEWNET),
      SBX_NAME(CLONE_NEWIPC),
      SBX_NAME(CLONE_NEWUTS),
      SBX_NAME(CLONE_VFORK),
      SBX_NAME(CLONE_PARENT),
      SBX_NAME(CLONE_PTRACE),
      // socket(2)
      SBX_NAME(AF_UNSPEC),
      SBX_NAME(AF_UNIX),
      SBX_NAME(AF_LOCAL),
      SBX_NAME(AF_INET),
      SBX_NAME(AF_INET6),
      SBX_NAME(AF_NETLINK),
      SBX_NAME(AF_PACKET),
      SBX_NAME(SOCK_STREAM),
      SBX_NAME(SOCK_DGRAM),
      SBX_NAME(SOCK_SEQPACKET),
      SBX_NAME(SOCK_RAW),
      SBX_NAME(SOCK_NONBLOCK),
      SBX_NAME(SOCK_CLOEXEC),
      // ioctl(2) requests
      SBX_NAME(TCGETS),
      SBX_NAME(TCSETS),
      SBX_NAME(TCSETSW),
      SBX_NAME(TCSETSF),
      SBX_NAME(TIOCGWINSZ),
      SBX_NAME(TIOCSWINSZ),
      SBX_NAME(TIOCGPGRP),
      SBX_NAME(TIOCSPGRP),
      SBX_NAME(TIOCSTI),
      SBX_NAME(FIONREAD),
      SBX_NAME(FIONBIO),
      SBX_NAME(FIOCLEX),
      SBX_NAME(FIONCLEX),
      // fcntl(2), lseek(2), futex(2)
      SBX_NAME(F_DUPFD),
      SBX_NAME(F_DUPFD_CLOEXEC),
      SBX_NAME(F_GETFD),
      SBX_NAME(F_SETFD),
      SBX_NAME(F_GETFL),
      SBX_NAME(F_SETFL),
      SBX_NAME(FD_CLOEXEC),
      SBX_NAME(F_GETLK),
      SBX_NAME(F_SETLK),
      SBX_NAME(F_SETLKW),
      SBX_NAME(F_OFD_GETLK),
      SBX_NAME(F_OFD_SETLK),
      SBX_NAME(F_OFD_SETLKW),
      SBX_NAME(SEEK_SET),
      SBX_NAME(SEEK_CUR),
      SBX_NAME(SEEK_END),
      SBX_NAME(FUTEX_WAIT),
      SBX_NAME(FUTEX_WAKE),
      SBX_NAME(FUTEX_PRIVATE_FLAG),
      SBX_NAME(FUTEX_WAIT_BITSET),
      SBX_NAME(FUTEX_WAKE_BITSET),
      SBX_NAME(FUTEX_CLOCK_REALTIME),
      // seccomp user notification (the trusted process's own policy)
      SBX_NAME(SECCOMP_IOCTL_NOTIF_RECV),
      SBX_NAME(SECCOMP_IOCTL_NOTIF_SEND),
      SBX_NAME(SECCOMP_IOCTL_NOTIF_ID_VALID),
      SBX_NAME(SECCOMP_IOCTL_NOTIF_ADDFD),
      {"SECCOMP_IOCTL_NOTIF_SET_FLAGS", static_cast<long long>(SECCOMP_IOW(4, __u64))},
      // signals (rt_sigaction, kill)
      SBX_NAME(SIGHUP),
      SBX_NAME(SIGINT),
      SBX_NAME(SIGQUIT),
      SBX_NAME(SIGKILL),
      SBX_NAME(SIGTERM),
      SBX_NAME(SIGCHLD),
      SBX_NAME(SIGSTOP),
      SBX_NAME(SIGSYS),
      // the mark of the shim's own execveat and rt_sigaction (common/sandbox.h)
      {"SBX_SHIM_CALL", static_cast<long long>(sbx::kShimCallMark)},
  };
  const auto it = kConstants.find(name);
  if (it != kConstants.end()) return static_cast<uint64_t>(it->second);  // negative values sign-extend
  if (const auto e = errno_number(name)) return static_cast<uint64_t>(*e);
  return std::nullopt;
}

}  // namespace sbx::policy
