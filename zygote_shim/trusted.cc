// The trusted process (see trusted.h). Every brokered call is handled the
// same way:
//   1. copy the path (and any struct) out of the sandboxed process with
//      process_vm_readv, then check that the notification is still valid,
//      so the copy belongs to the call that is waiting;
//   2. normalise the path on our copy and check it against the rules before
//      touching the filesystem;
//   3. open it O_PATH (no side effects, no blocking) with RESOLVE_NO_MAGICLINKS,
//      and check the path the kernel actually resolved (symlinks re-checked,
//      /proc tricks refused) against the rules again;
//   4. act on that descriptor, and reply: a new descriptor is installed in
//      the sandboxed process atomically with the reply (SECCOMP_ADDFD_FLAG_SEND).
// A call is never answered by letting it continue: the sandboxed process's
// memory could change after the check.
//
// Threads: a pool of workers each blocks in SECCOMP_IOCTL_NOTIF_RECV; when
// every worker is busy, another starts (up to 64), so a call that blocks (a
// FIFO, a slow disk) never holds up the other sandboxed threads.
#include "trusted.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <linux/stat.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

// Linux 6.6 can wake the trusted process synchronously, on the caller's CPU,
// which halves a brokered call here. Debian 12's headers predate it; an
// older kernel refuses the request and we carry on without it.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

extern const uint64_t kTrustedProcessBpf[];
extern const size_t kTrustedProcessBpf_size;

namespace sbx::shim {

using policy::kPathCreate;
using policy::kPathRead;
using policy::kPathWrite;
using policy::path_allowed;

std::string normalize_path(const std::string& base, const std::string& path) {
  if (path.empty() || path.size() >= PATH_MAX) return "";
  const std::string full = path[0] == '/' ? path : base + "/" + path;
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= full.size()) {
    size_t end = full.find('/', start);
    if (end == std::string::npos) end = full.size();
    const std::string part = full.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

namespace {

const TrustedConfig* g_config;
int g_listener = -1;
std::atomic<int> g_idle{0};
std::atomic<int> g_workers{0};
constexpr int kInitialWorkers = 4;
constexpr int kMaxWorkers = 64;

bool still_valid(const seccomp_notif& n) { return ioctl(g_listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id) == 0; }

// Copies a NUL-terminated string from the sandboxed process, page by page.
bool read_string(pid_t pid, uint64_t address, std::string* out) {
  out->clear();
  char buf[256];
  while (out->size() < PATH_MAX) {
    const uint64_t room = 4096 - (address % 4096);
    const size_t want = room < sizeof(buf) ? room : sizeof(buf);
    iovec local{buf, want}, remote{reinterpret_cast<void*>(address), want};
    const ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return false;
    const void* nul = std::memchr(buf, 0, static_cast<size_t>(n));
    if (nul != nullptr) {
      out->append(buf, static_cast<const char*>(nul) - buf);
      return true;
    }
    out->append(buf, static_cast<size_t>(n));
    address += static_cast<uint64_t>(n);
  }
  return false;
}

bool read_memory(pid_t pid, uint64_t address, void* to, size_t size) {
  iovec local{to, size}, remote{reinterpret_cast<void*>(address), size};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

bool write_memory(pid_t pid, uint64_t address, const void* from, size_t size) {
  iovec local{const_cast<void*>(from), size}, remote{reinterpret_cast<void*>(address), size};
  return process_vm_writev(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

// The path a descriptor of ours really refers to.
std::string real_path(int fd) {
  char link[64], target[PATH_MAX];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof(target) - 1);
  if (n <= 0) return "";
  return std::string(target, static_cast<size_t>(n));
}

int open_path(const std::string& path, bool follow, bool directory = false) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW) | (directory ? O_DIRECTORY : 0);
  how.resolve = RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof(how)));
}

// The thread group (process) of a thread id, from /proc/TID/status.
pid_t thread_group_of(pid_t tid) {
  char path[48], text[2048];
  std::snprintf(path, sizeof(path), "/proc/%d/status", static_cast<int>(tid));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const ssize_t n = read(fd, text, sizeof(text) - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  const char* tgid = std::strstr(text, "\nTgid:");
  return tgid ? static_cast<pid_t>(std::atoi(tgid + 6)) : -1;
}

// Where a path of the sandboxed process starts: our cwd copy for AT_FDCWD,
// or the directory its descriptor refers to.
bool base_of(const seccomp_notif& r, int64_t dirfd, std::string* base) {
  if (static_cast<int>(dirfd) == AT_FDCWD) {
    *base = g_config->cwd;
    return true;
  }
  // Descriptors belong to the process: take it from the thread group leader.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, thread_group_of(r.pid), 0));
  if (pidfd < 0) return false;
  const int fd = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, static_cast<int>(dirfd), 0));
  close(pidfd);
  if (fd < 0) return false;
  *base = real_path(fd);
  close(fd);
  return !base->empty() && (*base)[0] == '/';
}

// The answer to a call: an errno, a value, or a descriptor to install.
struct Answer {
  int error = 0;
  int64_t value = 0;
  int fd = -1;
  unsigned fd_flags = 0;
};
Answer fail(int e) { return {e, 0, -1, 0}; }

// Whether the rules grant `wanted` on path; metadata (stat, readlink,
// access F_OK) is also readable on the directories leading to granted paths.
bool allowed(const std::string& path, unsigned wanted, bool metadata) {
  return path_allowed(g_config->rules, path, wanted) ||
         (metadata && wanted == kPathRead && policy::path_on_the_way(g_config->rules, path));
}

// Reads the path argument, normalises it and checks `wanted` lexically.
bool take_path(const seccomp_notif& r, int64_t dirfd, uint64_t address, unsigned wanted, std::string* path, Answer* refusal,
               bool metadata = false) {
  std::string raw, base;
  if (!read_string(r.pid, address, &raw)) return (*refusal = fail(EFAULT)), false;
  if (!still_valid(r)) return (*refusal = fail(EINTR)), false;
  if (raw.empty()) return (*refusal = fail(ENOENT)), false;
  if (raw[0] != '/' && !base_of(r, dirfd, &base)) return (*refusal = fail(EBADF)), false;
  *path = normalize_path(base.empty() ? g_config->cwd : base, raw);
  if (path->empty()) return (*refusal = fail(ENAMETOOLONG)), false;
  if (!allowed(*path, wanted, metadata)) return (*refusal = fail(EACCES)), false;
  return true;
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

Answer do_open(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t flags, uint64_t mode) {
  const unsigned acc = flags & O_ACCMODE;
  unsigned wanted = 0;
  if (acc == O_RDONLY || acc == O_RDWR || (flags & O_PATH)) wanted |= kPathRead;
  if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC)) wanted |= kPathWrite;
  std::string path;
  Answer refusal;
  // A path we may not read or write at all is refused before we look.
  const unsigned lexical = (flags & O_CREAT) ? kPathCreate : wanted;
  if (!take_path(r, dirfd, path_address, lexical ? lexical : kPathRead, &path, &refusal)) return refusal;
  const unsigned fd_flags = (flags & O_CLOEXEC) ? O_CLOEXEC : 0;
  const int o = open_path(path, !(flags & O_NOFOLLOW));
  if (o >= 0) {
    const std::string real = real_path(o);
    if ((flags & O_CREAT) && (flags & O_EXCL)) {
      close(o);
      return fail(EEXIST);
    }
    if (!path_allowed(g_config->rules, real, wanted ? wanted : kPathRead)) {
      close(o);
      return fail(EACCES);
    }
    char proc[64];
    std::snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o);
    const int fd = open(proc, static_cast<int>(flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
    const int err = errno;
    close(o);
    return fd < 0 ? fail(err) : Answer{0, 0, fd, fd_flags};
  }
  if (errno != ENOENT || !(flags & O_CREAT)) return fail(errno);
  // Create it: in a parent directory we resolve and check for real.
  const auto [parent, name] = split_parent(path);
  const int p = open_path(parent, true, true);
  if (p < 0) return fail(errno);
  const std::string real_parent = real_path(p);
  const std::string target = (real_parent == "/" ? "" : real_parent) + "/" + name;
  if (!path_allowed(g_config->rules, target, kPathCreate | wanted)) {
    close(p);
    return fail(EACCES);
  }
  const int fd = openat(p, name.c_str(), static_cast<int>(flags) | O_NOFOLLOW | O_CLOEXEC, static_cast<mode_t>(mode));
  const int err = errno;
  close(p);
  return fd < 0 ? fail(err) : Answer{0, 0, fd, fd_flags};
}

// stat, lstat, newfstatat, statx: the result is written into the caller's buffer.
Answer do_stat(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t flags, uint64_t buf, bool is_statx,
               uint64_t statx_mask) {
  std::string path;
  Answer refusal;
  if (!take_path(r, dirfd, path_address, kPathRead, &path, &refusal, true)) return refusal;
  const int o = open_path(path, !(flags & AT_SYMLINK_NOFOLLOW));
  if (o < 0) return fail(errno);
  if (!allowed(real_path(o), kPathRead, true)) {
    close(o);
    return fail(EACCES);
  }
  bool ok;
  if (is_statx) {
    struct statx sx;
    ok = statx(o, "", AT_EMPTY_PATH, static_cast<unsigned>(statx_mask), &sx) == 0 &&
         write_memory(r.pid, buf, &sx, sizeof(sx));
  } else {
    struct stat st;
    ok = fstatat(o, "", &st, AT_EMPTY_PATH) == 0 && write_memory(r.pid, buf, &st, sizeof(st));
  }
  const int err = errno;
  close(o);
  return ok ? Answer{} : fail(err ? err : EFAULT);
}

Answer do_access(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t mode, uint64_t flags) {
  const unsigned wanted = (mode & W_OK) ? kPathWrite : kPathRead;
  std::string path;
  Answer refusal;
  if (!take_path(r, dirfd, path_address, wanted, &path, &refusal, mode == F_OK)) return refusal;
  const int o = open_path(path, !(flags & AT_SYMLINK_NOFOLLOW));
  if (o < 0) return fail(errno);
  if (!allowed(real_path(o), wanted, mode == F_OK)) {
    close(o);
    return fail(EACCES);
  }
  char proc[64];
  std::snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o);
  const int rc = faccessat(AT_FDCWD, proc, static_cast<int>(mode), 0);
  const int err = errno;
  close(o);
  return rc == 0 ? Answer{} : fail(err);
}

Answer do_readlink(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t buf, uint64_t size) {
  std::string path;
  Answer refusal;
  if (!take_path(r, dirfd, path_address, kPathRead, &path, &refusal, true)) return refusal;
  const int o = open_path(path, false);
  if (o < 0) return fail(errno);
  char target[PATH_MAX];
  const ssize_t n = allowed(real_path(o), kPathRead, true) ? readlinkat(o, "", target, sizeof(target))
                                                                            : (errno = EACCES, -1);
  const int err = errno;
  close(o);
  if (n < 0) return fail(err);
  const size_t copy = static_cast<size_t>(n) < size ? static_cast<size_t>(n) : size;
  if (!write_memory(r.pid, buf, target, copy)) return fail(EFAULT);
  return {0, static_cast<int64_t>(copy), -1, 0};
}

// mkdir, unlink, rmdir: in a parent directory resolved and checked for real.
Answer do_in_parent(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, unsigned wanted,
                    int (*act)(int parent, const char* name, uint64_t extra), uint64_t extra) {
  std::string path;
  Answer refusal;
  if (!take_path(r, dirfd, path_address, wanted, &path, &refusal)) return refusal;
  const auto [parent, name] = split_parent(path);
  if (name.empty()) return fail(EINVAL);
  const int p = open_path(parent, true, true);
  if (p < 0) return fail(errno);
  const std::string real_parent = real_path(p);
  if (!path_allowed(g_config->rules, (real_parent == "/" ? "" : real_parent) + "/" + name, wanted)) {
    close(p);
    return fail(EACCES);
  }
  const int rc = act(p, name.c_str(), extra);
  const int err = errno;
  close(p);
  return rc == 0 ? Answer{} : fail(err);
}

Answer do_rename(const seccomp_notif& r, int64_t olddir, uint64_t oldpath, int64_t newdir, uint64_t newpath, uint64_t flags) {
  std::string from, to;
  Answer refusal;
  if (!take_path(r, olddir, oldpath, kPathWrite, &from, &refusal)) return refusal;
  if (!take_path(r, newdir, newpath, kPathCreate | kPathWrite, &to, &refusal)) return refusal;
  const auto [fp, fn] = split_parent(from);
  const auto [tp, tn] = split_parent(to);
  const int a = open_path(fp, true, true);
  const int b = open_path(tp, true, true);
  Answer answer;
  if (a < 0 || b < 0) {
    answer = fail(errno);
  } else if (!path_allowed(g_config->rules, real_path(a) + "/" + fn, kPathWrite) ||
             !path_allowed(g_config->rules, real_path(b) + "/" + tn, kPathCreate | kPathWrite)) {
    answer = fail(EACCES);
  } else if (syscall(SYS_renameat2, a, fn.c_str(), b, tn.c_str(), static_cast<unsigned>(flags)) != 0) {
    answer = fail(errno);
  }
  if (a >= 0) close(a);
  if (b >= 0) close(b);
  return answer;
}

Answer handle(const seccomp_notif& r) {
  const auto& a = r.data.args;
  const auto nr = r.data.nr;
  switch (nr) {
    case SYS_open: return do_open(r, AT_FDCWD, a[0], a[1], a[2]);
    case SYS_openat: return do_open(r, static_cast<int64_t>(a[0]), a[1], a[2], a[3]);
    case SYS_openat2: {
      open_how how{};
      if (a[3] < sizeof(how) || !read_memory(r.pid, a[2], &how, sizeof(how))) return fail(EFAULT);
      if (how.resolve != 0) return fail(ENOTSUP);
      return do_open(r, static_cast<int64_t>(a[0]), a[1], how.flags, how.mode);
    }
    case SYS_stat: return do_stat(r, AT_FDCWD, a[0], 0, a[1], false, 0);
    case SYS_lstat: return do_stat(r, AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW, a[1], false, 0);
    case SYS_newfstatat: return do_stat(r, static_cast<int64_t>(a[0]), a[1], a[3], a[2], false, 0);
    case SYS_statx: return do_stat(r, static_cast<int64_t>(a[0]), a[1], a[2], a[4], true, a[3]);
    case SYS_access: return do_access(r, AT_FDCWD, a[0], a[1], 0);
    case SYS_faccessat: return do_access(r, static_cast<int64_t>(a[0]), a[1], a[2], 0);
    case SYS_faccessat2: return do_access(r, static_cast<int64_t>(a[0]), a[1], a[2], a[3]);
    case SYS_readlink: return do_readlink(r, AT_FDCWD, a[0], a[1], a[2]);
    case SYS_readlinkat: return do_readlink(r, static_cast<int64_t>(a[0]), a[1], a[2], a[3]);
    case SYS_mkdir:
    case SYS_mkdirat: {
      const bool at = nr == SYS_mkdirat;
      return do_in_parent(r, at ? static_cast<int64_t>(a[0]) : AT_FDCWD, a[at ? 1 : 0], kPathCreate,
                          [](int p, const char* n, uint64_t m) { return mkdirat(p, n, static_cast<mode_t>(m)); },
                          a[at ? 2 : 1]);
    }
    case SYS_unlink: return do_in_parent(r, AT_FDCWD, a[0], kPathWrite, [](int p, const char* n, uint64_t) { return unlinkat(p, n, 0); }, 0);
    case SYS_rmdir:
      return do_in_parent(r, AT_FDCWD, a[0], kPathWrite,
                          [](int p, const char* n, uint64_t) { return unlinkat(p, n, AT_REMOVEDIR); }, 0);
    case SYS_unlinkat:
      return do_in_parent(r, static_cast<int64_t>(a[0]), a[1], kPathWrite,
                          [](int p, const char* n, uint64_t f) { return unlinkat(p, n, static_cast<int>(f & AT_REMOVEDIR)); },
                          a[2]);
    case SYS_rename: return do_rename(r, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
    case SYS_renameat: return do_rename(r, static_cast<int64_t>(a[0]), a[1], static_cast<int64_t>(a[2]), a[3], 0);
    case SYS_renameat2: return do_rename(r, static_cast<int64_t>(a[0]), a[1], static_cast<int64_t>(a[2]), a[3], a[4]);
    default: return fail(ENOSYS);  // brokered by the policy, but nothing we answer
  }
}

void reply(const seccomp_notif& n, const Answer& a) {
  if (a.fd >= 0) {
    seccomp_notif_addfd add{};
    add.id = n.id;
    add.flags = SECCOMP_ADDFD_FLAG_SEND;  // install and answer with its number, atomically
    add.srcfd = static_cast<unsigned>(a.fd);
    add.newfd_flags = a.fd_flags;
    const int rc = ioctl(g_listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    close(a.fd);
    if (rc >= 0 || errno == ENOENT) return;  // answered, or the caller is gone
  }
  seccomp_notif_resp resp{};
  resp.id = n.id;
  resp.error = a.fd >= 0 ? -EMFILE : -a.error;
  resp.val = a.value;
  ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

void start_worker();

void* worker(void*) {
  for (;;) {
    seccomp_notif r{};
    ++g_idle;
    const int rc = ioctl(g_listener, SECCOMP_IOCTL_NOTIF_RECV, &r);
    const int err = errno;
    // The last idle worker took a call: have another ready for the next one.
    if (--g_idle == 0 && rc == 0) start_worker();
    if (rc != 0) {
      if (err == EINTR || err == ENOENT) continue;
      _exit(0);  // the listener is gone: the sandboxed process has exited
    }
    reply(r, handle(r));
  }
}

void start_worker() {
  if (g_workers.fetch_add(1) >= kMaxWorkers) {
    --g_workers;
    return;
  }
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  if (pthread_create(&t, &attr, worker, nullptr) != 0) --g_workers;
  pthread_attr_destroy(&attr);
}

// The shim says where the listener will be, installs the filter and makes
// no further call; we take the listener from it, and accept only a seccomp
// notification listener.
int take_listener(int sock) {
  int number = -1;
  if (read(sock, &number, sizeof(number)) != sizeof(number) || number < 0) return -1;
  const pid_t parent = getppid();
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, parent, 0));
  if (pidfd < 0) return -1;
  for (int tries = 0; tries < 20000; ++tries) {  // 20 s at most
    const int fd = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, number, 0));
    if (fd >= 0) {
      if (real_path(fd) == "anon_inode:seccomp notify") {
        close(pidfd);
        return fd;
      }
      close(fd);
    } else if (errno == ESRCH) {
      break;
    }
    usleep(1000);
  }
  close(pidfd);
  return -1;
}

// The trusted process's own filter (builtin:trusted-process, compiled at
// build time by policy/embed_bpf): if a request ever subverted it, it still
// could not execute, connect, trace or mount.
void confine_self() {
  sock_fprog prog{static_cast<unsigned short>(kTrustedProcessBpf_size),
                  reinterpret_cast<sock_filter*>(const_cast<uint64_t*>(kTrustedProcessBpf))};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
    _exit(1);
}

}  // namespace

void run_trusted_process(const TrustedConfig& config) {
  g_config = &config;
  // Die with the sandboxed process; let nobody (it included) trace us.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Our own policy, before we read a byte the sandboxed process controls and
  // before any thread exists.
  confine_self();
  g_listener = take_listener(config.socket);
  if (g_listener >= 0 && write(config.socket, "T", 1) != 1) _exit(0);  // the program closes its copy on this
  if (g_listener >= 0) ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  close(config.socket);
  if (g_listener < 0) _exit(0);  // the shim failed before installing the filter; it reports why
  for (int i = 0; i < kInitialWorkers; ++i) start_worker();
  // The workers do everything; this thread only waits for the end.
  for (;;) {
    struct pollfd p = {g_listener, 0, 0};
    if (poll(&p, 1, -1) == 1 && (p.revents & (POLLHUP | POLLERR))) _exit(0);
  }
}

}  // namespace sbx::shim
