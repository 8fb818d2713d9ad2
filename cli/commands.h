// What the commands of sbx share: sbx_main.cc reads the command line and
// dispatches to run (run_command.cc), doctor (doctor.cc) and policy
// (policy_commands.cc); pieces.h finds the parts of sbx a sandbox is made of.
#pragma once

#include <string>
#include <vector>

namespace sbx::cli {

constexpr int kExitOk = 0;
constexpr int kExitPolicyError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitMismatch = 3;

// The usage, after "sbx: MESSAGE" (sbx_main.cc); returns kExitUsage.
int usage_error(const std::string& message);

// A bare NAME of a built-in (no '/') always means the built-in, whatever
// files the working directory holds: a program run there earlier could have
// written one called "stdio". A file of that name is ./NAME.
std::string source_of(const std::string& arg);

// sbx run ARGS... (run_command.cc): runs the program in the sandbox, or
// returns kExitRunRefused with a sentence saying why nothing ran.
int run_command(const std::vector<std::string>& args);
// sbx doctor (doctor.cc): what this machine and installation offer.
int doctor_command();
// sbx policy SUBCOMMAND ARGS... (policy_commands.cc): check, compile, explain, test.
int policy_command(const std::vector<std::string>& args);

}  // namespace sbx::cli
