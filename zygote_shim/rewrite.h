// Syscall rewriting in the shim (rewrite.cc): the table sbx run passes in
// SBX_REWRITE, and what was done with it.
#pragma once

namespace sbx::shim {

// "SBX_REWRITE=TABLE", taken out of the environment at start like
// SBX_SHIM and passed on to the programs the shim executes; "" if none.
inline constexpr int kRewriteEntrySize = 32 * 1024;
extern char g_rewrite_entry[kRewriteEntrySize];

// Rewrites the sites the table names in the objects loaded now that have a
// fast path (all of them if the table says "a"), if the process has one
// thread. Called once, from the shim's constructor.
void rewrite_at_start();

// Whether the shim does the trapped call nr itself (shim.cc).
bool is_emulated(long nr);
// Sets up the fast route for brokered opens (fast_open.cc); false if the
// process cannot have it (its state page was refused).
bool fast_open_start();

struct RewriteCounts {
  int listed;             // sites in the table for objects that are loaded
  int patched;            // now jump to a trampoline
  int without_fast_path;  // left: the trampoline would only jump back (patched only with "a")
  int emulated;           // of those patched, calls the shim answers at the site (the policy traps them)
  int fast_opens;         // of those patched, opens on the fast route of brokered opens (fast_open.cc)
  int mismatched;         // left: their bytes are not what the table says, or their page could not be made writable
  int threaded;           // 1: nothing patched, the process had other threads (or /proc/self/status was unreadable)
  int refused;            // 1: nothing patched, the kernel refused new code (PR_SET_MDWE)
  long micros;            // time spent, in microseconds
};
extern RewriteCounts g_rewrite_counts;

}  // namespace sbx::shim
