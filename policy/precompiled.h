// The built-in policies sbx run uses most, compiled at build time
// (policy/embed_bpf --compiled): parsing and compiling builtin:default took
// about 0.5 ms of every sbx run. The test suite checks that each equals what
// compiling it now gives.
#pragma once

#include <string>

namespace sbx::policy {

// builtin:NAME in the compiled format, or nullptr if it is not precompiled.
const std::string* precompiled_builtin(const std::string& source);

}  // namespace sbx::policy
