/* Asks the trusted process for thousands of chdir answers (the shim's
   marked chdir: a socket holding a descriptor of the directory) and never
   reads them, so that they stay in flight, counted against the user's
   uid. Prints how many it holds, then waits until its stdin closes. The
   user's processes outside the sandbox must still be able to pass
   descriptors meanwhile. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  struct rlimit r;
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  int held = 0;
  for (int i = 0; i < 3000; ++i)
    if (syscall(SYS_chdir, argv[1], 0x5b785348494d0001UL) >= 0) ++held;
  printf("held %d\n", held);
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {}
  return 0;
}
