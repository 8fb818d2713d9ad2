// floor_helper: the least a setuid namespace helper can do, for the launch
// benchmark only: clone into new PID and network namespaces, drop to the
// real ids, execv. No chroot helper, no capability checks, no environment.
// It is the floor sbx-helper's launch time is measured against; never
// install it.
#include <sched.h>
#include <csignal>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 1;
  const long pid = syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNET | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) return 82;
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) _exit(84);
  if (pid == 0) {
    execv(argv[1], argv + 1);
    _exit(86);
  }
  int status = 0;
  if (waitpid(static_cast<pid_t>(pid), &status, 0) < 0) return 80;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
