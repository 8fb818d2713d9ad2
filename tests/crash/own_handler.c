/* Recovers from its own SIGSEGV with its own handler: no core, exit 0. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf back;

static void on_segv(int sig) {
  (void)sig;
  siglongjmp(back, 1);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  if (sigsetjmp(back, 1) == 0) {
    *(volatile int*)0 = 1;
    return 1;
  }
  printf("recovered\n");
  return 0;
}
