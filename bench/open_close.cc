// open_close PATH N [open|stat]: N times open(PATH) + close (or stat(PATH)),
// prints the nanoseconds per call. Under "sbx run" the open or stat is
// brokered to the trusted process.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) return 2;
  const long n = std::atol(argv[2]);
  const bool stat_only = argc == 4 && std::strcmp(argv[3], "stat") == 0;
  timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; ++i) {
    if (stat_only) {
      struct stat st;
      if (stat(argv[1], &st) != 0) return 1;
    } else {
      const int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
      if (fd < 0) return 1;
      close(fd);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  std::printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
