// Placeholders for O_PATH descriptors of symlinks (placeholders.h).
//
// Why a placeholder gives the program nothing the rules do not:
// - It is recognised by its inode, (st_dev, st_ino), while we hold the
//   placeholder open. A memfd lives on the kernel's internal shmem mount,
//   whose inode numbers come from a 64-bit counter that is never reset or
//   wrapped (per-CPU batches, Linux 5.9; we need 5.14 for
//   SECCOMP_ADDFD_FLAG_SEND anyway), and no file of any other filesystem
//   has that st_dev. So a descriptor matches only if it is of our very
//   placeholder, and the program has that only from us, for a symlink it
//   was allowed to open: using it is using that O_PATH descriptor.
// - A memfd the program makes itself (a policy that allows memfd_create),
//   with the same name and seals, is another inode: it stays a memfd, whose
//   path ("/memfd:... (deleted)") no rule names, so every call through it
//   is refused, as for any other descriptor outside the rules.
// - A placeholder of another sandbox (another trusted process) is in no
//   table of ours: a memfd, refused the same way. Ours are nobody else's
//   either: they are our own descriptors, never shared with anything but
//   the program we serve.
// - Once evicted (the oldest go when the table is full), a placeholder the
//   program still holds becomes an ordinary memfd: calls through it are
//   refused, never answered for another file. The inode stays alive as long
//   as the program holds it, and its number is never given out again.
// - The program's copy is opened read-only, and the memfd is sealed (no
//   writes, no size change, no new seals) and empty: the program can store
//   nothing in it, and mapping it maps nothing.
// What differs from a real O_PATH descriptor: calls the kernel answers
// without us see the memfd: read() returns 0 bytes where O_PATH gives
// EBADF, F_GETFL says O_RDONLY, and a raw fstat (not glibc's, which is
// newfstatat and comes to us) describes an empty regular file.
#include "placeholders.h"

#include "caller.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace sbx::trusted {

namespace {

constexpr size_t kMaxPlaceholders = 256;

struct Placeholder {
  dev_t dev = 0;
  ino_t ino = 0;
  int placeholder = -1;  // ours, held so its inode lives while it is here
  int link = -1;         // our O_PATH|O_NOFOLLOW descriptor of the symlink
};

// A ring: `next` is the oldest once the table is full. Several workers
// answer calls at once, so everything is under the lock; `used` is also
// read without it, to skip the lookup while there are no placeholders.
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
Placeholder g_table[kMaxPlaceholders];
size_t g_capacity = kMaxPlaceholders;
size_t g_next = 0;
std::atomic<size_t> g_used{0};

void close_quietly(int fd) {
  if (fd >= 0) close(fd);
}

}  // namespace

void set_placeholder_limit(rlim_t descriptor_limit) {
  // Half our descriptors at most (two per entry): the rest are for work.
  const rlim_t room = descriptor_limit / 4;
  g_capacity = room < kMaxPlaceholders ? (room < 1 ? 1 : static_cast<size_t>(room)) : kMaxPlaceholders;
}

int placeholder_for(int link) {
  const int memfd = memfd_create("sbx: O_PATH of a symlink", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  struct stat st;
  int handed = -1;
  if (memfd < 0 || fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK) != 0 ||
      fstat(memfd, &st) != 0 || (handed = open(fd_path(memfd).c_str(), O_RDONLY | O_CLOEXEC)) < 0) {
    const int err = errno;
    close_quietly(memfd);
    close(link);
    errno = err;
    return -1;
  }
  pthread_mutex_lock(&g_lock);
  Placeholder& slot = g_table[g_next];
  const int old_placeholder = slot.placeholder, old_link = slot.link;
  slot = {st.st_dev, st.st_ino, memfd, link};
  g_next = (g_next + 1) % g_capacity;
  if (old_placeholder < 0) g_used.fetch_add(1);
  pthread_mutex_unlock(&g_lock);
  close_quietly(old_placeholder);
  close_quietly(old_link);
  return handed;
}

int without_placeholder(int fd) {
  struct stat st;
  if (fd < 0 || g_used.load() == 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0) return fd;
  int link = -2;  // not ours
  pthread_mutex_lock(&g_lock);
  for (size_t i = 0; i < g_capacity; ++i) {
    const Placeholder& p = g_table[i];
    if (p.placeholder >= 0 && p.ino == st.st_ino && p.dev == st.st_dev) {
      // Copied under the lock: an eviction cannot close it under us.
      link = fcntl(p.link, F_DUPFD_CLOEXEC, 0);
      break;
    }
  }
  const int err = errno;
  pthread_mutex_unlock(&g_lock);
  if (link == -2) return fd;
  close(fd);
  errno = err;
  return link;
}

}  // namespace sbx::trusted
