/* Makes the shim's request for a core itself, with forged arguments: for
   another process (init, the trusted process), another thread, a signal
   that does not dump core. Each must fail and nothing be sent or written.
   Prints the errno names. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MARK 0x5b785348494d0001ULL

static const char* name(long rc) {
  if (rc == 0) return "0";
  return errno == EPERM ? "EPERM" : errno == EINVAL ? "EINVAL" : strerror(errno);
}

int main(void) {
  const long self = getpid(), tid = syscall(SYS_gettid);
  for (long other = 1; other <= 8; ++other) {
    if (other == self) continue;
    long rc = syscall(SYS_tgkill, other, other, SIGSEGV, MARK, 0, 0);
    printf("tgkill %ld: %s\n", other, name(rc));
  }
  printf("other thread: %s\n", name(syscall(SYS_tgkill, self, tid + 100, SIGSEGV, MARK, 0, 0)));
  printf("SIGKILL: %s\n", name(syscall(SYS_tgkill, self, tid, SIGKILL, MARK, 0, 0)));
  printf("signal 0: %s\n", name(syscall(SYS_tgkill, self, tid, 0, MARK, 0, 0)));
  printf("signal 1000: %s\n", name(syscall(SYS_tgkill, self, tid, 1000, MARK, 0, 0)));
  printf("alive\n");
  return 0;
}
