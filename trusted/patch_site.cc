// The shim's request to patch one of the caller's syscall sites
// (zygote_shim/lazy_patch.cc; the request: sandbox.h, kPatchHoldByte):
// process_vm_writev(SITE, TRAMPOLINE, NR, 0, 0, kShimCallMark). The shim
// makes it when the process has other threads, which could run a page the
// shim made writable; we write through /proc/PID/mem instead, which needs
// no page to change its protection.
//
// The request is the program's word, so everything is checked here, on
// what we read ourselves, and nothing but those 5 bytes is ever written:
// - the policy lets the program's code be changed at all: not under
//   deny-write-execute (PR_SET_MDWE), where the program could not write
//   its code itself and we must not do it for it;
// - NR is a call the shim answers at a site (execve, execveat, chdir) and
//   the policy traps it for every argument (the compiled filter, run here
//   as sbx run does for the table);
// - SITE .. SITE+7 lies in one private, executable, not writable mapping
//   of a file (the caller's /proc/PID/maps), and holds exactly
//   b8 NR NR NR NR 0f 05 (mov $NR, %eax; syscall), read from its memory;
// - TRAMPOLINE .. +32 lies in one private, executable, not writable
//   anonymous mapping of the caller's (where the shim puts trampolines),
//   within reach of a 32-bit jump from SITE.
// Then, in gVisor's three steps, each a write of /proc/PID/mem: the first
// byte to kPatchHoldByte (invalid: a thread running the site now faults,
// and the shim has it run the site again), the jump's four other bytes,
// the first byte to the jump's (e9). The `syscall` after it is left. A
// failed step puts the first byte back. The answer is 0, or EPERM for a
// request that fails a check (ESRCH if the caller is gone).
//
// The checks and the writes are not atomic against the caller's other
// threads: one that maps something else at SITE in between has these bytes
// written there instead, into a private copy of its own (a shared mapping
// that is not writable fails the forced write), which it could write
// itself too.
//
// What it can give the program: a jump from its own code to its own
// executable memory, which a program not under deny-write-execute can
// write itself (mprotect), and only where a trapped call was: the filter
// still sees every call the trampoline makes.
#include "patch_site.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "caller.h"
#include "paths.h"
#include "sandbox.h"

namespace sbx::trusted {

namespace {

constexpr int kSiteLength = 7;   // b8 NR NR NR NR 0f 05
constexpr int kTrampoline = 32;  // the part of a trampoline a patched site jumps into
constexpr size_t kMaxMaps = 16 << 20;

bool g_patching_allowed = false;  // not under deny-write-execute
bool g_trapped[3];                // execve, execveat, chdir: the policy always traps it
constexpr long kCalls[3] = {SYS_execve, SYS_execveat, SYS_chdir};

// Whether the compiled filter traps nr for arguments of every kind (the
// values cli/run_command.cc's always_trapped tries).
bool always_traps(const policy::Compiled& compiled, long nr) {
  const uint64_t values[] = {0, 1, 2, 3, AT_EMPTY_PATH, static_cast<uint64_t>(AT_FDCWD), 0x7fff00001000, ~0ull};
  policy::SeccompData data;
  data.nr = static_cast<int>(nr);
  for (const uint64_t v : values) {
    for (uint64_t& arg : data.args) arg = v;
    std::string why;
    const auto ret = policy::run_bpf(compiled.bpf, data, &why);
    if (!ret || (*ret & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_TRAP) return false;
  }
  return true;
}

struct Mapping {
  uint64_t lo = 0, hi = 0;
  char perms[5] = {};
  uint64_t inode = 0;
  bool has_path = false;  // a file's path ("/..."), not "[heap]", "[vdso]" or nothing
};

// The mapping of maps that holds [address, address + size), if one does.
bool mapping_of(const std::string& maps, uint64_t address, uint64_t size, Mapping* out) {
  size_t at = 0;
  while (at < maps.size()) {
    size_t end = maps.find('\n', at);
    if (end == std::string::npos) end = maps.size();
    const std::string line = maps.substr(at, end - at);
    at = end + 1;
    Mapping m;
    unsigned long long lo, hi, offset, inode;
    char perms[8], dev[32];
    int path_at = -1;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %31s %llu %n", &lo, &hi, perms, &offset, dev, &inode, &path_at) <
        6)
      continue;
    if (address < lo || address >= hi) continue;
    if (address + size > hi || address + size < address) return false;  // across two mappings: refused
    m.lo = lo, m.hi = hi, m.inode = inode;
    std::memcpy(m.perms, perms, 4);
    m.has_path = path_at > 0 && static_cast<size_t>(path_at) < line.size() && line[static_cast<size_t>(path_at)] == '/';
    *out = m;
    return true;
  }
  return false;
}

std::string read_all(const std::string& path) {
  std::string text;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0 && text.size() + static_cast<size_t>(n) <= kMaxMaps;)
    text.append(buf, static_cast<size_t>(n));
  close(fd);
  return text;
}

bool write_exactly(int mem, const unsigned char* bytes, size_t size, uint64_t address) {
  return pwrite(mem, bytes, size, static_cast<off_t>(address)) == static_cast<ssize_t>(size);
}

}  // namespace

void set_site_patching(const policy::Compiled& compiled) {
  g_patching_allowed = !compiled.deny_write_execute;
  for (int i = 0; i < 3; ++i) g_trapped[i] = always_traps(compiled, kCalls[i]);
}

Answer do_patch_site(const seccomp_notif& r) {
  const auto& a = r.data.args;
  if (a[5] != kShimCallMark || a[3] != 0 || a[4] != 0) return fail(ENOSYS);  // brokered by the policy, not ours
  const uint64_t site = a[0], trampoline = a[1], nr = a[2];
  if (!g_patching_allowed) return fail(EPERM);
  bool trapped = false;
  for (int i = 0; i < 3; ++i) trapped |= g_trapped[i] && nr == static_cast<uint64_t>(kCalls[i]);
  if (!trapped) return fail(EPERM);
  const int64_t rel = static_cast<int64_t>(trampoline - (site + 5));
  if (rel != static_cast<int32_t>(rel) || site > UINT64_MAX - 64 || trampoline > UINT64_MAX - 64) return fail(EPERM);

  const std::string maps_path = caller_proc(r, "maps"), mem_path = caller_proc(r, "mem");
  if (maps_path.empty() || mem_path.empty()) return fail(ESRCH);
  std::string maps;
  int mem;
  {
    const AsProgram as_program;  // its /proc entries: a check on our fsuid (caller.h)
    maps = read_all(maps_path);
    mem = open(mem_path.c_str(), O_RDWR | O_CLOEXEC);
  }
  if (mem < 0) return fail(errno == ENOENT ? ESRCH : EPERM);
  Mapping code, tramp;
  const bool good = mapping_of(maps, site, kSiteLength, &code) && code.perms[2] == 'x' && code.perms[1] == '-' &&
                    code.perms[3] == 'p' && code.inode != 0 && code.has_path &&
                    mapping_of(maps, trampoline, kTrampoline, &tramp) && tramp.perms[2] == 'x' &&
                    tramp.perms[1] == '-' && tramp.perms[3] == 'p' && tramp.inode == 0 && !tramp.has_path;
  unsigned char now[kSiteLength];
  const unsigned char want[kSiteLength] = {0xb8,
                                           static_cast<unsigned char>(nr),
                                           static_cast<unsigned char>(nr >> 8),
                                           static_cast<unsigned char>(nr >> 16),
                                           static_cast<unsigned char>(nr >> 24),
                                           0x0f,
                                           0x05};
  if (!good) {
    close(mem);
    return fail(EPERM);
  }
  if (!still_valid(r)) {  // the memory is the caller's, still waiting for us
    close(mem);
    return fail(ESRCH);
  }
  // One patch at a time (two forged requests for one site must not mix
  // their writes), of a site as it is now.
  static std::mutex writing;
  const std::lock_guard<std::mutex> one_at_a_time(writing);
  if (pread(mem, now, sizeof(now), static_cast<off_t>(site)) != static_cast<ssize_t>(sizeof(now)) ||
      std::memcmp(now, want, sizeof(want)) != 0) {
    close(mem);
    return fail(EPERM);
  }
  const unsigned char hold = kPatchHoldByte, jump = 0xe9;
  unsigned char tail[4];
  for (int b = 0; b < 4; ++b) tail[b] = static_cast<unsigned char>(static_cast<uint64_t>(rel) >> (8 * b));
  bool done = write_exactly(mem, &hold, 1, site);
  if (done) {
    done = write_exactly(mem, tail, 4, site + 1) && write_exactly(mem, &jump, 1, site);
    if (!done) {  // the old instruction back, whole
      write_exactly(mem, want + 1, 4, site + 1);
      write_exactly(mem, want, 1, site);
    }
  }
  close(mem);
  return done ? Answer{} : fail(EIO);
}

}  // namespace sbx::trusted
