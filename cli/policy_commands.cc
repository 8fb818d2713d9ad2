// sbx policy: check, compile, explain and test a policy file (docs/policy.md).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "policy.h"

namespace sbx::cli {

using namespace sbx::policy;

std::string source_of(const std::string& arg) {
  if (arg.find('/') == std::string::npos && arg.rfind("builtin:", 0) != 0 && builtin_policy(arg) != nullptr)
    return "builtin:" + arg;
  return arg;
}

namespace {

// Parses and compiles; prints every error. Returns nullopt on any error.
std::optional<std::pair<Policy, Compiled>> load(const std::string& arg, bool binary_tree = true) {
  const std::string source = source_of(arg);
  ParseResult parsed = parse_file(source);
  for (const auto& error : parsed.errors) std::cerr << format(error) << "\n";
  if (!parsed.policy) return std::nullopt;
  CompileResult compiled = compile(*parsed.policy, {binary_tree});
  for (auto error : compiled.errors) {
    if (error.where.file.empty()) error.where.file = source;
    std::cerr << format(error) << "\n";
  }
  if (!compiled.compiled) return std::nullopt;
  return std::make_pair(std::move(*parsed.policy), std::move(*compiled.compiled));
}

int check(const std::vector<std::string>& files) {
  if (files.empty()) return usage_error("policy check needs a FILE");
  int status = kExitOk;
  for (const auto& file : files) {
    const auto loaded = load(file);
    if (!loaded) {
      status = kExitPolicyError;
      continue;
    }
    // Where the file's lines take precedence over included ones (docs/policy.md,
    // "Includes"), one line per call. The built-ins' own (default's over
    // stdio's) are part of what they are, and not the user's to read here.
    for (const auto& said : loaded->first.overrides)
      if (said.line.file.rfind("builtin:", 0) != 0 || source_of(file).rfind("builtin:", 0) == 0)
        std::cout << format(said) << "\n";
    std::cout << source_of(file) << ": ok: " << loaded->first.rules.size() << " system call rules, "
              << loaded->second.kernel_rules.size() << " kernel rules, " << loaded->second.paths.size()
              << " path rules, default " << to_string(loaded->first.default_action) << ", " << loaded->second.bpf.size()
              << " BPF instructions" << (loaded->second.deny_write_execute ? ", deny-write-execute on" : "") << "\n";
  }
  return status;
}

int compile_to(const std::string& file, const std::string& out) {
  const auto loaded = load(file);
  if (!loaded) return kExitPolicyError;
  const std::string bytes = serialize(loaded->second);
  const std::string tmp = out + ".tmp";
  std::ofstream tmp_file(tmp, std::ios::binary | std::ios::trunc);
  tmp_file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  tmp_file.close();
  if (!tmp_file || std::rename(tmp.c_str(), out.c_str()) != 0) {
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
  // The directives, as the policy says them (docs/policy.md, "Crash dumps",
  // "Memory: write or execute").
  if (!policy.core.dir.empty() || policy.core.limit || policy.deny_write_execute) {
    if (!policy.core.dir.empty()) std::cout << "core-dir " << policy.core.dir << "\n";
    if (policy.core.limit) std::cout << "core-limit " << *policy.core.limit << "\n";
    if (policy.deny_write_execute)
      std::cout << "deny-write-execute on (the program may not make writable memory executable)\n";
    std::cout << "\n";
  }
  // A file's lines come before those of the files it includes; an included
  // line they leave no call to decide is shown as overridden.
  std::cout << "rules as written, in the order they are tried (the first clause that holds decides; a file's own "
               "before those it includes):\n";
  const auto& overridden_lines = compiled.overridden;  // (clang 14 captures no structured binding)
  const auto overridden = [&overridden_lines](const Location& where) {
    for (const auto& line : overridden_lines)
      if (line.file == where.file && line.line == where.line) return true;
    return false;
  };
  for (const auto& rule : policy.rules)
    for (const auto& clause : rule.clauses)
      std::cout << "  " << rule.name << " (" << rule.nr << "): " << to_string(clause.action)
                << (clause.condition == Dnf{{}} ? "" : " if " + to_string(clause.condition)) << "    ["
                << clause.where.file << ":" << clause.where.line << (overridden(clause.where) ? ", overridden" : "")
                << "]\n";
  std::cout << "\nrules as the kernel applies them (exclusive; calls matching none get the default):\n";
  for (const auto& kernel_rule : compiled.kernel_rules)
    std::cout << "  " << kernel_rule.syscall << " (" << kernel_rule.nr << "): " << to_string(kernel_rule.action)
              << (kernel_rule.atoms.empty() ? "" : " if " + to_string(Dnf{kernel_rule.atoms})) << "\n";
  if (!compiled.paths.empty()) {
    std::cout << "\npath rules for the trusted process:\n";
    for (const auto& path_rule : compiled.paths) {
      std::string perms;
      if (path_rule.permissions & kPathRead) perms += "read ";
      if (path_rule.permissions & kPathWrite) perms += "write ";
      if (path_rule.permissions & kPathCreate) perms += "create ";
      std::cout << "  " << perms << path_rule.pattern << "\n";
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
    const ParseResult argument = parse("default kill\nread: allow if arg0 == " + arg_texts[i] + "\n", "argument");
    if (!argument.policy)
      return usage_error("argument " + std::to_string(i) + ": '" + arg_texts[i] +
                         "' is not a number or a named constant");
    data.args[i] = argument.policy->rules[0].clauses[0].condition[0][0].value;
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

}  // namespace

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

}  // namespace sbx::cli
