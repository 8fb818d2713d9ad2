// An O_PATH|O_NOFOLLOW descriptor of a symlink under sbx run
// (run_cases.py o-path-symlink): every use of it behaves as natively, and
// gives nothing the rules do not. One line per step: the result, or the
// errno's name.
//   usage: o_path_symlink RO RW        (the usual run)
//          o_path_symlink forge        (under a policy that allows memfd_create)
// RO is an --allow-read directory holding f, link -> f and bad -> ../secret
// (a file outside the rules); RW an --allow-write directory, owned by the
// program's user, holding g and l -> g (the link owned by the program's
// user too).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char path_buf[4096];

static const char* in(const char* dir, const char* name) {
  snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
  return path_buf;
}

static const char* err(void) { return strerrorname_np(errno); }

static const char* kind(mode_t mode) {
  return S_ISLNK(mode) ? "symlink" : S_ISREG(mode) ? "file" : S_ISDIR(mode) ? "dir" : "other";
}

static void link_text(const char* what, int fd) {
  char target[256] = {0};
  const ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
  printf("%s: %s\n", what, n >= 0 ? target : err());
}

static void result(const char* what, int rc) { printf("%s: %s\n", what, rc == 0 ? "ok" : err()); }

// A memfd made to look like the trusted process's placeholder: same name,
// same seals. It must be taken for what it is, a memfd, never a symlink.
static int forge(void) {
  const int m = memfd_create("sbx: O_PATH of a symlink", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (m < 0) {
    printf("memfd_create: %s\n", err());
    return 1;
  }
  result("seal it", fcntl(m, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK) < 0 ? -1 : 0);
  link_text("forged readlinkat", m);
  struct stat st;
  const int rc = fstatat(m, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
  printf("forged fstat: %s\n", rc == 0 ? kind(st.st_mode) : err());
  result("forged fchownat", fchownat(m, "", (uid_t)-1, (gid_t)-1, AT_EMPTY_PATH));
  result("forged openat ../..", openat(m, "../..", O_RDONLY) < 0 ? -1 : 0);
  char proc[64];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", m);
  result("forged chmod through /proc", chmod(proc, 0600));
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "forge") == 0) return forge();
  if (argc != 3) return 2;
  const char *ro = argv[1], *rw = argv[2];
  struct stat st, lst;

  const int fd = open(in(rw, "l"), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  printf("open l O_PATH|O_NOFOLLOW: %s\n", fd >= 0 ? "ok" : err());
  printf("cloexec: %s\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
  printf("fstat: %s\n", fstat(fd, &st) == 0 ? kind(st.st_mode) : err());
  if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 && lstat(in(rw, "l"), &lst) == 0)
    printf("fstatat: %s, size %lld, %s inode as lstat\n", kind(st.st_mode), (long long)st.st_size,
           st.st_ino == lst.st_ino && st.st_dev == lst.st_dev ? "same" : "ANOTHER");
  else printf("fstatat: %s\n", err());
  struct statx sx;
  printf("statx: %s\n", statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &sx) == 0 ? kind(sx.stx_mode) : err());
  link_text("readlinkat", fd);
  const int copy = dup(fd);
  link_text("readlinkat of a dup", copy);
  close(copy);

  // Its owner and times: the link's own, as lchown and lutimes would.
  result("fchownat to its own ids", fchownat(fd, "", getuid(), getgid(), AT_EMPTY_PATH));
  result("fchownat to root", fchownat(fd, "", 0, 0, AT_EMPTY_PATH));
  const struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
  result("utimensat", utimensat(fd, "", times, AT_EMPTY_PATH));
  printf("link mtime: %lld, target mtime: %s\n", lstat(in(rw, "l"), &lst) == 0 ? (long long)lst.st_mtime : -1LL,
         stat(in(rw, "g"), &st) == 0 && st.st_mtime == 1000000000 ? "CHANGED" : "unchanged");

  // Not a directory: nothing is resolved from it.
  result("openat from it", openat(fd, "g", O_RDONLY) < 0 ? -1 : 0);
  result("openat ../ from it", openat(fd, "../g", O_RDONLY) < 0 ? -1 : 0);
  result("fstatat from it", fstatat(fd, "g", &st, 0));
  result("mkdirat from it", mkdirat(fd, "new", 0755));
  result("fchdir to it", fchdir(fd));
  close(fd);

  // A link the rules only let it read: read, never changed.
  const int ro_link = open(in(ro, "link"), O_PATH | O_NOFOLLOW);
  link_text("read-only link readlinkat", ro_link);
  result("read-only link fchownat", fchownat(ro_link, "", (uid_t)-1, (gid_t)-1, AT_EMPTY_PATH));
  result("read-only link utimensat", utimensat(ro_link, "", NULL, AT_EMPTY_PATH));
  close(ro_link);
  // A link to a file outside the rules: its text, as readlink would say;
  // nothing of the file it names.
  const int bad = open(in(ro, "bad"), O_PATH | O_NOFOLLOW);
  link_text("link to the secret readlinkat", bad);
  printf("link to the secret fstat: %s\n", fstat(bad, &st) == 0 ? kind(st.st_mode) : err());
  close(bad);
  result("O_PATH|O_NOFOLLOW of the secret", open(in(ro, "../secret"), O_PATH | O_NOFOLLOW) < 0 ? -1 : 0);

  // Many at once: the trusted process remembers the newest 256.
  enum { kMany = 300 };
  int many[kMany];
  for (int i = 0; i < kMany; ++i) many[i] = open(in(rw, "l"), O_PATH | O_NOFOLLOW);
  int readable = 0, refused = 0;
  for (int i = 0; i < kMany; ++i) {
    char target[16];
    if (readlinkat(many[i], "", target, sizeof(target)) == 1 && target[0] == 'g') ++readable;
    else if (errno == EACCES) ++refused;
    close(many[i]);
  }
  printf("%d links at once: %d readable, %d EACCES\n", kMany, readable, refused);
  return 0;
}
