/* The program of the reliability tests (tests/integration/reliability_cases.py).

   reliability_probe OUT_DIR MILLISECONDS STATUS

   Its first action, in a constructor (before main, right after the shim's),
   writes OUT_DIR/record.PID: the Seccomp: line of /proc/self/status and the
   device and inode of "/" as it sees them (under sbx run, the host's: the
   trusted process answers stat in the host's view), so that the test can
   check the program never ran without its filter. Then it forks a child that sleeps
   MILLISECONDS and exits, sleeps as long itself, waits for the child, and
   exits with STATUS. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void record(int argc, char** argv, char** envp) {
  (void)envp;
  if (argc < 2) return;
  char status[8192];
  char seccomp[64] = "unreadable";
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, status, sizeof status - 1);
    close(fd);
    if (n > 0) {
      status[n] = '\0';
      char* line = strstr(status, "\nSeccomp:");
      if (line != NULL) {
        line += strlen("\nSeccomp:");
        while (*line == ' ' || *line == '\t') line++;
        size_t len = strcspn(line, "\n");
        if (len >= sizeof seccomp) len = sizeof seccomp - 1;
        memcpy(seccomp, line, len);
        seccomp[len] = '\0';
      }
    }
  }
  struct stat root;
  if (stat("/", &root) != 0) memset(&root, 0, sizeof root);
  char path[4096];
  snprintf(path, sizeof path, "%s/record.%d", argv[1], (int)getpid());
  char text[256];
  int len = snprintf(text, sizeof text, "seccomp=%s root=%llu:%llu\n", seccomp, (unsigned long long)root.st_dev,
                     (unsigned long long)root.st_ino);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    if (write(fd, text, (size_t)len) != len) {}
    close(fd);
  }
}

__attribute__((section(".init_array"), used)) static void (*record_at_start)(int, char**, char**) = record;

static void nap(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: reliability_probe OUT_DIR MILLISECONDS STATUS\n");
    return 2;
  }
  long ms = atol(argv[2]);
  pid_t child = fork();
  if (child == 0) {
    nap(ms);
    _exit(0);
  }
  nap(ms);
  if (child > 0) waitpid(child, NULL, 0);
  printf("probe done\n");
  return atoi(argv[3]);
}
