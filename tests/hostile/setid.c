/* Set-user-ID and set-group-ID bits on files the program creates or changes
 * in its --allow-write directory W, by every call that takes a mode. The
 * test then looks at W from the host: no file may have either bit. Each
 * call prints one line with its result; "main: ran" comes last.
 *   setid W */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attack.h"

static char path[600];
static const char* W;

static const char* at(const char* name) {
  snprintf(path, sizeof(path), "%s/%s", W, name);
  return path;
}

static void report(const char* what, long rc) { printf("%s: %s\n", what, rc >= 0 ? "done" : strerror(errno)); }

static long closed(long fd) {
  if (fd >= 0) close((int)fd);
  return fd;
}

/* A plain file (or directory) to change the mode of afterwards. */
static void plain(const char* name, int dir) {
  if (dir) mkdir(at(name), 0755);
  else closed(open(at(name), O_WRONLY | O_CREAT | O_EXCL, 0755));
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  W = argv[1];
  hx_attack("main");
  umask(0);
  int dir = open(W, O_RDONLY | O_DIRECTORY);

  /* At creation. */
  report("open O_CREAT 04755", closed(open(at("open"), O_WRONLY | O_CREAT | O_EXCL, 04755)));
  report("open O_CREAT 02755", closed(open(at("open-sgid"), O_WRONLY | O_CREAT | O_EXCL, 02755)));
  report("creat 04755", closed(creat(at("creat"), 04755)));
  report("openat O_CREAT 06755", closed(openat(dir, "openat", O_WRONLY | O_CREAT | O_EXCL, 06755)));
  struct open_how how = {.flags = O_WRONLY | O_CREAT | O_EXCL, .mode = 06755};
  errno = 0;
  long rc = syscall(SYS_openat2, AT_FDCWD, at("openat2"), &how, sizeof(how));
  report("openat2 O_CREAT 06755", closed(rc));
  report("openat2 relative O_CREAT 04755",
         closed(syscall(SYS_openat2, dir, "openat2-rel", &(struct open_how){.flags = O_WRONLY | O_CREAT, .mode = 04755},
                        sizeof(struct open_how))));
  report("mknod S_IFREG|04755", mknod(at("mknod"), S_IFREG | 04755, 0));
  report("mknodat S_IFREG|02755", mknodat(dir, "mknodat", S_IFREG | 02755, 0));
  /* mkdir takes no set-user-ID bit and, natively, no set-group-ID bit from
   * its mode either (only from a set-group-ID parent, which W is not). */
  report("mkdir 02755", mkdir(at("mkdir"), 02755));
  report("mkdirat 06755", mkdirat(dir, "mkdirat", 06755));

  /* Changed afterwards. */
  plain("chmod", 0);
  report("chmod 04755", chmod(at("chmod"), 04755));
  plain("chmod-sgid", 0);
  report("chmod 02755", chmod(at("chmod-sgid"), 02755));
  plain("fchmod", 0);
  int fd = open(at("fchmod"), O_RDONLY);
  report("fchmod 02755", fd < 0 ? -1 : fchmod(fd, 02755));
  if (fd >= 0) close(fd);
  plain("fchmod-w", 0);
  fd = open(at("fchmod-w"), O_WRONLY);
  report("fchmod 04755 (open for writing)", fd < 0 ? -1 : fchmod(fd, 04755));
  if (fd >= 0) close(fd);
  plain("fchmodat", 0);
  report("fchmodat 06755", fchmodat(AT_FDCWD, at("fchmodat"), 06755, 0));
  plain("fchmodat-rel", 0);
  report("fchmodat relative 04755", fchmodat(dir, "fchmodat-rel", 04755, 0));
  plain("fchmodat2", 0);
  report("fchmodat2 04755", syscall(452 /* fchmodat2 */, AT_FDCWD, at("fchmodat2"), 04755, 0));
  plain("dir-chmod", 1);
  report("chmod directory 02755", chmod(at("dir-chmod"), 02755));
  plain("dir-fchmodat", 1);
  report("fchmodat directory 06755", fchmodat(AT_FDCWD, at("dir-fchmodat"), 06755, 0));
  plain("dir-fchmod", 1);
  fd = open(at("dir-fchmod"), O_RDONLY | O_DIRECTORY);
  report("fchmod directory 02755", fd < 0 ? -1 : fchmod(fd, 02755));
  if (fd >= 0) close(fd);
  /* Created, then the bit set through the descriptor it was created with. */
  fd = open(at("created-fchmod"), O_WRONLY | O_CREAT | O_EXCL, 0755);
  report("fchmod of a new file 04755", fd < 0 ? -1 : fchmod(fd, 04755));
  if (fd >= 0) close(fd);
  printf("main: ran\n");
  return 0;
}
