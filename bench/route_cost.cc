// route_cost ROUNDS CALLS [FILE]: the two ways issue #6 names to route a
// brokered call to another process, measured side by side (interleaved
// rounds, medians). First bare, with no work done at the other end:
//   native    getppid() with no filter;
//   notify    getppid() answered by a seccomp user notification (the route
//             sbx uses): the caller waits in the kernel, a thread of another
//             process receives the notification and sends the reply;
//   notify-sync  the same with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6);
//   notify-fd the same, answered with a descriptor installed in the caller
//             (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND, as a
//             brokered open is), which the caller then closes;
//   sigsys    getppid() trapped (SECCOMP_RET_TRAP): a SIGSYS handler sends
//             the request to another process and waits for the answer, on a
//             socketpair made for that request (Chromium's broker design: a
//             handler may interrupt another call of its own thread, so the
//             reply channel cannot be shared);
//   sigsys-reused  the same on one socket kept for every call: not safe
//             against a handler interrupting its own thread, but the least
//             the SIGSYS route can cost.
// Then a whole brokered open of FILE (default /usr/lib/os-release) and its
// close, with the same work at the other end on both routes: take a copy of
// the path, check it against one rule (FILE's directory), openat2 with
// RESOLVE_NO_SYMLINKS, hand the descriptor back:
//   open-native  the open with no filter;
//   open-notify  the route sbx uses (process_vm_readv, ID_VALID, ADDFD_FLAG_SEND,
//                SYNC_WAKE_UP);
//   open-sigsys  the handler sends the path it copied and a fresh socketpair
//                end; the descriptor comes back by SCM_RIGHTS.
// Prints one line per route: its name and nanoseconds per call.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

namespace {

double now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

// A filter that gives system call `nr` `action` and allows everything else.
int install(unsigned nr, unsigned action, unsigned flags) {
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, action),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof(code) / sizeof(code[0])), code};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog));
}

// One message of `size` bytes with room for one descriptor (SCM_RIGHTS).
struct FdMessage {
  iovec iov;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  FdMessage(const void* data, size_t size) : iov{const_cast<void*>(data), size} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
  }
};

void send_fd(int sock, int fd, const void* data, size_t size) {
  FdMessage m(data, size);
  cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  if (sendmsg(sock, &m.msg, MSG_NOSIGNAL) < 0) _exit(3);
}

int receive_fd(int sock, void* data, size_t size) {
  FdMessage m(data, size);
  if (recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC) <= 0) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

// The request a SIGSYS handler sends: the call, its arguments and the path
// it copied.
struct Request {
  long nr;
  unsigned long args[6];
  char path[256];
};
struct Reply {
  long result;
};

int g_broker = -1;
bool g_reuse = false;
bool g_open = false;
std::string g_file;  // what the open routes open
std::string g_rule;  // the one rule: FILE's directory, with its final '/'

// The broker's work on its copy of a path: the rule, then an exact open.
int broker_open(const char* path) {
  if (std::strncmp(path, g_rule.c_str(), g_rule.size()) != 0) return -EACCES;
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  const int fd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how)));
  return fd < 0 ? -errno : fd;
}

void on_sigsys(int, siginfo_t* info, void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
  Request req{};
  req.nr = info->si_syscall;
  const char* path = reinterpret_cast<const char*>(uc->uc_mcontext.gregs[REG_RSI]);
  if (g_open) std::strncpy(req.path, path, sizeof(req.path) - 1);
  int sv[2];
  Reply reply{-ENOSYS};
  if (g_open) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0) {
      send_fd(g_broker, sv[1], &req, sizeof(req));
      close(sv[1]);
      const int fd = receive_fd(sv[0], &reply, sizeof(reply));
      if (fd >= 0) reply.result = fd;
      close(sv[0]);
    }
  } else if (g_reuse) {
    if (write(g_broker, &req, sizeof(req)) != sizeof(req) || read(g_broker, &reply, sizeof(reply)) != sizeof(reply))
      reply.result = -EIO;
  } else if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0) {
    send_fd(g_broker, sv[1], &req, sizeof(req));
    close(sv[1]);
    if (read(sv[0], &reply, sizeof(reply)) != sizeof(reply)) reply.result = -EIO;
    close(sv[0]);
  }
  uc->uc_mcontext.gregs[REG_RAX] = reply.result;
}

enum Route {
  kNative,
  kNotify,
  kNotifySync,
  kNotifyFd,
  kSigsys,
  kSigsysReused,
  kOpenNative,
  kOpenNotify,
  kOpenSigsys,
  kRoutes
};
const char* const kNames[] = {"native",        "notify",      "notify-sync", "notify-fd",  "sigsys",
                              "sigsys-reused", "open-native", "open-notify", "open-sigsys"};

bool notified(Route r) { return r == kNotify || r == kNotifySync || r == kNotifyFd || r == kOpenNotify; }
bool trapped(Route r) { return r == kSigsys || r == kSigsysReused || r == kOpenSigsys; }
bool opens(Route r) { return r == kOpenNative || r == kOpenNotify || r == kOpenSigsys; }

// Answers notification `id`: installs `fd` in the caller as the call's result...
void answer_with_fd(int listener, uint64_t id, int fd) {
  seccomp_notif_addfd add{};
  add.id = id;
  add.flags = SECCOMP_ADDFD_FLAG_SEND;
  add.srcfd = static_cast<unsigned>(fd);
  ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
}

// ... or with an error (negative) or a value.
void answer_with(int listener, uint64_t id, int error, int64_t value) {
  seccomp_notif_resp r{};
  r.id = id;
  r.error = error;
  r.val = value;
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

// Copies a NUL-terminated path out of process `pid`, as the trusted process does.
bool read_path(pid_t pid, uint64_t address, char* out, size_t size) {
  const uint64_t room = 4096 - (address % 4096);
  const size_t want = room < size ? room : size;
  iovec local{out, want}, remote{reinterpret_cast<void*>(address), want};
  const ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  return n > 0 && std::memchr(out, 0, static_cast<size_t>(n)) != nullptr;
}

// One round: a child process with the route's filter makes `calls` calls;
// this process answers. Returns nanoseconds per call.
double round_of(Route route, long calls) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) _exit(2);
  int timing[2];
  if (pipe(timing) != 0) _exit(2);
  const pid_t child = fork();
  if (child == 0) {
    close(sv[0]);
    close(timing[0]);
    const unsigned nr = opens(route) ? SYS_openat : SYS_getppid;
    if (notified(route)) {
      const int listener = install(nr, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
      if (listener < 0) _exit(4);
      send_fd(sv[1], listener, "L", 1);
      close(listener);
    } else if (trapped(route)) {
      g_broker = sv[1];
      g_reuse = route == kSigsysReused;
      g_open = route == kOpenSigsys;
      struct sigaction sa {};
      sa.sa_sigaction = on_sigsys;
      sa.sa_flags = SA_SIGINFO;
      sigaction(SIGSYS, &sa, nullptr);
      if (install(nr, SECCOMP_RET_TRAP, 0) != 0) _exit(4);
    }
    const char* file = g_file.c_str();
    const double start = now_ns();
    for (long i = 0; i < calls; ++i) {
      if (opens(route)) {
        const long fd = syscall(SYS_openat, AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || close(static_cast<int>(fd)) != 0) _exit(5);
        continue;
      }
      const long got = syscall(SYS_getppid);
      if (route == kNotifyFd) {
        if (got < 0 || close(static_cast<int>(got)) != 0) _exit(5);
      } else if (got != (route == kNative ? getppid() : 42)) {
        _exit(5);
      }
    }
    const double per_call = (now_ns() - start) / calls;
    if (write(timing[1], &per_call, sizeof(per_call)) != sizeof(per_call)) _exit(6);
    _exit(0);
  }
  close(sv[1]);
  close(timing[1]);
  std::thread server;
  if (notified(route)) {
    char tag;
    const int listener = receive_fd(sv[0], &tag, 1);
    if (listener < 0) {
      std::fprintf(stderr, "route_cost: no listener\n");
      std::exit(1);
    }
    if (route != kNotify) ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, 1UL);
    const int answer = route == kNotifyFd ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
    const bool open_route = route == kOpenNotify;
    server = std::thread([listener, answer, open_route] {
      for (;;) {
        seccomp_notif n{};
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n) != 0) {
          if (errno == EINTR) continue;
          pollfd p{listener, POLLIN, 0};  // ENOENT: a caller went away, or every caller did
          if (errno == ENOENT && poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP)) continue;
          break;
        }
        if (open_route) {
          char path[256];
          int fd = -EFAULT;
          if (read_path(n.pid, n.data.args[1], path, sizeof(path)))
            fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id) == 0 ? broker_open(path) : -ENOENT;
          if (fd >= 0) {
            answer_with_fd(listener, n.id, fd);
            close(fd);
          } else {
            answer_with(listener, n.id, fd, 0);
          }
        } else if (answer >= 0) {
          answer_with_fd(listener, n.id, answer);
        } else {
          answer_with(listener, n.id, 0, 42);
        }
      }
      if (answer >= 0) close(answer);
      close(listener);
    });
  } else if (route == kSigsys || route == kOpenSigsys) {
    const int sock = sv[0];
    const bool open_route = route == kOpenSigsys;
    server = std::thread([sock, open_route] {
      for (;;) {
        Request req;
        const int reply_fd = receive_fd(sock, &req, sizeof(req));
        if (reply_fd < 0) break;
        req.path[sizeof(req.path) - 1] = '\0';
        const int fd = open_route ? broker_open(req.path) : -1;
        Reply reply{open_route ? fd : 42};
        if (fd >= 0) {
          send_fd(reply_fd, fd, &reply, sizeof(reply));
          close(fd);
        } else if (write(reply_fd, &reply, sizeof(reply)) < 0) {
          break;
        }
        close(reply_fd);
      }
    });
  } else if (route == kSigsysReused) {
    const int sock = sv[0];
    server = std::thread([sock] {
      Request req;
      Reply reply{42};
      while (read(sock, &req, sizeof(req)) == sizeof(req) && write(sock, &reply, sizeof(reply)) == sizeof(reply)) {}
    });
  }
  double per_call = 0;
  if (read(timing[0], &per_call, sizeof(per_call)) != sizeof(per_call)) {
    std::fprintf(stderr, "route_cost: a round failed\n");
    std::exit(1);
  }
  int status;
  waitpid(child, &status, 0);
  shutdown(sv[0], SHUT_RDWR);
  if (server.joinable()) server.join();
  close(sv[0]);
  close(timing[0]);
  return per_call;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
  const long calls = argc > 2 ? std::atol(argv[2]) : 5000;
  g_file = argc > 3 ? argv[3] : "/usr/lib/os-release";
  g_rule = g_file.substr(0, g_file.rfind('/') + 1);
  if (access(g_file.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "route_cost: cannot read %s\n", g_file.c_str());
    return 1;
  }
  std::vector<double> times[kRoutes];
  for (int r = 0; r < rounds; ++r)
    for (int route = kNative; route < kRoutes; ++route)
      times[route].push_back(round_of(static_cast<Route>(route), calls));
  for (int route = 0; route < kRoutes; ++route) {
    auto& v = times[route];
    std::sort(v.begin(), v.end());
    std::printf("%s %.0f\n", kNames[route], v[v.size() / 2]);
  }
  return 0;
}
