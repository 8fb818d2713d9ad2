// sbx doctor: what this machine and installation offer, and what to fix.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <tuple>

#include "commands.h"
#include "landlock_abi.h"
#include "pieces.h"
#include "policy.h"

namespace sbx::cli {

using namespace sbx::policy;

namespace {

enum class Verdict { kOk, kWarning, kError };

struct Doctor {
  int errors = 0;
  void line(Verdict v, const std::string& what, const std::string& found, const std::string& fix = "") {
    static const char* const kWords[] = {"ok     ", "warning", "error  "};
    std::cout << kWords[static_cast<int>(v)] << "  " << what << ": " << found;
    if (!fix.empty()) std::cout << "\n           fix: " << fix;
    std::cout << "\n";
    if (v == Verdict::kError) ++errors;
  }
};

std::string read_trimmed(const std::string& path) {
  std::string text;
  if (!read_file(path, &text)) return "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Installs an allow-everything filter with TSYNC in a child: whether the
// kernel takes seccomp filters, and synchronises them across threads.
bool seccomp_tsync_works() {
  const pid_t pid = fork();
  if (pid == 0) {
    sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    sock_fprog prog{1, &allow};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    _exit(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0 ? 0 : 1);
  }
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string first_line(const std::string& out) {
  return out.empty() ? std::string("no answer") : out.substr(0, out.find('\n'));
}

// Runs a shell through the helper (with --userns if userns) and returns what
// it printed: "pid" and "net" lines for the namespaces its program got, or
// the helper's message.
std::string helper_namespaces(const std::string& helper, bool userns) {
  std::string out;
  int fds[2];
  if (pipe(fds) != 0) return out;
  const pid_t child = fork();
  if (child == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    setenv("SBX_CHROME_API_RQ", "1", 1);
    const char* script = "test -n \"${SBX_PID_NS+x}\" && echo pid; test -n \"${SBX_NET_NS+x}\" && echo net";
    const char* with[] = {helper.c_str(), "--userns", "/bin/sh", "-c", script, nullptr};
    const char* without[] = {helper.c_str(), "/bin/sh", "-c", script, nullptr};
    execv(helper.c_str(), const_cast<char* const*>(userns ? with : without));
    _exit(127);
  }
  close(fds[1]);
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  if (child > 0) waitpid(child, nullptr, 0);
  return out;
}

}  // namespace

int doctor_command() {
  Doctor d;
  std::cout << "sbx " << SBX_VERSION << ": what this machine and installation offer\n\n";
  const Pieces pieces = find_pieces();
  const std::string& helper = pieces.helper;
  struct stat st;
  const bool helper_there = stat(helper.c_str(), &st) == 0;
  // The helper's two modes (docs/protocol.md): setuid mode, which Chromium
  // needs, and user-namespace mode, which sbx run uses without it. The
  // sandbox can work if either does; each is tried by asking the helper
  // which namespaces a program gets.
  bool setuid_works = false, userns_works = false;
  std::string setuid_problem, setuid_fix;
  if (!helper_there) {
    d.line(Verdict::kError, "sbx-helper", helper + " is missing", "install sbx (or set SBX_HELPER to the helper)");
  } else {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
    d.line(Verdict::kOk, "sbx-helper", helper + ", owner uid " + std::to_string(st.st_uid) + ", mode " + mode);
    if (!setuid_root(st)) {
      setuid_problem = "not available: sbx-helper is not setuid root";
      setuid_fix = "chown root:root " + helper + " && chmod 4755 " + helper + " (Chromium needs this mode)";
    } else if (on_nosuid_filesystem(helper)) {
      setuid_problem = "not available: its filesystem is mounted nosuid, so the setuid bit is ignored";
      setuid_fix = "install sbx-helper on a filesystem mounted without nosuid (Chromium needs this mode)";
    } else {
      const std::string out = helper_namespaces(helper, false);
      setuid_works = out.find("pid\n") != std::string::npos && out.find("net\n") != std::string::npos;
      if (!setuid_works) {
        setuid_problem = "sbx-helper could not create the PID and network namespaces: " + first_line(out);
        setuid_fix = "use a kernel with CONFIG_PID_NS and CONFIG_NET_NS, and run outside restrictive containers";
      }
    }
    const std::string refusal = userns_refusal_here();
    std::string userns_problem, userns_fix;
    if (!refusal.empty()) {
      userns_problem = "not available: " + refusal.substr(0, refusal.find(':'));
      userns_fix = refusal.substr(refusal.find(':') + 2);
    } else {
      const std::string out = helper_namespaces(helper, true);
      userns_works = out.find("pid\n") != std::string::npos && out.find("net\n") != std::string::npos;
      if (!userns_works) {
        userns_problem = "sbx-helper --userns could not make its namespaces: " + first_line(out);
        userns_fix = "use a kernel with user, PID and network namespaces, and run outside restrictive containers";
      }
    }
    // A mode that does not work is an error only when the other does not either.
    const Verdict missing = setuid_works || userns_works ? Verdict::kWarning : Verdict::kError;
    if (setuid_works)
      d.line(Verdict::kOk, "setuid mode", "sbx-helper is setuid root and creates PID and network namespaces");
    else d.line(missing, "setuid mode", setuid_problem, setuid_fix);
    if (userns_works)
      d.line(Verdict::kOk, "user-namespace mode",
             "sbx-helper --userns creates user, PID and network namespaces" +
                 std::string(setuid_works ? "" : " (sbx run uses this mode)"));
    else d.line(missing, "user-namespace mode", userns_problem, userns_fix);
  }
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
    d.line(Verdict::kError, "seccomp filters", "not in this kernel", "use a kernel built with CONFIG_SECCOMP_FILTER");
  else if (!seccomp_tsync_works())
    d.line(Verdict::kError, "seccomp filters", "a filter with TSYNC could not be installed",
           "use Linux 3.17 or later with CONFIG_SECCOMP_FILTER");
  else d.line(Verdict::kOk, "seccomp filters", "available, with TSYNC");
  const std::string actions = read_trimmed("/proc/sys/kernel/seccomp/actions_avail");
  if (actions.find("user_notif") == std::string::npos)
    d.line(Verdict::kError, "seccomp user notification", "missing: brokered calls cannot work",
           "use Linux 5.14 or later (sbx run --policy stdio still works)");
  else d.line(Verdict::kOk, "seccomp user notification", "available (" + actions + ")");
  const std::string& shim = pieces.shim;
  if (access(shim.c_str(), R_OK) != 0)
    d.line(Verdict::kError, "libsbx-shim.so", shim + " is missing", "install sbx (or set SBX_SHIM)");
  else d.line(Verdict::kOk, "libsbx-shim.so", shim);
  for (const auto& [name, var, path] :
       {std::tuple{"sbx-zygote", "SBX_ZYGOTE", pieces.zygote}, {"sbx-trusted", "SBX_TRUSTED", pieces.trusted}}) {
    if (access(path.c_str(), X_OK) != 0)
      d.line(Verdict::kError, name, path + " is missing", std::string("install sbx (or set ") + var + ")");
    else d.line(Verdict::kOk, name, path);
  }
  const int abi = sbx::landlock_abi();
  if (abi < 1)
    d.line(Verdict::kError, "Landlock", "not available: sbx run cannot confine what the program executes",
           "use Linux 5.13 or later with landlock in its lsm= boot list");
  else if (abi < 2)
    d.line(Verdict::kWarning, "Landlock", "ABI 1: exec is confined, but the trusted process is not held to the rules",
           "use Linux 5.19 or later for the second layer");
  else
    d.line(Verdict::kOk, "Landlock",
           "ABI " + std::to_string(abi) + " (exec confined; the trusted process held to the rules)");
  const std::string yama = read_trimmed("/proc/sys/kernel/yama/ptrace_scope");
  if (yama.empty()) d.line(Verdict::kOk, "Yama ptrace scope", "Yama is not enabled");
  else if (yama == "0" || yama == "1")
    d.line(Verdict::kOk, "Yama ptrace scope", yama + " (the trusted process is named as the program's tracer)");
  else
    d.line(Verdict::kError, "Yama ptrace scope", yama + ": the trusted process cannot read the program's arguments",
           "set kernel.yama.ptrace_scope to 1 (sysctl)");
  // Crash dumps: the trusted process stops the crashed process's other
  // threads with ptrace for their registers, and reads its memory.
  if (yama.empty() || yama == "0")
    d.line(Verdict::kOk, "crash dumps (--core-dir)",
           "available: cores of every process of the sandbox, written by the trusted process");
  else if (yama == "1")
    d.line(
        Verdict::kWarning, "crash dumps (--core-dir)",
        "for the sandbox's first process only: under Yama ptrace scope 1 the trusted process may not stop its children",
        "set kernel.yama.ptrace_scope to 0 (sysctl) for cores of every process");
  else
    d.line(Verdict::kWarning, "crash dumps (--core-dir)",
           "not available: Yama ptrace scope " + yama + " forbids the trusted process to stop the crashed process",
           "set kernel.yama.ptrace_scope to 0 or 1 (sysctl)");
  const std::string tiocsti = read_trimmed("/proc/sys/dev/tty/legacy_tiocsti");
  if (tiocsti == "1")
    d.line(Verdict::kWarning, "dev.tty.legacy_tiocsti", "1: the kernel lets programs push input into terminals",
           "sysctl dev.tty.legacy_tiocsti=0 (sbx-helper already puts programs in a session of their own)");
  else d.line(Verdict::kOk, "dev.tty.legacy_tiocsti", tiocsti.empty() ? "not present (TIOCSTI restricted)" : tiocsti);
  std::cout << "\n"
            << (d.errors == 0 ? "the sandbox can work here\n"
                              : std::to_string(d.errors) + " error(s): the sandbox cannot work until fixed\n");
  return d.errors == 0 ? kExitOk : kExitPolicyError;
}

}  // namespace sbx::cli
