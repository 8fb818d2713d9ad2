// filter_cost [N]: the cost of the compiled builtin:default filter on an
// allowed system call. In forked children, N getppid() calls with no filter,
// with the filter as libseccomp's binary tree, and as a linear list;
// interleaved rounds, medians; prints "none tree linear" in ns per call.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "policy.h"

namespace {
double measure(const std::vector<uint64_t>* bpf, long n) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    if (bpf != nullptr) {
      sock_fprog prog{static_cast<unsigned short>(bpf->size()),
                      reinterpret_cast<sock_filter*>(const_cast<uint64_t*>(bpf->data()))};
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(1);
    }
    timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; ++i) syscall(SYS_getppid);
    clock_gettime(CLOCK_MONOTONIC, &b);
    const double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
    if (write(fds[1], &ns, sizeof(ns)) != sizeof(ns)) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  double ns = -1;
  if (read(fds[0], &ns, sizeof(ns)) != sizeof(ns)) ns = -1;
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return ns;
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 200000;
  using namespace sbx::policy;
  const auto parsed = parse_file("builtin:default");
  const auto tree = compile(*parsed.policy, {true});
  const auto linear = compile(*parsed.policy, {false});
  if (!tree.compiled || !linear.compiled) return 1;
  std::vector<double> none, t, l;
  for (int round = 0; round < 21; ++round) {
    none.push_back(measure(nullptr, n));
    t.push_back(measure(&tree.compiled->bpf, n));
    l.push_back(measure(&linear.compiled->bpf, n));
  }
  std::printf("%.1f %.1f %.1f\n", median(none), median(t), median(l));
  return 0;
}
