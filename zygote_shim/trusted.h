// The trusted process: forked by the shim before the chroot, so it keeps the
// filesystem view. It holds the seccomp listener of the sandboxed process and
// answers its brokered path system calls strictly by the path rules, on its
// own copy of the arguments, handing descriptors back atomically with the
// reply. It shares no memory with the sandboxed process.
#pragma once

#include <string>
#include <vector>

#include "policy.h"

namespace sbx::shim {

struct TrustedConfig {
  std::vector<policy::PathRule> rules;
  std::string cwd;  // where relative paths of the program start (its directory before the chroot)
  int socket = -1;  // the listener descriptor arrives here (SCM_RIGHTS)
};

[[noreturn]] void run_trusted_process(const TrustedConfig& config);

}  // namespace sbx::shim
