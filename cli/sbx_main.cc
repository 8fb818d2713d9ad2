// sbx: the unprivileged front end.
//
//   sbx run [--policy NAME|FILE] [--allow-read PATH]... [--allow-write PATH]... [--] PROGRAM [ARGS...]
//   sbx policy check FILE...              parse and compile; report every error with its line
//   sbx policy compile FILE -o OUT        write the compiled policy (docs/policy.md, "Compiled format")
//   sbx policy explain FILE               each rule as the kernel will apply it, and the BPF
//   sbx policy test FILE SYSCALL [ARG...] what would happen to that call
//
// FILE is a path, or builtin:NAME (a bare NAME works when no such file exists).
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "policy.h"

namespace {

using namespace sbx::policy;

constexpr int kExitOk = 0;
constexpr int kExitPolicyError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitMismatch = 3;

const char kUsage[] =
    "usage: sbx run [--policy NAME|FILE] [--allow-read PATH]... [--allow-write PATH]... [--] PROGRAM [ARGS...]\n"
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

std::string source_of(const std::string& arg) {
  struct stat st;
  if (arg.rfind("builtin:", 0) != 0 && stat(arg.c_str(), &st) != 0 && builtin_policy(arg) != nullptr)
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
  std::cout << "rules as written (the first clause that holds decides):\n";
  for (const auto& rule : policy.rules)
    for (const auto& c : rule.clauses)
      std::cout << "  " << rule.name << " (" << rule.nr << "): " << to_string(c.action)
                << (c.condition == Dnf{{}} ? "" : " if " + to_string(c.condition)) << "    [" << c.where.file << ":"
                << c.where.line << "]\n";
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

constexpr int kExitRunRefused = 126;  // could not start the sandbox: nothing ran

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

// Whether the ELF file at path asks for a dynamic loader (PT_INTERP): the
// shim can only be loaded into a dynamically linked program.
enum class Linking { kDynamic, kStatic, kScript, kUnknown };
Linking linking_of(const std::string& path, std::string* interpreter) {
  std::ifstream f(path, std::ios::binary);
  char head[2] = {};
  if (!f.read(head, 2)) return Linking::kUnknown;
  if (head[0] == '#' && head[1] == '!') {
    std::string line;
    std::getline(f, line);
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) return Linking::kUnknown;
    *interpreter = line.substr(start, line.find_first_of(" \t", start) - start);
    return Linking::kScript;
  }
  f.seekg(0);
  Elf64_Ehdr eh;
  if (!f.read(reinterpret_cast<char*>(&eh), sizeof(eh)) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
    return Linking::kUnknown;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    f.seekg(static_cast<std::streamoff>(eh.e_phoff + static_cast<uint64_t>(i) * eh.e_phentsize));
    if (!f.read(reinterpret_cast<char*>(&ph), sizeof(ph))) return Linking::kUnknown;
    if (ph.p_type == PT_INTERP) return Linking::kDynamic;
  }
  return Linking::kStatic;
}

int run_command(const std::vector<std::string>& args) {
  std::string policy_source = "builtin:default";
  std::vector<std::pair<unsigned, std::string>> extra_paths;
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
    else if (!a.empty() && a[0] == '-') return usage_error("unknown option '" + a + "' for run");
    else break;
  }
  if (i >= args.size()) return usage_error("run needs a PROGRAM");
  const std::vector<std::string> program_args(args.begin() + static_cast<long>(i), args.end());

  // The policy, with the path options as extra path rules.
  ParseResult parsed = parse_file(policy_source);
  for (const auto& e : parsed.errors) std::cerr << format(e) << "\n";
  if (!parsed.policy) return refuse("the policy " + policy_source + " has errors; nothing was run");
  for (const auto& [perms, path] : extra_paths) {
    char real[PATH_MAX];
    if (realpath(path.c_str(), real) == nullptr)
      return refuse("cannot allow " + path + ": " + std::strerror(errno));
    struct stat st;
    stat(real, &st);
    const std::string r = real;
    parsed.policy->paths.push_back({perms, S_ISDIR(st.st_mode) ? (r == "/" ? "/**" : r + "/**") : r, {}});
  }
  CompileResult compiled = compile(*parsed.policy);
  for (const auto& e : compiled.errors) std::cerr << format(e) << "\n";
  if (!compiled.compiled) return refuse("the policy " + policy_source + " does not compile; nothing was run");

  // The kernel must have seccomp filters (and user notification if brokering).
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
    return refuse("this kernel has no seccomp support; a sandbox without its filter is none, so nothing was run");
  if (compiled.compiled->uses_broker) {
    std::string actions;
    read_file("/proc/sys/kernel/seccomp/actions_avail", &actions);
    if (actions.find("user_notif") == std::string::npos)
      return refuse("this kernel has no seccomp user notification (Linux 5.14 or later is needed); nothing was run");
  }

  // The helper: setuid root, on a filesystem that honours it.
  const std::string helper = locate("SBX_HELPER", SBX_LIBEXECDIR "/sbx/sbx-helper", "../launcher/sbx-helper");
  struct stat hst;
  if (stat(helper.c_str(), &hst) != 0)
    return refuse("sbx-helper not found at " + helper + " (install sbx, or set SBX_HELPER)");
  struct statvfs vfs;
  if (hst.st_uid != 0 || !(hst.st_mode & S_ISUID))
    return refuse(helper + " is not setuid root: install it owned by root with mode 4755");
  if (statvfs(helper.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
    return refuse(helper + " is on a filesystem mounted nosuid, so it cannot gain root");
  const std::string shim = locate("SBX_SHIM", SBX_LIBDIR "/libsbx-shim.so", "../zygote_shim/libsbx-shim.so");
  if (access(shim.c_str(), R_OK) != 0) return refuse("libsbx-shim.so not found at " + shim + " (or set SBX_SHIM)");

  // The program: dynamically linked, so that the shim can be loaded into it.
  const std::string program = find_program(program_args[0]);
  if (program.empty() || access(program.c_str(), X_OK) != 0)
    return refuse(program_args[0] + ": no such program (or not executable)");
  std::string interpreter;
  Linking linking = linking_of(program, &interpreter);
  if (linking == Linking::kScript) linking = linking_of(interpreter, &interpreter);
  if (linking == Linking::kStatic)
    return refuse(program + " is statically linked: the in-process layer cannot be loaded into it, and it will "
                  "not be run without it");
  if (linking != Linking::kDynamic) return refuse(program + " is not an x86-64 ELF program sbx can sandbox");

  // The compiled policy, in a sealed memfd the program inherits.
  const std::string bytes = serialize(*compiled.compiled);
  const int fd = memfd_create("sbx-policy", MFD_ALLOW_SEALING);
  if (fd < 0 || write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    return refuse(std::string("cannot prepare the policy: ") + std::strerror(errno));
  setenv("SBX_POLICY_FD", std::to_string(fd).c_str(), 1);
  setenv("SANDBOX_LD_PRELOAD", shim.c_str(), 1);  // sbx-helper restores it as LD_PRELOAD
  setenv("SBX_CHROME_API_RQ", "1", 1);
  unsetenv("SBX_SANDBOXED");

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(helper.c_str()));
  argv.push_back(const_cast<char*>(program.c_str()));
  for (size_t k = 1; k < program_args.size(); ++k) argv.push_back(const_cast<char*>(program_args[k].c_str()));
  argv.push_back(nullptr);
  execv(helper.c_str(), argv.data());
  return refuse("cannot start " + helper + ": " + std::strerror(errno));
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
  if (args[0] == "policy") return policy_command(std::vector<std::string>(args.begin() + 1, args.end()));
  if (args[0] == "run") return run_command(std::vector<std::string>(args.begin() + 1, args.end()));
  return usage_error("unknown command '" + args[0] + "'");
}
