/* A thread blocked in open() of a FIFO nobody opens for writing, through
   the fast route of brokered opens (SBX_REWRITE=open-route), while the main
   thread calls abort(): the blocked thread's stack must be in the core, from
   libc's open down to the thread's function. usage: blocked_open FIFO FILE
   (FILE is opened first, so that the route's socket exists). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char* fifo;

__attribute__((noinline)) int open_fifo_here(void) { return open(fifo, O_RDONLY); }

static void* fifo_thread(void* arg) {
  (void)arg;
  int fd = open_fifo_here();
  printf("fifo opened %d\n", fd); /* never: nobody writes */
  return NULL;
}

__attribute__((noinline)) void abort_in_main(void) { abort(); }

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  fifo = argv[1];
  int fd = open(argv[2], O_RDONLY);
  if (fd < 0) return 3;
  close(fd);
  pthread_t t;
  pthread_create(&t, NULL, fifo_thread, NULL);
  usleep(300 * 1000); /* the thread is blocked in its open by now */
  abort_in_main();
  return 0;
}
