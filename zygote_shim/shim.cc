// libsbx-shim.so: the in-process layer, preloaded into the program by the
// loader (--preload, from the first stage). It installs a SIGSYS handler for
// calls the policy traps, and nothing else. The sandbox was complete before
// the loader ran (first_stage.cc); nothing here is a boundary: the program
// may overwrite all of it, and the kernel's filter and the trusted process
// still hold.
//
// It calls nothing through an interposable symbol: no libc at all (it is
// linked -nostdlib), only raw system calls, so a program that defines its
// own malloc, getenv, sigaction or memset gets exactly what it asked for,
// and the shim never runs its code.
#include <fcntl.h>
#include <linux/stat.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

// The compiler may turn a loop or a struct initialisation into a call to
// memset; this one is ours, bound inside the shim (nothing is exported).
extern "C" void* memset(void* to, int value, size_t size) {
  auto* p = static_cast<volatile unsigned char*>(to);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<unsigned char>(value);
  return to;
}

namespace {

// --- calls the policy traps ------------------------------------------------------
//
// The kernel stops the call and raises SIGSYS; the handler answers it and
// puts the result in the return register, so the program sees an ordinary
// return value. Every call the handler makes passes the filter like any
// other. Emulated, for a policy that traps them (the built-ins broker them
// instead, since the loader makes them before this handler exists):
//   newfstatat(fd, "", buf, AT_EMPTY_PATH) and statx(fd, "", AT_EMPTY_PATH, ...)
//     are fstat(fd); with a path, the call is made again without
//     AT_EMPTY_PATH, which the policy then decides.
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

uint32_t dev_major(uint64_t dev) { return static_cast<uint32_t>(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffULL)); }
uint32_t dev_minor(uint64_t dev) { return static_cast<uint32_t>((dev & 0xff) | ((dev >> 12) & ~0xffULL)); }

// statx's answer from fstat's, for the fields fstat has (STATX_BASIC_STATS).
void statx_from_stat(const struct stat& st, struct statx* sx) {
  memset(sx, 0, sizeof(*sx));
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
  sx->stx_rdev_major = dev_major(st.st_rdev);
  sx->stx_rdev_minor = dev_minor(st.st_rdev);
  sx->stx_dev_major = dev_major(st.st_dev);
  sx->stx_dev_minor = dev_minor(st.st_dev);
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
