// sbx run's crash-dump options (--core-dir, --core-limit) and the policy's
// directives of the same names, turned into what the trusted process is
// given (docs/policy.md, "Crash dumps").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "policy.h"

namespace sbx::cli {

// The limit of a core when neither an option, the policy nor the caller's
// RLIMIT_CORE says one: a hostile program may crash 16 times per sandbox.
inline constexpr uint64_t kDefaultCoreLimit = 1ULL << 30;

// Sets *core from the options (each "" when not given; they override the
// policy's directives): the directory resolved to its real path, through
// root's symlinks only, and checked to be a directory this user may make
// files in; the limit from --core-limit (0: none), else the policy's, else
// the caller's RLIMIT_CORE (unlimited: none), but kDefaultCoreLimit for an
// RLIMIT_CORE of 0 (asking for a core-dir is asking for cores; ulimit -c 0
// is the usual default). Nothing to do without a directory. False, with a
// sentence in *why, when it cannot be.
bool settle_core_dumps(const std::string& dir_option, const std::string& limit_option, policy::CoreDumps* core,
                       std::string* why);

}  // namespace sbx::cli
