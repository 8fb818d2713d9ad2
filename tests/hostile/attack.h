/* What every hostile program of tests/hostile does when its code gets to run:
 * read the secret and show it, the way an attacker would take it away.
 *
 * Compiled at test time by tests/integration/hostile_cases.py with
 *   -DSECRET_PATH="..."  a mode-600 file of uid 65534, outside every rule
 *   -DEXFIL_DIR="..."    a directory uid 65534 may write, outside every rule
 *
 * hx_attack(WHO) uses raw system calls only (no libc: it runs in IFUNC
 * resolvers, preinit functions, a static interpreter and in functions that
 * replace libc's own, where libc may not be usable yet). It reports on
 * standard error, one line each:
 *   [WHO] ran
 *   [WHO] LEAK <the secret's first line>       if it could read the secret
 *   [WHO] open secret: errno N                 if it could not
 *   [WHO] Seccomp: N                           from /proc/self/status, if readable
 * and, if it read the secret, also writes it to EXFIL_DIR/loot-WHO and to
 * standard output. The tests look for the secret's text in the output and in
 * every file the program could write: it must never be there. */
#ifndef HOSTILE_ATTACK_H
#define HOSTILE_ATTACK_H

#include <fcntl.h>
#include <stddef.h>
#include <sys/syscall.h>

#ifndef SECRET_PATH
#error "compile with -DSECRET_PATH=\"...\""
#endif
#ifndef EXFIL_DIR
#error "compile with -DEXFIL_DIR=\"...\""
#endif

static inline long hx_sys(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static inline size_t hx_strlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

static inline void hx_write(int fd, const char* s, size_t n) {
  while (n > 0) {
    long w = hx_sys(SYS_write, fd, (long)s, (long)n, 0, 0, 0);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* One line built in a buffer, written with one write. */
struct hx_line {
  char buf[512];
  size_t n;
};

static inline void hx_add(struct hx_line* l, const char* s, size_t n) {
  for (size_t i = 0; i < n && l->n < sizeof(l->buf) - 1; ++i) l->buf[l->n++] = s[i];
}
static inline void hx_adds(struct hx_line* l, const char* s) { hx_add(l, s, hx_strlen(s)); }
static inline void hx_addn(struct hx_line* l, long v) {
  char d[24];
  int k = 0;
  unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
  do d[k++] = (char)('0' + u % 10);
  while ((u /= 10) && k < 23);
  if (v < 0) hx_adds(l, "-");
  while (k > 0) hx_add(l, &d[--k], 1);
}
static inline void hx_start(struct hx_line* l, const char* who) {
  l->n = 0;
  hx_adds(l, "[");
  hx_adds(l, who);
  hx_adds(l, "] ");
}
static inline void hx_end(struct hx_line* l, int fd) {
  if (l->n == 0 || l->buf[l->n - 1] != '\n') l->buf[l->n++] = '\n';
  hx_write(fd, l->buf, l->n);
}

static inline void hx_say(const char* who, const char* what) {
  struct hx_line l;
  hx_start(&l, who);
  hx_adds(&l, what);
  hx_end(&l, 2);
}

/* Read the secret (and the filter's state) and show them. */
static inline void hx_attack(const char* who) {
  struct hx_line l;
  char buf[256];
  hx_say(who, "ran");
  long fd = hx_sys(SYS_openat, AT_FDCWD, (long)SECRET_PATH, O_RDONLY | O_CLOEXEC, 0, 0, 0);
  if (fd >= 0) {
    long n = hx_sys(SYS_read, fd, (long)buf, sizeof(buf) - 1, 0, 0, 0);
    hx_sys(SYS_close, fd, 0, 0, 0, 0, 0);
    if (n < 0) n = 0;
    size_t line = 0;
    while (line < (size_t)n && buf[line] != '\n') ++line;
    hx_start(&l, who);
    hx_adds(&l, "LEAK ");
    hx_add(&l, buf, line);
    hx_end(&l, 2);
    hx_end(&l, 1);
    /* Take it away where the user would not look. */
    struct hx_line path;
    path.n = 0;
    hx_adds(&path, EXFIL_DIR "/loot-");
    hx_adds(&path, who);
    path.buf[path.n] = '\0';
    long out = hx_sys(SYS_openat, AT_FDCWD, (long)path.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644, 0, 0);
    if (out >= 0) {
      hx_write((int)out, buf, (size_t)n);
      hx_sys(SYS_close, out, 0, 0, 0, 0, 0);
    }
  } else {
    hx_start(&l, who);
    hx_adds(&l, "open secret: errno ");
    hx_addn(&l, -fd);
    hx_end(&l, 2);
  }
  fd = hx_sys(SYS_openat, AT_FDCWD, (long)"/proc/self/status", O_RDONLY | O_CLOEXEC, 0, 0, 0);
  if (fd >= 0) {
    static char status[8192];
    long n = hx_sys(SYS_read, fd, (long)status, sizeof(status) - 1, 0, 0, 0);
    hx_sys(SYS_close, fd, 0, 0, 0, 0, 0);
    for (long i = 0; n > 0 && i + 8 < n; ++i) {
      if ((i == 0 || status[i - 1] == '\n') && status[i] == 'S' && status[i + 1] == 'e' && status[i + 2] == 'c' &&
          status[i + 3] == 'c' && status[i + 4] == 'o' && status[i + 5] == 'm' && status[i + 6] == 'p' &&
          status[i + 7] == ':') {
        long j = i + 8;
        while (j < n && (status[j] == ' ' || status[j] == '\t')) ++j;
        long k = j;
        while (k < n && status[k] != '\n') ++k;
        hx_start(&l, who);
        hx_adds(&l, "Seccomp: ");
        hx_add(&l, status + j, (size_t)(k - j));
        hx_end(&l, 2);
        break;
      }
    }
  }
}

/* hx_attack once per process (a fork's child attacks again). */
static inline void hx_attack_once(const char* who, long* done_in_pid) {
  long pid = hx_sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
  if (*done_in_pid == pid) return;
  *done_in_pid = pid;
  hx_attack(who);
}

#endif
