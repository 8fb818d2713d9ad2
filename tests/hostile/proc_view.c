/* The program's own /proc and the answers of refusals, attacked: a program
 * started in the secret's directory (outside every rule) with an
 * --allow-write directory ALLOWED_DIR tries to reach the secret, or another
 * process, or to learn whether host files exist, through
 *   - /proc/self/cwd, /proc/self/root, /proc/thread-self, /proc/self/task/TID,
 *     /proc/<its PID>, /proc/self/fd/N/..., in every spelling;
 *   - /proc/1 and the other PIDs of the sandbox, and /proc/self/task of
 *     another thread;
 *   - the directory /proc/self/fd as a base (openat, fchdir);
 *   - symlinks it plants in ALLOWED_DIR leading into /proc;
 *   - writes, removals and renames of its /proc entries;
 *   - a thread flipping the path between /proc/self/status and
 *     /proc/self/root/SECRET while the main thread opens it;
 *   - the answers (ENOENT, EACCES...) for paths outside the rules that exist
 *     and that do not, by every call and through planted links.
 * One line per attempt: "NAME: ANSWER", the answer an errno's name or "ok";
 * "LEAK ..." if the secret's text came back, "DIFFERENT ..." if an answer
 * depends on whether a hidden path exists, "OTHER ..." if something of
 * another process was read. "main: ran" comes last. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attack.h"

#ifndef ALLOWED_DIR
#error "compile with -DALLOWED_DIR=\"...\""
#endif

static char secret_dir[256], secret_name[256];

static const char* answer(long rc) { return rc >= 0 ? "ok" : strerrorname_np(errno); }

/* Reads what path opens to; reports the secret's text as a LEAK. */
static void try_read(const char* what, const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s: %s\n", what, strerrorname_np(errno));
    return;
  }
  char buf[4096] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n > 0 && strstr(buf, "sbx-hostile-secret-") != NULL) {
    buf[strcspn(buf, "\n")] = '\0';
    printf("%s: LEAK %s\n", what, buf);
  } else {
    printf("%s: ok\n", what);
  }
}

static void try_write(const char* what, const char* path) {
  int fd = open(path, O_WRONLY);
  printf("%s: %s\n", what, answer(fd));
  if (fd >= 0) close(fd);
}

/* Anything of a process but the caller's own is OTHER. */
static void try_other(const char* what, const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s: %s\n", what, strerrorname_np(errno));
    return;
  }
  char buf[512] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  buf[strcspn(buf, "\n")] = '\0';
  printf("%s: OTHER %zd bytes: %s\n", what, n, buf);
}

static char text[4096];

static const char* link_text(const char* path) {
  ssize_t n = readlink(path, text, sizeof(text) - 1);
  if (n < 0) return strerrorname_np(errno);
  text[n] = '\0';
  return text;
}

/* --- the existence oracle ----------------------------------------------- */

typedef long (*Call)(const char* path);
static struct stat st;
static long c_stat(const char* p) { return stat(p, &st); }
static long c_lstat(const char* p) { return lstat(p, &st); }
static long c_access(const char* p) { return access(p, F_OK); }
static long c_access_w(const char* p) { return access(p, W_OK); }
static long c_open(const char* p) {
  int fd = open(p, O_RDONLY);
  if (fd >= 0) close(fd);
  return fd;
}
static long c_open_path(const char* p) {
  int fd = open(p, O_PATH);
  if (fd >= 0) close(fd);
  return fd;
}
static long c_open_write(const char* p) {
  int fd = open(p, O_WRONLY);
  if (fd >= 0) close(fd);
  return fd;
}
static long c_open_creat(const char* p) {
  int fd = open(p, O_WRONLY | O_CREAT, 0600);
  if (fd >= 0) close(fd);
  return fd;
}
static long c_open_excl(const char* p) {
  int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd >= 0) close(fd);
  return fd;
}
static long c_readlink(const char* p) { return readlink(p, text, sizeof(text)); }
static long c_chdir(const char* p) {
  long rc = chdir(p);
  if (chdir(ALLOWED_DIR) != 0) exit(3);
  return rc;
}
static long c_mkdir(const char* p) { return mkdir(p, 0700); }
static long c_unlink(const char* p) { return unlink(p); }
static long c_rmdir(const char* p) { return rmdir(p); }
static long c_chmod(const char* p) { return chmod(p, 0600); }
static long c_rename_from(const char* p) { return rename(p, ALLOWED_DIR "/renamed"); }
static long c_rename_to(const char* p) {
  int fd = open(ALLOWED_DIR "/to-rename", O_WRONLY | O_CREAT, 0600);
  if (fd >= 0) close(fd);
  return rename(ALLOWED_DIR "/to-rename", p);
}
static long c_symlink_at(const char* p) { return symlink("x", p); }
static long c_opendir(const char* p) {
  DIR* d = opendir(p);
  if (d == NULL) return -1;
  closedir(d);
  return 0;
}

/* Each call, and whether it follows a last symlink (through a planted
 * link only those are asked: the others act on the link itself). */
static const struct {
  const char* name;
  Call call;
  int follows;
} kCalls[] = {
    {"stat", c_stat, 1},
    {"lstat", c_lstat, 0},
    {"access", c_access, 1},
    {"access W_OK", c_access_w, 1},
    {"open", c_open, 1},
    {"open O_PATH", c_open_path, 1},
    {"open O_WRONLY", c_open_write, 1},
    {"open O_CREAT", c_open_creat, 1},
    {"open O_CREAT|O_EXCL", c_open_excl, 0},
    {"readlink", c_readlink, 0},
    {"chdir", c_chdir, 1},
    {"opendir", c_opendir, 1},
    {"chmod", c_chmod, 1},
    {"mkdir", c_mkdir, 0},
    {"rmdir", c_rmdir, 0},
    {"unlink", c_unlink, 0},
    {"rename from", c_rename_from, 0},
    {"rename to", c_rename_to, 0},
    {"symlink at", c_symlink_at, 0},
};

/* Each call on a hidden path that exists and on one that does not, in the
 * same directory: the answers must be the same. */
static void oracle(const char* what, const char* there, const char* missing, int links) {
  for (size_t i = 0; i < sizeof(kCalls) / sizeof(kCalls[0]); ++i) {
    if (links && !kCalls[i].follows) continue;
    errno = 0;
    long a = kCalls[i].call(there);
    const char* x = a >= 0 ? "ok" : strerrorname_np(errno);
    errno = 0;
    long b = kCalls[i].call(missing);
    const char* y = b >= 0 ? "ok" : strerrorname_np(errno);
    if (strcmp(x, y) != 0) printf("oracle %s %s: DIFFERENT %s %s\n", what, kCalls[i].name, x, y);
    else printf("oracle %s %s: %s\n", what, kCalls[i].name, x);
  }
}

/* --- the race ------------------------------------------------------------ */

static char race_path[512];
static volatile int stop;

static void* flipper(void* arg) {
  (void)arg;
  static char a[512], b[512];
  snprintf(a, sizeof(a), "/proc/self/status");
  snprintf(b, sizeof(b), "/proc/self/root%s", SECRET_PATH);
  /* Each spelling stays a while: the opens see both, and torn mixtures. */
  while (!stop) {
    memcpy(race_path, a, sizeof(a));
    for (volatile int i = 0; i < 20000; ++i) {}
    memcpy(race_path, b, sizeof(b));
    for (volatile int i = 0; i < 2000; ++i) {}
  }
  return NULL;
}

int main(void) {
  char path[1024];
  strcpy(secret_dir, SECRET_PATH);
  *strrchr(secret_dir, '/') = '\0';
  strcpy(secret_name, strrchr(SECRET_PATH, '/') + 1);
  hx_attack("main");
  const pid_t pid = getpid();

  /* The working directory is the secret's (sbx run was started there). */
  printf("getcwd is the secret's directory: %s\n",
         getcwd(path, sizeof(path)) && !strcmp(path, secret_dir) ? "yes" : "no");
  printf("readlink /proc/self/cwd is it: %s\n", !strcmp(link_text("/proc/self/cwd"), secret_dir) ? "yes" : "no");
  try_read("relative", secret_name);
  snprintf(path, sizeof(path), "/proc/self/cwd/%s", secret_name);
  try_read("/proc/self/cwd/SECRET", path);
  snprintf(path, sizeof(path), "/proc/thread-self/cwd/%s", secret_name);
  try_read("/proc/thread-self/cwd/SECRET", path);
  snprintf(path, sizeof(path), "/proc/%d/cwd/%s", pid, secret_name);
  try_read("/proc/PID/cwd/SECRET", path);
  snprintf(path, sizeof(path), "/proc/self/task/%d/cwd/%s", gettid(), secret_name);
  try_read("/proc/self/task/TID/cwd/SECRET", path);
  snprintf(path, sizeof(path), "/proc/self/cwd/./%s", secret_name);
  try_read("/proc/self/cwd/./SECRET", path);
  try_read("/proc/self/cwd/../secret/SECRET (lexical ..)", "/proc/self/cwd/../secret/secret.txt");
  printf("stat /proc/self/cwd: %s\n", answer(stat("/proc/self/cwd", &st)));
  printf("opendir /proc/self/cwd: %s\n", answer(c_opendir("/proc/self/cwd")));
  printf("chdir /proc/self/cwd: %s\n", answer(chdir("/proc/self/cwd")));

  /* /proc/self/root: "/" by the rules. */
  snprintf(path, sizeof(path), "/proc/self/root%s", SECRET_PATH);
  try_read("/proc/self/root/SECRET", path);
  snprintf(path, sizeof(path), "/proc/self/root/proc/self/root/proc/thread-self/root%s", SECRET_PATH);
  try_read("/proc/self/root x3 /SECRET", path);
  snprintf(path, sizeof(path), "/proc/%d/root%s", pid, SECRET_PATH);
  try_read("/proc/PID/root/SECRET", path);
  printf("readlink /proc/self/root: %s\n", link_text("/proc/self/root"));
  try_read("/proc/self/root/etc/passwd (allowed)", "/proc/self/root/etc/passwd");
  try_read("/proc/self/root/etc/shadow", "/proc/self/root/etc/shadow");

  /* Other processes: PID 1 is the sandbox's init, PID 2 and up are
   * processes of the sandbox; none is the caller's to read. */
  for (int other = 1; other <= 64; ++other) {
    if (other == pid) continue;
    snprintf(path, sizeof(path), "/proc/%d/status", other);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
      close(fd);
      printf("/proc/%d/status: OTHER readable\n", other);
    }
  }
  try_other("/proc/1/status", "/proc/1/status");
  try_other("/proc/1/cmdline", "/proc/1/cmdline");
  snprintf(path, sizeof(path), "/proc/1/root%s", SECRET_PATH);
  try_read("/proc/1/root/SECRET", path);
  snprintf(path, sizeof(path), "/proc/1/cwd/%s", secret_name);
  try_read("/proc/1/cwd/SECRET", path);
  try_other("/proc/self/task/1/status", "/proc/self/task/1/status");
  try_other("/proc/thread-self/task/1/status", "/proc/thread-self/task/1/status");
  try_other("/proc/1/task/1/status", "/proc/1/task/1/status");
  printf("opendir /proc: %s\n", answer(c_opendir("/proc")));
  printf("opendir /proc/self/task: %s\n", answer(c_opendir("/proc/self/task")));
  printf("opendir /proc/self: %s\n", answer(c_opendir("/proc/self")));
  try_other("/proc/self/environ", "/proc/self/environ");
  try_other("/proc/self/mountinfo", "/proc/self/mountinfo");
  try_other("/proc/self/cgroup", "/proc/self/cgroup");
  try_other("/proc/self/mem", "/proc/self/mem");
  try_other("/proc/sys/kernel/hostname", "/proc/sys/kernel/hostname");
  try_other("/proc/self/status/x", "/proc/self/status/x");
  try_other("/proc/self/exe/x", "/proc/self/exe/x");

  /* Its own entries are its own: NSpid ends with its own PID, also in a child. */
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  int own = 0;
  while (f != NULL && fgets(line, sizeof(line), f) != NULL)
    if (!strncmp(line, "NSpid:", 6)) own = atoi(strrchr(line, '\t') + 1) == pid;
  if (f != NULL) fclose(f);
  printf("own status: %s\n", own ? "yes" : "no");
  pid_t child = fork();
  if (child == 0) {
    FILE* g = fopen("/proc/self/status", "r");
    int mine = 0;
    while (g != NULL && fgets(line, sizeof(line), g) != NULL)
      if (!strncmp(line, "NSpid:", 6)) mine = atoi(strrchr(line, '\t') + 1) == getpid();
    _exit(mine ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("a child's own status: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");

  /* Writing, removing, renaming its entries. */
  try_write("write /proc/self/comm", "/proc/self/comm");
  try_write("write /proc/self/status", "/proc/self/status");
  try_write("write /proc/self/exe", "/proc/self/exe");
  printf("chmod /proc/self/status: %s\n", answer(chmod("/proc/self/status", 0666)));
  printf("unlink /proc/self/status: %s\n", answer(unlink("/proc/self/status")));
  printf("rename /proc/self/maps: %s\n", answer(rename("/proc/self/maps", ALLOWED_DIR "/maps")));
  printf("symlink at /proc/self/x: %s\n", answer(symlink("x", "/proc/self/x")));
  printf("mkdir /proc/self/cwd/new: %s\n", answer(mkdir("/proc/self/cwd/new", 0700)));
  printf("mkdir /proc/self/root/new: %s\n", answer(mkdir("/proc/self/root/new", 0700)));

  /* /proc/self/fd: a directory listing, and a base that leads nowhere. */
  int fds = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
  printf("open /proc/self/fd: %s\n", answer(fds));
  if (fds >= 0) {
    snprintf(path, sizeof(path), "../root%s", SECRET_PATH);
    int fd = openat(fds, path, O_RDONLY);
    printf("openat(fd dir, ../root/SECRET): %s\n", answer(fd));
    if (fd >= 0) close(fd);
    snprintf(path, sizeof(path), "../cwd/%s", secret_name);
    fd = openat(fds, path, O_RDONLY);
    printf("openat(fd dir, ../cwd/SECRET): %s\n", answer(fd));
    if (fd >= 0) close(fd);
    fd = openat(fds, "../status", O_RDONLY);
    printf("openat(fd dir, ../status): %s\n", answer(fd));
    if (fd >= 0) close(fd);
    fd = openat(fds, "../../1/status", O_RDONLY);
    printf("openat(fd dir, ../../1/status): %s\n", answer(fd));
    if (fd >= 0) close(fd);
    fd = openat(fds, "0", O_RDONLY);
    printf("openat(fd dir, 0): %s\n", answer(fd));
    if (fd >= 0) close(fd);
    /* As the working directory (the shim's chdir opens through the trusted process; fchdir is the kernel's). */
    if (fchdir(fds) == 0) {
      snprintf(path, sizeof(path), "../cwd/%s", secret_name);
      try_read("after fchdir to /proc/self/fd, ../cwd/SECRET", path);
      snprintf(path, sizeof(path), "../root%s", SECRET_PATH);
      try_read("after fchdir to /proc/self/fd, ../root/SECRET", path);
      try_other("after fchdir to /proc/self/fd, ../../1/status", "../../1/status");
      if (chdir(ALLOWED_DIR) != 0) return 3;
    } else {
      printf("fchdir to /proc/self/fd: %s\n", strerrorname_np(errno));
    }
    close(fds);
  }
  printf("chdir /proc/self/fd: %s\n", answer(chdir("/proc/self/fd")));
  if (chdir(ALLOWED_DIR) != 0) return 3;

  /* /proc/self/fd/N/NAME: in the directory N is, by the rules. */
  int allowed = open(ALLOWED_DIR, O_RDONLY | O_DIRECTORY);
  int start = open(secret_dir, O_PATH | O_DIRECTORY); /* refused: outside the rules */
  printf("open the secret's directory: %s\n", answer(start));
  symlink(SECRET_PATH, ALLOWED_DIR "/to-secret");
  snprintf(path, sizeof(path), "/proc/self/fd/%d/to-secret", allowed);
  try_read("/proc/self/fd/N/link-to-SECRET", path);
  snprintf(path, sizeof(path), "/proc/self/fd/%d/../secret/%s", allowed, secret_name);
  try_read("/proc/self/fd/N/../secret/SECRET", path);
  snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", 0, secret_name);
  try_read("/proc/self/fd/0/SECRET", path);

  /* Symlinks into /proc, planted where it may write. */
  snprintf(path, sizeof(path), "/proc/self/root%s", SECRET_PATH);
  symlink(path, ALLOWED_DIR "/p-root");
  snprintf(path, sizeof(path), "/proc/self/cwd/%s", secret_name);
  symlink(path, ALLOWED_DIR "/p-cwd");
  symlink("/proc/self", ALLOWED_DIR "/p-self");
  symlink("/proc/1", ALLOWED_DIR "/p-init");
  symlink("/proc/self/status", ALLOWED_DIR "/p-status");
  snprintf(path, sizeof(path), "/proc/%d/root%s", pid, SECRET_PATH);
  symlink(path, ALLOWED_DIR "/p-pid-root");
  try_read("link to /proc/self/root/SECRET", ALLOWED_DIR "/p-root");
  try_read("link to /proc/self/cwd/SECRET", ALLOWED_DIR "/p-cwd");
  snprintf(path, sizeof(path), ALLOWED_DIR "/p-self/root%s", SECRET_PATH);
  try_read("link to /proc/self, then root/SECRET", path);
  snprintf(path, sizeof(path), ALLOWED_DIR "/p-self/cwd/%s", secret_name);
  try_read("link to /proc/self, then cwd/SECRET", path);
  try_other("link to /proc/1, then status", ALLOWED_DIR "/p-init/status");
  snprintf(path, sizeof(path), ALLOWED_DIR "/p-init/root%s", SECRET_PATH);
  try_read("link to /proc/1, then root/SECRET", path);
  try_other("link to /proc/self/status", ALLOWED_DIR "/p-status");
  try_read("link to /proc/PID/root/SECRET", ALLOWED_DIR "/p-pid-root");
  printf("readlink through a link to /proc/self: %s\n", link_text(ALLOWED_DIR "/p-self/cwd"));

  /* The race: the path flips between /proc/self/status and
   * /proc/self/root/SECRET while it is opened. */
  pthread_t t;
  long leaks = 0, opened = 0;
  snprintf(race_path, sizeof(race_path), "/proc/self/status");
  if (pthread_create(&t, NULL, flipper, NULL) == 0) {
    for (int i = 0; i < 5000; ++i) {
      int fd = open(race_path, O_RDONLY);
      if (fd < 0) continue;
      ++opened;
      char buf[4096] = {0};
      ssize_t n = read(fd, buf, sizeof(buf) - 1);
      close(fd);
      if (n > 0 && strstr(buf, "sbx-hostile-secret-") != NULL) {
        buf[strcspn(buf, "\n")] = '\0';
        printf("race: LEAK %s\n", buf);
        ++leaks;
        break;
      }
    }
    stop = 1;
    pthread_join(t, NULL);
    printf("race: %ld opens, %ld leaked\n", opened, leaks);
  }

  /* Whether host paths exist: the secret (there) against a name beside it
   * (not there), and the same through links it planted; the secret's
   * directory's parent, on the way to ALLOWED_DIR or not, and /etc (on the
   * way to the default policy's files) against a file and a name not there. */
  char missing[600];
  snprintf(missing, sizeof(missing), "%s/missing.txt", secret_dir);
  oracle("secret", SECRET_PATH, missing, 0);
  symlink(SECRET_PATH, ALLOWED_DIR "/l-there");
  symlink(missing, ALLOWED_DIR "/l-missing");
  oracle("through links", ALLOWED_DIR "/l-there", ALLOWED_DIR "/l-missing", 1);
  snprintf(path, sizeof(path), "/proc/self/root%s", SECRET_PATH);
  char missing_root[700];
  snprintf(missing_root, sizeof(missing_root), "/proc/self/root%s", missing);
  oracle("through /proc/self/root", path, missing_root, 0);
  oracle("etc", "/etc/shadow", "/etc/no-such-file", 0);
  oracle("root", "/root", "/no-such-dir", 0);
  char beside[600];
  snprintf(beside, sizeof(beside), "%s", secret_dir);
  strcpy(strrchr(beside, '/'), "/no-such-dir");
  oracle("the secret's directory", secret_dir, beside, 0);

  printf("main: ran\n");
  return 0;
}
