// libsbx-shim.so: the in-process layer, preloaded into the program by the
// loader (--preload, from the first stage, and from the shim itself for the
// programs it executes). It installs a SIGSYS handler for calls the policy
// traps, and exports chdir (below); with --core-dir it also catches the
// signals that dump core (crash.cc). Nothing else (the place where syscall
// rewriting will go). The
// sandbox was complete before the loader ran (first_stage.cc); nothing here
// is a boundary: the program may overwrite all of it, and the kernel's
// filter, Landlock, the chroot and the trusted process still hold.
//
// It links no libc (-nostdlib) and makes raw system calls, so a program
// that defines its own malloc, getenv or sigaction gets exactly what it
// asked for, and the shim never runs its code; the one exception is
// __errno_location, for a failed chdir of the program's own.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <cerrno>
#include <cstdint>

#include "raw_syscall.h"
#include "sandbox.h"

namespace sbx::shim {

char g_shim_entry[4096 + 16];
char g_core_entry[32];

namespace {
bool is_entry_of(const char* name, const char* entry) {
  int i = 0;
  while (name[i] != '\0' && entry[i] == name[i]) ++i;
  return name[i] == '\0' && entry[i] == '=';
}
}  // namespace

bool is_shim_entry(const char* entry) { return is_entry_of(kEnvShim, entry) || is_entry_of(kEnvCoreDumps, entry); }

}  // namespace sbx::shim

namespace {

using sbx::shim::raw_syscall;

// --- calls the policy traps ------------------------------------------------------
//
// The kernel stops the call and raises SIGSYS. Three the built-ins trap,
// because the kernel cannot do them inside the empty root, are done here
// with what the trusted process gives: execve and execveat (exec.cc), and
// chdir (the trusted process checks the directory and passes a descriptor
// of it, then fchdir, which the filter allows: each process keeps its own
// working directory in the kernel). Any
// other trapped call is answered -ENOSYS in the return register, so the
// program sees an ordinary failed call instead of being killed. A policy
// traps only calls made after start-up: the loader runs before this
// handler exists, and a call trapped then kills the program.

long emulate_chdir(const char* path) {
  // The trusted process checks the directory and answers with a socket
  // that holds a descriptor of it (its chdir handler, reached by our marked
  // call; trusted/calls.cc says why a socket).
  const long sock = raw_syscall(SYS_chdir, reinterpret_cast<long>(path), static_cast<long>(sbx::kShimCallMark));
  if (sock < 0) return sock;
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  long rc = raw_syscall(SYS_recvmsg, sock, reinterpret_cast<long>(&msg), MSG_CMSG_CLOEXEC);
  raw_syscall(SYS_close, sock);
  const cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (rc < 0) return rc;
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) return -EIO;
  const int dir = *reinterpret_cast<const int*>(CMSG_DATA(c));
  rc = raw_syscall(SYS_fchdir, dir);
  raw_syscall(SYS_close, dir);
  return rc;
}

void on_sigsys(int, siginfo_t* info, void* context) {
  if (info->si_code != 1) return;  // SYS_SECCOMP
  auto* uc = static_cast<ucontext_t*>(context);
  greg_t* r = uc->uc_mcontext.gregs;
  long result = -ENOSYS;
  switch (info->si_syscall) {
    case SYS_execve:
      result = sbx::shim::emulate_exec(AT_FDCWD, reinterpret_cast<const char*>(r[REG_RDI]),
                                       reinterpret_cast<char* const*>(r[REG_RSI]),
                                       reinterpret_cast<char* const*>(r[REG_RDX]), 0);
      break;
    case SYS_execveat:
      result = sbx::shim::emulate_exec(r[REG_RDI], reinterpret_cast<const char*>(r[REG_RSI]),
                                       reinterpret_cast<char* const*>(r[REG_RDX]),
                                       reinterpret_cast<char* const*>(r[REG_R10]), r[REG_R8]);
      break;
    case SYS_chdir: result = emulate_chdir(reinterpret_cast<const char*>(r[REG_RDI])); break;
  }
  // The result goes where the call's would have.
  r[REG_RAX] = result;
}
// chdir for the program's calls through libc's symbol, without the trap: a
// vfork child with every signal blocked (Python's subprocess with cwd=,
// before it restores its mask) would be killed by a trapped call, since a
// blocked SIGSYS is not delivered but fatal. The one symbol the shim
// exports (shim.map); a program that defines its own chdir keeps it. On
// failure, errno is set through libc's __errno_location, the only libc
// function the shim calls, after start-up and only for the program's own
// call.
extern "C" int* __errno_location();

extern "C" __attribute__((visibility("default"))) int chdir(const char* path) {
  const long rc = emulate_chdir(path);
  if (rc >= 0) return 0;
  *__errno_location() = static_cast<int>(-rc);
  return -1;
}

// The restorer of our handlers (raw_syscall.h): rt_sigreturn, which we
// name ourselves (libc's restorer is not ours to call).
__asm__(
    ".text\n.globl sbx_shim_restore_rt\n.hidden sbx_shim_restore_rt\n.type sbx_shim_restore_rt,@function\nsbx_shim_restore_rt:\n  mov $15, %rax\n  syscall\n  hlt\n");

// Takes the shim's path and the core-dump switch out of the environment
// (the first stage put them there for us, sandbox.h): kept for the
// programs we execute, and gone from the program's environment before its
// own code runs.
void keep_entry(const char* entry, char* to, int size) {
  int n = 0;
  for (const char* c = entry; *c != '\0' && n < size - 1; ++c) to[n++] = *c;
  to[n] = '\0';
}
void take_shim_entries(char** envp) {
  if (envp == nullptr) return;
  for (char** e = envp; *e != nullptr; ++e) {
    if (!sbx::shim::is_shim_entry(*e)) continue;
    if ((*e)[4] == 'S')  // SBX_SHIM=
      keep_entry(*e, sbx::shim::g_shim_entry, sizeof(sbx::shim::g_shim_entry));
    else keep_entry(*e, sbx::shim::g_core_entry, sizeof(sbx::shim::g_core_entry));
    char** to = e;
    do *to = *(to + 1);
    while (*to++ != nullptr);
    --e;
  }
}

// glibc calls a library's constructors with (argc, argv, envp).
__attribute__((constructor)) void sbx_shim_start(int, char**, char** envp) {
  take_shim_entries(envp);
  sbx::shim::KernelSigaction sa{on_sigsys, SA_SIGINFO | sbx::shim::kSaRestorer | SA_NODEFER, sbx_shim_restore_rt, 0};
  // The mark lets this one through: the program's own rt_sigaction setting
  // SIGSYS does nothing (and answers 0), so that no library resets the
  // handler the sandbox's exec and chdir depend on (a child about to exec
  // resets every handler).
  raw_syscall(SYS_rt_sigaction, SIGSYS, reinterpret_cast<long>(&sa), 0, sizeof(sa.mask),
              static_cast<long>(sbx::kShimCallMark));
  if (sbx::shim::g_core_entry[0] != '\0') sbx::shim::catch_core_signals();
}

}  // namespace
