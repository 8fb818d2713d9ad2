// sbx run's crash-dump options (--core-dir, --core-limit) and the policy's
// directives of the same names, turned into what the trusted process is
// given (docs/policy.md, "Crash dumps").
#pragma once

#include <optional>
#include <string>

#include "policy.h"

namespace sbx::cli {

// Sets *core from the options (each "" when not given; they override the
// policy's directives): the directory resolved to its real path, through
// root's symlinks only, and checked to be a directory this user may make
// files in; the limit from --core-limit, else the policy's, else the
// caller's RLIMIT_CORE when it is a number above 0 (0 and unlimited both
// mean no limit: asking for a core-dir is asking for cores). Nothing to do
// without a directory. False, with a sentence in *why, when it cannot be.
bool settle_core_dumps(const std::string& dir_option, const std::string& limit_option, policy::CoreDumps* core,
                       std::string* why);

}  // namespace sbx::cli
