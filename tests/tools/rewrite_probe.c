// Run under sbx run by tests/integration/rewrite_cases.py: checks syscall
// rewriting from inside, as the program sees it.
//   rewrite_probe patched      "patched" if libc's getpid starts with a jump (rewritten), "native" otherwise
//   rewrite_probe raw FILE     a hand-made site no table names: open FILE and getpid through it
//   rewrite_probe threads FILE 8 threads calling through rewritten sites at once
//   rewrite_probe forged FILE  the trampoline's syscall with forged registers, and a trampoline rewritten
//   rewrite_probe fork         fork, exec /bin/echo in the child, wait
//   rewrite_probe blocked-exec exec /bin/echo with every signal blocked: the
//                              trapped execve answered at the site, not by SIGSYS
//   rewrite_probe fstat FILE   libc's fstatat site patched or not, and fstat of a
//                              descriptor as the program sees it; FILE's stat by path
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Where libc's getpid jumps to, if it was rewritten: its trampoline.
static unsigned char* trampoline_of_getpid(void) {
  unsigned char* code = (unsigned char*)&getpid;
  if (code[0] != 0xe9) return NULL;
  int32_t rel;
  memcpy(&rel, code + 1, 4);
  return code + 5 + rel;
}

// A site with a 2-byte instruction before it: never in a table.
static long raw_call(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("mov %1, %%rax\n\txchg %%ax, %%ax\n\tsyscall"
                   : "=a"(ret)
                   : "r"(nr), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return ret;
}

// Calls `syscall; ret` at sys with the given registers.
static long via(unsigned char* sys, long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("call *%5" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(sys) : "rcx", "r11", "memory");
  return ret;
}

// "patched" if libc's fstatat has a jump where its newfstatat site's
// mov $0x106, %eax was, "native" if the site is as built, else "?".
static const char* fstatat_site(void) {
  const unsigned char* code = (const unsigned char*)&fstatat;
  for (int i = 0; i < 64; ++i) {
    if (code[i + 5] != 0x0f || code[i + 6] != 0x05) continue;
    if (code[i] == 0xb8 && code[i + 1] == 0x06 && code[i + 2] == 0x01 && code[i + 3] == 0 && code[i + 4] == 0)
      return "native";
    if (code[i] == 0xe9) return "patched";
  }
  return "?";
}

static const char* file;
static int failures;

static void* worker(void* arg) {
  (void)arg;
  for (int i = 0; i < 2000; ++i) {
    if (getpid() != (pid_t)raw_call(SYS_getpid, 0, 0, 0)) __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    if (i % 20 == 0) {
      int fd = open(file, O_RDONLY);
      char c;
      if (fd < 0 || read(fd, &c, 1) != 1) __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
      close(fd);
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (strcmp(argv[1], "fstat") == 0 && argc == 4) {
    // argv[2] an allowed file, argv[3] one outside every rule.
    struct stat by_fd, by_path, st;
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC), opath = open(argv[2], O_PATH | O_CLOEXEC);
    int same = fd >= 0 && fstat(fd, &by_fd) == 0 && stat(argv[2], &by_path) == 0 && by_fd.st_ino == by_path.st_ino &&
               by_fd.st_dev == by_path.st_dev && by_fd.st_size == by_path.st_size && by_fd.st_mode == by_path.st_mode;
    int opath_same = opath >= 0 && fstat(opath, &st) == 0 && st.st_ino == by_path.st_ino;
    int badfd = fstat(1000, &st) == 0 ? 0 : errno;
    int closed = fstat(-1, &st) == 0 ? 0 : errno;
    // A path with AT_EMPTY_PATH is a stat of the path, decided by the rules.
    int forged = fstatat(fd, argv[3], &st, AT_EMPTY_PATH) == 0 ? 0 : errno;
    int forged_cwd = fstatat(AT_FDCWD, argv[3], &st, AT_EMPTY_PATH) == 0 ? 0 : errno;
    printf("site %s same %d o_path %d badfd %d closed %d forged %d %d\n", fstatat_site(), same, opath_same, badfd,
           closed, forged, forged_cwd);
    return 0;
  }
  if (strcmp(argv[1], "patched") == 0) {
    printf("%s\n", trampoline_of_getpid() ? "patched" : "native");
    return 0;
  }
  if (strcmp(argv[1], "raw") == 0 && argc == 3) {
    long fd = raw_call(SYS_openat, AT_FDCWD, (long)argv[2], O_RDONLY);
    printf("open %ld getpid-same %d\n", fd < 0 ? fd : 0, raw_call(SYS_getpid, 0, 0, 0) == getpid());
    return 0;
  }
  if (strcmp(argv[1], "threads") == 0 && argc == 3) {
    file = argv[2];
    pthread_t t[8];
    for (int i = 0; i < 8; ++i) pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 8; ++i) pthread_join(t[i], NULL);
    printf("threads failures %d\n", failures);
    return 0;
  }
  if (strcmp(argv[1], "forged") == 0 && argc == 3) {
    unsigned char* t = trampoline_of_getpid();
    if (t == NULL) return printf("not rewritten\n"), 3;
    // The trampoline: mov $39,%eax (5 bytes), syscall, jmp back. Our own
    // copy of its `syscall` followed by `ret`, in the trampoline itself:
    // the program may rewrite it (it is the program's memory).
    unsigned char* page = (unsigned char*)((uintptr_t)t & ~(uintptr_t)4095);
    if (raw_call(SYS_mprotect, (long)page, 4096, PROT_READ | PROT_WRITE) != 0)
      return printf("mprotect rw %d\n", errno), 3;
    t[5] = 0x0f, t[6] = 0x05, t[7] = 0xc3;  // syscall; ret
    if (raw_call(SYS_mprotect, (long)page, 4096, PROT_READ | PROT_EXEC) != 0)
      return printf("mprotect rx %d\n", errno), 3;
    long fd = via(t + 5, SYS_openat, AT_FDCWD, (long)argv[2], O_RDONLY);
    long mount = via(t + 5, SYS_mount, (long)"none", (long)"/", (long)"tmpfs");
    long ptrace = via(t + 5, SYS_ptrace, 0 /*PTRACE_TRACEME*/, 0, 0);
    printf("forged open %ld mount %ld ptrace %ld\n", fd < 0 ? fd : 0, mount, ptrace);
    return 0;
  }
  if (strcmp(argv[1], "fork") == 0) {
    pid_t child = fork();
    if (child == 0) {
      execl("/bin/echo", "echo", "child-ran", (char*)NULL);
      _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    printf("fork status %d\n", status);
    return 0;
  }
  if (strcmp(argv[1], "blocked-exec") == 0) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    execl("/bin/echo", "echo", "exec-ran", (char*)NULL);
    printf("exec failed %d\n", errno);
    return 1;
  }
  return 2;
}
