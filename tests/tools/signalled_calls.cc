// signalled_calls FILE DIR SECONDS: brokered calls while signals arrive.
// SIGHUP is caught by a handler without SA_RESTART, as a server that reloads
// on SIGHUP has it. For SECONDS it opens FILE and creates DIR/new.N with
// O_CREAT|O_EXCL (retrying on EINTR, as a careful program does). A signal
// must never leave a call half done: a create that was carried out must not
// be reported as interrupted, or the retry finds EEXIST. Prints
// "ready", then "opens N eintr N failed N created N eexist N signals N".
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {
volatile sig_atomic_t g_signals;
void on_hup(int) { g_signals = g_signals + 1; }
double now() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: signalled_calls FILE DIR SECONDS\n");
    return 2;
  }
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_hup;  // no SA_RESTART: an interrupted call returns EINTR
  sigaction(SIGHUP, &sa, nullptr);
  std::printf("ready\n");
  std::fflush(stdout);
  long opens = 0, eintr = 0, failed = 0, created = 0, eexist = 0;
  const double end = now() + std::atof(argv[3]);
  for (long n = 0; now() < end; ++n) {
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ++opens;
      close(fd);
    } else if (errno == EINTR) {
      ++eintr;
    } else {
      ++failed;
    }
    char path[4096];
    std::snprintf(path, sizeof(path), "%s/new.%ld", argv[2], n);
    do fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    while (fd < 0 && errno == EINTR);
    if (fd >= 0) {
      ++created;
      close(fd);
    } else if (errno == EEXIST) {
      ++eexist;
    } else {
      ++failed;
    }
  }
  std::printf("opens %ld eintr %ld failed %ld created %ld eexist %ld signals %d\n", opens, eintr, failed, created,
              eexist, static_cast<int>(g_signals));
  return 0;
}
