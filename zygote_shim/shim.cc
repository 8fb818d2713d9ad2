// libsbx-shim.so: loaded into the program (LD_PRELOAD, restored by
// sbx-helper from SANDBOX_LD_PRELOAD) and run before its main:
//   1. read and check the compiled policy from the sealed memfd SBX_POLICY_FD;
//   2. fork the trusted process, which keeps the filesystem view;
//   3. ask sbx-helper for the chroot ('C' on SBX_D, reap the helper, read 'O');
//   4. install the compiled filter on every thread (TSYNC), with a listener
//      for brokered calls, and hand the listener to the trusted process;
//   5. install a SIGSYS handler for calls the policy traps.
// Nothing here is trusted: the program may overwrite all of it once main
// runs. What holds is the kernel's filter and the trusted process. Any
// failure stops the program with "sbx: ..." and exit status 125: it never
// runs without its sandbox.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "policy.h"
#include "trusted.h"

namespace {

constexpr int kExitShim = 125;

[[noreturn]] void die(const char* what, const char* reason) {
  char line[512];
  const int n = std::snprintf(line, sizeof(line), "sbx: %s: %s\n", what, reason);
  if (n > 0) {
    ssize_t ignored = write(STDERR_FILENO, line, static_cast<size_t>(n) < sizeof(line) ? static_cast<size_t>(n) : sizeof(line) - 1);
    (void)ignored;
  }
  _exit(kExitShim);
}

int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return -1;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (*end == '\0' && n >= 0 && n <= INT_MAX) ? static_cast<int>(n) : -1;
}

sbx::policy::Compiled read_policy(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > (1 << 20)) die("policy", "SBX_POLICY_FD is not a policy");
  // Sealed by sbx run: nobody can change it between our check and our use.
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0 || !(seals & F_SEAL_WRITE) || !(seals & F_SEAL_SEAL)) die("policy", "the policy memfd is not sealed");
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  if (pread(fd, bytes.data(), bytes.size(), 0) != st.st_size) die("policy", "cannot read the policy");
  std::string why;
  auto compiled = sbx::policy::deserialize(bytes, &why);
  if (!compiled) die("policy", why.c_str());
  return *compiled;
}

void chroot_me() {
  const int sock = env_int("SBX_D");
  const int helper = env_int("SBX_HELPER_PID");
  if (sock < 0 || helper < 0) die("chroot", "not started through sbx-helper (no SBX_D)");
  if (write(sock, "C", 1) != 1) die("chroot: write to SBX_D", std::strerror(errno));
  if (waitpid(helper, nullptr, 0) < 0 && errno != ECHILD) die("chroot: waiting for the helper", std::strerror(errno));
  char reply = 0;
  if (read(sock, &reply, 1) != 1 || reply != 'O') die("chroot", "the helper did not confirm the chroot");
  close(sock);
  unsetenv("SBX_D");
  unsetenv("SBX_HELPER_PID");
}

// --- calls the policy traps ------------------------------------------------------
//
// The kernel stops the call and raises SIGSYS; the handler answers it and
// puts the result in the return register, so the program sees an ordinary
// return value. Nothing here is trusted: every call the handler makes passes
// the filter like any other, so a program that replaces the handler gains
// nothing. Emulated:
//   newfstatat(fd, "", buf, AT_EMPTY_PATH) and statx(fd, "", AT_EMPTY_PATH, ...)
//     are fstat(fd): the policies trap them because the filter cannot see
//     the path, and a path relative to a directory descriptor from the
//     trusted process would stat anything on the host. With a path, the call
//     is made again without AT_EMPTY_PATH, which the policy then decides
//     (brokered by `default`, killed by `stdio`).
// Anything else gets -ENOSYS. The handler reads the path's first byte and
// writes statx's buffer itself, so a bad pointer faults here where the
// kernel would have returned EFAULT: the program's own memory, its own crash.

long raw_syscall(long nr, long a, long b, long c, long d, long e) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
  return ret;
}

// statx's answer from fstat's, for the fields fstat has (STATX_BASIC_STATS).
void statx_from_stat(const struct stat& st, struct statx* sx) {
  std::memset(sx, 0, sizeof(*sx));
  sx->stx_mask = STATX_BASIC_STATS;
  sx->stx_blksize = static_cast<uint32_t>(st.st_blksize);
  sx->stx_nlink = static_cast<uint32_t>(st.st_nlink);
  sx->stx_uid = st.st_uid;
  sx->stx_gid = st.st_gid;
  sx->stx_mode = static_cast<uint16_t>(st.st_mode);
  sx->stx_ino = st.st_ino;
  sx->stx_size = static_cast<uint64_t>(st.st_size);
  sx->stx_blocks = static_cast<uint64_t>(st.st_blocks);
  sx->stx_atime = {st.st_atim.tv_sec, static_cast<uint32_t>(st.st_atim.tv_nsec), 0};
  sx->stx_mtime = {st.st_mtim.tv_sec, static_cast<uint32_t>(st.st_mtim.tv_nsec), 0};
  sx->stx_ctime = {st.st_ctim.tv_sec, static_cast<uint32_t>(st.st_ctim.tv_nsec), 0};
  sx->stx_rdev_major = major(st.st_rdev);
  sx->stx_rdev_minor = minor(st.st_rdev);
  sx->stx_dev_major = major(st.st_dev);
  sx->stx_dev_minor = minor(st.st_dev);
}

long emulate(long nr, const greg_t* r) {
  const long a0 = r[REG_RDI], a1 = r[REG_RSI], a2 = r[REG_RDX], a3 = r[REG_R10], a4 = r[REG_R8];
  const char* path = reinterpret_cast<const char*>(a1);
  const bool empty_path = path == nullptr || path[0] == '\0';  // NULL: Linux 6.11 takes it as ""
  if (nr == SYS_newfstatat && (a3 & AT_EMPTY_PATH)) {
    if (empty_path) return raw_syscall(SYS_fstat, a0, a2, 0, 0, 0);
    return raw_syscall(SYS_newfstatat, a0, a1, a2, a3 & ~AT_EMPTY_PATH, 0);
  }
  if (nr == SYS_statx && (a2 & AT_EMPTY_PATH)) {
    if (!empty_path) return raw_syscall(SYS_statx, a0, a1, a2 & ~AT_EMPTY_PATH, a3, a4);
    struct stat st;
    const long rc = raw_syscall(SYS_fstat, a0, reinterpret_cast<long>(&st), 0, 0, 0);
    if (rc != 0) return rc;
    if (a4 == 0) return -EFAULT;
    statx_from_stat(st, reinterpret_cast<struct statx*>(a4));
    return 0;
  }
  return -ENOSYS;
}

void on_sigsys(int, siginfo_t* info, void* context) {
  if (info->si_code != 1) return;  // SYS_SECCOMP
  auto* uc = static_cast<ucontext_t*>(context);
  // The call's number comes with the signal; its arguments are still in
  // their registers; the result goes where the call's would have.
  uc->uc_mcontext.gregs[REG_RAX] = emulate(info->si_syscall, uc->uc_mcontext.gregs);
}

__attribute__((constructor)) void sbx_shim_start() {
  const int policy_fd = env_int("SBX_POLICY_FD");
  if (policy_fd < 0) {
    // Loaded again in a program the sandboxed one started: the filter is
    // inherited and already holds; there is nothing left to set up.
    if (std::getenv("SBX_SANDBOXED") != nullptr) return;
    die("libsbx-shim.so", "no SBX_POLICY_FD: start programs with 'sbx run'");
  }
  const sbx::policy::Compiled policy = read_policy(policy_fd);
  close(policy_fd);
  unsetenv("SBX_POLICY_FD");
  setenv("SBX_SANDBOXED", "1", 1);

  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) die("getcwd", std::strerror(errno));

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair", std::strerror(errno));
  const pid_t trusted = fork();
  if (trusted < 0) die("fork of the trusted process", std::strerror(errno));
  if (trusted == 0) {
    close(sv[0]);
    const int keep = sv[1];
    // Nothing of the program's but our socket (and stderr for messages).
    if (keep > 3) close_range(3, static_cast<unsigned>(keep) - 1, 0);
    close_range(static_cast<unsigned>(keep) + 1, ~0U, 0);
    close(STDIN_FILENO);
    close(STDOUT_FILENO);
    sbx::shim::run_trusted_process({policy.paths, cwd, keep});
  }
  close(sv[1]);
  // Yama may require the tracee to name who may read its memory.
  prctl(PR_SET_PTRACER, trusted, 0, 0, 0);

  chroot_me();

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl(PR_SET_NO_NEW_PRIVS)", std::strerror(errno));
  struct sigaction sa{};
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, nullptr);
  unsetenv("LD_PRELOAD");  // programs started from here load nothing of ours

  // After the filter is installed the policy decides every call we make, so
  // we make as few as we can. The trusted process is told beforehand where
  // the listener will be (the lowest free descriptor) and takes it itself
  // (pidfd_getfd), checking that it is a seccomp listener. We then wait for
  // its word and close our copy (read and close: any policy allows them):
  // the listener must not stay in the program, and a trusted process that
  // died must stop the program, not leave it waiting forever.
  int listener = -1;
  if (policy.uses_broker) {
    listener = fcntl(STDIN_FILENO, F_DUPFD, 0);
    if (listener < 0) die("finding a free descriptor", std::strerror(errno));
    close(listener);
    if (write(sv[0], &listener, sizeof(listener)) != sizeof(listener))
      die("telling the trusted process where the listener goes", std::strerror(errno));
  }
  sock_fprog prog{static_cast<unsigned short>(policy.bpf.size()),
                  reinterpret_cast<sock_filter*>(const_cast<uint64_t*>(policy.bpf.data()))};
  unsigned flags = SECCOMP_FILTER_FLAG_TSYNC;
  if (policy.uses_broker) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  // Once the trusted process has taken a call, only a fatal signal may
  // interrupt the caller. Otherwise a signal could end a call the trusted
  // process then carries out (a file created, renamed or removed) with
  // EINTR, and the program's retry would find EEXIST or ENOENT. A signal
  // before the call is taken still interrupts it, with nothing done. Linux
  // 5.19 has the flag; an older kernel answers EINVAL and goes without.
  const unsigned killable = policy.uses_broker ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | killable, &prog);
  if (rc < 0 && errno == EINVAL && killable != 0) rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0) die("installing the seccomp filter", std::strerror(errno));
  if (policy.uses_broker) {
    char taken = 0;
    if (rc != listener || read(sv[0], &taken, 1) != 1 || taken != 'T') {
      static const char msg[] = "sbx: the trusted process did not take the seccomp listener; stopping\n";
      ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
      (void)ignored;
      _exit(kExitShim);
    }
    close(listener);
  }
  close(sv[0]);
}

}  // namespace
