// Which host thread made a call. A notification names the calling thread by
// its id in the sandbox's PID namespace (ours too: the first stage forked us
// there), which pidfd_open understands; our /proc is the host's, which names
// threads by their host ids. Each process of the sandbox has its own working
// directory and umask, which the kernel keeps and our /proc shows
// (/proc/HOST/cwd, /proc/HOST/status), so the host id is what we need.
//
// Found once per thread and kept: a pidfd of the thread (PIDFD_THREAD,
// Linux 6.9) gives its host id in its fdinfo, and polls readable when the
// thread has ended, which tells a kept entry from a new thread that got the
// same id. Before 6.9 only a thread-group leader has a pidfd; any other
// thread is found by walking the sandbox's process tree in /proc from our
// parent, the first stage, and its entry is checked against its status
// each time.
#include "caller.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <pthread.h>

namespace sbx::trusted {

pid_t g_first_stage_host = -1;

namespace {

constexpr unsigned kPidfdThread = 0200;  // PIDFD_THREAD (O_EXCL's value), newer than Debian 12's headers

struct Known {
  pid_t host;
  int pidfd;  // -1: checked against /proc/HOST/status instead
};

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
std::unordered_map<pid_t, Known> g_known;  // by id in the sandbox
size_t g_pidfd_limit = 256;                // set_pidfd_limit

size_t kept_pidfds() {
  size_t n = 0;
  for (const auto& [id, k] : g_known) n += k.pidfd >= 0;
  return n;
}

// Whether host thread `host` is the thread our namespace calls `id`.
bool is_thread(pid_t host, pid_t id) {
  return last_number(read_text("/proc/" + std::to_string(host) + "/status"), "NSpid:") == id;
}

// The host id of the thread a pidfd names (its fdinfo's "Pid:" line).
pid_t host_of_pidfd(int pidfd) {
  const std::string text = read_text("/proc/self/fdinfo/" + std::to_string(pidfd));
  const size_t at = text.find("\nPid:");
  return at == std::string::npos ? -1 : static_cast<pid_t>(std::strtol(text.c_str() + at + 5, nullptr, 10));
}

// Before Linux 6.9: thread `id`, found among the threads of the first
// stage's descendants.
pid_t search_tree(pid_t id) {
  std::vector<pid_t> pending{g_first_stage_host};
  for (size_t i = 0; i < pending.size() && i < 100000; ++i) {
    const std::string task_dir = "/proc/" + std::to_string(pending[i]) + "/task";
    DIR* dir = opendir(task_dir.c_str());
    if (dir == nullptr) continue;
    pid_t found = -1;
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      const pid_t tid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
      if (found < 0 && is_thread(tid, id)) found = tid;
      const std::string children = read_text(task_dir + "/" + e->d_name + "/children");
      for (const char* p = children.c_str(); *p != '\0';) {
        char* end = nullptr;
        const long child = std::strtol(p, &end, 10);
        if (end == p) break;
        pending.push_back(static_cast<pid_t>(child));
        p = end;
      }
    }
    closedir(dir);
    if (found >= 0) return found;
  }
  return -1;
}

bool alive(const Known& k, pid_t id) {
  if (k.pidfd < 0) return is_thread(k.host, id);
  pollfd p{k.pidfd, POLLIN, 0};
  return poll(&p, 1, 0) == 0;
}

Known find(pid_t id) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, id, kPidfdThread));
  if (pidfd < 0 && errno == EINVAL) pidfd = static_cast<int>(syscall(SYS_pidfd_open, id, 0));
  if (pidfd >= 0) {
    const pid_t host = host_of_pidfd(pidfd);
    if (host > 0) return {host, pidfd};
    close(pidfd);
    return {-1, -1};
  }
  return {search_tree(id), -1};
}

// Forgets threads that have ended, when the table has grown.
void sweep() {
  for (auto it = g_known.begin(); it != g_known.end();) {
    if (alive(it->second, it->first)) {
      ++it;
    } else {
      if (it->second.pidfd >= 0) close(it->second.pidfd);
      it = g_known.erase(it);
    }
  }
}

}  // namespace

// The text of a small /proc file, or "".
std::string read_text(const std::string& path) {
  char buf[4096];
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  const ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// The last number of a status line such as "NSpid:\t812\t4" (the innermost
// namespace's id), or -1.
long last_number(const std::string& text, const char* key) {
  const size_t at = text.find(std::string("\n") + key);
  if (at == std::string::npos) return -1;
  const size_t end = text.find('\n', at + 1);
  const std::string line = text.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
  const size_t last = line.find_last_of(" \t");
  return last == std::string::npos ? -1 : std::strtol(line.c_str() + last + 1, nullptr, 10);
}

pid_t host_thread(const seccomp_notif& r) {
  const pid_t id = static_cast<pid_t>(r.pid);
  pthread_mutex_lock(&g_lock);
  auto it = g_known.find(id);
  if (it != g_known.end() && !alive(it->second, id)) {
    if (it->second.pidfd >= 0) close(it->second.pidfd);
    g_known.erase(it);
    it = g_known.end();
  }
  pid_t host = it != g_known.end() ? it->second.host : -1;
  pthread_mutex_unlock(&g_lock);
  if (host > 0) return host;
  Known k = find(id);
  if (k.host <= 0 || !still_valid(r)) {
    if (k.pidfd >= 0) close(k.pidfd);
    errno = ESRCH;
    return -1;
  }
  pthread_mutex_lock(&g_lock);
  static size_t sweep_at = 256;
  if (g_known.size() >= sweep_at || (k.pidfd >= 0 && kept_pidfds() >= g_pidfd_limit)) {
    sweep();
    sweep_at = 2 * g_known.size() + 256;
  }
  // Still as many kept as our limit allows: this one is checked against
  // its /proc status instead, as without a pidfd (the descriptors go to
  // the calls; under RLIMIT_NOFILE 16 a pidfd each for 16 threads left
  // none, and calls failed with EMFILE).
  if (k.pidfd >= 0 && kept_pidfds() >= g_pidfd_limit) {
    close(k.pidfd);
    k.pidfd = -1;
  }
  const auto [slot, added] = g_known.emplace(id, k);
  if (!added && k.pidfd >= 0) close(k.pidfd);  // another worker found it first
  host = slot->second.host;
  pthread_mutex_unlock(&g_lock);
  return host;
}

void set_pidfd_limit(rlim_t descriptor_limit) {
  g_pidfd_limit = static_cast<size_t>(std::min<rlim_t>(256, descriptor_limit / 4));
}

pid_t caller_process(const seccomp_notif& r) {
  const std::string status = caller_proc(r, "status");
  const long id = status.empty() ? -1 : last_number(read_text(status), "NStgid:");
  if (id <= 0) errno = ESRCH;
  return static_cast<pid_t>(id);
}

std::string caller_proc(const seccomp_notif& r, const char* entry) {
  const pid_t host = host_thread(r);
  if (host <= 0) return "";
  return "/proc/" + std::to_string(host) + "/" + entry;
}

}  // namespace sbx::trusted
