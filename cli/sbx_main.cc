// sbx: the unprivileged front end.
//
//   sbx run [--policy NAME|FILE] [--allow-read PATH]... [--allow-write PATH]... [--verbose] [--] PROGRAM [ARGS...]
//   sbx doctor                            what this machine and installation offer, and what to fix
//   sbx policy check FILE...              parse and compile; report every error with its line
//   sbx policy compile FILE -o OUT        write the compiled policy (docs/policy.md, "Compiled format")
//   sbx policy explain FILE               each rule as the kernel will apply it, and the BPF
//   sbx policy test FILE SYSCALL [ARG...] what would happen to that call
//
// FILE is a path, or builtin:NAME; a bare NAME of a built-in is always the built-in.
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "policy.h"
#include "landlock_abi.h"
#include "path_options.h"
#include "precompiled.h"
#include "sandbox.h"
#include "../launcher/protocol.h"

namespace {

using namespace sbx::policy;

constexpr int kExitOk = 0;
constexpr int kExitPolicyError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitMismatch = 3;

const char kUsage[] =
    "usage: sbx run [--policy NAME|FILE] [--allow-read PATH]... [--allow-write PATH]... [--verbose] [--] PROGRAM [ARGS...]\n"
    "       sbx doctor\n"
    "       sbx policy check FILE...\n"
    "       sbx policy compile FILE -o OUT\n"
    "       sbx policy explain FILE\n"
    "       sbx policy test FILE SYSCALL [ARG...]\n"
    "       sbx --help | --version\n"
    "FILE is a policy file or builtin:NAME (built in: stdio, default). See sbx-policy(5), docs/policy.md.\n";

int usage_error(const std::string& message) {
  std::cerr << "sbx: " << message << "\n" << kUsage;
  return kExitUsage;
}

// A bare NAME of a built-in (no '/') always means the built-in, whatever
// files the working directory holds: a program run there earlier could have
// written one called "stdio". A file of that name is ./NAME.
std::string source_of(const std::string& arg) {
  if (arg.find('/') == std::string::npos && arg.rfind("builtin:", 0) != 0 && builtin_policy(arg) != nullptr)
    return "builtin:" + arg;
  return arg;
}

// Parses and compiles; prints every error. Returns nullopt on any error.
std::optional<std::pair<Policy, Compiled>> load(const std::string& arg, bool binary_tree = true) {
  const std::string source = source_of(arg);
  ParseResult parsed = parse_file(source);
  for (const auto& e : parsed.errors) std::cerr << format(e) << "\n";
  if (!parsed.policy) return std::nullopt;
  CompileResult compiled = compile(*parsed.policy, {binary_tree});
  for (auto e : compiled.errors) {
    if (e.where.file.empty()) e.where.file = source;
    std::cerr << format(e) << "\n";
  }
  if (!compiled.compiled) return std::nullopt;
  return std::make_pair(std::move(*parsed.policy), std::move(*compiled.compiled));
}

int check(const std::vector<std::string>& files) {
  if (files.empty()) return usage_error("policy check needs a FILE");
  int status = kExitOk;
  for (const auto& f : files) {
    const auto loaded = load(f);
    if (!loaded) {
      status = kExitPolicyError;
      continue;
    }
    // Where the file's lines take precedence over included ones (docs/policy.md,
    // "Includes"), one line per call. The built-ins' own (default's over
    // stdio's) are part of what they are, and not the user's to read here.
    for (const auto& o : loaded->first.overrides)
      if (o.line.file.rfind("builtin:", 0) != 0 || source_of(f).rfind("builtin:", 0) == 0)
        std::cout << format(o) << "\n";
    std::cout << source_of(f) << ": ok: " << loaded->first.rules.size() << " system call rules, "
              << loaded->second.kernel_rules.size() << " kernel rules, " << loaded->second.paths.size()
              << " path rules, default " << to_string(loaded->first.default_action) << ", "
              << loaded->second.bpf.size() << " BPF instructions\n";
  }
  return status;
}

int compile_to(const std::string& file, const std::string& out) {
  const auto loaded = load(file);
  if (!loaded) return kExitPolicyError;
  const std::string bytes = serialize(loaded->second);
  const std::string tmp = out + ".tmp";
  std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
  o.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  o.close();
  if (!o || std::rename(tmp.c_str(), out.c_str()) != 0) {
    std::cerr << "sbx: cannot write " << out << ": " << std::strerror(errno) << "\n";
    std::remove(tmp.c_str());
    return kExitPolicyError;
  }
  std::cout << out << ": " << loaded->second.bpf.size() << " BPF instructions, " << loaded->second.paths.size()
            << " path rules\n";
  return kExitOk;
}

int explain(const std::string& file) {
  const auto loaded = load(file);
  if (!loaded) return kExitPolicyError;
  const auto& [policy, compiled] = *loaded;
  std::cout << "policy " << source_of(file) << " (x86-64; calls of any other architecture, x32 included, kill "
            << "the process)\n\ndefault: " << to_string(policy.default_action) << "\n\n";
  // A file's lines come before those of the files it includes; an included
  // line they leave no call to decide is shown as overridden.
  std::cout << "rules as written, in the order they are tried (the first clause that holds decides; a file's own "
               "before those it includes):\n";
  const auto& overridden_lines = compiled.overridden;  // (clang 14 captures no structured binding)
  const auto overridden = [&overridden_lines](const Location& w) {
    for (const auto& o : overridden_lines)
      if (o.file == w.file && o.line == w.line) return true;
    return false;
  };
  for (const auto& rule : policy.rules)
    for (const auto& c : rule.clauses)
      std::cout << "  " << rule.name << " (" << rule.nr << "): " << to_string(c.action)
                << (c.condition == Dnf{{}} ? "" : " if " + to_string(c.condition)) << "    [" << c.where.file << ":"
                << c.where.line << (overridden(c.where) ? ", overridden" : "") << "]\n";
  std::cout << "\nrules as the kernel applies them (exclusive; calls matching none get the default):\n";
  for (const auto& r : compiled.kernel_rules)
    std::cout << "  " << r.syscall << " (" << r.nr << "): " << to_string(r.action)
              << (r.atoms.empty() ? "" : " if " + to_string(Dnf{r.atoms})) << "\n";
  if (!compiled.paths.empty()) {
    std::cout << "\npath rules for the trusted process:\n";
    for (const auto& p : compiled.paths) {
      std::string perms;
      if (p.permissions & kPathRead) perms += "read ";
      if (p.permissions & kPathWrite) perms += "write ";
      if (p.permissions & kPathCreate) perms += "create ";
      std::cout << "  " << perms << p.pattern << "\n";
    }
  }
  std::cout << "\nBPF program (" << compiled.bpf.size() << " instructions):\n";
  for (const auto& line : disassemble(compiled.bpf)) std::cout << "  " << line << "\n";
  return kExitOk;
}

int test_call(const std::string& file, const std::string& syscall, const std::vector<std::string>& arg_texts) {
  const auto loaded = load(file);
  if (!loaded) return kExitPolicyError;
  const int nr = syscall_number(syscall);
  if (nr < 0) return usage_error("unknown system call '" + syscall + "'");
  if (arg_texts.size() > 6) return usage_error("a system call has at most 6 arguments");
  SeccompData data;
  data.nr = nr;
  for (size_t i = 0; i < arg_texts.size(); ++i) {
    // An argument: numbers and named constants joined by '|' (O_WRONLY|O_CREAT).
    const ParseResult p = parse("default kill\nread: allow if arg0 == " + arg_texts[i] + "\n", "argument");
    if (!p.policy) return usage_error("argument " + std::to_string(i) + ": '" + arg_texts[i] +
                                      "' is not a number or a named constant");
    data.args[i] = p.policy->rules[0].clauses[0].condition[0][0].value;
  }
  std::string why;
  const auto ret = run_bpf(loaded->second.bpf, data, &why);
  if (!ret) {
    std::cerr << "sbx: the compiled program cannot be run: " << why << "\n";
    return kExitMismatch;
  }
  const Action kernel = action_of_seccomp_return(*ret);
  const Action text = evaluate(loaded->first, nr, data.args);
  std::cout << syscall << "(";
  for (size_t i = 0; i < arg_texts.size(); ++i) std::cout << (i ? ", " : "") << arg_texts[i];
  std::cout << ") -> " << to_string(kernel) << "\n";
  if (!(kernel == text)) {
    std::cerr << "sbx: the compiled program says " << to_string(kernel) << " but the policy text says "
              << to_string(text) << ": a compiler bug, please report it\n";
    return kExitMismatch;
  }
  return kExitOk;
}

// --- sbx run -------------------------------------------------------------------

using sbx::kExitRunRefused;  // could not start the sandbox: nothing ran

int refuse(const std::string& sentence) {
  std::cerr << "sbx run: " << sentence << "\n";
  return kExitRunRefused;
}

std::string self_dir() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  std::string p(buf, static_cast<size_t>(n));
  return p.substr(0, p.rfind('/'));
}

// The first of: $VAR, the installed path, the build tree's path.
std::string locate(const char* var, const std::string& installed, const std::string& in_build_tree) {
  if (const char* v = std::getenv(var); v != nullptr && *v) return v;
  struct stat st;
  if (stat(installed.c_str(), &st) == 0) return installed;
  return self_dir() + "/" + in_build_tree;
}

// PROGRAM as a path: as given if it has a '/', else searched in PATH.
std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = (end > start ? dirs.substr(start, end - start) : ".") + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// A script's interpreter line: "#!INTERP [ARG]", as the kernel reads it.
// False if the file does not start with "#!".
bool interpreter_line(const std::string& path, std::string* interpreter, std::string* argument) {
  std::ifstream f(path, std::ios::binary);
  char head[2] = {};
  if (!f.read(head, 2) || head[0] != '#' || head[1] != '!') return false;
  std::string line;
  std::getline(f, line);
  const size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return true;
  const size_t end = line.find_first_of(" \t", start);
  *interpreter = line.substr(start, end - start);
  if (end != std::string::npos) {
    const size_t arg = line.find_first_not_of(" \t", end);
    if (arg != std::string::npos) *argument = line.substr(arg, line.find_last_not_of(" \t\r") + 1 - arg);
  }
  return true;
}

// Whether the compiled filter lets the first stage start the program:
// execveat(fd, "", ..., AT_EMPTY_PATH). Landlock, not the filter, decides
// what may be executed.
bool allows_start(const Compiled& compiled) {
  SeccompData data;
  data.nr = syscall_number("execveat");
  data.args[1] = 1;
  data.args[4] = AT_EMPTY_PATH;
  data.args[5] = sbx::kShimCallMark;  // the first stage's execveat carries the shim's mark
  std::string why;
  const auto ret = run_bpf(compiled.bpf, data, &why);
  return ret && (*ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW;
}

int run_command(const std::vector<std::string>& args) {
  std::string policy_source = "builtin:default";
  std::vector<std::pair<unsigned, std::string>> extra_paths;
  bool verbose = false;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if ((a == "--policy" || a == "--allow-read" || a == "--allow-write") && i + 1 >= args.size())
      return usage_error(a + " needs a value");
    if (a == "--policy") policy_source = source_of(args[++i]);
    else if (a == "--allow-read") extra_paths.push_back({kPathRead, args[++i]});
    else if (a == "--allow-write") extra_paths.push_back({kPathRead | kPathWrite | kPathCreate, args[++i]});
    else if (a == "--verbose") verbose = true;
    else if (!a.empty() && a[0] == '-') return usage_error("unknown option '" + a + "' for run");
    else break;
  }
  if (i >= args.size()) return usage_error("run needs a PROGRAM");
  const std::vector<std::string> program_args(args.begin() + static_cast<long>(i), args.end());

  // The program, resolved once: by PATH when it has no '/', to its real
  // path. A script runs as its interpreter with the script as argument, as
  // the kernel would run it (the kernel cannot: the first stage executes
  // from a descriptor inside the empty root).
  const std::string found = find_program(program_args[0]);
  char real_program[PATH_MAX];
  if (found.empty() || access(found.c_str(), X_OK) != 0 || realpath(found.c_str(), real_program) == nullptr)
    return refuse(program_args[0] + ": no such program (or not executable)");
  std::string program = real_program;
  struct stat pst;
  if (stat(real_program, &pst) != 0 || !S_ISREG(pst.st_mode))
    return refuse(program_args[0] + ": not a file; nothing was run");
  std::vector<std::string> run_args = {program_args[0]};
  std::vector<std::string> readable = {program};
  std::string interpreter, interpreter_arg;
  if (interpreter_line(program, &interpreter, &interpreter_arg)) {
    char real_interpreter[PATH_MAX];
    if (interpreter.empty() || realpath(interpreter.c_str(), real_interpreter) == nullptr)
      return refuse(program + ": its interpreter " + (interpreter.empty() ? "(none named)" : interpreter) + " cannot be found");
    struct stat ist;
    if (stat(real_interpreter, &ist) != 0 || !S_ISREG(ist.st_mode))
      return refuse(program + ": its interpreter " + interpreter + " is not a file; nothing was run");
    run_args = {interpreter};
    if (!interpreter_arg.empty()) run_args.push_back(interpreter_arg);
    run_args.push_back(program);
    program = real_interpreter;
    readable.push_back(program);
  }
  run_args.insert(run_args.end(), program_args.begin() + 1, program_args.end());

  // The pieces of sbx the sandbox is made of.
  const std::string helper = locate("SBX_HELPER", SBX_LIBEXECDIR "/sbx/sbx-helper", "../launcher/sbx-helper");
  const std::string zygote = locate("SBX_ZYGOTE", SBX_LIBEXECDIR "/sbx/sbx-zygote", "../zygote_shim/sbx-zygote");
  const std::string trusted = locate("SBX_TRUSTED", SBX_LIBEXECDIR "/sbx/sbx-trusted", "../trusted/sbx-trusted");
  const std::string shim_found = locate("SBX_SHIM", SBX_LIBDIR "/sbx/libsbx-shim.so", "../zygote_shim/libsbx-shim.so");
  char shim[PATH_MAX];
  if (realpath(shim_found.c_str(), shim) == nullptr || access(shim, R_OK) != 0)
    return refuse("libsbx-shim.so not found at " + shim_found + " (or set SBX_SHIM)");
  readable.push_back(shim);
  if (access(zygote.c_str(), X_OK) != 0) return refuse("sbx-zygote not found at " + zygote + " (install sbx, or set SBX_ZYGOTE)");
  if (access(trusted.c_str(), X_OK) != 0)
    return refuse("sbx-trusted not found at " + trusted + " (install sbx, or set SBX_TRUSTED)");

  // The policy, with the path options as extra path rules, and the files
  // the loader must read to start the program: the program (or script and
  // its interpreter) and the shim. Nothing beside them is implied. Path
  // rules are the trusted process's, not the filter's: a precompiled
  // built-in only needs them appended.
  std::optional<Compiled> compiled;
  std::vector<PathRule> paths;
  for (const auto& [perms, path] : extra_paths) {
    std::string note, why;
    if (!sbx::cli::option_rules(perms & kPathWrite ? "--allow-write" : "--allow-read", path, perms, &paths, &note, &why))
      return refuse(why + "; nothing was run");
    if (verbose && !note.empty()) std::cerr << "sbx: " << note << "\n";
  }
  for (const auto& file : readable) {
    std::string why;
    PathRule rule;
    if (!sbx::cli::rule_for(file, kPathRead, &rule, &why)) return refuse(why + "; nothing was run");
    paths.push_back(rule);
  }
  if (const std::string* bytes = precompiled_builtin(policy_source)) {
    std::string why;
    compiled = deserialize(*bytes, &why);
    if (!compiled) return refuse("the precompiled " + policy_source + " is damaged (" + why + "); nothing was run");
    compiled->paths.insert(compiled->paths.end(), paths.begin(), paths.end());
  } else {
    ParseResult parsed = parse_file(policy_source);
    for (const auto& e : parsed.errors) std::cerr << format(e) << "\n";
    if (!parsed.policy) return refuse("the policy " + policy_source + " has errors; nothing was run");
    parsed.policy->paths.insert(parsed.policy->paths.end(), paths.begin(), paths.end());
    CompileResult result = compile(*parsed.policy);
    for (const auto& e : result.errors) std::cerr << format(e) << "\n";
    if (!result.compiled) return refuse("the policy " + policy_source + " does not compile; nothing was run");
    compiled = std::move(result.compiled);
  }
  // Every rule stands on what it names, not on a link a program planted.
  for (const auto& rule : compiled->paths) {
    std::string why;
    if (!sbx::cli::rule_stands_on_root_links(rule, &why)) return refuse(why + "; nothing was run");
  }
  if (!allows_start(*compiled))
    return refuse("the policy " + policy_source + " refuses execveat, with which the program is started (add "
                  "'execveat: allow if arg5 == SBX_SHIM_CALL'; Landlock lets only the program's loader run); nothing was run");

  // The kernel must have seccomp filters (and user notification if
  // brokering), and Landlock, which confines what may be executed.
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
    return refuse("this kernel has no seccomp support; a sandbox without its filter is none, so nothing was run");
  if (compiled->uses_broker) {
    std::string actions;
    read_file("/proc/sys/kernel/seccomp/actions_avail", &actions);
    if (actions.find("user_notif") == std::string::npos)
      return refuse("this kernel has no seccomp user notification (Linux 5.14 or later is needed); nothing was run");
  }
  if (sbx::landlock_abi() < 1)
    return refuse("this kernel has no Landlock (Linux 5.13 or later, with landlock in its lsm= boot list), which "
                  "confines what the program may execute; nothing was run");

  // The helper: setuid root, on a filesystem that honours it.
  struct stat hst;
  if (stat(helper.c_str(), &hst) != 0)
    return refuse("sbx-helper not found at " + helper + " (install sbx, or set SBX_HELPER)");
  struct statvfs vfs;
  if (hst.st_uid != 0 || !(hst.st_mode & S_ISUID))
    return refuse(helper + " is not setuid root: install it owned by root with mode 4755");
  if (statvfs(helper.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
    return refuse(helper + " is on a filesystem mounted nosuid, so it cannot gain root");

  // The compiled policy, in a sealed memfd the first stage inherits.
  const std::string bytes = serialize(*compiled);
  if (bytes.empty()) return refuse("the policy's path rules cannot be written down; nothing was run");
  const int fd = memfd_create("sbx-policy", MFD_ALLOW_SEALING);
  if (fd < 0 || write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    return refuse(std::string("cannot prepare the policy: ") + std::strerror(errno));
  setenv(sbx::kEnvPolicyFd, std::to_string(fd).c_str(), 1);
  setenv("SBX_CHROME_API_RQ", "1", 1);
  // The loader of a setuid program drops TMPDIR, LD_PRELOAD and the rest of
  // its "unsecure" list: the program gets them back through the helper,
  // which restores SANDBOX_<NAME> as <NAME> (Chromium's launcher does the
  // same). What they name is still held to the rules.
  for (const char* const* name = sbx::helper::kUnsecureEnvironment; *name != nullptr; ++name)
    if (const char* value = std::getenv(*name)) setenv((std::string(sbx::helper::kSavedPrefix) + *name).c_str(), value, 1);

  // sbx-helper runs the first stage in the program's place:
  //   sbx-helper sbx-zygote TRUSTED SHIM PROGRAM ARGV0 [ARG...]
  std::vector<std::string> words = {helper, zygote, trusted, shim, program};
  words.insert(words.end(), run_args.begin(), run_args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  execv(helper.c_str(), argv.data());
  return refuse("cannot start " + helper + ": " + std::strerror(errno));
}

// --- sbx doctor ------------------------------------------------------------------

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

int doctor_command() {
  Doctor d;
  std::cout << "sbx " << SBX_VERSION << ": what this machine and installation offer\n\n";
  const std::string helper = locate("SBX_HELPER", SBX_LIBEXECDIR "/sbx/sbx-helper", "../launcher/sbx-helper");
  struct stat st;
  const bool helper_there = stat(helper.c_str(), &st) == 0;
  if (!helper_there) {
    d.line(Verdict::kError, "sbx-helper", helper + " is missing", "install sbx (or set SBX_HELPER to the helper)");
  } else {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
    const std::string found = helper + ", owner uid " + std::to_string(st.st_uid) + ", mode " + mode;
    if (st.st_uid != 0 || !(st.st_mode & S_ISUID))
      d.line(Verdict::kError, "sbx-helper", found, "chown root:root " + helper + " && chmod 4755 " + helper);
    else
      d.line(Verdict::kOk, "sbx-helper", found + " (setuid root)");
    struct statvfs vfs;
    if (statvfs(helper.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
      d.line(Verdict::kError, "its filesystem", "mounted nosuid: the setuid bit is ignored",
             "install sbx-helper on a filesystem mounted without nosuid");
    else
      d.line(Verdict::kOk, "its filesystem", "honours setuid (no nosuid)");
  }
  // Namespaces: what the helper actually gets.
  if (helper_there && st.st_uid == 0 && (st.st_mode & S_ISUID)) {
    // Ask the helper itself: which namespace variables does a program get?
    std::string out;
    int fds[2];
    if (pipe(fds) == 0) {
      const pid_t child = fork();
      if (child == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        setenv("SBX_CHROME_API_RQ", "1", 1);
        const char* argv[] = {helper.c_str(), "/bin/sh", "-c",
                              "test -n \"${SBX_PID_NS+x}\" && echo pid; test -n \"${SBX_NET_NS+x}\" && echo net",
                              nullptr};
        execv(helper.c_str(), const_cast<char* const*>(argv));
        _exit(127);
      }
      close(fds[1]);
      char buf[512];
      for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
      close(fds[0]);
      if (child > 0) waitpid(child, nullptr, 0);
    }
    const bool pid = out.find("pid\n") != std::string::npos, net = out.find("net\n") != std::string::npos;
    if (pid && net) d.line(Verdict::kOk, "PID and network namespaces", "created by sbx-helper");
    else d.line(Verdict::kError, "PID and network namespaces",
                "sbx-helper could not create them: " + (out.empty() ? std::string("no answer") : out.substr(0, out.find('\n'))),
                out.find("not running as root") != std::string::npos
                    ? "fix the helper's installation (above) first"
                    : "use a kernel with CONFIG_PID_NS and CONFIG_NET_NS, and run outside restrictive containers");
  }
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
    d.line(Verdict::kError, "seccomp filters", "not in this kernel", "use a kernel built with CONFIG_SECCOMP_FILTER");
  else if (!seccomp_tsync_works())
    d.line(Verdict::kError, "seccomp filters", "a filter with TSYNC could not be installed",
           "use Linux 3.17 or later with CONFIG_SECCOMP_FILTER");
  else
    d.line(Verdict::kOk, "seccomp filters", "available, with TSYNC");
  const std::string actions = read_trimmed("/proc/sys/kernel/seccomp/actions_avail");
  if (actions.find("user_notif") == std::string::npos)
    d.line(Verdict::kError, "seccomp user notification", "missing: brokered calls cannot work",
           "use Linux 5.14 or later (sbx run --policy stdio still works)");
  else
    d.line(Verdict::kOk, "seccomp user notification", "available (" + actions + ")");
  const std::string shim = locate("SBX_SHIM", SBX_LIBDIR "/sbx/libsbx-shim.so", "../zygote_shim/libsbx-shim.so");
  if (access(shim.c_str(), R_OK) != 0)
    d.line(Verdict::kError, "libsbx-shim.so", shim + " is missing", "install sbx (or set SBX_SHIM)");
  else
    d.line(Verdict::kOk, "libsbx-shim.so", shim);
  for (const auto& [name, var, in_tree] :
       {std::tuple{"sbx-zygote", "SBX_ZYGOTE", "../zygote_shim/sbx-zygote"}, {"sbx-trusted", "SBX_TRUSTED", "../trusted/sbx-trusted"}}) {
    const std::string path = locate(var, SBX_LIBEXECDIR "/sbx/" + std::string(name), in_tree);
    if (access(path.c_str(), X_OK) != 0)
      d.line(Verdict::kError, name, path + " is missing", std::string("install sbx (or set ") + var + ")");
    else
      d.line(Verdict::kOk, name, path);
  }
  const int abi = sbx::landlock_abi();
  if (abi < 1)
    d.line(Verdict::kError, "Landlock", "not available: sbx run cannot confine what the program executes",
           "use Linux 5.13 or later with landlock in its lsm= boot list");
  else if (abi < 2)
    d.line(Verdict::kWarning, "Landlock", "ABI 1: exec is confined, but the trusted process is not held to the rules",
           "use Linux 5.19 or later for the second layer");
  else
    d.line(Verdict::kOk, "Landlock", "ABI " + std::to_string(abi) + " (exec confined; the trusted process held to the rules)");
  const std::string yama = read_trimmed("/proc/sys/kernel/yama/ptrace_scope");
  if (yama.empty())
    d.line(Verdict::kOk, "Yama ptrace scope", "Yama is not enabled");
  else if (yama == "0" || yama == "1")
    d.line(Verdict::kOk, "Yama ptrace scope", yama + " (the trusted process is named as the program's tracer)");
  else
    d.line(Verdict::kError, "Yama ptrace scope", yama + ": the trusted process cannot read the program's arguments",
           "set kernel.yama.ptrace_scope to 1 (sysctl)");
  const std::string userns = read_trimmed("/proc/sys/user/max_user_namespaces");
  d.line(Verdict::kOk, "user namespaces",
         userns.empty() || userns == "0" ? "off (sbx does not need them; Chromium then uses sbx-helper)"
                                         : "available (not needed by sbx)");
  const std::string tiocsti = read_trimmed("/proc/sys/dev/tty/legacy_tiocsti");
  if (tiocsti == "1")
    d.line(Verdict::kWarning, "dev.tty.legacy_tiocsti", "1: the kernel lets programs push input into terminals",
           "sysctl dev.tty.legacy_tiocsti=0 (sbx-helper already puts programs in a session of their own)");
  else
    d.line(Verdict::kOk, "dev.tty.legacy_tiocsti", tiocsti.empty() ? "not present (TIOCSTI restricted)" : tiocsti);
  std::cout << "\n" << (d.errors == 0 ? "the sandbox can work here\n"
                                       : std::to_string(d.errors) + " error(s): the sandbox cannot work until fixed\n");
  return d.errors == 0 ? kExitOk : kExitPolicyError;
}

int policy_command(const std::vector<std::string>& args) {
  if (args.empty()) return usage_error("policy needs a subcommand: check, compile, explain or test");
  const std::string& sub = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "check") return check(rest);
  if (sub == "compile") {
    if (rest.size() != 3 || rest[1] != "-o") return usage_error("usage: sbx policy compile FILE -o OUT");
    return compile_to(rest[0], rest[2]);
  }
  if (sub == "explain") {
    if (rest.size() != 1) return usage_error("usage: sbx policy explain FILE");
    return explain(rest[0]);
  }
  if (sub == "test") {
    if (rest.size() < 2) return usage_error("usage: sbx policy test FILE SYSCALL [ARG...]");
    return test_call(rest[0], rest[1], std::vector<std::string>(rest.begin() + 2, rest.end()));
  }
  return usage_error("unknown policy subcommand '" + sub + "'");
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (args.empty()) return usage_error("no command given");
  if (args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (args[0] == "--version") {
    std::cout << "sbx " << SBX_VERSION << "\n";
    return kExitOk;
  }
  // "sbx run --help", "sbx policy --help", "sbx doctor --help", "sbx policy check --help": the usage.
  if (args.size() >= 2 && args.size() <= 3 && (args.back() == "--help" || args.back() == "-h") &&
      (args[0] == "run" || args[0] == "doctor" || args[0] == "policy")) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (args[0] == "policy") return policy_command(std::vector<std::string>(args.begin() + 1, args.end()));
  if (args[0] == "run") return run_command(std::vector<std::string>(args.begin() + 1, args.end()));
  if (args[0] == "doctor") return args.size() == 1 ? doctor_command() : usage_error("doctor takes no arguments");
  return usage_error("unknown command '" + args[0] + "'");
}
