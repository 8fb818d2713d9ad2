// The pieces of sbx a sandbox is made of (the setuid helper, the first
// stage, the trusted process, the shim): where each is found, and what the
// helper needs to work. Shared by sbx run, which refuses to start without
// them, and sbx doctor, which reports on them.
#pragma once

#include <sys/stat.h>

#include <string>

namespace sbx::cli {

// Where each piece is: $SBX_HELPER (...), else the installed path, else the
// build tree's path next to this sbx (locate).
struct Pieces {
  std::string helper;   // sbx-helper, the setuid helper
  std::string zygote;   // sbx-zygote, the first stage
  std::string trusted;  // sbx-trusted, the trusted process
  std::string shim;     // libsbx-shim.so, as found (not resolved)
};
Pieces find_pieces();

// Whether a file with this status is setuid root: owned by root, with the
// set-user-ID bit (what the helper must be).
bool setuid_root(const struct stat& st);
// Whether path is on a filesystem mounted nosuid, where the setuid bit is
// ignored (so the helper cannot gain root).
bool on_nosuid_filesystem(const std::string& path);
// Whether sbx-helper runs in setuid mode: setuid root, on a filesystem that
// honours it. Otherwise sbx run uses its user-namespace mode.
bool setuid_mode_possible(const std::string& helper);
// Why the kernel refuses the helper's user-namespace mode, from its
// switches in /proc/sys: one sentence with the cause and the fix (the
// helper's own, sbx::helper::userns_refusal), or "" when none refuses.
std::string userns_refusal_here();

}  // namespace sbx::cli
