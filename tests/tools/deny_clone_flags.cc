// deny_clone_flags WHICH PROGRAM [ARGS...]: runs PROGRAM as if the kernel
// had no PID and/or network namespaces: clone(2) with CLONE_NEWPID or
// CLONE_NEWNET (WHICH: pid, net, both) fails with EINVAL, as on such a
// kernel. Must run as root: the filter is installed without no_new_privs,
// so that a setuid program started below it still gains root.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sched.h>
#include <seccomp.h>
#include <unistd.h>
#include <utility>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: deny_clone_flags pid|net|both PROGRAM [ARGS...]\n");
    return 2;
  }
  const bool pid = std::strcmp(argv[1], "pid") == 0 || std::strcmp(argv[1], "both") == 0;
  const bool net = std::strcmp(argv[1], "net") == 0 || std::strcmp(argv[1], "both") == 0;
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0) return 2;
  for (const auto& [wanted, flag] : {std::pair{pid, CLONE_NEWPID}, std::pair{net, CLONE_NEWNET}}) {
    if (!wanted) continue;
    const auto mask = static_cast<scmp_datum_t>(flag);
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, mask, mask)) ||
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) ||
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(unshare), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, mask, mask))) {
      std::fprintf(stderr, "deny_clone_flags: seccomp_rule_add failed\n");
      return 2;
    }
  }
  if (const int rc = seccomp_load(ctx); rc != 0) {
    std::fprintf(stderr, "deny_clone_flags: seccomp_load: %s (run as root)\n", std::strerror(-rc));
    return 2;
  }
  seccomp_release(ctx);
  execvp(argv[2], argv + 2);
  std::perror("deny_clone_flags: execvp");
  return 127;
}
