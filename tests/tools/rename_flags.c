// renameat2's flags under sbx run (run_cases.py rename-flags). The attack:
// RENAME_WHITEOUT leaves a character device 0:0 (a whiteout) where the
// file was, in a directory the program may write, though mknod is never
// brokered. It is refused (EPERM); unknown flags and impossible mixes are
// EINVAL, as the kernel answers; RENAME_NOREPLACE and RENAME_EXCHANGE work.
// One line per step: the result, or the errno's name.
//   usage: rename_flags W        (W an --allow-write directory)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif

static const char* w;
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

static void attempt(const char* what, const char* from, const char* to, unsigned flags) {
  const long rc = syscall(SYS_renameat2, AT_FDCWD, in(from), AT_FDCWD, in(to), flags);
  printf("%s: %s\n", what, rc == 0 ? "ok" : err());
}

static void show(const char* name) {
  struct stat st;
  char text[16] = {0};
  if (lstat(in(name), &st) != 0) {
    printf("%s: %s\n", name, err());
  } else if (S_ISCHR(st.st_mode)) {
    printf("%s: character device %u:%u\n", name, major(st.st_rdev), minor(st.st_rdev));
  } else {
    const int fd = open(in(name), O_RDONLY);
    const ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
    if (fd >= 0) close(fd);
    printf("%s: %s%s\n", name, S_ISREG(st.st_mode) ? "file " : "other ", n > 0 ? text : "");
  }
}

static void make(const char* name, const char* text) {
  const int fd = open(in(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) printf("writing %s: %s\n", name, err());
  if (fd >= 0) close(fd);
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  w = argv[1];
  make("a", "a");
  make("b", "b");
  attempt("RENAME_WHITEOUT a c", "a", "c", RENAME_WHITEOUT);
  show("a");
  show("c");
  attempt("RENAME_WHITEOUT|RENAME_NOREPLACE a c", "a", "c", RENAME_WHITEOUT | RENAME_NOREPLACE);
  show("a");
  attempt("flag 8", "a", "c", 8);
  attempt("flag 1<<31", "a", "c", 1U << 31);
  attempt("RENAME_EXCHANGE|RENAME_NOREPLACE", "a", "b", RENAME_EXCHANGE | RENAME_NOREPLACE);
  attempt("RENAME_EXCHANGE|RENAME_WHITEOUT", "a", "b", RENAME_EXCHANGE | RENAME_WHITEOUT);
  attempt("RENAME_NOREPLACE onto b", "a", "b", RENAME_NOREPLACE);
  attempt("RENAME_EXCHANGE a b", "a", "b", RENAME_EXCHANGE);
  show("a");
  show("b");
  attempt("RENAME_NOREPLACE a c", "a", "c", RENAME_NOREPLACE);
  show("a");
  show("c");
  return 0;
}
