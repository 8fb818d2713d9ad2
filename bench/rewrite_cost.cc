// rewrite_cost trap N: natively, the cost of one SIGSYS trap: getppid
// trapped by a filter of our own and answered by a handler that does
// nothing else (a trapped call's least cost). Prints "trap NS".
//
// rewrite_cost N PATH: the cost per call of system calls made at libc's
// own sites, for syscall rewriting (docs/ARCHITECTURE.md). bench/report.py
// runs it natively and under sbx run with SBX_REWRITE=0 (every call from
// libc's own site: through the filter, a trapped call by SIGSYS, a
// brokered one by user notification), the default table and
// SBX_REWRITE=all (every site rewritten). Prints, in ns per call, medians
// of 7 rounds, one "name value" per line:
//   raw       getppid from a site of our own (never rewritten)
//   getppid   getppid through libc (an allowed call)
//   chdir     chdir(".") through libc's own chdir (trapped by builtin:default:
//             answered at the site when rewritten, by SIGSYS otherwise)
//   open      open(PATH) + close through libc (open brokered)
//   stat      stat(PATH) through libc (brokered)
//   fstat     fstat of a descriptor of PATH through libc (newfstatat with
//             AT_EMPTY_PATH: brokered, or answered at a rewritten site)
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

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

void answer(int, siginfo_t*, void* context) { static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RAX] = 1; }

int trap_cost(long n) {
  struct sigaction sa {};
  sa.sa_sigaction = answer;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, nullptr);
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{sizeof(code) / sizeof(code[0]), code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return 1;
  double r[7];
  for (double& round : r) {
    const double t = now();
    for (long i = 0; i < n; ++i)
      if (raw_getppid() != 1) return 2;
    round = (now() - t) / n;
  }
  qsort(r, 7, sizeof(double), cmp);
  printf("trap %.1f\n", r[3]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && argv[1] == std::string_view("trap")) return trap_cost(atol(argv[2]));
  if (argc != 3) return 2;
  const long n = atol(argv[1]);
  const char* path = argv[2];
  // libc's own chdir, not the shim's exported one.
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  auto* libc_chdir = libc ? reinterpret_cast<int (*)(const char*)>(dlsym(libc, "chdir")) : nullptr;
  if (libc_chdir == nullptr) return 1;
  const int file = open(path, O_RDONLY | O_CLOEXEC);
  if (file < 0) return 6;
  constexpr int kRounds = 7, kKinds = 6;
  const char* names[kKinds] = {"raw", "getppid", "chdir", "open", "stat", "fstat"};
  // Slow calls (tens of microseconds brokered) run a hundredth as often.
  const long counts[kKinds] = {n, n, n / 100, n / 100, n / 100, n / 20};
  double r[kKinds][kRounds];
  for (int round = 0; round < kRounds; ++round) {
    for (int k = 0; k < kKinds; ++k) {
      const double t = now();
      for (long i = 0; i < counts[k]; ++i) {
        struct stat st;
        int fd;
        switch (k) {
          case 0: raw_getppid(); break;
          case 1: getppid(); break;
          case 2:
            if (libc_chdir(".") != 0) return 3;
            break;
          case 3:
            if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return 4;
            close(fd);
            break;
          case 4:
            if (stat(path, &st) != 0) return 5;
            break;
          case 5:
            if (fstat(file, &st) != 0) return 7;
            break;
        }
      }
      r[k][round] = (now() - t) / counts[k];
    }
  }
  for (int k = 0; k < kKinds; ++k) {
    qsort(r[k], kRounds, sizeof(double), cmp);
    printf("%s %.1f\n", names[k], r[k][kRounds / 2]);
  }
  return 0;
}
