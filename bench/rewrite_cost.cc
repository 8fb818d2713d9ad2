// rewrite_cost [N]: the cost per call of system calls at libc's sites, for
// syscall rewriting (docs/ARCHITECTURE.md). Run it under sbx run with
// SBX_REWRITE=0 (every call from libc's own site, through the filter; a
// trapped call by SIGSYS), SBX_REWRITE=all (every site rewritten) and
// natively. Prints, in ns per call, medians of 7 rounds:
//   raw       getppid from a site of our own (never rewritten)
//   libc      getppid through libc (an allowed call; rewritten with all)
//   chdir     chdir(".") through libc's own chdir (trapped by builtin:default:
//             answered at the site when rewritten, by SIGSYS otherwise)
#include <dlfcn.h>
#include <cstdio>
#include <cstdlib>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace {

long raw_getppid() {
  long ret;
  __asm__ volatile("mov $110, %%eax\n\tsyscall" : "=a"(ret) : : "rcx", "r11", "memory");
  return ret;
}

double now() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int cmp(const void* a, const void* b) {
  const double x = *static_cast<const double*>(a), y = *static_cast<const double*>(b);
  return x < y ? -1 : x > y;
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? atol(argv[1]) : 200000;
  // libc's own chdir, not the shim's exported one.
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  auto* libc_chdir = libc ? reinterpret_cast<int (*)(const char*)>(dlsym(libc, "chdir")) : nullptr;
  if (libc_chdir == nullptr) return 1;
  double r[3][7];
  for (int round = 0; round < 7; ++round) {
    double t = now();
    for (long i = 0; i < n; ++i) raw_getppid();
    r[0][round] = (now() - t) / n;
    t = now();
    for (long i = 0; i < n; ++i) getppid();
    r[1][round] = (now() - t) / n;
    t = now();
    for (long i = 0; i < n / 100; ++i)
      if (libc_chdir(".") != 0) return 2;
    r[2][round] = (now() - t) / (n / 100);
  }
  for (int k = 0; k < 3; ++k) qsort(r[k], 7, sizeof(double), cmp);
  printf("raw %.1f libc %.1f chdir %.1f\n", r[0][3], r[1][3], r[2][3]);
  return 0;
}
