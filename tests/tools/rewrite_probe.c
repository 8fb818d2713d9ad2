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
//   rewrite_probe lazy DIR SECRET  a chdir site of the probe's own, patched on its
//                              first trap; then its trampoline rewritten
//   rewrite_probe lazy-dlopen LIB DIR  the same for a site of a library dlopened later
//   rewrite_probe lazy-threads DIR  8 threads through rewritten sites while 16
//                              chdir sites of the probe's are patched on their first trap
//   rewrite_probe forge-patch  requests to patch forged sites, and one real one
//   rewrite_probe ud2 [own]    after a site patched with threads: an invalid
//                              instruction kills (or runs the program's own handler)
// The fast route of brokered opens (SBX_REWRITE=open-route; FILE holds "a"):
//   rewrite_probe route-opens FILE N      N opens through libc, each read back
//   rewrite_probe route-threads FILE      8 threads opening FILE at once
//   rewrite_probe route-forged SECRET FILE  openat with the route's marks made by hand, and
//                                         a program reading its own route socket
//   rewrite_probe route-entry SECRET FILE the shim's fast entry called by hand
//   rewrite_probe route-fork FILE         opens in a forked child, which then executes
//                                         route-opens
// Each prints how many of its descriptors are sockets (the route's).
#define _GNU_SOURCE
#include <dlfcn.h>
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
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

// chdir sites of the probe's own, exactly mov $80, %eax; syscall: in no
// table (the probe is not libc), so patched only on their first trap.
#define SITE(n) ".globl chdir_site_" #n "\nchdir_site_" #n ":\n.byte 0xb8,0x50,0,0,0\nsyscall\nret\n"
__asm__(".text\n" SITE(0) SITE(1) SITE(2) SITE(3) SITE(4) SITE(5) SITE(6) SITE(7) SITE(8) SITE(9) SITE(10) SITE(11)
            SITE(12) SITE(13) SITE(14) SITE(15) SITE(16)
                SITE(17) ".globl getpid_site\ngetpid_site:\n.byte 0xb8,0x27,0,0,0\nsyscall\nret\n");
typedef long site_fn(const char*);
extern site_fn chdir_site_0, chdir_site_1, chdir_site_2, chdir_site_3, chdir_site_4, chdir_site_5, chdir_site_6,
    chdir_site_7, chdir_site_8, chdir_site_9, chdir_site_10, chdir_site_11, chdir_site_12, chdir_site_13, chdir_site_14,
    chdir_site_15, chdir_site_16, chdir_site_17, getpid_site;
static site_fn* const sites[16] = {chdir_site_0,  chdir_site_1,  chdir_site_2,  chdir_site_3,
                                   chdir_site_4,  chdir_site_5,  chdir_site_6,  chdir_site_7,
                                   chdir_site_8,  chdir_site_9,  chdir_site_10, chdir_site_11,
                                   chdir_site_12, chdir_site_13, chdir_site_14, chdir_site_15};
static const char* dir;

static void* chdir_worker(void* arg) {
  long k = (long)arg;
  for (int i = 0; i < 400; ++i) {
    if (getpid() != (pid_t)raw_call(SYS_getpid, 0, 0, 0)) __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    if (sites[(k + i) % 16](dir) != 0) __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

static int hold_pipe[2];
static void* wait_on_pipe(void* arg) {
  (void)arg;
  char c;
  read(hold_pipe[0], &c, 1);
  return NULL;
}

static unsigned char* jump_target(unsigned char* code) {
  if (code[0] != 0xe9) return NULL;
  int32_t rel;
  memcpy(&rel, code + 1, 4);
  return code + 5 + rel;
}

// The shim's request to patch a site (common/sandbox.h), forged.
static long patch_request(void* site, void* trampoline, long nr) {
  long rc = syscall(SYS_process_vm_writev, site, trampoline, nr, 0, 0, 0x5b785348494d0001L);
  return rc == 0 ? 0 : -errno;
}

static void on_own_sigill(int sig, siginfo_t* info, void* context) {
  (void)sig, (void)info;
  ((ucontext_t*)context)->uc_mcontext.gregs[REG_RIP] += 2;  // past the ud2
  printf("own handler ran\n");
}

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

// How many of our descriptors are sockets; the last one's number in *last.
static int sockets(int* last) {
  int n = 0;
  for (int fd = 0; fd < 256; ++fd) {
    char path[64], target[128];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t got = readlink(path, target, sizeof(target) - 1);
    if (got <= 0) continue;
    target[got] = '\0';
    if (strncmp(target, "socket:", 7) == 0) ++n, *last = fd;
  }
  return n;
}

// open(file) through libc, read back: 0 if it held "a".
static int open_and_check(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  char c = 0;
  int bad = pread(fd, &c, 1, 0) != 1 || c != 'a';
  close(fd);
  return bad;
}

static pthread_barrier_t route_start;
static void* route_worker(void* arg) {
  (void)arg;
  pthread_barrier_wait(&route_start);
  for (int i = 0; i < 300; ++i)
    if (open_and_check(file) != 0) __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
  return NULL;
}

// One message off sock, without waiting: the descriptor it carried, or -errno.
static int take_one(int sock) {
  char data[8];
  struct iovec iov = {data, sizeof(data)};
  char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (recvmsg(sock, &msg, MSG_DONTWAIT) < 0) return -errno;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS) return -EBADMSG;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(fd));
  return fd;
}

#define FAST_MARK 0x5b784653ul  // sandbox.h, kFastOpenMark

// The shim's fast entry, as the trampoline of libc's open names it (the
// window's jmp, in open's first 256 bytes, to a trampoline that starts
// mov $257, %eax; lea -128(%rsp), %rsp; movabs ..., %r11); NULL if none.
static void* fast_entry(void) {
  static const unsigned char start[] = {0xb8, 0x01, 0x01, 0, 0, 0x48, 0x8d, 0x64, 0x24, 0x80, 0x49, 0xbb};
  unsigned char* code = (unsigned char*)&open;
  for (int i = 0; i < 256; ++i) {
    if (code[i] != 0xe9) continue;
    int32_t rel;
    memcpy(&rel, code + i + 1, 4);
    unsigned char* t = code + i + 5 + rel;
    if (labs((long)(t - code)) > (1l << 31) || memcmp(t, start, sizeof(start)) != 0) continue;
    void* entry;
    memcpy(&entry, t + 32, sizeof(entry));
    return entry;
  }
  return NULL;
}

// openat(dirfd, path, flags) through the entry, entered as a trampoline
// does: the return address pushed below the red zone, then a jump.
static long via_entry(void* entry, long dirfd, const char* path, long flags) {
  long ret;
  register long r10 __asm__("r10") = 0;
  __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                   "lea 1f(%%rip), %%r11\n\t"
                   "push %%r11\n\t"
                   "mov $257, %%eax\n\t"
                   "jmp *%[entry]\n"
                   "1:"
                   : "=&a"(ret)
                   : [entry] "r"(entry), "D"(dirfd), "S"(path), "d"(flags), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
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
  if (strcmp(argv[1], "lazy") == 0 && argc == 4) {
    unsigned char* site = (unsigned char*)chdir_site_16;
    int before = site[0];
    long first = chdir_site_16(argv[2]);
    int after = site[0];
    // A trapped call with SIGSYS blocked would kill: the site no longer traps.
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    long second = chdir_site_16(argv[2]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    char cwd[256];
    printf("lazy before %x first %ld after %x blocked %ld cwd %s\n", before, first, after, second,
           getcwd(cwd, sizeof(cwd)) ? cwd : "?");
    // The trampoline is the program's memory: rewritten, it gains nothing.
    unsigned char* t = jump_target(site);
    if (t == NULL) return 3;
    unsigned char* page = (unsigned char*)((uintptr_t)t & ~(uintptr_t)4095);
    if (mprotect(page, 4096, PROT_READ | PROT_WRITE) != 0) return printf("mprotect rw %d\n", errno), 3;
    t[5] = 0x0f, t[6] = 0x05, t[7] = 0xc3;  // syscall; ret
    if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0) return printf("mprotect rx %d\n", errno), 3;
    long fd = via(t + 5, SYS_openat, AT_FDCWD, (long)argv[3], O_RDONLY);
    long mount = via(t + 5, SYS_mount, (long)"none", (long)"/", (long)"tmpfs");
    printf("rewritten trampoline open %ld mount %ld\n", fd < 0 ? fd : 0, mount);
    return 0;
  }
  if (strcmp(argv[1], "lazy-dlopen") == 0 && argc == 4) {
    void* lib = dlopen(argv[2], RTLD_NOW);
    site_fn* call = lib ? (site_fn*)dlsym(lib, "lib_chdir_site") : NULL;
    if (call == NULL) return printf("dlopen %s\n", dlerror()), 3;
    int before = ((unsigned char*)call)[0];
    long first = call(argv[3]);
    int after = ((unsigned char*)call)[0];
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    long second = call(argv[3]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("lazy-dlopen before %x first %ld after %x blocked %ld\n", before, first, after, second);
    return 0;
  }
  if (strcmp(argv[1], "lazy-threads") == 0 && argc == 3) {
    dir = argv[2];
    pthread_t t[8];
    for (long i = 0; i < 8; ++i) pthread_create(&t[i], NULL, chdir_worker, (void*)i);
    for (int i = 0; i < 8; ++i) pthread_join(t[i], NULL);
    int patched = 0;
    for (int i = 0; i < 16; ++i) patched += ((unsigned char*)sites[i])[0] == 0xe9;
    char cwd[256];
    printf("lazy-threads failures %d patched %d cwd %s\n", failures, patched, getcwd(cwd, sizeof(cwd)) ? cwd : "?");
    return 0;
  }
  if (strcmp(argv[1], "forge-patch") == 0) {
    void* rx = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char* rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rx == MAP_FAILED || rw == MAP_FAILED) return 3;
    memcpy(rw, (void*)chdir_site_17, 8);  // a site's bytes where no code is
    unsigned char* chdir_at = (unsigned char*)chdir_site_17;
    unsigned char* getpid_at = (unsigned char*)getpid_site;
    unsigned char* main_at = (unsigned char*)&main;
    unsigned char saved[3][16];
    memcpy(saved[0], chdir_at, 16), memcpy(saved[1], getpid_at, 16), memcpy(saved[2], main_at, 16);
    printf("untrapped %ld", patch_request(getpid_at, rx, SYS_getpid));
    printf(" bytes %ld", patch_request(getpid_at, rx, SYS_chdir));
    printf(" nonsite %ld", patch_request(main_at, rx, SYS_chdir));
    printf(" inside %ld", patch_request(chdir_at + 1, rx, SYS_chdir));
    printf(" writable-target %ld", patch_request(chdir_at, rw, SYS_chdir));
    printf(" file-target %ld", patch_request(chdir_at, main_at, SYS_chdir));
    printf(" data-site %ld", patch_request(rw, rx, SYS_chdir));
    printf(" unmarked %ld", syscall(SYS_process_vm_writev, chdir_at, rx, SYS_chdir, 0, 0, 0) == 0 ? 0L : -errno);
    int same = memcmp(saved[0], chdir_at, 16) == 0 && memcmp(saved[1], getpid_at, 16) == 0 &&
               memcmp(saved[2], main_at, 16) == 0 && memcmp(rw, saved[0], 7) == 0;
    printf(" unchanged %d", same);
    long real = patch_request(chdir_at, rx, SYS_chdir);
    printf(" real %ld jump %d\n", real, jump_target(chdir_at) == rx);
    return 0;
  }
  if (strcmp(argv[1], "ud2") == 0) {
    if (argc == 3) {
      struct sigaction sa = {0};
      sa.sa_sigaction = on_own_sigill;
      sa.sa_flags = SA_SIGINFO;
      sigaction(SIGILL, &sa, NULL);
    }
    // A site patched by the trusted process (a thread exists): the shim
    // takes SIGILL if it was the default.
    pthread_t t;
    if (pipe(hold_pipe) != 0) return 3;
    pthread_create(&t, NULL, wait_on_pipe, NULL);
    long rc = chdir_site_0(".");
    printf("chdir %ld patched %x\n", rc, ((unsigned char*)chdir_site_0)[0]);
    fflush(stdout);
    __asm__ volatile("ud2");
    printf("after ud2\n");
    return 0;
  }
  if (strcmp(argv[1], "route-opens") == 0 && argc == 4) {
    int bad = 0, last = -1;
    for (int i = 0; i < atoi(argv[3]); ++i) bad += open_and_check(argv[2]);
    printf("opens failures %d sockets %d\n", bad, sockets(&last));
    return 0;
  }
  if (strcmp(argv[1], "route-threads") == 0 && argc == 3) {
    file = argv[2];
    pthread_t t[8];
    pthread_barrier_init(&route_start, NULL, 8);
    for (int i = 0; i < 8; ++i) pthread_create(&t[i], NULL, route_worker, NULL);
    for (int i = 0; i < 8; ++i) pthread_join(t[i], NULL);
    int last = -1;
    printf("route-threads failures %d sockets %d\n", failures, sockets(&last));
    return 0;
  }
  if (strcmp(argv[1], "route-forged") == 0 && argc == 4) {
    // A refused path with the route's marks (no socket yet): refused as ever.
    long refused = syscall(SYS_openat, AT_FDCWD, argv[2], O_RDONLY, 0, FAST_MARK << 32, 1ul << 32 | 0xfffffffful);
    int refused_errno = refused < 0 ? errno : 0;
    // An allowed one: a new socket comes with it, holding that descriptor only.
    unsigned long value =
        (unsigned long)syscall(SYS_openat, AT_FDCWD, argv[3], O_RDONLY, 0, FAST_MARK << 32, 2ul << 32 | 0xfffffffful);
    int got = -1, more = 0;
    if (value >> 32 == FAST_MARK && (value & 0x7fffffff) != 0) {
      int sock = (int)(value & 0x7fffffff) - 1;
      int fd = take_one(sock);
      char c = 0;
      got = fd >= 0 && pread(fd, &c, 1, 0) == 1 && c == 'a';
      more = take_one(sock);
    }
    // Naming a descriptor that is not a route socket (stdin) with an entry:
    // again a new socket, nothing sent to stdin.
    unsigned long other =
        (unsigned long)syscall(SYS_openat, AT_FDCWD, argv[3], O_RDONLY, 0, FAST_MARK << 32 | 0x101, 3ul << 32 | 0);
    int other_new = other >> 32 == FAST_MARK && (other & 0x7fffffff) != 0;
    // The program's own route socket (after an open through libc), read by
    // the program: nothing there, before or after a refused open.
    int route_ok = open_and_check(argv[3]) == 0, last = -1;
    sockets(&last);
    int before = take_one(last);
    int secret = open(argv[2], O_RDONLY);
    int secret_errno = secret < 0 ? errno : 0;
    int after = take_one(last);
    printf("forged refused %d allowed %d more %d other-new %d route %d steal %d %d secret %d\n", refused_errno, got,
           more, other_new, route_ok, before, after, secret_errno);
    return 0;
  }
  if (strcmp(argv[1], "route-entry") == 0 && argc == 4) {
    void* entry = fast_entry();
    if (entry == NULL) return printf("no fast entry\n"), 3;
    long refused = via_entry(entry, AT_FDCWD, argv[2], O_RDONLY);
    long fd = via_entry(entry, AT_FDCWD, argv[3], O_RDONLY);
    char c = 0;
    int allowed = fd >= 0 && pread((int)fd, &c, 1, 0) == 1 && c == 'a';
    int last = -1;
    printf("entry refused %ld allowed %d sockets %d\n", refused, allowed, sockets(&last));
    return 0;
  }
  if (strcmp(argv[1], "route-fork") == 0 && argc == 3) {
    int bad = open_and_check(argv[2]), last = -1;
    int parent_sockets = sockets(&last);
    pid_t child = fork();
    if (child == 0) {
      int child_bad = 0;
      for (int i = 0; i < 50; ++i) child_bad += open_and_check(argv[2]);
      // Its own socket besides the inherited one.
      printf("child failures %d sockets %d\n", child_bad, sockets(&last));
      fflush(stdout);
      execl(argv[0], argv[0], "route-opens", argv[2], "20", (char*)NULL);
      _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    for (int i = 0; i < 20; ++i) bad += open_and_check(argv[2]);
    printf("parent failures %d sockets %d %d status %d\n", bad, parent_sockets, sockets(&last), status);
    return 0;
  }
  return 2;
}
