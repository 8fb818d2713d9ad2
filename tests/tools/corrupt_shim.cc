// corrupt_shim FORBIDDEN_FILE: a program that turns on the in-process layer.
// It tries to replace the shim's SIGSYS handler, erases the shim's notion of the
// policy from its environment, and calls the kernel directly (raw syscall
// instructions, no libc wrappers) for things the policy forbids. Prints one
// line per attempt: "NAME refused ERRNO" or "NAME ALLOWED", then the
// descriptors it holds above 2 ("open-fds: ...").
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace {
long raw(long nr, long a = 0, long b = 0, long c = 0, long d = 0) {
  long ret;
  register long r10 asm("r10") = d;
  asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}
void report(const char* name, long ret) {
  if (ret < 0) std::printf("%s refused %ld\n", name, -ret);
  else std::printf("%s ALLOWED\n", name);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  // Our own buffer, so that stdio never asks fstat() how to buffer: fstat
  // goes through newfstatat, which the policy traps, and with the shim's
  // handler gone a trapped call kills us (which is the point of trapping).
  static char out[4096];
  setvbuf(stdout, out, _IOFBF, sizeof(out));
  // The shim's SIGSYS handler stays: the filter lets the program's change do
  // nothing (and the trapped execve below still reaches the shim).
  signal(SIGSYS, SIG_IGN);
  struct sigaction now {};
  sigaction(SIGSYS, nullptr, &now);
  report("sigsys-handler", now.sa_handler == SIG_IGN ? 0 : -EINVAL);
  unsetenv("SBX_SANDBOXED");
  report("socket", raw(SYS_socket, AF_INET, SOCK_STREAM, 0));
  report("open-forbidden", raw(SYS_openat, AT_FDCWD, reinterpret_cast<long>(argv[1]), O_RDONLY));
  // Exec of what the rules let it read is the shim's to do (the filter traps
  // execve); of what they do not, refused either way.
  report("execve", raw(SYS_execve, reinterpret_cast<long>(argv[1]), 0, 0));
  report("ptrace", raw(SYS_ptrace, 16 /* ATTACH */, 1));
  report("chroot", raw(SYS_chroot, reinterpret_cast<long>("/")));
  report("seccomp-off", raw(SYS_prctl, 22 /* PR_SET_SECCOMP */, 0 /* disabled */));
  // Nothing of the sandbox's machinery may be left in our hands: not the
  // seccomp listener, not SBX_D, not the policy.
  std::printf("open-fds:");
  for (int fd = 3; fd < 1024; ++fd)
    if (fcntl(fd, F_GETFD) >= 0) std::printf(" %d", fd);
  std::printf("\n");
  std::fflush(stdout);
  return 0;
}
