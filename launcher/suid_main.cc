// sbx-helper: the privileged part of sbx, setuid root (or, not setuid, in a
// user namespace of its own). It speaks Chromium's SUID-sandbox protocol
// (API 1), so Chromium can use it as its chrome-sandbox (setuid mode only),
// and any program can be started through it.
//
// This file tells the whole privileged story, in the order it happens, and
// in that order below; the two modes' own steps are in user_namespace.cc and
// uid_range.cc (named below), and helper.h is what the three files share.
// Each step is one function:
//
//      main                      read the command line (--get-api, --adjust-oom-score, --userns)
//   1  check_api_request         SBX_CHROME_API_RQ in, SBX_CHROME_API_PRV=1 out
//   2  require_setuid_root       setuid mode (effective uid 0): refuse to pretend when we are not root
//   2u enter_user_namespace      (user_namespace.cc) user-namespace mode (not setuid
//                                root, or --userns): the caller's own ids mapped in a
//                                new user namespace, whose capabilities stand in for
//                                root's in steps 3-13; not dumpable from here on
//   3  refuse_directory_descriptors  an inherited directory leads out of any chroot
//   3a read_helper_config        (uid_range.cc) setuid mode: /etc/sbx/helper.conf,
//                                root's alone, or refuse; its UID range
//   3b files_as_caller_request   (uid_range.cc) SBX_FILES_AS_CALLER (sbx run), taken
//                                in UID-range mode, removed always
//   4  hold_signals              TERM, INT, HUP, TSTP, CONT and CHLD wait until the waiter takes them
//   5  respect_process_limit     refuse a caller at its RLIMIT_NPROC, which our clones would pass
//   6  enter_namespaces          start the target in new PID and network namespaces;
//        run_waiter              the original process: drop privileges (10), wait,
//                                pass signals on, pass the program's status on
//      run_target                the target, PID 1 of the new namespaces:
//   7    export_namespaces       SBX_PID_NS / SBX_NET_NS
//   8    leave_caller_session    a new session: no way into the caller's terminal
//   9    spawn_chroot_helper     a privileged child sharing our filesystem context,
//                                which chroots us into an empty directory on 'C'
//                                (userns: keep_only_chroot_capability, user_namespace.cc)
//  10a   take_range_uid          (uid_range.cc) UID-range mode: a UID of the range
//                                no process has, kept from the check on (RLIMIT_NPROC),
//                                as the target's real uid; and a new IPC namespace
//  10    drop_privileges         no uid 0, no capabilities, no groups (userns: they stay),
//                                no new privileges
//  10b   confine_range_uid       (uid_range.cc) UID-range mode: a filter that keeps
//                                the range UID from outliving the sandbox (no
//                                setuid/setgid bits; with SBX_FILES_AS_CALLER no way
//                                to hide it from the count)
//  11    die_with_waiter         if the waiter dies, so does the program
//  12    restore_saved_environment  SANDBOX_<NAME> back to <NAME>
//  13    execv                   the program, by path, with the caller's signal mask
//
// The two modes differ in step 2 and in what "privileged" means: root in
// setuid mode; in user-namespace mode, the capabilities the new user
// namespace gives, which reach only what that namespace owns (the new PID
// and network namespaces, chroot, the caller's own files and processes
// inside it) and which steps 9 and 10 shed the same way. Where a step does
// something else in user-namespace mode, its comment says so ("userns:").
// docs/protocol.md ("User-namespace mode") lists what those capabilities
// reach before they are dropped, and the differences that remain.
//
// No address space is copied: the target starts vfork-style (CLONE_VM |
// CLONE_VFORK: the original process sleeps until the target has exec'd) and
// the chroot helper shares the target's memory (CLONE_VM) until that exec.
// Each runs on a stack of its own. What that sharing means for safety is
// said at enter_namespaces and spawn_chroot_helper.
//
// Rules for these three files: single-threaded, no exceptions, no iostreams,
// no allocation beyond what libc and libcap calls named here do, and every
// failure reports "sbx-helper: <what failed>: <reason>" with the exit codes
// of protocol.h (documented in docs/protocol.md).

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

namespace sbx::helper {

// ---------------------------------------------------------------------------
// Messages. Built in a stack buffer and written with one write(2), so that
// nothing here allocates and lines from different processes do not interleave.

void print_line(const char* what, const char* reason) {
  char line[512];
  const int n = std::snprintf(line, sizeof(line), "sbx-helper: %s: %s\n", what, reason);
  if (n > 0) {
    const size_t len = static_cast<size_t>(n) < sizeof(line) ? static_cast<size_t>(n) : sizeof(line) - 1;
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
  }
}

[[noreturn]] void fail(int exit_code, const char* what, const char* reason) {
  print_line(what, reason);
  _exit(exit_code);
}

[[noreturn]] void fail_errno(int exit_code, const char* what, int err) { fail(exit_code, what, std::strerror(err)); }

// User-namespace mode (step 2u), read by steps 6, 9, 10 and 12.
bool g_user_namespace = false;

}  // namespace sbx::helper

namespace {

using namespace sbx::helper;

void print_usage(int fd) {
  static const char usage[] = "usage: sbx-helper [--userns] PROGRAM [ARGS...]\n"
                              "       sbx-helper --get-api\n"
                              "       sbx-helper --adjust-oom-score PID SCORE\n"
                              "Runs PROGRAM (an absolute or relative path, never searched in PATH) in new\n"
                              "PID and network namespaces with no privileges; the program asks to be\n"
                              "chrooted into an empty directory by writing 'C' on the descriptor named\n"
                              "by SBX_D. Not setuid root, or with --userns, it does so in a new user\n"
                              "namespace instead. See sbx-helper(8) and docs/protocol.md.\n";
  ssize_t ignored = write(fd, usage, sizeof(usage) - 1);
  (void)ignored;
}

// ---------------------------------------------------------------------------
// --adjust-oom-score PID SCORE: Chromium's browser raises its renderers' OOM
// score through us because their /proc files belong to root. We only do it for
// a process the caller owns: the ownership check and the write go through one
// descriptor of /proc/PID, so a recycled PID cannot slip in between.
// Exit 0 on success, 1 on any failure (Chromium ignores the status).

int adjust_oom_score(const char* pid_text, const char* score_text) {
  pid_t pid = 0;
  int score = 0;
  if (!parse_oom_arguments(pid_text, score_text, &pid, &score)) {
    print_line("--adjust-oom-score", "expected PID (a positive number) and SCORE (0 to 1000)");
    return kExitUsage;
  }
  char path[32];
  std::snprintf(path, sizeof(path), "/proc/%d", static_cast<int>(pid));
  const int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    print_line("--adjust-oom-score: open /proc/PID", std::strerror(errno));
    return 1;
  }
  struct stat st;
  if (fstat(dir, &st) != 0 || st.st_uid != getuid()) {
    close(dir);
    print_line("--adjust-oom-score", "the process does not belong to the caller");
    return 1;
  }
  const int fd = openat(dir, "oom_score_adj", O_WRONLY | O_CLOEXEC);
  close(dir);
  if (fd < 0) {
    print_line("--adjust-oom-score: open oom_score_adj", std::strerror(errno));
    return 1;
  }
  char value[16];
  format_decimal(score, value, sizeof(value));
  const ssize_t len = static_cast<ssize_t>(std::strlen(value));
  const ssize_t written = write(fd, value, static_cast<size_t>(len));
  const int err = errno;
  close(fd);
  if (written != len) {
    print_line("--adjust-oom-score: write oom_score_adj", std::strerror(err));
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// The story. Steps 1-6 run in the original process; from step 6 on, the
// original process is the waiter and the target runs steps 7-13.
Failure drop_privileges(uid_t uid, uid_t euid, gid_t gid, gid_t egid);
[[noreturn]] int run_target(void* start);

// Step 1. The API handshake. Chromium tells us the API it wants; a different
// number is only a warning (Chromium's helper does the same), a value that is
// not a number is an error. We always say which API we provide.

void check_api_request() {
  int requested = 0;
  if (!parse_api_request(std::getenv(kEnvApiRequest), &requested)) fail(kExitApi, kEnvApiRequest, "not a number");
  if (requested != kApiNumber) {
    char reason[96];
    std::snprintf(reason, sizeof(reason), "API %d requested, this helper provides API %d; continuing", requested,
                  kApiNumber);
    print_line(kEnvApiRequest, reason);
  }
  if (setenv(kEnvApiProvides, "1", 1) != 0) fail_errno(kExitEnvironment, "setenv SBX_CHROME_API_PRV", errno);
}

// Step 2. Setuid mode. main sends a caller without an effective uid of 0 to
// step 2u; the check stays here as a guard. Chromium's helper warns without
// root and goes on; ours takes the user-namespace mode then, or stops with
// the cause (step 2u), and never runs a weaker sandbox than asked for.

void require_setuid_root() {
  if (geteuid() != 0)
    fail(kExitFatal, "not running as root",
         "install sbx-helper owned by root with mode 4755 on a filesystem mounted "
         "without nosuid (and do not start it under a debugger or with no_new_privs)");
  // Started by root, the program ends with no capability at all, but it is
  // still uid 0 and owns what root owns until it chroots. Say so.
  if (getuid() == 0)
    print_line("warning", "started by root: the program keeps uid 0 (with no capabilities) and owns root's "
                          "files until it chroots; start sbx-helper as an unprivileged user");
}
// Step 3. A directory descriptor is a way out of any chroot: openat(fd, "..")
// climbs to the real root. Chromium passes none; a caller that does gets a
// clear refusal instead of a sandbox with a hole in it.

void refuse_directory_descriptors() {
  const int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) fail_errno(kExitFatal, "open /proc/self/fd (is /proc mounted?)", errno);
  alignas(alignof(dirent64)) char buf[4096];
  for (;;) {
    const ssize_t n = getdents64(dir, buf, sizeof(buf));
    if (n < 0) fail_errno(kExitFatal, "reading /proc/self/fd", errno);
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buf + off);
      off += entry->d_reclen;
      long fd = 0;
      struct stat st;
      if (!parse_long(entry->d_name, 0, INT_MAX, &fd) || fd == dir) continue;
      if (fstat(static_cast<int>(fd), &st) == 0 && S_ISDIR(st.st_mode)) {
        char what[64];
        std::snprintf(what, sizeof(what), "inherited descriptor %ld", fd);
        fail(kExitDirectoryFd, what,
             "is a directory, which leads out of any chroot; close it before starting sbx-helper");
      }
    }
  }
  close(dir);
}
// Step 4. From here on, TERM, INT, HUP, TSTP, CONT and CHLD are held
// (blocked) until the waiter takes them with sigwaitinfo: a Ctrl-C during
// set-up is passed on like any other, instead of killing the original
// process and orphaning the target. SIGCHLD gets its default action back: a
// caller that ignores it would have its children reaped behind the waiter's
// back (the program starts with it at default too). A pidfd of this process
// lets the target notice a waiter killed outright (SIGKILL) before it could
// arrange to die with it.

sigset_t held_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTSTP);
  sigaddset(&set, SIGCONT);
  sigaddset(&set, SIGCHLD);
  return set;
}

void hold_signals(TargetStart* start) {
  const sigset_t held = held_signals();
  if (sigprocmask(SIG_BLOCK, &held, &start->caller_mask) != 0) fail_errno(kExitFatal, "sigprocmask", errno);
  if (signal(SIGCHLD, SIG_DFL) == SIG_ERR) fail_errno(kExitFatal, "signal(SIGCHLD)", errno);
  start->waiter_pidfd = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
  if (start->waiter_pidfd < 0) fail_errno(kExitFatal, "pidfd_open (Linux 5.3 or later is needed)", errno);
}

// Step 5. The caller's process limit. Every process of the sandbox is the
// caller's (its real uid) and counts against the caller's RLIMIT_NPROC, but
// the kernel lets a clone made with CAP_SYS_ADMIN or CAP_SYS_RESOURCE pass
// the limit, and ours (step 6, and the chroot helper's, step 9) need
// CAP_SYS_ADMIN: a caller at its limit would still get two processes, and
// helpers started in a chain as many as it likes. So first a probe, with
// those two capabilities out of our effective set: a child that forks a
// grandchild (as many processes as the sandbox's start adds), both ending
// at once. If the kernel refuses either (EAGAIN), nothing starts. The
// capabilities come back before step 6.
void respect_process_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NPROC, &limit) == 0 && limit.rlim_cur == RLIM_INFINITY) return;  // no limit to respect
  cap_t saved = cap_get_proc();  // what we have, to come back to (a container may lack some)
  cap_t lowered = saved != nullptr ? cap_dup(saved) : nullptr;
  if (lowered == nullptr) fail_errno(kExitFatal, "cap_get_proc", errno);
  const cap_value_t exempting[] = {CAP_SYS_ADMIN, CAP_SYS_RESOURCE};
  if (cap_set_flag(lowered, CAP_EFFECTIVE, 2, exempting, CAP_CLEAR) != 0 || cap_set_proc(lowered) != 0)
    fail_errno(kExitFatal, "lowering the effective capabilities for the process limit's probe", errno);
  cap_free(lowered);
  const pid_t probe = fork();
  if (probe == 0) {
    const pid_t second = fork();
    if (second == 0) _exit(0);
    if (second < 0) _exit(errno == EAGAIN ? 1 : 2);
    waitpid(second, nullptr, 0);
    _exit(0);
  }
  const int fork_error = errno;
  int status = 0;
  if (probe > 0) waitpid(probe, &status, 0);
  const bool restored = cap_set_proc(saved) == 0;
  const int restore_error = errno;
  cap_free(saved);
  if (!restored) fail_errno(kExitFatal, "raising the effective capabilities again after the probe", restore_error);
  const bool at_limit =
      (probe < 0 && fork_error == EAGAIN) || (probe > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 1);
  if (at_limit)
    fail(kExitProcessLimit, "starting the sandbox",
         "you are at your process limit (RLIMIT_NPROC, ulimit -u): the sandbox's processes count against it");
  if (probe < 0) fail_errno(kExitFatal, "fork (the process limit's probe)", fork_error);
}

// Step 6. New PID and network namespaces. The target is our child and the
// first process (PID 1) of the new PID namespace, as Chromium expects. A
// kernel without one of the namespaces answers EINVAL: fall back to fewer and
// say so; any other error is fatal, since it means the sandbox cannot be had.
// userns: no fallback. The namespaces all belong to our user namespace, and
// a kernel that has user namespaces without PID or network ones gets no
// sandbox from this mode.
//
// The target starts vfork-style: it runs in our memory, on its own stack,
// while we (the original process) sleep until it has exec'd the program or
// exited. Nothing is copied, and nothing runs in our memory but our own code:
// by the time we wake up, the target has its own address space.

alignas(16) char g_target_stack[128 * 1024];

[[noreturn]] void run_waiter(pid_t target, bool target_is_pid1, const TargetStart& start);

[[noreturn]] void enter_namespaces(TargetStart* start) {
  static const struct {
    int flags;
    const char* what;
  } kAttempts[] = {
      {CLONE_NEWPID | CLONE_NEWNET, "PID and network namespaces"},
      {CLONE_NEWPID, "a PID namespace alone"},
      {CLONE_NEWNET, "a network namespace alone"},
      {0, "no new namespace"},
  };
  for (const auto& attempt : kAttempts) {
    start->namespaces = attempt.flags;  // on our stack: we sleep until the target execs
    const pid_t pid = clone(run_target, g_target_stack + sizeof(g_target_stack),
                            CLONE_VM | CLONE_VFORK | attempt.flags | SIGCHLD, start);
    if (pid > 0) run_waiter(pid, attempt.flags & CLONE_NEWPID, *start);
    char what[80];
    std::snprintf(what, sizeof(what), "clone with %s", attempt.what);
    if (errno != EINVAL || attempt.flags == 0 || g_user_namespace) fail_errno(kExitNamespace, what, errno);
    char reason[120];
    std::snprintf(reason, sizeof(reason), "the kernel cannot create %s (EINVAL); trying with fewer", attempt.what);
    print_line("namespaces", reason);
  }
  __builtin_unreachable();  // the last attempt either runs the waiter or fails
}

// Step 6, the original process from here on: the waiter. The target is in its
// own PID namespace, so somebody outside must wait for it, pass signals on
// and report its status. It keeps nothing: no privileges (step 10), no
// inherited descriptors beyond stdin, stdout and stderr. If it cannot drop
// privileges, it kills the target (PID 1 of the new namespace, so the whole
// namespace goes with it) rather than leave a sandbox nobody reports on.

// Whether the program catches or ignores sig, from /proc/PID/status.
bool program_handles(pid_t target, int sig) {
  char path[32];
  std::snprintf(path, sizeof(path), "/proc/%d/status", static_cast<int>(target));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[4096];
  const ssize_t n = read(fd, text, sizeof(text));
  close(fd);
  unsigned long long ignored = 0;
  unsigned long long caught = 0;
  if (n <= 0 || !parse_signal_masks(text, static_cast<size_t>(n), &ignored, &caught)) return false;
  return ((ignored | caught) >> (sig - 1) & 1) != 0;
}

// A signal for the waiter is meant for the program. But as PID 1 of its
// namespace the program never gets a signal it neither catches nor ignores
// (the kernel drops it, even from outside). Then do what the signal's
// default action would have done, end the program, and report that signal.
void pass_signal(pid_t target, int sig, bool target_is_pid1, int* reported_signal) {
  if (target_is_pid1 && !program_handles(target, sig)) {
    *reported_signal = sig;
    kill(target, SIGKILL);
    return;
  }
  kill(target, sig);
}

// Job control. The program is in a session of its own (step 8), so the
// terminal's Ctrl-Z (SIGTSTP) and the shell's fg/bg (SIGCONT) reach only the
// waiter. Pass them on to the program's whole process group (its threads,
// the trusted process, its children): SIGSTOP, which no process can refuse,
// then stop the waiter too, so that the shell sees the job stopped.
// SIGCONT resumes a stopped process even when it is held, and its arrival
// resumes the group. A group member that is not ours (the chroot helper,
// root) refuses the signal; kill still reaches the others.
void pass_job_control(pid_t target, int sig) {
  if (sig == SIGTSTP) {
    kill(-target, SIGSTOP);
    raise(SIGSTOP);
  } else {
    kill(-target, SIGCONT);
  }
}

// In UID-range mode the waiter keeps the caller's real uid (the caller may
// signal it, and it counts against the caller's limit) with the sandbox's
// UID as effective and saved uid, so that it may pass signals on to the
// program, whose ids are all the range UID (kill's rule: the sender's real
// or effective uid is the target's real or saved one).
Failure drop_waiter_privileges(const TargetStart& start) {
  // No UID taken: no range, or the target failed before it took one (and
  // has exited: we run once it has exec'd or exited).
  const uid_t euid = start.range_uid != 0 ? start.range_uid : start.caller_uid;
  return drop_privileges(start.caller_uid, euid, start.caller_gid, start.caller_gid);
}

[[noreturn]] void run_waiter(pid_t target, bool target_is_pid1, const TargetStart& start) {
  if (const Failure f = drop_waiter_privileges(start); f.what != nullptr) {
    kill(target, SIGKILL);
    waitpid(target, nullptr, 0);
    fail(kExitDropRoot, f.what, f.reason);
  }
  close_range(3, ~0U, 0);

  // Wait for the target or a held signal, whichever comes first. Checking
  // first and then waiting for SIGCHLD loses nothing: both stay pending.
  const sigset_t held = held_signals();
  int reported_signal = 0;
  for (;;) {
    int status = 0;
    const pid_t reaped = waitpid(target, &status, WNOHANG);
    if (reaped == target) {
      const bool ended_for_signal = reported_signal != 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      _exit(ended_for_signal ? kExitSignalBase + reported_signal : exit_code_for_wait_status(status));
    }
    if (reaped < 0 && errno != EINTR) fail_errno(kExitFatal, "waiting for the sandboxed program", errno);
    siginfo_t info;
    const int sig = sigwaitinfo(&held, &info);
    if (sig == SIGTSTP || sig == SIGCONT) pass_job_control(target, sig);
    else if (sig > 0 && sig != SIGCHLD) pass_signal(target, sig, target_is_pid1, &reported_signal);
  }
}

// Step 7 (target). Tell the program which namespaces it is in: present (and
// empty) when created, absent otherwise, whatever the caller had set.

void export_namespaces(int flags) {
  const bool ok = ((flags & CLONE_NEWPID) ? setenv(kEnvPidNamespace, "", 1) : unsetenv(kEnvPidNamespace)) == 0 &&
                  ((flags & CLONE_NEWNET) ? setenv(kEnvNetNamespace, "", 1) : unsetenv(kEnvNetNamespace)) == 0;
  if (!ok) fail_errno(kExitEnvironment, "setenv SBX_PID_NS/SBX_NET_NS", errno);
}

// Step 8 (target). A session of its own: the program has no controlling
// terminal, so it cannot push input into the caller's (TIOCSTI needs the
// terminal to be the caller's controlling one, or CAP_SYS_ADMIN).

void leave_caller_session() {
  if (setsid() < 0) fail_errno(kExitFatal, "setsid", errno);
}

// Step 9 (target). The chroot helper. It shares our filesystem context
// (CLONE_FS: root and working directory), keeps root, and waits for one byte.
// On 'C' it chroots the shared context into its own /proc/self/fdinfo: an
// empty directory that nobody can write, and that is gone once the helper has
// exited and been reaped. Then it answers 'O' and exits; the client reaps it
// before reading the answer. It holds nothing else: one socket, stderr, and a
// descriptor limit of zero.
//
// It also shares our memory (CLONE_VM), on its own stack, so that starting it
// copies nothing. Once the target has exec'd, the only other process in that
// memory is the waiter, which runs only our code and, after dropping its
// privileges, is not dumpable: the unprivileged user can neither trace it nor
// read or write its memory (ptrace, /proc/PID/mem and process_vm_* all check
// dumpability). The helper uses no heap and nothing of the waiter's but errno.
//
// userns: there is no root to become. The helper keeps CAP_SYS_CHROOT of
// the user namespace and nothing else (effective and permitted, and the
// bounding set), in memory that step 2u made not dumpable, which it checks.
// The program, of the same uid in the same user namespace, can therefore
// not trace it or reach its memory, descriptors or root through /proc (the
// kernel wants the tracer's capabilities to include the traced one's, and,
// for a process that is not dumpable, CAP_SYS_PTRACE over the namespace the
// memory was made in: the initial one). It can signal it, as the caller
// can: that only denies itself the chroot, and a client that checks the
// chroot then stops (docs/protocol.md).
[[noreturn]] void run_chroot_helper(int sock) {
  // Fully root: the unprivileged user (our real uid until now) may no longer
  // signal us, so only our one job or exit can happen. userns: CAP_SYS_CHROOT
  // alone instead (keep_only_chroot_capability, user_namespace.cc).
  if (g_user_namespace) keep_only_chroot_capability();
  else if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) fail_errno(1, "chroot helper: setresuid(0)", errno);
  // Die with the target (set after the credential change, which clears it).
  // Without a PID namespace to take us down, end of file on the socket does.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail_errno(1, "chroot helper: PR_SET_PDEATHSIG", errno);
  // Keep the socket and stderr, nothing else (glibc gives a setuid program
  // open fds 0-2, so the socket is above them).
  close_range(STDIN_FILENO, STDOUT_FILENO, 0);
  if (sock > STDERR_FILENO + 1) close_range(STDERR_FILENO + 1, static_cast<unsigned>(sock) - 1, 0);
  close_range(static_cast<unsigned>(sock) + 1, ~0U, 0);
  const struct rlimit no_files = {0, 0};
  if (setrlimit(RLIMIT_NOFILE, &no_files) != 0) fail_errno(1, "chroot helper: setrlimit(RLIMIT_NOFILE)", errno);

  char request = 0;
  ssize_t n;
  do {
    n = read(sock, &request, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 0) _exit(0);  // the target went away or does not want a chroot
  if (n < 0) fail_errno(1, "chroot helper: read", errno);
  if (request != kMsgChrootMe) {
    char reason[80];
    std::snprintf(reason, sizeof(reason), "unexpected request byte 0x%02x (expected 'C'); not chrooting",
                  static_cast<unsigned char>(request));
    fail(1, "chroot helper", reason);
  }

  if (chdir(kEmptyDirectory) != 0) fail_errno(1, "chroot helper: chdir /proc/self/fdinfo", errno);
  if (chroot(".") != 0) fail_errno(1, "chroot helper: chroot", errno);
  if (chdir("/") != 0) fail_errno(1, "chroot helper: chdir /", errno);

  const char reply = kMsgChrootDone;
  do {
    n = write(sock, &reply, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) fail_errno(1, "chroot helper: write reply", errno);
  _exit(0);
}

alignas(16) char g_chroot_helper_stack[32 * 1024];

int chroot_helper_main(void* sock) { run_chroot_helper(static_cast<int>(reinterpret_cast<intptr_t>(sock))); }

void spawn_chroot_helper() {
  // /proc is there: step 3 read /proc/self/fd.
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) fail_errno(kExitChrootHelper, "socketpair", errno);
  // The descriptor travels by value: our stack frame may be gone by the time
  // the helper reads its argument. The helper closes its copy of sv[1].
  const pid_t pid = clone(chroot_helper_main, g_chroot_helper_stack + sizeof(g_chroot_helper_stack),
                          CLONE_VM | CLONE_FS | SIGCHLD, reinterpret_cast<void*>(static_cast<intptr_t>(sv[0])));
  if (pid < 0) fail_errno(kExitChrootHelper, "clone of the chroot helper", errno);
  close(sv[0]);

  // sv[1] stays open across exec: it is the program's end of the handshake.
  char number[24];
  format_decimal(sv[1], number, sizeof(number));
  if (setenv(kEnvDescriptor, number, 1) != 0) fail_errno(kExitEnvironment, "setenv SBX_D", errno);
  format_decimal(pid, number, sizeof(number));
  if (setenv(kEnvHelperPid, number, 1) != 0) fail_errno(kExitEnvironment, "setenv SBX_HELPER_PID", errno);
}
// Step 10 (target and waiter). The privilege drop. The order matters: the
// bounding set can only be emptied while we hold CAP_SETPCAP, groups only
// while we hold CAP_SETGID, and the gid only before the uid. Everything is
// read back afterwards: a drop that did not happen is a failure, never a
// warning. userns: the same drop of the user namespace's capabilities (the
// ids are already the caller's), without setgroups, which the namespace
// denies (step 2u): the supplementary groups stay.

Failure failed(const char* what) { return {what, std::strerror(errno)}; }

Failure drop_privileges(uid_t uid, uid_t euid, gid_t gid, gid_t egid) {
  // Not dumpable: nobody may trace or read the memory of a process that was
  // root a moment ago. (A credential change does this too; say it plainly.)
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return failed("prctl(PR_SET_DUMPABLE)");

  const cap_value_t cap_count = cap_max_bits();
  for (cap_value_t cap = 0; cap < cap_count; ++cap)
    if (cap_drop_bound(cap) != 0) return failed("emptying the capability bounding set");
  if (cap_reset_ambient() != 0) return failed("clearing the ambient capabilities");

  if (!g_user_namespace && setgroups(0, nullptr) != 0) return failed("setgroups(0)");

  // The real ids as given; the effective ones also become the saved ones.
  if (setresgid(gid, egid, egid) != 0) return failed("setresgid");
  if (setresuid(uid, euid, euid) != 0) return failed("setresuid");

  // A caller whose real uid is 0 keeps its capabilities through setresuid;
  // clear them so that even root ends up with none.
  cap_t none = cap_init();
  if (none == nullptr) return failed("cap_init");
  if (cap_clear(none) != 0 || cap_set_proc(none) != 0) {
    const Failure f = failed("clearing the capabilities");
    cap_free(none);
    return f;
  }

  // Read it all back. The ambient set needs no separate look: the kernel
  // keeps it inside permitted, which must now be empty.
  uid_t u[3];
  gid_t g[3];
  bool ok = getresuid(&u[0], &u[1], &u[2]) == 0 && getresgid(&g[0], &g[1], &g[2]) == 0 && u[0] == uid && u[1] == euid &&
            u[2] == euid && g[0] == gid && g[1] == egid && g[2] == egid &&
            (g_user_namespace || getgroups(0, nullptr) == 0);
  cap_t now = ok ? cap_get_proc() : nullptr;
  ok = ok && now != nullptr && cap_compare(now, none) == 0;
  for (cap_value_t cap = 0; ok && cap < cap_count; ++cap) ok = cap_get_bound(cap) == 0;
  if (now != nullptr) cap_free(now);
  cap_free(none);
  if (!ok) return {"verifying the privilege drop", "a uid, gid, group or capability is still there"};

  // No exec may ever give privileges back (setuid files, file capabilities).
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("prctl(PR_SET_NO_NEW_PRIVS)");
  return {nullptr, nullptr};
}
// Step 12 (target). The loader removed the unsafe variables (LD_PRELOAD and
// its kind) because we are setuid; the caller saved them as SANDBOX_<NAME>.
// Now that we are the caller's uid again, they are safe to put back: the
// program runs with nothing more than the caller's own rights. userns: the
// loader kept them (we are not setuid), so remove them first as it would
// have: the program's environment is the same in both modes.

void restore_saved_environment() {
  for (const char* const* name = kUnsecureEnvironment; *name != nullptr; ++name) {
    char saved[64];
    if (!saved_variable_name(*name, saved, sizeof(saved))) fail(kExitEnvironment, *name, "name too long");
    if (g_user_namespace && unsetenv(*name) != 0) fail_errno(kExitEnvironment, *name, errno);
    const char* value = std::getenv(saved);
    if (value == nullptr) continue;
    if (setenv(*name, value, 1) != 0 || unsetenv(saved) != 0) fail_errno(kExitEnvironment, saved, errno);
  }
}

// Step 11 (target). If the waiter dies (even by SIGKILL), the program gets
// SIGKILL, and as PID 1 takes its whole namespace with it. The parent-death
// signal is set after the last credential change, which would clear it; the
// pidfd catches a waiter that died before it was set.

void die_with_waiter(int waiter_pidfd) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail_errno(kExitFatal, "prctl(PR_SET_PDEATHSIG)", errno);
  struct pollfd waiter = {waiter_pidfd, POLLIN, 0};
  if (poll(&waiter, 1, 0) != 0) fail(kExitFatal, "the waiting sbx-helper process is gone", "not starting the program");
  close(waiter_pidfd);
}

// The target: steps 7 to 13, as PID 1 of the new namespaces. Step 13 is the
// exec of the program, by path; our own memory is then the waiter's again.

[[noreturn]] int run_target(void* arg) {
  TargetStart* start = static_cast<TargetStart*>(arg);
  export_namespaces(start->namespaces);
  leave_caller_session();
  spawn_chroot_helper();
  uid_t uid = start->caller_uid;
  gid_t gid = start->caller_gid;
  uid_t euid = uid;
  gid_t egid = gid;
  if (start->range.configured()) {
    take_range_uid(start);
    uid = euid = start->range_uid;
    gid = egid = static_cast<gid_t>(start->range_uid);  // the matching GID
    // sbx run's first stage forks its trusted process with the caller's
    // effective uid, then drops it (docs/SECURITY.md, "UID-range mode").
    if (start->files_as_caller) {
      euid = start->caller_uid;
      egid = start->caller_gid;
    }
  }
  if (const Failure f = drop_privileges(uid, euid, gid, egid); f.what != nullptr) fail(kExitDropRoot, f.what, f.reason);
  if (start->range.configured() && !confine_range_uid(start->range_uid, start->files_as_caller))
    fail_errno(kExitDropRoot, "UID-range mode: installing the filter that keeps the range UID in the sandbox", errno);
  die_with_waiter(start->waiter_pidfd);
  restore_saved_environment();
  if (sigprocmask(SIG_SETMASK, &start->caller_mask, nullptr) != 0) fail_errno(kExitFatal, "sigprocmask", errno);
  execv(start->argv[1], &start->argv[1]);
  char what[300];
  std::snprintf(what, sizeof(what), "execv %s", start->argv[1]);
  fail_errno(kExitExec, what, errno);
}

}  // namespace

int main(int argc, char** argv) {
  const Mode mode = classify_command_line(argc, argv);
  switch (mode) {
    case Mode::kUsageError: print_usage(STDERR_FILENO); return kExitUsage;
    case Mode::kHelp: print_usage(STDOUT_FILENO); return 0;
    case Mode::kVersion: {
      static const char version[] = "sbx-helper " SBX_VERSION " (Chromium SUID sandbox API 1)\n";
      return write(STDOUT_FILENO, version, sizeof(version) - 1) > 0 ? 0 : 1;
    }
    case Mode::kGetApi: return write(STDOUT_FILENO, "1\n", 2) == 2 ? 0 : 1;
    case Mode::kAdjustOomScore: return adjust_oom_score(argv[2], argv[3]);
    case Mode::kRun: break;
    case Mode::kRunUserns: ++argv; break;  // argv[1] is now PROGRAM, as in kRun
  }

  check_api_request();
  if (mode == Mode::kRunUserns || geteuid() != 0) enter_user_namespace();
  else require_setuid_root();
  refuse_directory_descriptors();
  TargetStart start = {argv, 0, {}, -1, {}, getuid(), getgid(), 0, false};
  if (!g_user_namespace) read_helper_config(&start.range);  // userns: no range, no configuration read
  files_as_caller_request(&start);
  hold_signals(&start);
  respect_process_limit();
  enter_namespaces(&start);  // never returns: we become the waiter, the target runs steps 7-13
}
