// O_PATH opens under sbx run (run_cases.py o-path). One line per open: what
// the descriptor is and what it allows, or the errno's name.
//   usage: o_path_opens RO RW SECRET
// RO is an --allow-read directory holding f, link -> f, bad -> ../secret and
// a FIFO; RW an --allow-write directory holding g and l -> g; SECRET a file
// outside the rules.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char* what, int fd) {
  if (fd < 0) {
    printf("%s: %s\n", what, strerrorname_np(errno));
    return;
  }
  struct stat st;
  const int cloexec = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
  const int writable = (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY;
  const char* kind = fstat(fd, &st) != 0 ? "?" : S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir" : "other";
  printf("%s: %s%s%s\n", what, kind, cloexec ? " cloexec" : "", writable ? " WRITABLE" : "");
  close(fd);
}

static const char* in(const char* dir, const char* name) {
  static char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  return path;
}

static int openat2_path(const char* path, unsigned long long flags, unsigned long long resolve) {
  struct open_how how = {.flags = flags, .resolve = resolve};
  return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const char *ro = argv[1], *rw = argv[2], *secret = argv[3];
  show("file", open(in(ro, "f"), O_PATH));
  show("file O_CLOEXEC", open(in(ro, "f"), O_PATH | O_CLOEXEC));
  show("dir", open(ro, O_PATH | O_DIRECTORY));
  show("file O_DIRECTORY", open(in(ro, "f"), O_PATH | O_DIRECTORY));
  show("symlink followed", open(in(ro, "link"), O_PATH));
  show("symlink itself", open(in(ro, "link"), O_PATH | O_NOFOLLOW));
  show("fifo", open(in(ro, "fifo"), O_PATH));
  // O_PATH ignores the other flags: nothing written, truncated or created.
  show("read rule O_RDWR", open(in(ro, "f"), O_PATH | O_RDWR));
  show("read rule O_WRONLY|O_TRUNC", open(in(ro, "f"), O_PATH | O_WRONLY | O_TRUNC));
  show("missing O_CREAT", open(in(ro, "new"), O_PATH | O_CREAT, 0644));
  show("write rule O_RDWR", open(in(rw, "g"), O_PATH | O_RDWR));
  show("secret", open(secret, O_PATH));
  show("symlink to the secret", open(in(ro, "bad"), O_PATH));
  show("openat2", openat2_path(in(ro, "f"), O_PATH | O_CLOEXEC, 0));
  show("openat2 RESOLVE_NO_SYMLINKS", openat2_path(in(ro, "f"), O_PATH, RESOLVE_NO_SYMLINKS));
  show("openat2 O_PATH|O_RDWR", openat2_path(in(ro, "f"), O_PATH | O_RDWR, 0));
  const int d = open(ro, O_PATH | O_DIRECTORY);
  show("openat from an O_PATH dir", openat(d, "f", O_RDONLY));
  show("openat O_PATH from an O_PATH dir", openat(d, "link", O_PATH));
  close(d);
  // glibc's lchmod: an O_PATH|O_NOFOLLOW open, then "not supported" for a symlink.
  printf("lchmod of a symlink: %s\n",
         fchmodat(AT_FDCWD, in(rw, "l"), 0600, AT_SYMLINK_NOFOLLOW) == 0 ? "ok" : strerrorname_np(errno));
  return 0;
}
