// sbx-zygote: the first stage of sbx run, the zygote of the sandbox. It is
// sbx's own code, run by sbx-helper in the program's place (PID 1 of the new
// namespaces, the caller's uid or in UID-range mode the range UID (4a), no
// capabilities, no_new_privs), and it
// completes the sandbox before anything of the program exists:
//
//   sbx-zygote TRUSTED SHIM PROGRAM ARGV0 [ARG...]     (SBX_POLICY_FD, SBX_D in the environment)
//
//   1  read_policy            the sealed, compiled policy (SBX_POLICY_FD)
//   2  open_runnable          the program, and the system's loader unless the
//                             program is static, by descriptor while they
//                             can still be seen
//   3  restrict_files         Landlock: files only as the rules say (landlock.h)
//   4  start_trusted_process  fork, and exec the trusted binary: a fresh
//                             process that never holds the program
//   4a drop_caller_euid       UID-range mode for sbx run: the helper started us
//                             with the caller's euid for the trusted process to
//                             inherit; from here on we are the range UID alone
//   5  restrict_exec          Landlock: only the loader, the static program
//                             and what the rules let it read may run
//   6  chroot_me              'C' on SBX_D; the helper answers 'O'
//   7  fork                   the first program's process; we stay as the
//                             sandbox's init (be_init)
//   8  install_filter         (the child) PR_SET_MDWE first if the policy says
//                             deny-write-execute (deny_write_execute); then the
//                             policy's seccomp filter with its listener; the
//                             trusted process takes the listener
//   9  execveat               (the child) execveat(loader, "", {loader, --argv0
//                             ARGV0, --preload SHIM, PROGRAM, ARG...}, AT_EMPTY_PATH)
//
// As PID 1 we reap every orphan, pass the signals the helper's waiter hands
// us to the program, and end when the program ends, with its status (128+N
// for a signal): the kernel then ends every process left in the namespace.
// If the trusted process ends first, the program could no longer be
// served: we end the sandbox, and say so; if it is stopped, we continue
// it. No core dumps (the hard limit is 0). We run none of the program's
// code, cannot be traced (not dumpable), and run under builtin:sandbox-init.
//
// The loader (Debian's ld.so is static-pie, no PT_INTERP) runs from its
// descriptor inside the empty root and loads the program named in its
// arguments, so the program's own PT_INTERP is never used, and every file it
// opens goes through the filter and the trusted process. The program's
// preinit functions, IFUNC resolvers and constructors all run inside the
// finished sandbox. A static program is executed from its own descriptor.
//
// Any failure says "sbx: <what failed>: <reason>" and exits 125
// (kExitSandboxFailed): nothing of the program has run.
#include <elf.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "landlock.h"
#include "message.h"
#include "policy.h"
#include "sandbox.h"

// Linux 6.3 (Debian 12's headers are older).
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

extern char** environ;
// builtin:sandbox-init, compiled at build time (policy/embed_bpf).
extern const uint64_t kSandboxInitBpf[];
extern const size_t kSandboxInitBpf_size;

namespace {

using sbx::policy::Compiled;

using sbx::kSystemLoader;

[[noreturn]] void die(const char* what, const char* reason) {
  sbx::print_failure("sbx", what, reason);
  _exit(sbx::kExitSandboxFailed);
}

[[noreturn]] void die_errno(const char* what) { die(what, std::strerror(errno)); }

int env_fd(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return -1;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (*end == '\0' && n >= 0 && n <= INT_MAX) ? static_cast<int>(n) : -1;
}

// 1. The policy sbx run compiled, sealed so nobody changes it under us.
Compiled read_policy(int* fd) {
  *fd = env_fd(sbx::kEnvPolicyFd);
  if (*fd < 0) die("sbx-zygote", "no SBX_POLICY_FD: the first stage is started by 'sbx run' only");
  std::string why;
  auto compiled = sbx::policy::read_sealed(*fd, &why);
  if (!compiled) die("policy", why.c_str());
  return *compiled;
}

// UID-range mode for sbx run (docs/SECURITY.md, "UID-range mode"): the
// helper started us with the range UID as real uid and the caller's as
// effective uid, so the kernel ran us in secure mode (AT_SECURE), and the
// static libc took its "unsecure" variables (TMPDIR, LD_PRELOAD, ...) out
// of our environment, which the helper had just put back for the program.
// The kernel's copy of the environment the helper passed is intact: take
// it. Only in that mode (nothing else starts us with AT_SECURE).
void keep_passed_environment() {
  if (getauxval(AT_SECURE) == 0 || getuid() == geteuid()) return;
  static std::string block;
  static std::vector<char*> entries;
  // Not dumpable after a secure exec, our /proc files are root's: be
  // dumpable for the open (no one but root could trace us: our real and
  // effective uids differ, and nothing of the program exists yet).
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  const int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
  const int err = errno;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (fd < 0) die("open /proc/self/environ", std::strerror(err));
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die_errno("read /proc/self/environ");
    block.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (!block.empty() && block.back() != '\0') block.push_back('\0');
  for (size_t i = 0; i < block.size(); i = block.find('\0', i) + 1)
    if (block[i] != '\0') entries.push_back(&block[i]);
  entries.push_back(nullptr);
  environ = entries.data();
}

// 4a. Once the trusted process has our ids (real: the range UID, for the
// kernel's ptrace checks on the program; effective: the caller's, for the
// files it creates), we keep the range UID alone, before anything of the
// program exists. Checked; a failure ends the sandbox.
void drop_caller_euid() {
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  if (uid == geteuid() && gid == getegid()) return;
  if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) die_errno("dropping the caller's uid");
  uid_t r, e, s;
  gid_t rg, eg, sg;
  if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 || r != uid || e != uid || s != uid || rg != gid ||
      eg != gid || sg != gid)
    die("dropping the caller's uid", "the caller's uid or gid is still there");
}

// Whether the ELF file at fd asks for a loader (PT_INTERP).
bool is_dynamic(int fd, const char* name) {
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 || eh.e_phentsize != sizeof(Elf64_Phdr))
    die(name, "not an x86-64 ELF program");
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (pread(fd, &ph, sizeof(ph), static_cast<off_t>(eh.e_phoff + static_cast<uint64_t>(i) * sizeof(ph))) !=
        sizeof(ph))
      die(name, "truncated ELF program headers");
    if (ph.p_type == PT_INTERP) return true;
  }
  return false;
}

// 2. What the kernel will execute: the loader for a dynamic program, the
// program itself for a static one. Opened while the host can be seen.
int open_runnable(const char* program, bool* dynamic) {
  const int fd = open(program, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(program, std::strerror(errno));
  *dynamic = is_dynamic(fd, program);
  if (!*dynamic) return fd;
  close(fd);
  const int loader = open(kSystemLoader, O_RDONLY | O_CLOEXEC);
  if (loader < 0) die(kSystemLoader, std::strerror(errno));
  if (is_dynamic(loader, kSystemLoader))
    die(kSystemLoader, "the loader itself asks for a loader; it cannot run from a descriptor");
  return loader;
}

// 4. The trusted process: a child that keeps only its socket, the policy and
// stderr, and executes the trusted binary from the descriptor the files
// domain names (so what runs is what was opened). Between fork and exec it
// runs only this code; nothing of the program exists yet.
pid_t start_trusted_process(int trusted_fd, int policy_fd, int* sock) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) die_errno("socketpair for the trusted process");
  const pid_t pid = fork();
  if (pid < 0) die_errno("fork of the trusted process");
  if (pid == 0) {
    // Descriptors 3 and 4 as sandbox.h says (through fresh numbers, so that
    // neither overwrites the other); every other one closed at the exec.
    // The binary's descriptor is moved out of the way as well: with the
    // caller's stdin closed it may be 0, which is closed below.
    const int socket_copy = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
    const int policy_copy = fcntl(policy_fd, F_DUPFD_CLOEXEC, 10);
    const int binary = fcntl(trusted_fd, F_DUPFD_CLOEXEC, 10);
    if (socket_copy < 0 || policy_copy < 0 || binary < 0 || dup2(socket_copy, sbx::kTrustedSocketFd) < 0 ||
        dup2(policy_copy, sbx::kTrustedPolicyFd) < 0)
      die_errno("trusted process: dup2");
    close_range(sbx::kTrustedPolicyFd + 1, ~0U, CLOSE_RANGE_CLOEXEC);
    // Not the caller's stdin and stdout either (stderr stays, for messages).
    close(STDIN_FILENO);
    close(STDOUT_FILENO);
    // The fast route of brokered opens, only if sbx run asked for it (the
    // "+" list of opens in SBX_REWRITE's head, before its first ';'):
    // without it the trusted process answers no call on the route.
    const char* rewrite = std::getenv(sbx::kEnvRewrite);
    bool open_route = false;
    for (const char* c = rewrite; c != nullptr && *c != '\0' && *c != ';'; ++c) open_route |= *c == '+';
    char* const argv[] = {const_cast<char*>("sbx-trusted"), open_route ? const_cast<char*>("--open-route") : nullptr,
                          nullptr};
    char* const envp[] = {nullptr};
    syscall(SYS_execveat, binary, "", argv, envp, AT_EMPTY_PATH);
    die_errno("starting the trusted process (execveat)");
  }
  close(sv[1]);
  *sock = sv[0];
  // Yama may require the tracee to name who may read its memory.
  prctl(PR_SET_PTRACER, pid, 0, 0, 0);
  return pid;
}

// Whether the chroot happened, as Chromium's client checks it
// (IsFileSystemAccessDenied) instead of trusting the reply byte: our root is
// now the reaped helper's /proc/self/fdinfo, which no longer opens (ENOENT
// or ESRCH). An open that succeeds, or fails otherwise (EACCES is Landlock
// refusing the real root), means the root is still the host's.
void require_dead_root() {
  const int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root >= 0) {
    close(root);
    die("chroot", "the helper answered 'O' but / can still be opened: not chrooted");
  }
  if (errno != ENOENT && errno != ESRCH) {
    const std::string reason =
        std::string("opening / failed with ") + std::strerror(errno) + ", not as in the empty chroot (ENOENT or ESRCH)";
    die("chroot", reason.c_str());
  }
}

// 6. The chroot, as Chromium's protocol asks for it.
void chroot_me() {
  const int sock = env_fd(sbx::kEnvDescriptor);
  const int helper = env_fd(sbx::kEnvHelperPid);
  if (sock < 0 || helper < 0) die("chroot", "not started through sbx-helper (no SBX_D)");
  if (write(sock, &sbx::kMsgChrootMe, 1) != 1) die_errno("chroot: write to SBX_D");
  if (waitpid(helper, nullptr, 0) < 0 && errno != ECHILD) die_errno("chroot: waiting for the helper");
  char reply = 0;
  if (read(sock, &reply, 1) != 1 || reply != sbx::kMsgChrootDone)
    die("chroot", "the helper did not confirm the chroot");
  close(sock);
  require_dead_root();
}

// 8, first. deny-write-execute (docs/policy.md, "Memory: write or execute"):
// from now on this process, and every process it forks and every program
// they execute (the kernel keeps the flag over fork and execve, and nobody
// can clear it), may not map memory writable and executable, nor make
// executable what is not (mmap and mprotect fail with EACCES). The loader
// maps its segments executable from the start, which stays allowed. A
// kernel without it (before 6.3) answers EINVAL: the policy asked for a
// protection we cannot give, so nothing runs (fail closed).
void deny_write_execute() {
  if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) == 0) return;
  if (errno == EINVAL)
    die("deny-write-execute", "this kernel has no PR_SET_MDWE (Linux 6.3 or later); the policy asks for it (write "
                              "'deny-write-execute off' in a policy that includes it to run without)");
  die_errno("prctl(PR_SET_MDWE)");
}

// 8. The filter, with a listener the trusted process takes. After it is
// installed, the policy decides every call we make, so we make few: read
// the trusted process's word, close our copy of the listener (the program
// must never hold it, or it could answer its own calls), execveat.
// The trusted process closed its end of the socket before taking the
// listener: it has ended (or is ending), and init says so, once, and ends
// the sandbox. This process waits for that end instead of saying it again
// (nothing of the program has run: no filter yet, or no answer to it).
[[noreturn]] void wait_for_the_end() {
  for (;;) pause();
}

void install_filter(const Compiled& policy, int sock) {
  int listener = -1;
  if (policy.uses_broker) {
    // The lowest free descriptor is where the kernel will put the listener
    // (found through a descriptor we know is open: stdin may be closed).
    listener = fcntl(sock, F_DUPFD, 0);
    if (listener < 0) die_errno("finding a free descriptor");
    close(listener);
    const sbx::ListenerAt at{static_cast<int>(getpid()), listener};
    ssize_t sent;
    do sent = write(sock, &at, sizeof(at));
    while (sent < 0 && errno == EINTR);
    if (sent != sizeof(at)) wait_for_the_end();
  }
  sock_fprog prog{static_cast<unsigned short>(policy.bpf.size()),
                  reinterpret_cast<sock_filter*>(const_cast<uint64_t*>(policy.bpf.data()))};
  unsigned flags = 0;
  if (policy.uses_broker) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  // Once the trusted process has taken a call, only a fatal signal may
  // interrupt the caller (docs/ARCHITECTURE.md, "Signals during a call").
  // Linux 5.19 has the flag; an older kernel answers EINVAL and goes without.
  const unsigned killable = policy.uses_broker ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | killable, &prog);
  if (rc < 0 && errno == EINVAL && killable != 0) rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0) die_errno("installing the seccomp filter");
  if (policy.uses_broker) {
    char taken = 0;
    ssize_t got;
    do got = read(sock, &taken, 1);
    while (got < 0 && errno == EINTR);
    if (got != 1 && rc == listener) wait_for_the_end();
    if (rc != listener || got != 1 || taken != sbx::kMsgListenerTaken) {
      static const char msg[] = "sbx: the trusted process did not take the seccomp listener; stopping\n";
      ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
      (void)ignored;
      _exit(sbx::kExitSandboxFailed);
    }
    close(listener);
  }
  close(sock);
}

// The program's environment: ours without the variables of the set-up,
// and the shim's path and core-dump switch, which the shim takes out again
// (sandbox.h).
std::vector<char*> program_environment(std::string* shim_entry, const char* shim, bool core_dumps) {
  static char core_entry[sizeof(sbx::kEnvCoreDumps) + 2];
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (name == sbx::kEnvPolicyFd || name == sbx::kEnvDescriptor || name == sbx::kEnvHelperPid ||
        name == sbx::kEnvShim || name == sbx::kEnvCoreDumps)
      continue;
    env.push_back(*e);
  }
  if (shim[0] != '\0') {
    *shim_entry = std::string(sbx::kEnvShim) + "=" + shim;
    env.push_back(shim_entry->data());
    if (core_dumps) {
      std::snprintf(core_entry, sizeof(core_entry), "%s=1", sbx::kEnvCoreDumps);
      env.push_back(core_entry);
    }
  }
  env.push_back(nullptr);
  return env;
}

// Our own filter as init: waiting, reaping, passing signals on, ending.
void confine_init() {
  sock_fprog prog{static_cast<unsigned short>(kSandboxInitBpf_size),
                  reinterpret_cast<sock_filter*>(const_cast<uint64_t*>(kSandboxInitBpf))};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) die_errno("installing init's own filter");
}

// The signals init passes to the program. Caught (so the helper's waiter,
// which reads our /proc status, hands them to us rather than end the
// sandbox), but blocked: sigwaitinfo takes them.
constexpr int kPassed[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH, SIGPIPE};

void on_passed_signal(int) {}

// Before the fork: init's signals caught and blocked, so that a signal the
// helper's waiter passes on as soon as the program runs finds them caught
// (or the waiter would end the sandbox for it). Returns the mask to give
// back to the program's process.
sigset_t catch_passed_signals(sigset_t* waited) {
  sigemptyset(waited);
  sigaddset(waited, SIGCHLD);
  struct sigaction sa {};
  sa.sa_handler = on_passed_signal;
  for (int sig : kPassed) {
    sigaddset(waited, sig);
    sigaction(sig, &sa, nullptr);
  }
  sigset_t before;
  sigprocmask(SIG_BLOCK, waited, &before);
  return before;
}

// 7. The sandbox's init, from the fork of the program's process to the end.
[[noreturn]] void be_init(pid_t program, pid_t trusted, const sigset_t& waited) {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // the program, our uid, may not trace us
  confine_init();
  for (;;) {
    int status = 0;
    pid_t reaped;
    while ((reaped = waitpid(-1, &status, WNOHANG | WUNTRACED)) > 0) {
      if (reaped == program && WIFSTOPPED(status)) continue;
      if (reaped == program) _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
      if (reaped == trusted && WIFSTOPPED(status)) {
        // Stopped: by the program (of our uid), which would hang every
        // call, or by job control (Ctrl-Z stops us all, and we only run
        // again once continued). Either way it goes on.
        kill(trusted, SIGCONT);
        continue;
      }
      if (reaped == trusted) {
        static const char msg[] = "sbx: the trusted process ended; stopping the sandbox\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)ignored;
        _exit(sbx::kExitSandboxFailed);
      }
    }
    siginfo_t info;
    const int sig = sigwaitinfo(&waited, &info);
    if (sig > 0 && sig != SIGCHLD) kill(program, sig);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) die("sbx-zygote", "usage: sbx-zygote TRUSTED SHIM PROGRAM ARGV0 [ARG...] (started by 'sbx run')");
  const char* trusted = argv[1];
  const char* shim = argv[2];
  const char* program = argv[3];

  keep_passed_environment();
  int policy_fd = -1;
  const Compiled policy = read_policy(&policy_fd);
  bool dynamic = false;
  const int runnable = open_runnable(program, &dynamic);
  const int trusted_fd = open(trusted, O_PATH | O_CLOEXEC);
  if (trusted_fd < 0) die(trusted, std::strerror(errno));
  // The program starts where sbx run was started: its own working
  // directory, which the chroot does not move (the trusted process answers
  // its relative paths from it, by the rules).
  const int start_dir = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (start_dir < 0) die_errno("opening the working directory");

  // The core-dir, where the trusted process makes cores (sbx run --core-dir).
  int core_dir = -1;
  if (!policy.core.dir.empty()) {
    core_dir = open(policy.core.dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (core_dir < 0) die(policy.core.dir.c_str(), std::strerror(errno));
  }

  std::string why;
  if (!sbx::zygote::restrict_files(policy.paths, {runnable, trusted_fd}, core_dir, &why, !policy.deny_write_execute))
    die("Landlock (files)", why.c_str());
  if (core_dir >= 0) close(core_dir);
  int sock = -1;
  pid_t trusted_pid = -1;
  if (policy.uses_broker) trusted_pid = start_trusted_process(trusted_fd, policy_fd, &sock);
  const bool dropped = getuid() != geteuid() || getgid() != getegid();
  drop_caller_euid();
  close(trusted_fd);
  close(policy_fd);
  if (!sbx::zygote::restrict_exec(policy.paths, runnable, &why)) die("Landlock (exec)", why.c_str());
  chroot_me();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die_errno("prctl(PR_SET_NO_NEW_PRIVS)");
  // No core dumps: the kernel writes a core itself, by path from the
  // process's working directory, asking neither the filter nor the trusted
  // process; where Landlock is wider than the rules (a rule for a path that
  // does not exist yet), it would replace a file outside them. The hard
  // limit too, so the program cannot raise it again.
  const rlimit no_core{0, 0};
  if (setrlimit(RLIMIT_CORE, &no_core) != 0) die_errno("setrlimit(RLIMIT_CORE)");

  // The program's arguments: the loader's options, then the program's own.
  std::vector<char*> args;
  if (dynamic) {
    args = {const_cast<char*>(kSystemLoader), const_cast<char*>("--argv0"), argv[4]};
    if (shim[0] != '\0') args.insert(args.end(), {const_cast<char*>("--preload"), const_cast<char*>(shim)});
    args.push_back(const_cast<char*>(program));
  } else {
    args.push_back(argv[4]);
  }
  for (int i = 5; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  std::string shim_entry;
  std::vector<char*> env = program_environment(&shim_entry, shim, !policy.core.dir.empty());

  sigset_t waited;
  const sigset_t before = catch_passed_signals(&waited);
  const pid_t child = fork();
  if (child < 0) die_errno("fork of the program's process");
  if (child == 0) {
    // The program's own mask (its handlers go back to the default at exec).
    sigprocmask(SIG_SETMASK, &before, nullptr);
    // Yama may require the tracee to name who may read its memory (a
    // ptracer named by our parent, init, is not inherited).
    if (trusted_pid > 0) prctl(PR_SET_PTRACER, trusted_pid, 0, 0, 0);
    // The credential change of 4a made us not dumpable; the trusted process
    // (the range UID) must take our listener before our exec, which would
    // make us dumpable again anyway.
    if (dropped) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (fchdir(start_dir) != 0) die_errno("fchdir to the working directory");
    close(start_dir);
    if (policy.deny_write_execute) deny_write_execute();
    install_filter(policy, sock);
    syscall(SYS_execveat, runnable, "", args.data(), env.data(), AT_EMPTY_PATH, sbx::kShimCallMark);
    die_errno("starting the program (execveat)");
  }
  close(start_dir);
  close(runnable);
  if (sock >= 0) close(sock);
  be_init(child, trusted_pid, waited);
}
