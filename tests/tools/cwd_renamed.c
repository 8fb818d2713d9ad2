// The working directory is a directory, not a name (run_cases.py
// cwd-renamed): renaming it, or putting a symlink where it was, changes
// nothing of where the program is, as natively. The attack: chdir into
// W/d, rename d away and put a symlink d -> HIDDEN (a directory outside the
// rules) there; then fstat of the working directory (newfstatat(AT_FDCWD,
// "", AT_EMPTY_PATH)) must describe the renamed directory, never HIDDEN.
// One line per step: the result, or the errno's name.
//   usage: cwd_renamed W HIDDEN_INODE
// W is an --allow-write directory owned by the program's user; HIDDEN_INODE
// the inode number of HIDDEN, which the program cannot stat itself.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* w;
static unsigned long long hidden_ino;
static char path_bufs[2][4096];
static int path_next;

// W/NAME; the last two stay valid (rename takes two).
static const char* in(const char* name) {
  char* buf = path_bufs[path_next];
  path_next = !path_next;
  snprintf(buf, sizeof(path_bufs[0]), "%s/%s", w, name);
  return buf;
}

static const char* err(void) { return strerrorname_np(errno); }

static void result(const char* what, int rc) { printf("%s: %s\n", what, rc == 0 ? "ok" : err()); }

// Which directory an inode is: W/NAME (the one the program moved), HIDDEN,
// or another.
static const char* which(const char* what, int rc, dev_t dev, ino_t ino, const char* name) {
  static char line[256];
  struct stat st;
  if (rc != 0) return err();
  if (ino == hidden_ino) return "HIDDEN";
  if (stat(in(name), &st) == 0 && st.st_ino == ino && st.st_dev == dev) {
    snprintf(line, sizeof(line), "W/%s", name);
    return line;
  }
  (void)what;
  return "another directory";
}

static void show_cwd(const char* what, const char* name) {
  struct stat st;
  int rc = (int)syscall(SYS_newfstatat, AT_FDCWD, "", &st, AT_EMPTY_PATH);
  printf("%s fstat: %s\n", what, which(what, rc, st.st_dev, st.st_ino, name));
  struct statx sx;
  rc = statx(AT_FDCWD, "", AT_EMPTY_PATH, STATX_INO, &sx);
  printf("%s statx: %s\n", what, which(what, rc, makedev(sx.stx_dev_major, sx.stx_dev_minor), sx.stx_ino, name));
  rc = stat(".", &st);
  printf("%s stat .: %s\n", what, which(what, rc, st.st_dev, st.st_ino, name));
  const int fd = open(".", O_RDONLY | O_DIRECTORY);
  rc = fd < 0 ? -1 : fstat(fd, &st);
  printf("%s open .: %s\n", what, which(what, rc, st.st_dev, st.st_ino, name));
  if (fd >= 0) close(fd);
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == NULL) printf("%s getcwd: %s\n", what, err());
  else
    printf("%s getcwd: %s%s\n", what, strncmp(cwd, w, strlen(w)) == 0 ? "W" : "",
           cwd + (strncmp(cwd, w, strlen(w)) == 0 ? strlen(w) : 0));
}

static void read_file(const char* what, int fd) {
  char text[64] = {0};
  if (fd < 0) {
    printf("%s: %s\n", what, err());
    return;
  }
  const ssize_t n = read(fd, text, sizeof(text) - 1);
  close(fd);
  printf("%s: %s\n", what, n > 0 ? text : "(nothing)");
}

static void write_file(const char* path, const char* text) {
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) printf("writing %s: %s\n", path, err());
  if (fd >= 0) close(fd);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  w = argv[1];
  hidden_ino = strtoull(argv[2], NULL, 10);
  const char* hidden = "../hidden";  // relative to W: the symlinks' text

  // chdir into W/d, then d is renamed away and replaced by a symlink.
  result("mkdir d", mkdir(in("d"), 0755));
  result("chdir d", chdir(in("d")));
  write_file("f", "in d");
  result("rename d e", rename(in("d"), in("e")));
  result("symlink d -> hidden", symlink(hidden, in("d")));
  show_cwd("after the rename", "e");
  read_file("relative open", open("f", O_RDONLY));
  struct open_how how = {O_RDONLY, 0, RESOLVE_BENEATH};
  read_file("relative openat2", (int)syscall(SYS_openat2, AT_FDCWD, "f", &how, sizeof(how)));
  write_file("g", "made");
  struct stat st;
  printf("relative create: %s\n", stat(in("e/g"), &st) == 0 ? "in W/e" : "elsewhere");
  result("mkdir sub", mkdir("sub", 0755));
  result("chdir sub", chdir("sub"));
  show_cwd("in sub", "e/sub");
  result("chdir ..", chdir(".."));
  show_cwd("back", "e");

  // The same through fchdir.
  result("mkdir p", mkdir(in("p"), 0755));
  const int p = open(in("p"), O_RDONLY | O_DIRECTORY);
  result("fchdir p", fchdir(p));
  close(p);
  result("rename p q", rename(in("p"), in("q")));
  result("symlink p -> hidden", symlink(hidden, in("p")));
  show_cwd("after fchdir and rename", "q");

  // A working directory that was removed: nothing is found or made in it.
  result("mkdir gone", mkdir(in("gone"), 0755));
  result("chdir gone", chdir(in("gone")));
  result("rmdir gone", rmdir(in("gone")));
  char cwd[4096];
  printf("removed getcwd: %s\n", getcwd(cwd, sizeof(cwd)) == NULL ? err() : cwd);
  const int made = open("x", O_WRONLY | O_CREAT, 0644);
  printf("removed create: %s\n", made >= 0 ? "ok" : err());
  result("chdir W", chdir(w));
  show_cwd("at W", ".");
  return 0;
}
