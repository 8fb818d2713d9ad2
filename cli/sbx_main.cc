// sbx: the unprivileged front end.
//
//   sbx run [--policy NAME|FILE] [--allow-read PATH]... [--allow-write PATH]... [--core-dir DIR]
//           [--core-limit SIZE] [--verbose] [--] PROGRAM [ARGS...]
//   sbx doctor                            what this machine and installation offer, and what to fix
//   sbx policy check FILE...              parse and compile; report every error with its line
//   sbx policy compile FILE -o OUT        write the compiled policy (docs/policy.md, "Compiled format")
//   sbx policy explain FILE               each rule as the kernel will apply it, and the BPF
//   sbx policy test FILE SYSCALL [ARG...] what would happen to that call
//
// FILE is a path, or builtin:NAME; a bare NAME of a built-in is always the built-in.
//
// This file reads the command line and dispatches: sbx run to
// run_command.cc, sbx doctor to doctor.cc, sbx policy to
// policy_commands.cc (commands.h).
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"

namespace sbx::cli {

const char kUsage[] =
    "usage: sbx run [--policy NAME|FILE] [--allow-read PATH]... [--allow-write PATH]... [--core-dir DIR]\n"
    "               [--core-limit SIZE] [--verbose] [--] PROGRAM [ARGS...]\n"
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

}  // namespace sbx::cli

using namespace sbx::cli;

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
