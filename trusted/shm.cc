// The sandbox's own /dev/shm. glibc's shm_open and sem_open (Python's
// multiprocessing locks and queues) make files in /dev/shm, a directory all
// of the host's processes share: the rules never show it. Here a name in
// /dev/shm is the sandbox's own: each is a memfd the trusted process holds,
// made by an open with O_CREAT, opened anew (its own offset, the access
// asked for) by any later open of the name, renamed, linked and unlinked as names,
// and gone with the trusted process, so nothing is left on the host. Only
// names directly in /dev/shm, by absolute path (what glibc uses); at most
// g_max_names of them (ENOSPC beyond). The directory itself cannot be
// listed. The memfds are made not executable (MFD_NOEXEC_SEAL, Linux 6.3),
// as nothing the rules do not show may be executed.
#include "shm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>

#include <pthread.h>

#include "caller.h"

namespace sbx::trusted {

namespace {

constexpr char kShm[] = "/dev/shm/";
// At most this many names, and no more than a quarter of our descriptors
// (set_shm_limit): a program must not take every descriptor we have.
size_t g_max_names = 1024;

constexpr unsigned kNoExecSeal = 0x0008U;  // MFD_NOEXEC_SEAL, newer than Debian 12's headers

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
std::map<std::string, int> g_names;  // name in /dev/shm -> our memfd

Answer fail(int e) { return {e, 0, -1, 0}; }

// The name in /dev/shm an absolute path of the caller's names, if any:
// "/dev/shm/NAME", NAME without '/' and not "." or "..".
enum class Named { kNo, kYes, kInvalid };
Named shm_name(const seccomp_notif& r, uint64_t address, std::string* name) {
  std::string path;
  if (!read_argument(r, address, &path)) return Named::kNo;
  if (path.rfind(kShm, 0) != 0) return Named::kNo;
  *name = path.substr(sizeof(kShm) - 1);
  if (name->empty() || *name == "." || *name == ".." || name->find('/') != std::string::npos) return Named::kInvalid;
  return Named::kYes;
}

Answer open_name(const std::string& name, uint64_t flags) {
  if (flags & (O_DIRECTORY | O_PATH)) return fail(flags & O_DIRECTORY ? ENOTDIR : EOPNOTSUPP);
  pthread_mutex_lock(&g_lock);
  auto it = g_names.find(name);
  int error = 0;
  if (it != g_names.end() && (flags & O_CREAT) && (flags & O_EXCL)) {
    error = EEXIST;
  } else if (it == g_names.end() && !(flags & O_CREAT)) {
    error = ENOENT;
  } else if (it == g_names.end() && g_names.size() >= g_max_names) {
    error = ENOSPC;
  } else if (it == g_names.end()) {
    int memfd =
        static_cast<int>(syscall(SYS_memfd_create, name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING | kNoExecSeal));
    if (memfd < 0 && errno == EINVAL)
      memfd = static_cast<int>(syscall(SYS_memfd_create, name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (memfd < 0) error = errno;
    else it = g_names.emplace(name, memfd).first;
  }
  int fd = -1;
  if (error == 0) {
    if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && ftruncate(it->second, 0) != 0) error = errno;
    else if ((fd = open(fd_path(it->second).c_str(), static_cast<int>(flags & (O_ACCMODE | O_APPEND)) | O_CLOEXEC)) < 0)
      error = errno;
  }
  pthread_mutex_unlock(&g_lock);
  if (error != 0) return fail(error);
  return {0, 0, fd, (flags & O_CLOEXEC) ? unsigned{O_CLOEXEC} : 0U};
}

Answer unlink_name(const std::string& name) {
  pthread_mutex_lock(&g_lock);
  const auto it = g_names.find(name);
  const bool found = it != g_names.end();
  if (found) {
    close(it->second);
    g_names.erase(it);
  }
  pthread_mutex_unlock(&g_lock);
  return found ? Answer{} : fail(ENOENT);
}

// link (keep = true) or rename (keep = false) of one name to another.
Answer move_name(const std::string& from, const std::string& to, bool keep, bool no_replace) {
  pthread_mutex_lock(&g_lock);
  const auto it = g_names.find(from);
  int error = 0;
  if (it == g_names.end()) {
    error = ENOENT;
  } else if (from == to) {
    error = keep ? EEXIST : 0;
  } else if (g_names.count(to) != 0 && (keep || no_replace)) {
    error = EEXIST;
  } else if (keep && g_names.size() >= g_max_names) {
    error = ENOSPC;
  } else {
    const int fd = keep ? fcntl(it->second, F_DUPFD_CLOEXEC, 0) : it->second;
    if (fd < 0) {
      error = errno;
    } else {
      if (!keep) g_names.erase(it);
      const auto old = g_names.find(to);
      if (old != g_names.end()) close(old->second), g_names.erase(old);
      g_names.emplace(to, fd);
    }
  }
  pthread_mutex_unlock(&g_lock);
  return error == 0 ? Answer{} : fail(error);
}

// statfs of /dev/shm: the filesystem memfds live on (Python's
// multiprocessing asks how much room there is before it makes a file).
Answer statfs_shm(const seccomp_notif& r, uint64_t address) {
  const int memfd = static_cast<int>(syscall(SYS_memfd_create, "statfs", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (memfd < 0) return fail(errno);
  struct statfs st;
  const int rc = fstatfs(memfd, &st);
  close(memfd);
  if (rc != 0) return fail(errno);
  return write_to_caller(r, address, &st, sizeof(st)) ? Answer{} : fail(EFAULT);
}

}  // namespace

void set_shm_limit(unsigned long files) { g_max_names = files / 4 < 1024 ? files / 4 : 1024; }

std::optional<Answer> shm_call(const seccomp_notif& r) {
  if (r.data.nr == SYS_statfs) {
    std::string path;
    if (!read_argument(r, r.data.args[0], &path)) return std::nullopt;
    if (path != "/dev/shm" && path != "/dev/shm/") return std::nullopt;
    return statfs_shm(r, r.data.args[1]);
  }
  const auto& a = r.data.args;
  std::string name, other;
  // The path argument and, for link and rename, the second one.
  int path_arg = -1, second_arg = -1;
  switch (r.data.nr) {
    case SYS_open:
    case SYS_creat:
    case SYS_unlink: path_arg = 0; break;
    case SYS_openat:
    case SYS_unlinkat: path_arg = 1; break;
    case SYS_link:
    case SYS_rename: path_arg = 0, second_arg = 1; break;
    case SYS_linkat:
    case SYS_renameat:
    case SYS_renameat2: path_arg = 1, second_arg = 3; break;
    default: return std::nullopt;
  }
  const Named first = shm_name(r, a[path_arg], &name);
  const Named second = second_arg < 0 ? Named::kNo : shm_name(r, a[second_arg], &other);
  if (first == Named::kNo && second == Named::kNo) return std::nullopt;
  if (!still_valid(r)) return fail(EINTR);
  if (first == Named::kInvalid || second == Named::kInvalid) return fail(EACCES);
  // Between the sandbox's /dev/shm and the host's files: another filesystem.
  if (second_arg >= 0 && (first == Named::kNo || second == Named::kNo)) return fail(EXDEV);
  switch (r.data.nr) {
    case SYS_open: return open_name(name, a[1]);
    case SYS_creat: return open_name(name, O_CREAT | O_WRONLY | O_TRUNC);
    case SYS_openat: return open_name(name, a[2]);
    case SYS_unlink: return unlink_name(name);
    case SYS_unlinkat: return (a[2] & AT_REMOVEDIR) ? fail(ENOTDIR) : unlink_name(name);
    case SYS_link: return move_name(name, other, true, true);
    case SYS_linkat:
      return (a[4] & ~static_cast<uint64_t>(AT_SYMLINK_FOLLOW)) ? fail(EINVAL) : move_name(name, other, true, true);
    case SYS_rename:
    case SYS_renameat: return move_name(name, other, false, false);
    case SYS_renameat2:
      if (a[4] & ~static_cast<uint64_t>(1)) return fail(EINVAL);  // RENAME_NOREPLACE only
      return move_name(name, other, false, (a[4] & 1) != 0);
  }
  return std::nullopt;
}

}  // namespace sbx::trusted
