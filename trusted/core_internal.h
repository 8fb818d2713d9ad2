// What core_file.cc and core_mappings.cc share, for them alone: the
// interface of both is core_file.h.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core_file.h"
namespace sbx::trusted {

inline constexpr uint64_t kPage = 4096;

// What /proc/PID/smaps says of a mapping beyond its maps line.
enum SmapsFlag : uint8_t {
  kDontDump = 1,   // VmFlags "dd": MADV_DONTDUMP, never in a core
  kWritten = 2,    // Anonymous: above 0 kB: private pages written to
  kResident = 4,   // Rss: or Swap: above 0 kB: some page exists
  kHaveSmaps = 8,  // the lines above were there
};

// write_core's mappings (core_mappings.cc): `maps` (maps or smaps text)
// read, in address order, with dump_bytes chosen by choose_dump_bytes
// (memory read through mem_fd for an ELF header) and by what smaps says
// (MADV_DONTDUMP: nothing; a private file mapping written to: whole), and
// (*flags)[i] the SmapsFlag bits of (*mappings)[i]. false, with *why, if a
// line cannot be read or there are more than kCoreMaxMappings.
bool core_dump_mappings(const std::string& maps, int mem_fd, std::vector<CoreMapping>* mappings,
                        std::vector<uint8_t>* flags, std::string* why);

}  // namespace sbx::trusted
