// /proc/self/fd/N under sbx run (run_cases.py proc-self-fd): inside the
// sandbox there is no /proc, but glibc itself names descriptors that way
// (lchmod, fchmodat(AT_SYMLINK_NOFOLLOW)). Such a path means the program's
// descriptor N, and gives exactly what the rules give for the file it is.
// One line per step: the result, or the errno's name.
//   usage: proc_self_fd RO RW FD
// RO is an --allow-read directory holding f; RW an --allow-write directory,
// owned by the program's user, holding g, l -> g and the directory sub; FD
// a descriptor the program inherited, open for reading on a file outside
// the rules that its user owns (natively it could reopen it for writing,
// or chmod it).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path_buf[4096];

static const char* in(const char* dir, const char* name) {
  snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
  return path_buf;
}

static char proc_buf[64];

static const char* proc(int fd) {
  snprintf(proc_buf, sizeof(proc_buf), "/proc/self/fd/%d", fd);
  return proc_buf;
}

static const char* err(void) { return strerrorname_np(errno); }

static void result(const char* what, int rc) { printf("%s: %s\n", what, rc == 0 ? "ok" : err()); }

static const char* kind(mode_t mode) {
  return S_ISLNK(mode) ? "symlink" : S_ISREG(mode) ? "file" : S_ISDIR(mode) ? "dir" : S_ISFIFO(mode) ? "fifo" : "other";
}

// An open of path: what the new descriptor is and allows.
static void reopen(const char* what, const char* path, int flags) {
  const int fd = open(path, flags);
  if (fd < 0) {
    printf("%s: %s\n", what, err());
    return;
  }
  struct stat st;
  const int acc = fcntl(fd, F_GETFL) & O_ACCMODE;
  printf("%s: %s %s\n", what, fstat(fd, &st) == 0 ? kind(st.st_mode) : err(),
         acc == O_RDONLY   ? "read-only"
         : acc == O_WRONLY ? "write-only"
                           : "read-write");
  close(fd);
}

// stat of path against fstat of fd.
static void same(const char* what, const char* path, int fd) {
  struct stat a, b;
  if (stat(path, &a) != 0) {
    printf("%s: %s\n", what, err());
    return;
  }
  printf("%s: %s, %s\n", what, kind(a.st_mode),
         fstat(fd, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "same inode" : "ANOTHER inode");
}

// readlink of path: whose path it says, by name.
static void link_of(const char* what, const char* path, const char* expected, const char* name) {
  char target[4096] = {0};
  const ssize_t n = readlink(path, target, sizeof(target) - 1);
  printf("%s: %s\n", what, n < 0 ? err() : strcmp(target, expected) == 0 ? name : target);
}

static int mode_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const char *ro = argv[1], *rw = argv[2];
  const int inherited = atoi(argv[3]);
  char expected[4096];
  const struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};

  // A file the rules let it write, held open for reading.
  const int g = open(in(rw, "g"), O_RDONLY);
  snprintf(expected, sizeof(expected), "%s/g", rw);
  result("chmod", chmod(proc(g), 0600));
  printf("mode: %o\n", mode_of(g));
  char thread_self[64];
  snprintf(thread_self, sizeof(thread_self), "/proc/thread-self/fd/%d", g);
  result("fchmodat thread-self", fchmodat(AT_FDCWD, thread_self, 0640, 0));
  printf("mode: %o\n", mode_of(g));
  result("chmod set-user-ID", chmod(proc(g), 04755));
  // glibc's lchmod: an O_PATH|O_NOFOLLOW open, then chmod of /proc/self/fd/N.
  result("lchmod g", fchmodat(AT_FDCWD, in(rw, "g"), 0604, AT_SYMLINK_NOFOLLOW));
  printf("mode: %o\n", mode_of(g));
  result("lchmod l", fchmodat(AT_FDCWD, in(rw, "l"), 0600, AT_SYMLINK_NOFOLLOW));
  result("chown", chown(proc(g), getuid(), getgid()));
  result("utimensat", utimensat(AT_FDCWD, proc(g), times, 0));
  struct stat st;
  printf("mtime: %lld\n", fstat(g, &st) == 0 ? (long long)st.st_mtime : -1LL);
  same("stat", proc(g), g);
  result("access W_OK", access(proc(g), W_OK));
  link_of("readlink", proc(g), expected, "RW/g");
  reopen("reopen O_RDWR", proc(g), O_RDWR);
  char normalised[64];
  snprintf(normalised, sizeof(normalised), "/proc/self/./fd/../fd/%d", g);
  reopen("reopen through a normalised path", normalised, O_RDONLY);
  result("reopen O_CREAT|O_EXCL", open(proc(g), O_WRONLY | O_CREAT | O_EXCL, 0600) < 0 ? -1 : 0);
  close(g);

  // A file the rules only let it read.
  const int f = open(in(ro, "f"), O_RDONLY);
  snprintf(expected, sizeof(expected), "%s/f", ro);
  reopen("read-only file reopen O_RDONLY", proc(f), O_RDONLY);
  reopen("read-only file reopen O_RDWR", proc(f), O_RDWR);
  reopen("read-only file reopen O_WRONLY|O_TRUNC", proc(f), O_WRONLY | O_TRUNC);
  result("read-only file chmod", chmod(proc(f), 0666));
  result("read-only file utimensat", utimensat(AT_FDCWD, proc(f), NULL, 0));
  result("read-only file access R_OK", access(proc(f), R_OK));
  result("read-only file access W_OK", access(proc(f), W_OK));
  same("read-only file stat", proc(f), f);
  link_of("read-only file readlink", proc(f), expected, "RO/f");
  close(f);

  // A directory: reopened, and a base for nothing more than the rules give.
  const int d = open(in(rw, "sub"), O_PATH | O_DIRECTORY);
  reopen("directory reopen", proc(d), O_RDONLY | O_DIRECTORY);
  result("directory chmod", chmod(proc(d), 0700));
  result("chdir to the directory", chdir(proc(d)));
  char cwd[4096];
  snprintf(expected, sizeof(expected), "%s/sub", rw);
  printf("getcwd: %s\n", getcwd(cwd, sizeof(cwd)) == NULL ? err() : strcmp(cwd, expected) == 0 ? "RW/sub" : cwd);
  close(d);

  // The descriptor it inherited of a file outside the rules: readable, as
  // given; nothing more through /proc.
  char byte;
  printf("inherited read: %s\n", pread(inherited, &byte, 1, 0) == 1 ? "ok" : err());
  same("inherited stat", proc(inherited), inherited);
  reopen("inherited reopen O_RDONLY", proc(inherited), O_RDONLY);
  reopen("inherited reopen O_RDWR", proc(inherited), O_RDWR);
  result("inherited chmod", chmod(proc(inherited), 0666));
  result("inherited chown", chown(proc(inherited), getuid(), getgid()));
  result("inherited utimensat", utimensat(AT_FDCWD, proc(inherited), times, 0));
  result("inherited access", access(proc(inherited), R_OK));
  link_of("inherited readlink", proc(inherited), "", "");

  // A pipe: no file of the rules.
  int p[2];
  if (pipe(p) != 0) return 1;
  same("pipe stat", proc(p[0]), p[0]);
  reopen("pipe reopen", proc(p[0]), O_RDONLY | O_NONBLOCK);
  result("pipe chmod", chmod(proc(p[0]), 0666));

  // An O_PATH descriptor of a symlink: the link itself, never followed again.
  const int l = open(in(rw, "l"), O_PATH | O_NOFOLLOW);
  snprintf(expected, sizeof(expected), "%s/l", rw);
  same("symlink stat", proc(l), l);
  link_of("symlink readlink", proc(l), expected, "RW/l");
  reopen("symlink reopen O_RDONLY", proc(l), O_RDONLY);
  const int again = open(proc(l), O_PATH);
  printf("symlink reopen O_PATH: %s\n", again < 0 ? err() : fstat(again, &st) == 0 ? kind(st.st_mode) : err());
  close(l);

  // Names that are not exactly /proc/self/fd/N.
  result("not open", access("/proc/self/fd/999", F_OK));
  snprintf(path_buf, sizeof(path_buf), "/proc/self/fd/%llu", 4294967296ULL + (unsigned long long)inherited);
  result("a number past int", access(path_buf, F_OK));
  snprintf(path_buf, sizeof(path_buf), "/proc/self/fd/0%d", inherited);
  result("a leading zero", access(path_buf, F_OK));
  snprintf(path_buf, sizeof(path_buf), "/proc/self/fd/%d/x", inherited);
  result("a component after it", access(path_buf, F_OK));
  snprintf(path_buf, sizeof(path_buf), "/proc/1/fd/%d", inherited);
  result("another process's", access(path_buf, F_OK));
  return 0;
}
