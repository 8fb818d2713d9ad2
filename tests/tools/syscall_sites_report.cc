// Prints, for each ELF file named, the `syscall` sites sbx run finds and
// which the shim may rewrite (cli/syscall_sites.cc), and why the others
// are left:  PATH: found N patched P left L  then "  COUNT: reason" lines.
#include <cstdio>
#include <map>
#include <string>

#include "syscall_sites.h"

int main(int argc, char** argv) {
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    const sbx::cli::SiteScan scan = sbx::cli::scan_syscall_sites(argv[i]);
    if (!scan.error.empty()) {
      std::printf("%s: %s\n", argv[i], scan.error.c_str());
      status = 1;
      continue;
    }
    int patched = 0;
    std::map<std::string, int> left;
    for (const auto& site : scan.sites) site.window > 0 ? ++patched : ++left[site.left];
    std::printf("%s: found %zu patched %d left %zu\n", argv[i], scan.sites.size(), patched,
                scan.sites.size() - patched);
    for (const auto& [why, count] : left) std::printf("  %d: %s\n", count, why.c_str());
  }
  return status;
}
