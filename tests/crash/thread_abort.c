/* Four threads; the third calls abort() in abort_in_thread_three while the
   others wait in wait_here: every thread's stack must be in the core. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_barrier_t started;

__attribute__((noinline)) void wait_here(void) {
  for (;;) pause();
}

__attribute__((noinline)) void abort_in_thread_three(void) { abort(); }

static void* thread_main(void* arg) {
  long n = (long)arg;
  pthread_barrier_wait(&started);
  if (n == 3) {
    usleep(100 * 1000); /* the others are in wait_here by now */
    abort_in_thread_three();
  }
  wait_here();
  return NULL;
}

int main(void) {
  pthread_t t[4];
  pthread_barrier_init(&started, NULL, 4);
  for (long i = 1; i <= 4; ++i) pthread_create(&t[i - 1], NULL, thread_main, (void*)i);
  pthread_join(t[0], NULL);
  return 0;
}
