/* Dereferences NULL in crash_here, called from main: the core must show
   both (tests/integration/crash_cases.py). */
#include <stdio.h>

__attribute__((noinline)) void crash_here(volatile int* where) { *where = 42; }

int main(void) {
  printf("about to crash\n");
  fflush(stdout);
  crash_here((volatile int*)0);
  return 0;
}
