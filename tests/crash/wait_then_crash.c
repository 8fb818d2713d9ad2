/* Says its pid, waits for DIR/go (DIR its first argument), then crashes:
   the test plants links in the core-dir meanwhile. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((noinline)) void crash_here(volatile int* where) { *where = 42; }

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  char go[4096];
  snprintf(go, sizeof(go), "%s/go", argv[1]);
  printf("pid %d\n", (int)getpid());
  fflush(stdout);
  struct stat st;
  for (int i = 0; i < 3000 && stat(go, &st) != 0; ++i) usleep(10 * 1000);
  crash_here((volatile int*)0);
  return 0;
}
