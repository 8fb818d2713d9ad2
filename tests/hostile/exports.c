/* A program that defines (and exports, -rdynamic) functions of libc's, which
 * come first in the global scope: any code of the sandbox's that calls them
 * by name, in the program's process or in a fork of it, runs the program's
 * code instead. Each one reads the secret when it is first called in a
 * process (hx_attack_once), and some lie:
 *   EXPORT_GETENV     getenv answers SBX_SANDBOXED=1 and no other SBX_*
 *                     variable ("already sandboxed, nothing to set up")
 *   EXPORT_READLINK   readlink and readlinkat of /proc/self/fd/N answer a
 *                     path inside ALLOWED_DIR for any file outside it
 *   EXPORT_MALLOC     a bump allocator that must still work: malloc, free,
 *                     calloc, realloc and the aligned ones
 *   EXPORT_SYSCALL    syscall(SYS_seccomp, SET_MODE_FILTER, ...) installs a
 *                     filter that allows everything instead of the one asked
 *   EXPORT_SOCKETPAIR, EXPORT_SETENV, EXPORT_FORK, EXPORT_PRCTL: honest,
 *                     but they read the secret first (fork in the child too)
 *   EXPORT_LIBC       honest wrappers of most of what remains: read, write,
 *                     close, open, fcntl, ioctl, getcwd, waitpid, sigaction,
 *                     pthread_create, strtol, strerror, ...
 * main() then reads the secret itself, directly and through a symlink it
 * makes in ALLOWED_DIR (an --allow-write directory), and checks that the
 * filter refuses a socket; it prints "main: ran" last.
 *
 * Compiled with -DALLOWED_DIR="..." besides attack.h's macros. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attack.h"

#ifndef ALLOWED_DIR
#error "compile with -DALLOWED_DIR=\"...\""
#endif

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))
#define ONCE(name)         \
  static long done_in_pid; \
  hx_attack_once(name, &done_in_pid)

__attribute__((unused)) static long set_errno(long rc) {
  if (rc < 0 && rc > -4096) {
    errno = (int)-rc;
    return -1;
  }
  return rc;
}

__attribute__((unused)) static int starts_with(const char* s, const char* prefix) {
  while (*prefix)
    if (*s++ != *prefix++) return 0;
  return 1;
}

#if defined(EXPORT_GETENV)
/* Lies: "the sandbox is already set up" (SBX_SANDBOXED) and none of the
 * variables that would set it up. Everything else is the truth. */
extern char** environ;
char* getenv(const char* name) {
  ONCE("getenv");
  if (starts_with(name, "SBX_")) return strcmp(name, "SBX_SANDBOXED") == 0 ? (char*)"1" : NULL;
  const size_t n = strlen(name);
  for (char** e = environ; e && *e; ++e)
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  return NULL;
}
char* secure_getenv(const char* name) { return getenv(name); }
#endif

#if defined(EXPORT_READLINK)
/* Lies about what a descriptor names: a file of the host outside
 * ALLOWED_DIR is said to be a file inside it. Anything else (a pipe, a
 * socket, a seccomp listener) is the truth. */
static ssize_t lie(const char* path, char* buf, ssize_t n, size_t size) {
  static const char kLie[] = ALLOWED_DIR "/innocent.txt";
  if (n <= 0 || buf[0] != '/' || !(starts_with(path, "/proc/self/fd/") || starts_with(path, "/proc/thread-self/fd/")))
    return n;
  if ((size_t)n > sizeof(ALLOWED_DIR) && strncmp(buf, ALLOWED_DIR "/", sizeof(ALLOWED_DIR)) == 0) return n;
  n = (ssize_t)(sizeof(kLie) - 1 < size ? sizeof(kLie) - 1 : size);
  memcpy(buf, kLie, (size_t)n);
  return n;
}
ssize_t readlink(const char* restrict path, char* restrict buf, size_t size) {
  ONCE("readlink");
  return lie(path, buf, set_errno(hx_sys(SYS_readlink, (long)path, (long)buf, (long)size, 0, 0, 0)), size);
}
ssize_t readlinkat(int dirfd, const char* restrict path, char* restrict buf, size_t size) {
  ONCE("readlinkat");
  return lie(path, buf, set_errno(hx_sys(SYS_readlinkat, dirfd, (long)path, (long)buf, (long)size, 0, 0)), size);
}
char* realpath(const char* restrict path, char* restrict resolved) {
  ONCE("realpath");
  return REAL(realpath)(path, resolved);
}
#endif

#if defined(EXPORT_MALLOC)
/* A bump allocator: never reuses memory, so what it hands out is zeroed.
 * Each block is preceded by its size. */
static char arena[256 << 20] __attribute__((aligned(64)));
static size_t arena_used;

static void* bump(size_t size, size_t align) {
  if (align < 16) align = 16;
  if (size > sizeof(arena)) return NULL;
  size_t start, end;
  size_t old = __atomic_load_n(&arena_used, __ATOMIC_RELAXED);
  do {
    start = (old + 16 + align - 1) & ~(align - 1);
    end = start + size;
    if (end > sizeof(arena)) {
      errno = ENOMEM;
      return NULL;
    }
  } while (!__atomic_compare_exchange_n(&arena_used, &old, end, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
  *(size_t*)(arena + start - sizeof(size_t)) = size;
  return arena + start;
}
static size_t block_size(void* p) { return *(size_t*)((char*)p - sizeof(size_t)); }

void* malloc(size_t size) {
  ONCE("malloc");
  return bump(size, 16);
}
void free(void* p) { (void)p; }
void* calloc(size_t n, size_t size) {
  if (size != 0 && n > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  return malloc(n * size);
}
void* realloc(void* p, size_t size) {
  void* q = malloc(size);
  if (p != NULL && q != NULL) memcpy(q, p, block_size(p) < size ? block_size(p) : size);
  return q;
}
void* reallocarray(void* p, size_t n, size_t size) {
  if (size != 0 && n > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(p, n * size);
}
void* memalign(size_t align, size_t size) { return bump(size, align); }
void* aligned_alloc(size_t align, size_t size) { return bump(size, align); }
int posix_memalign(void** out, size_t align, size_t size) {
  void* p = bump(size, align);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}
void* valloc(size_t size) { return bump(size, 4096); }
void* pvalloc(size_t size) { return bump((size + 4095) & ~(size_t)4095, 4096); }
size_t malloc_usable_size(void* p) { return p ? block_size(p) : 0; }
#endif

#if defined(EXPORT_SYSCALL)
/* A filter of its own instead of the sandbox's: everything allowed. */
long syscall(long n, ...) {
  ONCE("syscall");
  va_list ap;
  va_start(ap, n);
  long a[6];
  for (int i = 0; i < 6; ++i) a[i] = va_arg(ap, long);
  va_end(ap);
  if (n == SYS_seccomp && a[0] == SECCOMP_SET_MODE_FILTER) {
    struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog = {1, allow};
    hx_say("syscall", "installing an allow-everything filter instead of the sandbox's");
    return set_errno(hx_sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, a[1], (long)&prog, 0, 0, 0));
  }
  return set_errno(hx_sys(n, a[0], a[1], a[2], a[3], a[4], a[5]));
}
#endif

#if defined(EXPORT_SOCKETPAIR)
int socketpair(int domain, int type, int protocol, int sv[2]) {
  ONCE("socketpair");
  return (int)set_errno(hx_sys(SYS_socketpair, domain, type, protocol, (long)sv, 0, 0));
}
#endif

#if defined(EXPORT_SETENV)
int setenv(const char* name, const char* value, int overwrite) {
  ONCE("setenv");
  return REAL(setenv)(name, value, overwrite);
}
int unsetenv(const char* name) {
  ONCE("unsetenv");
  return REAL(unsetenv)(name);
}
int putenv(char* string) {
  ONCE("putenv");
  return REAL(putenv)(string);
}
int clearenv(void) {
  ONCE("clearenv");
  return REAL(clearenv)();
}
#endif

#if defined(EXPORT_FORK)
pid_t fork(void) {
  ONCE("fork");
  pid_t pid = REAL(fork)();
  if (pid == 0) hx_attack("fork-child");
  return pid;
}
pid_t vfork(void) { return fork(); }
#endif

#if defined(EXPORT_PRCTL)
int prctl(int option, ...) {
  ONCE("prctl");
  va_list ap;
  va_start(ap, option);
  unsigned long a[4];
  for (int i = 0; i < 4; ++i) a[i] = va_arg(ap, unsigned long);
  va_end(ap);
  return (int)set_errno(hx_sys(SYS_prctl, option, (long)a[0], (long)a[1], (long)a[2], (long)a[3], 0));
}
#endif

#if defined(EXPORT_LIBC)
ssize_t read(int fd, void* buf, size_t n) {
  ONCE("read");
  return set_errno(hx_sys(SYS_read, fd, (long)buf, (long)n, 0, 0, 0));
}
ssize_t write(int fd, const void* buf, size_t n) {
  ONCE("write");
  return set_errno(hx_sys(SYS_write, fd, (long)buf, (long)n, 0, 0, 0));
}
ssize_t pread64(int fd, void* buf, size_t n, off_t offset) {
  ONCE("pread64");
  return set_errno(hx_sys(SYS_pread64, fd, (long)buf, (long)n, offset, 0, 0));
}
ssize_t pread(int fd, void* buf, size_t n, off_t offset) { return pread64(fd, buf, n, offset); }
int close(int fd) {
  ONCE("close");
  return (int)set_errno(hx_sys(SYS_close, fd, 0, 0, 0, 0, 0));
}
int close_range(unsigned first, unsigned last, int flags) {
  ONCE("close_range");
  return (int)set_errno(hx_sys(SYS_close_range, first, last, flags, 0, 0, 0));
}
static int open_mode(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}
int open(const char* path, int flags, ...) {
  ONCE("open");
  va_list ap;
  va_start(ap, flags);
  int mode = open_mode(flags, ap);
  va_end(ap);
  return (int)set_errno(hx_sys(SYS_openat, AT_FDCWD, (long)path, flags, mode, 0, 0));
}
int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = open_mode(flags, ap);
  va_end(ap);
  return open(path, flags, mode);
}
int __open64_2(const char* path, int flags) { return open(path, flags); }
int __open_2(const char* path, int flags) { return open(path, flags); }
int openat(int dirfd, const char* path, int flags, ...) {
  ONCE("openat");
  va_list ap;
  va_start(ap, flags);
  int mode = open_mode(flags, ap);
  va_end(ap);
  return (int)set_errno(hx_sys(SYS_openat, dirfd, (long)path, flags, mode, 0, 0));
}
int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = open_mode(flags, ap);
  va_end(ap);
  return openat(dirfd, path, flags, mode);
}
int fcntl(int fd, int cmd, ...) {
  ONCE("fcntl");
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return (int)set_errno(hx_sys(SYS_fcntl, fd, cmd, arg, 0, 0, 0));
}
int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return fcntl(fd, cmd, arg);
}
int ioctl(int fd, unsigned long request, ...) {
  ONCE("ioctl");
  va_list ap;
  va_start(ap, request);
  long arg = va_arg(ap, long);
  va_end(ap);
  return (int)set_errno(hx_sys(SYS_ioctl, fd, (long)request, arg, 0, 0, 0));
}
char* getcwd(char* buf, size_t size) {
  ONCE("getcwd");
  return REAL(getcwd)(buf, size);
}
pid_t waitpid(pid_t pid, int* status, int options) {
  ONCE("waitpid");
  return (pid_t)set_errno(hx_sys(SYS_wait4, pid, (long)status, options, 0, 0, 0));
}
int sigaction(int sig, const struct sigaction* restrict act, struct sigaction* restrict old) {
  ONCE("sigaction");
  return REAL(sigaction)(sig, act, old);
}
int pthread_create(pthread_t* restrict t, const pthread_attr_t* restrict attr, void* (*start)(void*),
                   void* restrict arg) {
  ONCE("pthread_create");
  return REAL(pthread_create)(t, attr, start, arg);
}
long strtol(const char* restrict s, char** restrict end, int base) {
  ONCE("strtol");
  return REAL(strtol)(s, end, base);
}
unsigned long strtoul(const char* restrict s, char** restrict end, int base) {
  ONCE("strtoul");
  return REAL(strtoul)(s, end, base);
}
char* strerror(int e) {
  ONCE("strerror");
  return REAL(strerror)(e);
}
ssize_t process_vm_readv(pid_t pid, const struct iovec* l, unsigned long ln, const struct iovec* r, unsigned long rn,
                         unsigned long flags) {
  ONCE("process_vm_readv");
  return set_errno(hx_sys(SYS_process_vm_readv, pid, (long)l, (long)ln, (long)r, (long)rn, (long)flags));
}
ssize_t process_vm_writev(pid_t pid, const struct iovec* l, unsigned long ln, const struct iovec* r, unsigned long rn,
                          unsigned long flags) {
  ONCE("process_vm_writev");
  return set_errno(hx_sys(SYS_process_vm_writev, pid, (long)l, (long)ln, (long)r, (long)rn, (long)flags));
}
int poll(struct pollfd* fds, nfds_t n, int timeout) {
  ONCE("poll");
  return (int)set_errno(hx_sys(SYS_poll, (long)fds, (long)n, timeout, 0, 0, 0));
}
int eventfd(unsigned int initval, int flags) {
  ONCE("eventfd");
  return (int)set_errno(hx_sys(SYS_eventfd2, initval, flags, 0, 0, 0, 0));
}
int chmod(const char* path, mode_t mode) {
  ONCE("chmod");
  return (int)set_errno(hx_sys(SYS_chmod, (long)path, mode, 0, 0, 0, 0));
}
mode_t umask(mode_t mask) {
  ONCE("umask");
  return (mode_t)hx_sys(SYS_umask, mask, 0, 0, 0, 0, 0);
}
int usleep(useconds_t us) {
  ONCE("usleep");
  return REAL(usleep)(us);
}
pid_t getppid(void) {
  ONCE("getppid");
  return (pid_t)hx_sys(SYS_getppid, 0, 0, 0, 0, 0, 0);
}
#endif

/* main's own attempts, through libc as an ordinary program would. */
static void try_read(const char* what, const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("main: %s: %s\n", what, strerror(errno));
    return;
  }
  char buf[256] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n > 0) buf[strcspn(buf, "\n")] = '\0';
  printf("main: %s: LEAK %s\n", what, n > 0 ? buf : "");
}

int main(void) {
  hx_attack("main");
  try_read("open secret", SECRET_PATH);
  /* A symlink of the program's own, in its --allow-write directory, to the
   * secret: the open is resolved and checked where the link leads. */
  unlink(ALLOWED_DIR "/link");
  if (symlink(SECRET_PATH, ALLOWED_DIR "/link") != 0) printf("main: symlink: %s\n", strerror(errno));
  try_read("open through a symlink", ALLOWED_DIR "/link");
  /* Is the kernel's filter the sandbox's? default refuses sockets. */
  long s = hx_sys(SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0, 0, 0);
  printf("main: socket %s\n", s >= 0 ? "ALLOWED" : "refused");
#if defined(EXPORT_MALLOC)
  /* The bump allocator serves libc and the program alike. */
  char* strings[1000];
  int right = 1;
  for (int i = 0; i < 1000; ++i) {
    strings[i] = malloc(32);
    if (strings[i] == NULL) {
      right = 0;
      break;
    }
    snprintf(strings[i], 32, "block %d", i);
  }
  for (int i = 0; right && i < 1000; ++i) {
    char expected[32];
    snprintf(expected, sizeof(expected), "block %d", i);
    right = strcmp(strings[i], expected) == 0;
    strings[i] = realloc(strings[i], 64);
    right = right && strings[i] && strcmp(strings[i], expected) == 0;
    free(strings[i]);
  }
  int* zeros = calloc(100, sizeof(int));
  for (int i = 0; right && zeros && i < 100; ++i) right = zeros[i] == 0;
  char* dup = strdup("duplicated");
  right = right && zeros && dup && strcmp(dup, "duplicated") == 0;
  printf("main: malloc %s\n", right ? "works" : "BROKEN");
#endif
  printf("main: ran\n");
  return 0;
}
