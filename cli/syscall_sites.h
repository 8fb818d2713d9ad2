// Finding the `syscall` instructions of libc and the loader that the shim
// may rewrite (docs/ARCHITECTURE.md, "Syscall rewriting"): sbx run decodes
// the two files once, with Zydis, and hands the shim a table of sites in
// SBX_REWRITE; the shim only copies bytes.
#pragma once

#include <string>
#include <vector>

namespace sbx::cli {

// One `syscall` instruction (0f 05) found by a linear sweep of an
// executable section.
struct SyscallSite {
  unsigned long offset;  // of the instruction, from the object's load base
  int window;            // length of the instruction just before it that a jump may replace; 0 if none
  const char* left;      // why the site is left to the filter (window 0), else nullptr
  long nr = -1;          // the call's number if the window is mov $NR, %eax
};

struct SiteScan {
  std::string path;
  std::string build_id;  // hex of the NT_GNU_BUILD_ID note; the shim matches the loaded object by it
  std::vector<SyscallSite> sites;
  std::string error;  // non-empty if the file could not be scanned
};

// Decodes every executable section of the ELF file at path.
SiteScan scan_syscall_sites(const std::string& path);

// The value of SBX_REWRITE for these scans: "1" then, per object,
// ";BUILDID" and ",OFFSET.WINDOW" per rewritable site, ",OFFSET.WINDOW.NR"
// when the window is mov $NR, %eax (hex): the shim picks the sites it has
// a fast path for without reading the code.
std::string rewrite_table(const std::vector<SiteScan>& scans);

// The files sbx run decodes: the system's libc and loader.
extern const char* const kRewrittenFiles[];

// SBX_REWRITE's value for kRewrittenFiles, from the cache in cache_dir
// (one file per build id: decoding libc takes about 0.1 s on a slow
// machine) or decoded and cached there; cache_dir "" decodes every time.
// "" if no file could be read.
std::string rewrite_table_cached(const std::string& cache_dir);

// The table of the sites whose window is mov $NR, %eax for an NR in
// numbers (what the shim patches by default), found without decoding all
// of kRewrittenFiles and so without a cache: "" if none.
std::string rewrite_table_for(const std::vector<long>& numbers);

}  // namespace sbx::cli
