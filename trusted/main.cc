// sbx-trusted: the trusted process. It keeps the filesystem view of the
// caller of sbx run and answers the sandboxed program's brokered system
// calls by the policy's path rules (calls.cc).
//
// The first stage (zygote_shim/first_stage.cc) starts it, before the chroot
// and before anything of the program exists, as a fresh exec of this
// binary: it never holds, runs or shares the program's code or memory. It
// is statically linked, so it loads nothing at all by path. It starts with
//   fd 3 (kTrustedSocketFd)  a SOCK_SEQPACKET socket to the first stage
//   fd 4 (kTrustedPolicyFd)  the sealed, compiled policy
//   argv[1]                  the working directory the program starts in (also
//                            ours: we keep the directory itself, caller.cc)
// and its parent is the first stage, which becomes the program. Start-up:
//   1. not dumpable (the program, same uid, may not trace or read it);
//   2. read the path rules from the sealed policy; open the core-dir, if
//      the policy names one (crash.h);
//   3. its own seccomp filter (builtin:trusted-process), before reading a
//      byte the program could control;
//   4. take the listener: the first stage says which descriptor number it
//      will have, installs its filter, and we take it with pidfd_getfd,
//      accepting only a seccomp listener; then answer kMsgListenerTaken;
//   5. serve (pool.cc) until the sandboxed process has ended.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "caller.h"
#include "crash.h"
#include "fast_route.h"
#include "handlers.h"
#include "message.h"
#include "patch_site.h"
#include "placeholders.h"
#include "shm.h"
#include "policy.h"
#include "pool.h"
#include "sandbox.h"

// Linux 6.6 can wake the trusted process synchronously, on the caller's CPU,
// which halves a brokered call here. Debian 12's headers predate it; an
// older kernel refuses the request and we carry on without it.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

extern const uint64_t kTrustedProcessBpf[];
extern const size_t kTrustedProcessBpf_size;

namespace {

using namespace sbx::trusted;

// The first stage reports every failure of ours to the user (it stops the
// program); a line here says what we saw.
[[noreturn]] void quit(const char* what, const char* reason) {
  sbx::print_failure("sbx-trusted", what, reason);
  _exit(1);
}

// Our parent, the first stage, as our /proc (the host's) names it: the
// fourth field of our own /proc stat. The processes of the sandbox are its
// descendants (host_ids.cc looks among them on kernels before 6.9).
pid_t host_parent() {
  long parent = -1;
  char stat_text[512];
  const int self = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  const ssize_t got = self >= 0 ? read(self, stat_text, sizeof(stat_text) - 1) : -1;
  if (self >= 0) close(self);
  if (got > 0) {
    stat_text[got] = '\0';
    const char* after_name = std::strrchr(stat_text, ')');  // "PID (NAME) STATE PPID ..."
    if (after_name != nullptr) std::sscanf(after_name + 1, " %*c %ld", &parent);
  }
  return static_cast<pid_t>(parent);
}

// The trusted process's own filter (builtin:trusted-process, compiled at
// build time by policy/embed_bpf): if a request ever subverted it, it still
// could not execute, connect, trace or mount.
void confine_self() {
  sock_fprog prog{static_cast<unsigned short>(kTrustedProcessBpf_size),
                  reinterpret_cast<sock_filter*>(const_cast<uint64_t*>(kTrustedProcessBpf))};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
    quit("installing its own filter", std::strerror(errno));
}

// The first program's process (the first stage's child) says which process
// it is and where the listener will be, installs the filter and makes no
// further call but to wait for our answer; we take the listener from it, and
// accept only a seccomp notification listener. The filter is installed
// microseconds after the message arrives, so we yield the CPU before we
// start sleeping.
int take_listener(int sock) {
  sbx::ListenerAt at{};
  if (read(sock, &at, sizeof(at)) != sizeof(at) || at.number < 0 || at.pid <= 0) return -1;
  const int sandboxed = static_cast<int>(syscall(SYS_pidfd_open, at.pid, 0));
  if (sandboxed < 0) return -1;
  for (int tries = 0; tries < 21000; ++tries) {  // 20 s at most
    const int fd = static_cast<int>(syscall(SYS_pidfd_getfd, sandboxed, at.number, 0));
    if (fd >= 0) {
      if (real_path(fd) == "anon_inode:seccomp notify") return close(sandboxed), fd;
      close(fd);
    } else if (errno == ESRCH) {
      break;
    }
    if (tries < 1000) sched_yield();
    else usleep(1000);
  }
  close(sandboxed);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  // Let nobody (the sandboxed process included) trace us.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // --open-route: sbx run asked for the fast route of brokered opens
  // (SBX_REWRITE=open-route); without it no call is answered on the route.
  if (argc == 2 && std::strcmp(argv[1], "--open-route") == 0) allow_fast_route();
  else if (argc != 1) quit("usage", "started by sbx's first stage only (sbx-trusted [--open-route])");
  std::string why;
  static const auto compiled = sbx::policy::read_sealed(sbx::kTrustedPolicyFd, &why);
  if (!compiled) quit("policy", why.c_str());
  close(sbx::kTrustedPolicyFd);
  g_rules = &compiled->paths;
  set_site_patching(*compiled);  // what the shim may ask us to patch (patch_site.cc)
  // The core-dir (sbx run --core-dir), opened now, before anything of the
  // program exists: cores are made in this directory only (crash.cc).
  if (!compiled->core.dir.empty()) {
    const int core_dir = open(compiled->core.dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (core_dir < 0) quit(("opening the core-dir " + compiled->core.dir).c_str(), std::strerror(errno));
    set_core_dumps(core_dir, compiled->core.dir, compiled->core.limit.value_or(0));
  }
  // We end with the sandbox, seen through a pidfd of our parent (the first
  // stage, PID 1 of the sandbox: when it ends, the kernel ends every
  // process of the namespace).
  const int first_stage = static_cast<int>(syscall(SYS_pidfd_open, getppid(), 0));
  if (first_stage < 0) quit("pidfd_open of the first stage", std::strerror(errno));
  g_first_stage_host = host_parent();
  // The caller's umask is applied by hand (without_umask): ours is 0.
  umask(0);
  remember_ids();  // UID-range mode (caller.h), before our filter
  // Placeholders for O_PATH descriptors of symlinks hold two descriptors
  // each; how many fit is read now, before our filter (no prlimit64 then).
  rlimit files{};
  set_placeholder_limit(getrlimit(RLIMIT_NOFILE, &files) == 0 ? files.rlim_cur : 1024);
  set_shm_limit(files.rlim_cur != 0 ? files.rlim_cur : 1024);
  set_pidfd_limit(files.rlim_cur != 0 ? files.rlim_cur : 1024);
  set_fast_route_limit(files.rlim_cur != 0 ? files.rlim_cur : 1024);
  set_answer_limit(files.rlim_cur != 0 ? files.rlim_cur : 1024);
  confine_self();
  const int sock = sbx::kTrustedSocketFd;
  g_listener = take_listener(sock);
  if (g_listener < 0) _exit(0);  // the first stage failed before its filter; it says why
  if (write(sock, &sbx::kMsgListenerTaken, 1) != 1) _exit(0);
  ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  close(sock);
  if (!start_pool()) quit("starting a worker", std::strerror(errno));
  watch(first_stage);
}
