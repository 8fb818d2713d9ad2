// race_open ALLOWED FORBIDDEN TRIES: the classic attack on argument checks.
// One thread flips a shared path buffer between ALLOWED and FORBIDDEN
// (same length) while four threads open whatever it holds, TRIES opens in
// all. Prints "opened-forbidden N" and exits 1 if the forbidden file was
// ever read (its content starts with "FORBIDDEN"); else "held N-opens".
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
char g_path[4096];
const char* g_allowed;
const char* g_forbidden;
std::atomic<bool> g_stop{false};
std::atomic<long> g_tries{0}, g_opened{0}, g_forbidden_reads{0};
long g_limit;

void* flipper(void*) {
  for (unsigned long i = 0; !g_stop.load(std::memory_order_relaxed); ++i) {
    const char* src = (i & 1) ? g_forbidden : g_allowed;
    for (size_t k = 0; src[k]; ++k) reinterpret_cast<volatile char*>(g_path)[k] = src[k];
  }
  return nullptr;
}

void* opener(void*) {
  char buf[16];
  while (g_tries.fetch_add(1) < g_limit) {
    const int fd = open(g_path, O_RDONLY);
    if (fd < 0) continue;
    ++g_opened;
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n >= 9 && std::memcmp(buf, "FORBIDDEN", 9) == 0) ++g_forbidden_reads;
    close(fd);
  }
  return nullptr;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || std::strlen(argv[1]) != std::strlen(argv[2])) {
    std::fprintf(stderr, "usage: race_open ALLOWED FORBIDDEN TRIES (paths of equal length)\n");
    return 2;
  }
  g_allowed = argv[1];
  g_forbidden = argv[2];
  g_limit = std::atol(argv[3]);
  std::strcpy(g_path, g_allowed);
  pthread_t flip, open_threads[4];
  pthread_create(&flip, nullptr, flipper, nullptr);
  for (auto& t : open_threads) pthread_create(&t, nullptr, opener, nullptr);
  for (auto& t : open_threads) pthread_join(t, nullptr);
  g_stop = true;
  pthread_join(flip, nullptr);
  if (g_forbidden_reads > 0) {
    std::printf("opened-forbidden %ld\n", g_forbidden_reads.load());
    return 1;
  }
  std::printf("held %ld-opens %ld-tries\n", g_opened.load(), g_limit);
  return 0;
}
