// The fast route for brokered opens (fast_route.h). ADDFD with
// SECCOMP_ADDFD_FLAG_SEND installs a descriptor atomically with the reply,
// but the kernel wakes the caller for it with a plain complete() and then
// waits to be woken back: two cross-CPU wake-ups, about ten times a plain
// reply that SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP hands over on one CPU. On
// the route (zygote_shim/fast_open.cc) the descriptor goes to a socket of
// the calling process as SCM_RIGHTS, then the plain reply says so
// (kFastOpenSent), and the shim takes it off the socket before libc sees
// the result.
//
// What the route changes is the delivery only: the call was made, filtered
// and decided exactly as any other; its descriptor was going to the caller
// anyway. Per process we keep one socket pair: our end, to send on, and a
// copy of the caller's end, which tells (kcmp KCMP_FILE) whether the
// descriptor the caller names in its marks is that socket's end in its own
// descriptor table. So a descriptor only ever goes to a socket the caller
// holds: the caller, or whatever it shares that socket with (its threads, a
// vfork child, a child it let inherit it; a program that reads its own
// socket takes only its own descriptors). Anything that does not fit (no
// socket yet, a socket the caller no longer holds, one of another process)
// gets a new socket pair, installed in the caller by ADDFD (not onto a
// number it names: a number it closed may be in use again) and named in the
// answer; if that cannot be done, or a send fails, the descriptor goes by
// ADDFD as before.
//
// The table is bounded (set_fast_route_limit); when full, the entry used
// least recently goes (its process, if still there, gets a new socket at
// its next call: its shim gives up the route after a few).
#include "fast_route.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "caller.h"
#include "sandbox.h"

namespace sbx::trusted {

namespace {

constexpr int kKcmpFile = 0;  // KCMP_FILE (linux/kcmp.h)
constexpr size_t kMaxEntries = 64;

struct Entry {
  int ours = -1;      // the end we send on
  int theirs = -1;    // a copy of the end installed in the caller (for kcmp)
  unsigned gen = 0;   // the entry's name: (gen << 8) | index + 1; gen changes with each new socket
  uint64_t used = 0;  // when last used (a counter), for eviction
};

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
Entry g_entries[kMaxEntries];
size_t g_limit = kMaxEntries;
uint64_t g_clock = 0;

unsigned name_of(size_t index) { return g_entries[index].gen << 8 | static_cast<unsigned>(index + 1); }

// The entry the caller names, if its descriptor `sock` is that entry's
// socket end in its own table; -1 otherwise.
int held_entry(const seccomp_notif& n, unsigned name, int sock) {
  const size_t index = (name & 0xff) - 1;
  if ((name & 0xff) == 0 || index >= g_limit || sock < 0) return -1;
  const Entry& e = g_entries[index];
  if (e.ours < 0 || name_of(index) != name) return -1;
  static const pid_t self = getpid();
  if (syscall(SYS_kcmp, self, static_cast<pid_t>(n.pid), kKcmpFile, e.theirs, sock) != 0) return -1;
  return static_cast<int>(index);
}

// Sends fd on our end `ours` as the message for token and entry name.
bool send_on_route(int ours, unsigned token, unsigned name, int fd) {
  const FastOpenMessage m{token, name};
  return send_descriptor(ours, fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void drop(Entry& e) {
  if (e.ours >= 0) close(e.ours), close(e.theirs);
  e.ours = e.theirs = -1;
}

// A slot for a new entry: a free one, else the least recently used.
size_t free_slot() {
  size_t best = 0;
  for (size_t i = 0; i < g_limit; ++i) {
    if (g_entries[i].ours < 0) return i;
    if (g_entries[i].used < g_entries[best].used) best = i;
  }
  drop(g_entries[best]);
  return best;
}

bool send_reply(const seccomp_notif& n, uint64_t value) {
  seccomp_notif_resp resp{};
  resp.id = n.id;
  resp.val = static_cast<int64_t>(value);
  // Answered, or the caller is gone (its message, if any, is stale: the
  // shim drops it at its next call).
  ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  return true;
}

bool g_allowed = false;  // set once at start, before any worker exists

}  // namespace

void allow_fast_route() { g_allowed = true; }

bool on_fast_route(const seccomp_notif& n) {
  return g_allowed && (n.data.nr == SYS_openat || n.data.nr == SYS_open) && n.data.args[4] >> 32 == kFastOpenMark;
}

bool answer_on_fast_route(const seccomp_notif& n, const Answer& a) {
  const unsigned name = static_cast<unsigned>(n.data.args[4]);
  const unsigned token = static_cast<unsigned>(n.data.args[5] >> 32);
  const int sock = static_cast<int>(static_cast<uint32_t>(n.data.args[5]));
  const uint64_t cloexec = (a.fd_flags & O_CLOEXEC) != 0 ? 1u << 31 : 0;
  pthread_mutex_lock(&g_lock);
  const int held = held_entry(n, name, sock);
  if (held >= 0) {
    Entry& e = g_entries[held];
    e.used = ++g_clock;
    const bool sent = send_on_route(e.ours, token, name, a.fd);
    pthread_mutex_unlock(&g_lock);
    if (!sent) return false;
    close(a.fd);
    return send_reply(n, kFastOpenSent | cloexec);
  }
  pthread_mutex_unlock(&g_lock);
  // A new socket for the caller: the descriptor sent on it first, then its
  // end installed by ADDFD (once per process), so that nothing is installed
  // that carries nothing. Under the lock throughout: an entry evicted
  // meanwhile would close the descriptor ADDFD is to install (its number
  // soon another's).
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
  pthread_mutex_lock(&g_lock);
  const size_t index = free_slot();
  Entry& e = g_entries[index];
  e.ours = sv[0];
  e.theirs = sv[1];
  e.gen = (e.gen + 1) & 0xffffff;
  e.used = ++g_clock;
  int installed = -1;
  if (send_on_route(e.ours, token, name_of(index), a.fd)) {
    seccomp_notif_addfd add{};
    add.id = n.id;
    add.srcfd = static_cast<unsigned>(sv[1]);
    add.newfd_flags = O_CLOEXEC;
    installed = ioctl(g_listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  }
  // Not sent, or not installed (the caller's table is full, or it is
  // gone): the entry goes, with the message on it; ADDFD as before.
  if (installed < 0 || installed > 0x7ffffffe) drop(e);
  pthread_mutex_unlock(&g_lock);
  if (installed < 0 || installed > 0x7ffffffe) return false;
  close(a.fd);
  return send_reply(n, kFastOpenSent | cloexec | static_cast<uint64_t>(installed + 1));
}

void set_fast_route_limit(rlim_t descriptor_limit) {
  g_limit = static_cast<size_t>(std::clamp<rlim_t>(descriptor_limit / 16, 1, kMaxEntries));
}

}  // namespace sbx::trusted
