// System calls for the shim, which links no libc (shim.cc says why): the
// `syscall` instruction itself, with the kernel's -errno convention.
#pragma once

#include <signal.h>

#include <cstdint>

// The shim's handlers return through rt_sigreturn (shim.cc).
extern "C" void sbx_shim_restore_rt();
// Where a rewritten site's trampoline calls for a trapped call the shim
// answers at the site (shim.cc): the call's registers as at a `syscall`,
// the result in %rax, every other register and the flags kept.
extern "C" void sbx_shim_emulate_entry();
// Where a rewritten newfstatat site's trampoline calls: glibc's fstat
// answered by fstat(fd) (shim.cc); for any other newfstatat it returns 13
// bytes past its return address, %rax unchanged.
extern "C" void sbx_shim_fstat_entry();
// Where a rewritten openat or open site's trampoline jumps for the fast
// route of brokered opens (fast_open.cc): not called, so that a thread
// blocked in the call unwinds into libc (fast_open.cc says how).
extern "C" void sbx_shim_open_entry();

namespace sbx::shim {

// rt_sigaction's struct as the kernel takes it.
struct KernelSigaction {
  void (*handler)(int, siginfo_t*, void*);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};
constexpr unsigned long kSaRestorer = 0x04000000;

inline long raw_syscall(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

// Executes what a trapped execve or execveat names, as the kernel would
// have (exec.cc); returns only on failure, with -errno.
long emulate_exec(long dirfd, const char* path, char* const* argv, char* const* envp, long flags);

// "SBX_SHIM=PATH": the shim's path, taken out of the environment at start
// (shim.cc), for the --preload of every program it executes and for that
// program's environment; "" if none was given.
extern char g_shim_entry[4096 + 16];
// Whether an environment entry is one of ours: SBX_SHIM's or SBX_CORE_DUMPS's.
bool is_shim_entry(const char* entry);
// "SBX_CORE_DUMPS=1" when the policy names a core-dir (taken out of the
// environment at start like SBX_SHIM, and passed on to the programs the
// shim executes); "" otherwise.
extern char g_core_entry[32];

// Catches the signals that dump core, for the trusted process to write
// the core (crash.cc); called at start when g_core_entry is set.
void catch_core_signals();

}  // namespace sbx::shim
