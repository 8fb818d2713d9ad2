// System calls for the shim, which links no libc (shim.cc says why): the
// `syscall` instruction itself, with the kernel's -errno convention.
#pragma once

namespace sbx::shim {

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
// Whether an environment entry is SBX_SHIM's.
bool is_shim_entry(const char* entry);

}  // namespace sbx::shim
