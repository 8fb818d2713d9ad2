// libsbx-shim.so: the in-process layer, preloaded into the program by the
// loader (--preload, from the first stage). It installs a SIGSYS handler for
// calls the policy traps, and nothing else (the place where syscall
// rewriting will go). The sandbox was complete before
// the loader ran (first_stage.cc); nothing here is a boundary: the program
// may overwrite all of it, and the kernel's filter and the trusted process
// still hold.
//
// It calls nothing through an interposable symbol: no libc at all (it is
// linked -nostdlib), only raw system calls, so a program that defines its
// own malloc, getenv or sigaction gets exactly what it asked for, and the
// shim never runs its code.
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <cerrno>
#include <cstdint>

namespace {

// --- calls the policy traps ------------------------------------------------------
//
// The kernel stops the call and raises SIGSYS; the handler answers it with
// -ENOSYS in the return register, so the program sees an ordinary failed
// call instead of being killed. A policy traps only calls made after
// start-up: the loader runs before this handler exists, and a call trapped
// then kills the program. (The built-ins trap nothing: fstat, which the
// filter cannot tell from a stat by path, is brokered.)

long raw_syscall(long nr, long a, long b, long c, long d, long e) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
  return ret;
}

void on_sigsys(int, siginfo_t* info, void* context) {
  if (info->si_code != 1) return;  // SYS_SECCOMP
  auto* uc = static_cast<ucontext_t*>(context);
  // The result goes where the call's would have.
  uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
}

// rt_sigaction as the kernel takes it: the handler returns through
// rt_sigreturn, which we name ourselves (libc's restorer is not ours to call).
struct KernelSigaction {
  void (*handler)(int, siginfo_t*, void*);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};
constexpr unsigned long kSaRestorer = 0x04000000;
extern "C" void sbx_shim_restore_rt();
__asm__(".text\n.type sbx_shim_restore_rt,@function\nsbx_shim_restore_rt:\n  mov $15, %rax\n  syscall\n  hlt\n");

__attribute__((constructor)) void sbx_shim_start() {
  KernelSigaction sa{on_sigsys, SA_SIGINFO | kSaRestorer, sbx_shim_restore_rt, 0};
  raw_syscall(SYS_rt_sigaction, SIGSYS, reinterpret_cast<long>(&sa), 0, sizeof(sa.mask), 0);
}

}  // namespace
