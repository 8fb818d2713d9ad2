// sbx run: the program, resolved once (a script runs as its interpreter);
// the policy with the path options as path rules; the kernel's and the
// helper's checks; then sbx-helper runs the first stage in the program's
// place (docs/ARCHITECTURE.md, "The processes").
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "core_options.h"
#include "landlock_abi.h"
#include "path_options.h"
#include "pieces.h"
#include "policy.h"
#include "precompiled.h"
#include "sandbox.h"
#include "syscall_sites.h"
#include "../launcher/protocol.h"

namespace sbx::cli {

using namespace sbx::policy;

namespace {

using sbx::kExitRunRefused;  // could not start the sandbox: nothing ran

int refuse(const std::string& sentence) {
  std::cerr << "sbx run: " << sentence << "\n";
  return kExitRunRefused;
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

// The calls the shim answers at a rewritten site, for SBX_REWRITE:
// "!NR.NR..." in hex. Those it does itself (execve, execveat, chdir) when
// the policy traps them, as its SIGSYS handler would after the trap; and
// newfstatat of a descriptor (below). Judged
// by running the compiled filter (the compiled format keeps no rules) on
// arguments of every kind: a policy that traps one only for some of them
// could be misjudged, which gains nothing, since the shim's own calls for
// it go through the filter.
std::string answered_at_site(const Compiled& compiled, std::vector<long>* numbers) {
  std::string list;
  const uint64_t values[] = {0, 1, 2, 3, AT_EMPTY_PATH, static_cast<uint64_t>(AT_FDCWD), 0x7fff00001000, ~0ull};
  for (const char* name : {"execve", "execveat", "chdir"}) {
    bool always = true;
    SeccompData data;
    data.nr = syscall_number(name);
    for (const uint64_t v : values) {
      for (uint64_t& arg : data.args) arg = v;
      std::string why;
      const auto ret = run_bpf(compiled.bpf, data, &why);
      always &= ret && (*ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP;
    }
    char nr[24];
    std::snprintf(nr, sizeof(nr), "%s%x", list.empty() ? "!" : ".", data.nr);
    if (always && data.nr >= 0) list += nr, numbers->push_back(data.nr);
  }
  // newfstatat, which the shim answers by fstat for a descriptor and an
  // empty path (glibc's fstat): only if the policy brokers that call and
  // allows fstat on any descriptor, so that the answer is the one the
  // trusted process would give, and a call the program could make itself.
  // The values tried show what the filter does for them only: a rule of
  // either call with a condition (newfstatat refused for one descriptor,
  // fstat for another) decides calls they miss, where the shim's fstat
  // would answer otherwise than the policy. So neither may have one. (A
  // precompiled built-in keeps no rules, and none has such a condition.)
  bool fstat_at_site = true;
  for (const auto& rule : compiled.kernel_rules)
    if ((rule.nr == syscall_number("newfstatat") || rule.nr == syscall_number("fstat")) && !rule.atoms.empty())
      fstat_at_site = false;
  for (const uint64_t fd : {0ull, 3ull, 1023ull, 0x7fffffffull}) {
    SeccompData stat_call, fstat_call;
    stat_call.nr = syscall_number("newfstatat");
    stat_call.args[0] = fd, stat_call.args[1] = 0x7fff00001000, stat_call.args[2] = 0x7fff00002000;
    stat_call.args[3] = AT_EMPTY_PATH;
    fstat_call.nr = syscall_number("fstat");
    fstat_call.args[0] = fd, fstat_call.args[1] = 0x7fff00002000;
    std::string why;
    const auto brokered = run_bpf(compiled.bpf, stat_call, &why), allowed = run_bpf(compiled.bpf, fstat_call, &why);
    fstat_at_site &= brokered && (*brokered & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF && allowed &&
                     (*allowed & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW;
  }
  if (fstat_at_site && syscall_number("newfstatat") >= 0) {
    char nr[24];
    std::snprintf(nr, sizeof(nr), "%s%x", list.empty() ? "!" : ".", syscall_number("newfstatat"));
    list += nr, numbers->push_back(syscall_number("newfstatat"));
  }
  return list;
}

// Whether the policy brokers the shim's request to patch a site on its
// first trap (sandbox.h, trusted/patch_site.cc) and lets code be changed at
// all (not deny-write-execute): "l" in SBX_REWRITE. Without it the shim
// patches lazily only while the process has one thread.
bool brokers_site_patching(const Compiled& compiled) {
  if (compiled.deny_write_execute) return false;
  SeccompData data;
  data.nr = syscall_number("process_vm_writev");
  data.args[5] = sbx::kShimCallMark;
  std::string why;
  const auto ret = run_bpf(compiled.bpf, data, &why);
  return ret && (*ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
}

// The brokered opens (openat, open) whose descriptors may take the fast
// route from a rewritten site (docs/ARCHITECTURE.md, "Syscall rewriting"),
// for SBX_REWRITE: "+NR.NR..." in hex. Only those the policy brokers for
// arguments of every kind, the route's marks included (a policy that
// allows them, or errors them, gains nothing from the route), and only if
// the policy allows what the shim then does itself: take the descriptor
// off its socket (recvmsg, MSG_DONTWAIT with or without
// MSG_CMSG_CLOEXEC), close a stale one, and keep its state in a
// MADV_WIPEONFORK page. Judged like answered_at_site.
std::string brokered_opens(const Compiled& compiled, std::vector<long>* numbers) {
  const auto action = [&](const char* name, std::array<uint64_t, 6> args) {
    SeccompData data;
    data.nr = syscall_number(name);
    for (int i = 0; i < 6; ++i) data.args[i] = args[i];
    std::string why;
    const auto ret = run_bpf(compiled.bpf, data, &why);
    return ret ? (*ret & SECCOMP_RET_ACTION_FULL) : SECCOMP_RET_KILL_PROCESS;
  };
  const uint64_t receive_flags[] = {MSG_DONTWAIT, MSG_DONTWAIT | MSG_CMSG_CLOEXEC};
  for (const uint64_t flags : receive_flags)
    if (action("recvmsg", {3, 0x7fff00001000, flags, 0, 0, 0}) != SECCOMP_RET_ALLOW) return "";
  if (action("close", {3, 0, 0, 0, 0, 0}) != SECCOMP_RET_ALLOW ||
      action("madvise", {0x7fff00001000, 4096, MADV_WIPEONFORK, 0, 0, 0}) != SECCOMP_RET_ALLOW)
    return "";
  std::string list;
  const uint64_t values[] = {0, 1, 2, 3, O_CLOEXEC, static_cast<uint64_t>(AT_FDCWD), 0x7fff00001000, ~0ull};
  const uint64_t marks[] = {static_cast<uint64_t>(sbx::kFastOpenMark) << 32, ~0ull >> 32};
  for (const char* name : {"openat", "open"}) {
    bool always = true;
    for (const uint64_t v : values)
      always &= action(name, {v, v, v, v, marks[0] | (v & 0xffffffff), marks[1] | v << 32}) == SECCOMP_RET_USER_NOTIF &&
                action(name, {v, v, v, v, v, v}) == SECCOMP_RET_USER_NOTIF;
    const long nr = syscall_number(name);
    char text[24];
    std::snprintf(text, sizeof(text), "%s%lx", list.empty() ? "+" : ".", nr);
    if (always && nr >= 0) list += text, numbers->push_back(nr);
  }
  return list;
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
  std::string policy_source = "builtin:default";
  std::vector<std::pair<unsigned, std::string>> extra_paths;
  std::string core_dir, core_limit;
  bool verbose = false;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if ((a == "--policy" || a == "--allow-read" || a == "--allow-write" || a == "--core-dir" || a == "--core-limit") &&
        i + 1 >= args.size())
      return usage_error(a + " needs a value");
    if (a == "--policy") policy_source = source_of(args[++i]);
    else if (a == "--allow-read") extra_paths.push_back({kPathRead, args[++i]});
    else if (a == "--allow-write") extra_paths.push_back({kPathRead | kPathWrite | kPathCreate, args[++i]});
    else if (a == "--core-dir") core_dir = args[++i];
    else if (a == "--core-limit") core_limit = args[++i];
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
      return refuse(program + ": its interpreter " + (interpreter.empty() ? "(none named)" : interpreter) +
                    " cannot be found");
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
  const Pieces pieces = find_pieces();
  const std::string& helper = pieces.helper;
  const std::string& zygote = pieces.zygote;
  const std::string& trusted = pieces.trusted;
  const std::string& shim_found = pieces.shim;
  char shim[PATH_MAX];
  if (realpath(shim_found.c_str(), shim) == nullptr || access(shim, R_OK) != 0)
    return refuse("libsbx-shim.so not found at " + shim_found + " (or set SBX_SHIM)");
  readable.push_back(shim);
  if (access(zygote.c_str(), X_OK) != 0)
    return refuse("sbx-zygote not found at " + zygote + " (install sbx, or set SBX_ZYGOTE)");
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
    if (!sbx::cli::option_rules(perms & kPathWrite ? "--allow-write" : "--allow-read", path, perms, &paths, &note,
                                &why))
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
  // Crash dumps: the options over the policy's directives.
  {
    if (core_dir.empty() && !core_limit.empty() && compiled->core.dir.empty())
      return refuse("--core-limit needs --core-dir (or a policy with core-dir); nothing was run");
    std::string why;
    if (!settle_core_dumps(core_dir, core_limit, &compiled->core, &why)) return refuse(why + "; nothing was run");
    if (!compiled->core.dir.empty() && !compiled->uses_broker)
      return refuse("crash dumps are written by the trusted process, and the policy " + policy_source +
                    " brokers no call, so it has none; nothing was run");
    if (verbose && !compiled->core.dir.empty())
      std::cerr << "sbx: cores go to " << compiled->core.dir << " (limit "
                << (*compiled->core.limit == 0 ? std::string("none") : std::to_string(*compiled->core.limit) + " bytes")
                << ")\n";
  }
  if (!allows_start(*compiled))
    return refuse(
        "the policy " + policy_source +
        " refuses execveat, with which the program is started (add "
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

  // The helper: setuid mode when it is setuid root on a filesystem that
  // honours it; otherwise its user-namespace mode, asked for by --userns,
  // where the kernel allows user namespaces. Nothing runs without one.
  struct stat hst;
  if (stat(helper.c_str(), &hst) != 0)
    return refuse("sbx-helper not found at " + helper + " (install sbx, or set SBX_HELPER)");
  const bool setuid_mode = setuid_mode_possible(helper);
  if (!setuid_mode) {
    const std::string why_not = !setuid_root(hst) ? " is not setuid root" : " is on a filesystem mounted nosuid";
    if (const std::string cause = userns_refusal_here(); !cause.empty())
      return refuse(helper + why_not + ", and " + cause + "; nothing was run");
    if (access(helper.c_str(), X_OK) != 0) return refuse(helper + " cannot be executed; nothing was run");
  }
  if (verbose)
    std::cerr << (setuid_mode ? "sbx: setuid mode: " + helper + " is setuid root\n"
                              : "sbx: user-namespace mode: " + helper +
                                    (!setuid_root(hst) ? " is not setuid root" : " is on a nosuid filesystem") +
                                    " (sbx-helper --userns)\n");

  // The compiled policy, in a sealed memfd the first stage inherits.
  const std::string bytes = serialize(*compiled);
  if (bytes.empty()) return refuse("the policy's path rules cannot be written down; nothing was run");
  const int fd = memfd_create("sbx-policy", MFD_ALLOW_SEALING);
  if (fd < 0 || write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    return refuse(std::string("cannot prepare the policy: ") + std::strerror(errno));
  setenv(sbx::kEnvPolicyFd, std::to_string(fd).c_str(), 1);
  setenv("SBX_CHROME_API_RQ", "1", 1);
  // Syscall rewriting, a fast path (docs/ARCHITECTURE.md): the table of
  // libc's and the loader's sites for the shim. By default only the sites
  // of the calls the shim answers itself (those the policy always traps),
  // found by decoding the few functions that hold them; with "all", every
  // site, from a decoding of both files cached once per build id.
  // SBX_REWRITE already set (to 0: off) is left as it is, but for a
  // comma-separated list of "verbose" (each process's shim reports on
  // stderr), "all" (every site patched, not only those with a fast path)
  // and "open-route" (the fast route of brokered opens, off by default: on
  // this machine it costs more than the ADDFD it replaces,
  // docs/PERFORMANCE.md).
  const char* rewrite = std::getenv(sbx::kEnvRewrite);
  std::string flags;
  bool open_route = false;
  if (rewrite != nullptr) {
    const std::string value = std::string(rewrite) + ",";
    for (size_t at = 0, comma; (comma = value.find(',', at)) != std::string::npos; at = comma + 1) {
      const std::string word = value.substr(at, comma - at);
      if (word == "verbose" && flags.find('v') == std::string::npos) flags += "v";
      else if (word == "all" && flags.find('a') == std::string::npos) flags += "a";
      else if (word == "open-route") open_route = true;
      else {
        flags.clear(), open_route = false;  // anything else ("0"): left as it is
        break;
      }
    }
  }
  if (rewrite == nullptr || !flags.empty() || open_route) {
    std::vector<long> numbers;
    std::string trapped = answered_at_site(*compiled, &numbers);
    if (brokers_site_patching(*compiled)) flags += 'l';
    if (open_route) trapped += brokered_opens(*compiled, &numbers);
    std::string table;
    if (flags.find('a') == std::string::npos) {
      table = rewrite_table_for(numbers);
    } else {
      std::string cache;
      if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/')
        cache = std::string(xdg) + "/sbx";
      else if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/')
        cache = std::string(home) + "/.cache/sbx";
      table = rewrite_table_cached(cache);
    }
    if (!table.empty()) setenv(sbx::kEnvRewrite, ("1" + flags + trapped + table.substr(1)).c_str(), 1);
  }
  setenv(sbx::kEnvFilesAsCaller, "1", 1);  // UID-range mode only (sandbox.h)
  // The loader of a setuid program drops TMPDIR, LD_PRELOAD and the rest of
  // its "unsecure" list: the program gets them back through the helper,
  // which restores SANDBOX_<NAME> as <NAME> (Chromium's launcher does the
  // same). What they name is still held to the rules.
  // The originals go: the loader would drop them anyway in setuid mode, and
  // in user-namespace mode they would reach the helper itself.
  for (const char* const* name = sbx::helper::kUnsecureEnvironment; *name != nullptr; ++name)
    if (const char* value = std::getenv(*name)) {
      setenv((std::string(sbx::helper::kSavedPrefix) + *name).c_str(), value, 1);
      unsetenv(*name);
    }

  // sbx-helper runs the first stage in the program's place:
  //   sbx-helper [--userns] sbx-zygote TRUSTED SHIM PROGRAM ARGV0 [ARG...]
  std::vector<std::string> words = {helper, zygote, trusted, shim, program};
  if (!setuid_mode) words.insert(words.begin() + 1, sbx::helper::kUsernsSwitch);
  words.insert(words.end(), run_args.begin(), run_args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  execv(helper.c_str(), argv.data());
  return refuse("cannot start " + helper + ": " + std::strerror(errno));
}

}  // namespace sbx::cli
