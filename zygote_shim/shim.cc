// libsbx-shim.so: the in-process layer, preloaded into the program by the
// loader (--preload, from the first stage, and from the shim itself for the
// programs it executes). It installs a SIGSYS handler for calls the policy
// traps, and exports chdir (below); with --core-dir it also catches the
// signals that dump core (crash.cc); and it rewrites libc's and the loader's
// `syscall` instructions into jumps to trampolines (rewrite.cc), a fast path
// that changes nothing the filter decides. The
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "lazy_patch.h"
#include "raw_syscall.h"
#include "rewrite.h"
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

bool is_shim_entry(const char* entry) {
  return is_entry_of(kEnvShim, entry) || is_entry_of(kEnvCoreDumps, entry) || is_entry_of(kEnvRewrite, entry);
}

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
  // The message was sent before the answer: it is there, unless the
  // trusted process drained it as one of too many unread (trusted/cwd.cc).
  long rc = raw_syscall(SYS_recvmsg, sock, reinterpret_cast<long>(&msg), MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  raw_syscall(SYS_close, sock);
  const cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (rc == -EAGAIN) return -EIO;
  if (rc < 0) return rc;
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) return -EIO;
  const int dir = *reinterpret_cast<const int*>(CMSG_DATA(c));
  rc = raw_syscall(SYS_fchdir, dir);
  raw_syscall(SYS_close, dir);
  return rc;
}

// The trapped call nr with its arguments, done here; -ENOSYS for a call the
// shim does not do.
long emulate(long nr, long a0, long a1, long a2, long a3, long a4) {
  switch (nr) {
    case SYS_execve:
      return sbx::shim::emulate_exec(AT_FDCWD, reinterpret_cast<const char*>(a0), reinterpret_cast<char* const*>(a1),
                                     reinterpret_cast<char* const*>(a2), 0);
    case SYS_execveat:
      return sbx::shim::emulate_exec(a0, reinterpret_cast<const char*>(a1), reinterpret_cast<char* const*>(a2),
                                     reinterpret_cast<char* const*>(a3), a4);
    case SYS_chdir: return emulate_chdir(reinterpret_cast<const char*>(a0));
  }
  return -ENOSYS;
}

void on_sigsys(int, siginfo_t* info, void* context) {
  if (info->si_code != 1) return;  // SYS_SECCOMP
  auto* uc = static_cast<ucontext_t*>(context);
  greg_t* r = uc->uc_mcontext.gregs;
  // The result goes where the call's would have.
  r[REG_RAX] = emulate(info->si_syscall, r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10], r[REG_R8]);
  // Not trapped again at this site, if it can be patched (lazy_patch.h).
  sbx::shim::patch_on_trap(reinterpret_cast<unsigned long>(info->si_call_addr), info->si_syscall);
}

}  // namespace

namespace sbx::shim {
bool is_emulated(long nr) { return nr == SYS_execve || nr == SYS_execveat || nr == SYS_chdir; }
bool is_answered_at_site(long nr) { return is_emulated(nr) || nr == SYS_newfstatat; }
}  // namespace sbx::shim

// The same calls from a rewritten site's trampoline (rewrite.cc), without
// the trap: regs is what sbx_shim_emulate_entry saved, {rax, r9, r8, r10,
// rdx, rsi, rdi}.
extern "C" __attribute__((used, visibility("hidden"))) long sbx_shim_emulate(const long* regs) {
  return emulate(regs[0], regs[6], regs[5], regs[4], regs[3], regs[2]);
}
// Keeps what a `syscall` keeps: every register but %rax (the result), %rcx
// and %r11, the flags, and the vector registers (fxsave: the shim's code
// may use them). The stack below the red zone is the trampoline's.
__asm__(".text\n.globl sbx_shim_emulate_entry\n.hidden sbx_shim_emulate_entry\n"
        ".type sbx_shim_emulate_entry,@function\nsbx_shim_emulate_entry:\n"
        "  pushfq\n  push %rbp\n  mov %rsp, %rbp\n"
        "  push %rdi\n  push %rsi\n  push %rdx\n  push %r10\n  push %r8\n  push %r9\n  push %rax\n"
        "  mov %rsp, %rdi\n  and $-16, %rsp\n  sub $512, %rsp\n  fxsave64 (%rsp)\n"
        "  call sbx_shim_emulate\n"
        "  fxrstor64 (%rsp)\n  lea -48(%rbp), %rsp\n"
        "  pop %r9\n  pop %r8\n  pop %r10\n  pop %rdx\n  pop %rsi\n  pop %rdi\n"
        "  pop %rbp\n  popfq\n  ret\n");
// glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH), which the policy
// brokers (the filter cannot read the path). At a rewritten site of
// newfstatat (rewrite.cc; sbx run lists it only when the policy brokers it
// and allows fstat), with AT_EMPTY_PATH, a descriptor (not AT_FDCWD) and
// an empty or null path, it is answered here by fstat(fd): the answer the
// trusted process would give (it stats its copy of the descriptor), from
// a call the program could make itself, so nothing is gained. Anything
// else returns 13 bytes further on in the trampoline, %rax still the
// call's number, for libc's own `syscall`; so does an empty regular file,
// which may be the trusted process's placeholder for an O_PATH descriptor
// of a symlink (trusted/placeholders.h), answered for the link. In
// registers only (a C function needs the vector registers saved: fxsave
// and fxrstor cost about as much as the rest): every register but %rax,
// %rcx, %r11 and the flags is kept (the code after glibc's `syscall`
// compares %rax anew). The path is read here, so a bad pointer faults in
// the program where the kernel would answer EFAULT.
static_assert(SYS_newfstatat == 262 && SYS_fstat == 5 && AT_EMPTY_PATH == 0x1000 && S_IFMT == 0xf000 &&
                  S_IFREG == 0x8000 && offsetof(struct stat, st_mode) == 24 && offsetof(struct stat, st_size) == 48,
              "sbx_shim_fstat_entry's constants");
__asm__(".text\n.globl sbx_shim_fstat_entry\n.hidden sbx_shim_fstat_entry\n"
        ".type sbx_shim_fstat_entry,@function\nsbx_shim_fstat_entry:\n"
        "  endbr64\n"
        "  test $0x1000, %r10d\n  jz 2f\n"  // AT_EMPTY_PATH
        "  test %edi, %edi\n  js 2f\n"      // a descriptor, not AT_FDCWD
        "  test %rsi, %rsi\n  jz 1f\n"
        "  cmpb $0, (%rsi)\n  jne 2f\n"                                               // an empty path
        "1:\n  push %rsi\n  mov %rdx, %rsi\n  mov $5, %eax\n  syscall\n  pop %rsi\n"  // fstat(fd, buf)
        "  test %rax, %rax\n  jnz 3f\n"
        "  mov 24(%rdx), %ecx\n  and $0xf000, %ecx\n  cmp $0x8000, %ecx\n  jne 3f\n"  // st_mode: S_IFREG
        "  cmpq $0, 48(%rdx)\n  jne 3f\n"                                             // st_size 0
        "  mov $262, %eax\n"  // a placeholder, perhaps: __NR_newfstatat again
        "2:\n  addq $13, (%rsp)\n"
        "3:\n  ret\n"
        ".size sbx_shim_fstat_entry, .-sbx_shim_fstat_entry\n");

namespace {

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
    else if ((*e)[4] == 'R')  // SBX_REWRITE=
      keep_entry(*e, sbx::shim::g_rewrite_entry, sizeof(sbx::shim::g_rewrite_entry));
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
  sbx::shim::rewrite_at_start();
}

}  // namespace
