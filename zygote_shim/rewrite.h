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
// Whether a rewritten site of call nr goes to the shim: the calls above,
// and newfstatat, answered by fstat for a descriptor and an empty path.
bool is_answered_at_site(long nr);
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
  int lazy;               // patched later, each on its first trap (lazy_patch.cc, which reports each)
};
extern RewriteCounts g_rewrite_counts;

// Set by rewrite_at_start from the table: rewriting is on ("1"), the
// shim reports on stderr ("v"), and the policy brokers the shim's request
// to patch a site through the trusted process ("l", lazy_patch.h).
extern bool g_rewrite_on;
extern bool g_rewrite_verbose;
extern bool g_lazy_via_trusted;
void report_rewriting();

// What lazy_patch.cc shares with the patching at start: whether the table
// lists nr as a call the shim answers at the site; one site's trampoline
// (the window's `syscall` at at + window) written at s; trampoline pages
// within reach of [lo, hi); whether the process has one thread; and the
// executable range of the loaded object whose code holds address.
bool answered_at_site(long nr);
void build_site_trampoline(unsigned char* s, unsigned long at, int window);
long map_trampolines_near(unsigned long lo, unsigned long hi, long size);
bool process_single_threaded();
bool loaded_code_range(unsigned long address, unsigned long* lo, unsigned long* hi);

}  // namespace sbx::shim
