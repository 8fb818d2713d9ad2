// show_ids: prints its real and effective uid. Built static, so that it runs
// inside an empty chroot; installed setuid root by the escape suite to see
// whether a sandboxed program can gain root through it.
#include <cstdio>
#include <unistd.h>

int main() {
  std::printf("uid=%d euid=%d\n", static_cast<int>(getuid()), static_cast<int>(geteuid()));
  return 0;
}
