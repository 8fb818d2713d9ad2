/* O_PATH opens of allowed paths, as glibc (lchmod, realpath helpers) and
 * tar x of symlinks use them; and an O_PATH open of the secret, which the
 * rules do not allow.
 *   opath DIR    DIR holds file.txt ("opath file"), link -> file.txt
 * Prints one line per step; "main: ran" comes last. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attack.h"

static char path[600];

static const char* in(const char* dir, const char* name) {
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  return path;
}

static const char* kind(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return strerror(errno);
  return S_ISREG(st.st_mode)   ? "regular file"
         : S_ISDIR(st.st_mode) ? "directory"
         : S_ISLNK(st.st_mode) ? "symlink"
                               : "other";
}

static void read_fd(const char* what, int fd) {
  char buf[256] = {0};
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (n < 0) {
    printf("%s: %s\n", what, strerror(errno));
    return;
  }
  buf[strcspn(buf, "\n")] = '\0';
  printf("%s: %s\n", what, buf);
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const char* dir = argv[1];
  hx_attack("main");

  int fd = open(in(dir, "file.txt"), O_PATH);
  printf("O_PATH file: %s\n", fd >= 0 ? kind(fd) : strerror(errno));

  int dfd = open(dir, O_PATH | O_DIRECTORY);
  printf("O_PATH directory: %s\n", dfd >= 0 ? kind(dfd) : strerror(errno));
  int f = dfd >= 0 ? openat(dfd, "file.txt", O_RDONLY) : -1;
  read_fd("openat from the O_PATH directory", f);
  if (f >= 0) close(f);

  int lfd = open(in(dir, "link"), O_PATH | O_NOFOLLOW);
  printf("O_PATH|O_NOFOLLOW symlink: %s\n", lfd >= 0 ? kind(lfd) : strerror(errno));
  char target[256] = {0};
  ssize_t n = lfd >= 0 ? readlinkat(lfd, "", target, sizeof(target) - 1) : -1;
  printf("readlinkat of it: %s\n", n >= 0 ? target : strerror(errno));

  /* The secret: not in the rules, so not even an O_PATH descriptor; and if
   * there were one, nothing read through it. */
  int sfd = open(SECRET_PATH, O_PATH);
  printf("O_PATH secret: %s\n", sfd >= 0 ? "OPENED" : "refused");
  if (sfd >= 0) {
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", sfd);
    int r = open(proc, O_RDONLY);
    read_fd("reopened through /proc", r);
    if (r >= 0) printf("reopened: LEAK\n");
  }
  /* From the allowed directory's O_PATH descriptor, up and over. */
  char relative[600] = "";
  for (const char* p = dir; *p; ++p)
    if (*p == '/') strcat(relative, "../");
  strcat(relative, SECRET_PATH + 1);
  int up = dfd >= 0 ? openat(dfd, relative, O_RDONLY) : -1;
  if (up >= 0) read_fd("secret from the O_PATH directory: LEAK", up);
  else printf("secret from the O_PATH directory: refused\n");
  printf("main: ran\n");
  return 0;
}
