/* Prints SIGSEGV's disposition as the program finds it at start, and
   whether SBX_CORE_DUMPS is in its environment. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  struct sigaction old;
  sigaction(SIGSEGV, NULL, &old);
  printf("%s %s\n", old.sa_handler == SIG_DFL ? "default" : "caught", getenv("SBX_CORE_DUMPS") ? "env" : "noenv");
  return 0;
}
