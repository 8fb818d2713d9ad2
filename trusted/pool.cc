// The trusted process's threads. Exactly one worker, the receiver, waits for
// a call on the listener and answers it (pool.h says why); the main thread
// watches it and hands the turn on when calls queue up or one is stuck.
#include "pool.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>

#include "caller.h"
#include "calls.h"

namespace sbx::trusted {

namespace {

constexpr int kMaxWorkers = 64;

// Threads. Exactly one worker, the receiver, waits for a call: Linux wakes
// every thread waiting on a listener for each notification, and each extra
// waiter cost about 2 µs a call here. The receiver answers the call itself.
// The watch (the main thread) looks at it every millisecond while calls come
// in: if calls are waiting while it is at the call it was at one look
// before, or one call has kept it longer than kStuckAfter (a FIFO nobody writes, a slow disk), another worker
// becomes the receiver, and the busy one becomes a spare when it is done. So
// calls from several threads are answered side by side, and a stuck call
// holds up the others for 2 ms at most. Spares wait on a condition variable,
// never on the listener.
constexpr int64_t kStuckAfter = 2'000'000;  // ns
struct Pool {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t turn = PTHREAD_COND_INITIALIZER;
  int receiver = -1;  // the worker whose turn it is to receive; -1: the next to come
  int workers = 0;
  std::atomic<int64_t> busy_since[kMaxWorkers];  // when each worker took its current call; 0: none
  std::atomic<bool> watch_asleep{false};
  int wake_watch = -1;  // an eventfd: the first call after a quiet spell wakes the watch
} g_pool;

int64_t now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// Waits until it is `id`'s turn to receive (or nobody's, and takes it).
void wait_for_turn(int id) {
  pthread_mutex_lock(&g_pool.lock);
  while (g_pool.receiver != id) {
    if (g_pool.receiver == -1) {
      g_pool.receiver = id;
      break;
    }
    pthread_cond_wait(&g_pool.turn, &g_pool.lock);
  }
  pthread_mutex_unlock(&g_pool.lock);
}

void* worker(void* arg) {
  const int id = static_cast<int>(reinterpret_cast<intptr_t>(arg));
  for (;;) {
    wait_for_turn(id);
    seccomp_notif r{};
    if (ioctl(g_listener, SECCOMP_IOCTL_NOTIF_RECV, &r) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;  // a caller went away (the watch sees the end)
      _exit(0);                                         // the listener is gone: the sandboxed process has exited
    }
    g_pool.busy_since[id].store(now_ns());  // seq_cst, like watch_asleep: see watch()
    if (g_pool.watch_asleep.exchange(false)) {
      const uint64_t one = 1;
      if (write(g_pool.wake_watch, &one, sizeof(one)) < 0) _exit(0);
    }
    reply(r, handle(r));
    g_pool.busy_since[id].store(0);
  }
}

// A new worker, to take the receiver's turn; false at kMaxWorkers.
bool start_worker() {
  pthread_mutex_lock(&g_pool.lock);
  const int id = g_pool.workers < kMaxWorkers ? g_pool.workers++ : -1;
  pthread_mutex_unlock(&g_pool.lock);
  if (id < 0) return false;
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  const bool ok = pthread_create(&t, &attr, worker, reinterpret_cast<void*>(static_cast<intptr_t>(id))) == 0;
  pthread_attr_destroy(&attr);
  return ok;
}

// If the receiver is at the call it was at the last look while calls wait,
// or has been at one call for longer than kStuckAfter, hands the turn on: to a spare if there is one,
// else to a new worker. Returns whether any worker is at a call.
bool watch_receiver() {
  // The receiver's busy_since at the previous look (only the watch calls
  // this). Calls waiting count only while the receiver is at the call it
  // was at then: a receiver that has just replied is busy for the few µs
  // until its next receive (the caller, woken by the reply, often calls
  // again first), and handing the turn on then only moved it between
  // threads, about every other look under a stream of calls.
  static int64_t seen_since = 0;
  const int64_t now = now_ns();
  bool busy = false;
  bool hand_over = false;
  pthread_mutex_lock(&g_pool.lock);
  for (int i = 0; i < g_pool.workers; ++i) {
    const int64_t since = g_pool.busy_since[i].load();
    busy |= since != 0;
    if (i == g_pool.receiver) {
      const bool same_call = since != 0 && since == seen_since;
      seen_since = since;
      struct pollfd waiting = {g_listener, POLLIN, 0};
      hand_over = since != 0 &&
                  (now - since > kStuckAfter || (same_call && poll(&waiting, 1, 0) == 1 && (waiting.revents & POLLIN)));
    }
  }
  int spares = 0;
  for (int i = 0; i < g_pool.workers; ++i)
    if (i != g_pool.receiver && g_pool.busy_since[i].load() == 0) ++spares;
  if (hand_over) {
    g_pool.receiver = -1;
    pthread_cond_broadcast(&g_pool.turn);
  }
  pthread_mutex_unlock(&g_pool.lock);
  if (hand_over && spares == 0) start_worker();
  return busy;
}

}  // namespace

// The main thread: ends the trusted process when the sandboxed process has
// gone, and watches the receiver while calls are coming in (every
// millisecond; asleep after 100 quiet ones, until a worker wakes it).
[[noreturn]] void watch(int sandboxed) {
  int quiet = 0;
  for (;;) {
    const bool asleep = g_pool.watch_asleep.load();
    struct pollfd p[2] = {{sandboxed, POLLIN, 0}, {g_pool.wake_watch, POLLIN, 0}};
    const int n = poll(p, 2, asleep ? -1 : 1);
    if (n < 0 && errno != EINTR) _exit(0);
    if (p[0].revents != 0) _exit(0);
    if (p[1].revents & POLLIN) {
      uint64_t count;
      if (read(g_pool.wake_watch, &count, sizeof(count)) < 0) _exit(0);
      quiet = 0;
    }
    if (watch_receiver()) quiet = 0;
    else if (++quiet >= 100) {
      g_pool.watch_asleep.store(true);
      // A call taken before the store did not wake us: look once more. (A
      // worker stores busy_since, then exchanges watch_asleep; we store
      // watch_asleep, then load busy_since; all sequentially consistent, so
      // at least one of us sees the other.)
      if (watch_receiver() && g_pool.watch_asleep.exchange(false)) quiet = 0;
    }
  }
}

bool start_pool() {
  g_pool.wake_watch = eventfd(0, EFD_CLOEXEC);
  return g_pool.wake_watch >= 0 && start_worker();
}

}  // namespace sbx::trusted
