/* 40 processes, each with 8 threads raising SIGSEGV in a loop: at most one
   core per process, and a bounded number in all. Exits 0 with the number of
   children that died of SIGSEGV. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void* raise_forever(void* arg) {
  (void)arg;
  for (;;) pthread_kill(pthread_self(), SIGSEGV);
  return NULL;
}

int main(void) {
  enum { kChildren = 40, kThreads = 8 };
  for (int c = 0; c < kChildren; ++c) {
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
      pthread_t t[kThreads];
      for (int i = 0; i < kThreads; ++i) pthread_create(&t[i], NULL, raise_forever, NULL);
      raise_forever(NULL);
    }
  }
  int killed = 0, status;
  while (wait(&status) > 0)
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ++killed;
  printf("%d killed\n", killed);
  return 0;
}
