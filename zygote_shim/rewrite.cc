// Syscall rewriting, the shim's part: a fast path, never a permission
// (docs/ARCHITECTURE.md, "Syscall rewriting").
//
// sbx run decodes libc and the loader ahead (cli/syscall_sites.cc) and
// passes the sites in SBX_REWRITE: per object its build id, then for each
// site the offset of its `syscall` and the length of the instruction just
// before it (the window, 5 to 15 bytes, one instruction that refers to
// nothing by its own address). For each loaded object whose build id
// matches, the window's instruction becomes a 5-byte `jmp` to a per-site
// trampoline, mapped within 2 GiB (build_trampoline): it runs the copied
// instruction and jumps back to the `syscall`, left in place in libc; or,
// for a call the policy traps and the shim does itself (execve, execveat,
// chdir, listed in the table by sbx run), calls the shim's emulation and
// jumps past it, without the trap; or, for a brokered open listed after "+"
// (SBX_REWRITE=open-route), enters the fast route of brokered opens
// (fast_open.cc), which makes the call itself. Code that jumps straight to the
// `syscall` still runs it there. Nothing here decides anything: the
// kernel's filter is unchanged and sees every call the program makes.
//
// Patching changes code pages, so it is done only at start, in the
// constructor, when the process has one thread (read in /proc/self/status,
// which the trusted process answers: no other way to know, and when it
// cannot be known nothing is patched), with every signal but SIGSYS
// blocked (its handler is the shim's), and the pages are made writable
// without being executable (RX -> RW -> write -> RX): no thread can run
// them meanwhile, there is none. Under PR_SET_MDWE the
// kernel refuses code that was writable becoming executable again; the
// trampolines are made executable first, and if that is refused nothing is
// patched. A table that does not match (another libc, a program's forged
// SBX_REWRITE) patches nothing: each site's bytes are checked first.
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include <cstdint>

#include "raw_syscall.h"
#include "rewrite.h"
#include "sandbox.h"

namespace sbx::shim {

char g_rewrite_entry[kRewriteEntrySize];
RewriteCounts g_rewrite_counts;
bool g_rewrite_on;
bool g_rewrite_verbose;
bool g_lazy_via_trusted;

namespace {

constexpr long kPage = 4096;
constexpr int kSlot = 64;  // bytes of one trampoline (build_trampoline)

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Reads hex digits at *p into *value; false if there are none.
bool read_hex(const char** p, unsigned long* value) {
  *value = 0;
  int n = 0;
  for (int d; (d = hex_digit(**p)) >= 0 && n < 16; ++*p, ++n) *value = *value << 4 | static_cast<unsigned long>(d);
  return n > 0;
}

// The hex of the loaded object's NT_GNU_BUILD_ID note, into out (2 * 64 + 1).
bool build_id_of(unsigned long base, const Elf64_Phdr* ph, int phnum, char* out) {
  for (int i = 0; i < phnum; ++i) {
    if (ph[i].p_type != PT_NOTE) continue;
    unsigned long at = base + ph[i].p_vaddr;
    const unsigned long end = at + ph[i].p_memsz;
    while (at + sizeof(Elf64_Nhdr) <= end) {
      const auto* n = reinterpret_cast<const Elf64_Nhdr*>(at);
      const unsigned long name = at + sizeof(*n), desc = name + ((n->n_namesz + 3) & ~3u);
      const unsigned long next = desc + ((n->n_descsz + 3) & ~3ul);
      if (next > end) break;
      const auto* nm = reinterpret_cast<const char*>(name);
      if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && nm[0] == 'G' && nm[1] == 'N' && nm[2] == 'U' &&
          n->n_descsz <= 64) {
        const char digits[] = "0123456789abcdef";
        const auto* d = reinterpret_cast<const unsigned char*>(desc);
        for (unsigned i2 = 0; i2 < n->n_descsz; ++i2)
          out[2 * i2] = digits[d[i2] >> 4], out[2 * i2 + 1] = digits[d[i2] & 15];
        out[2 * n->n_descsz] = '\0';
        return true;
      }
      at = next;
    }
  }
  return false;
}

// The executable range of the object: [*lo, *hi).
bool code_range(unsigned long base, const Elf64_Phdr* ph, int phnum, unsigned long* lo, unsigned long* hi) {
  *lo = ~0ul, *hi = 0;
  for (int i = 0; i < phnum; ++i) {
    if (ph[i].p_type != PT_LOAD || (ph[i].p_flags & PF_X) == 0) continue;
    if (base + ph[i].p_vaddr < *lo) *lo = base + ph[i].p_vaddr;
    if (base + ph[i].p_vaddr + ph[i].p_memsz > *hi) *hi = base + ph[i].p_vaddr + ph[i].p_memsz;
  }
  return *lo < *hi;
}

bool same(const char* a, const char* b_end_at_sep) {
  int i = 0;
  for (; a[i] != '\0'; ++i)
    if (a[i] != b_end_at_sep[i]) return false;
  return b_end_at_sep[i] == ',' || b_end_at_sep[i] == ';' || b_end_at_sep[i] == '\0';
}

// Whether this process has one thread: "Threads:\t1" in /proc/self/status.
bool single_threaded() {
  const long fd = raw_syscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/status"), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[4096];
  long got = 0;
  for (long n; got < static_cast<long>(sizeof(text)) - 1 &&
               (n = raw_syscall(SYS_read, fd, reinterpret_cast<long>(text + got), sizeof(text) - 1 - got)) > 0;)
    got += n;
  raw_syscall(SYS_close, fd);
  text[got < 0 ? 0 : got] = '\0';
  const char key[] = "\nThreads:";
  for (long i = 0; text[i] != '\0'; ++i) {
    int k = 0;
    while (key[k] != '\0' && text[i + k] == key[k]) ++k;
    if (key[k] != '\0') continue;
    long j = i + k;
    while (text[j] == ' ' || text[j] == '\t') ++j;
    return text[j] == '1' && text[j + 1] == '\n';
  }
  return false;
}

// Maps `size` bytes for trampolines within reach of [lo, hi): just below
// the object if free, else just above, else lower still.
long map_near(unsigned long lo, unsigned long hi, long size) {
  const unsigned long reach = (1ul << 31) - (1ul << 24);
  for (unsigned long step = 1; step <= 64; ++step) {
    const unsigned long gap = step * (1ul << 20);
    const unsigned long below = lo > gap + static_cast<unsigned long>(size) ? (lo - gap - size) & ~(kPage - 1) : 0;
    const unsigned long above = (hi + gap + kPage - 1) & ~(kPage - 1);
    const unsigned long wants[] = {below, above};
    for (const unsigned long want : wants) {
      if (want == 0) continue;
      const long got = raw_syscall(SYS_mmap, want, size, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
      if (got < 0) continue;
      const unsigned long g = static_cast<unsigned long>(got);
      if (g + size <= lo + reach && g + reach >= hi) return got;
      raw_syscall(SYS_munmap, got, size);
    }
  }
  return -1;
}

struct Site {
  unsigned long at;  // the window's first byte
  int window;
};

// The calls the policy traps for every argument (sbx run lists them after
// "!" in the table) that the shim does itself: answered at the site.
bool g_emulated[512];
// The brokered opens (openat, open) sbx run lists after "+": their sites go
// to the fast route of brokered opens (fast_open.cc), if this process can
// have it.
bool g_fast_open[512];
// "a" in the table: every listed site is patched, not only those with a
// fast path (the tests; and the way a future fast path is measured).
bool g_all;

// The call a window answers at the site: its NR if it is mov $NR, %eax
// and the shim does NR itself; else -1.
long emulated_number(const unsigned char* window, int length) {
  if (length != 5 || window[0] != 0xb8) return -1;
  unsigned long nr = 0;
  for (int b = 0; b < 4; ++b) nr |= static_cast<unsigned long>(window[1 + b]) << (8 * b);
  return nr < sizeof(g_emulated) && g_emulated[nr] ? static_cast<long>(nr) : -1;
}

// The open a window sends on the fast route: its NR if it is mov $NR, %eax
// for a call listed after "+"; else -1.
long fast_open_number(const unsigned char* window, int length) {
  if (length != 5 || window[0] != 0xb8) return -1;
  unsigned long nr = 0;
  for (int b = 0; b < 4; ++b) nr |= static_cast<unsigned long>(window[1 + b]) << (8 * b);
  return nr < sizeof(g_fast_open) && g_fast_open[nr] ? static_cast<long>(nr) : -1;
}

void put_rel32(unsigned char* at, unsigned long target) {
  const long rel = static_cast<long>(target - (reinterpret_cast<unsigned long>(at) + 4));
  for (int b = 0; b < 4; ++b) at[b] = static_cast<unsigned char>(static_cast<unsigned long>(rel) >> (8 * b));
}

// One site's trampoline at s. For newfstatat, which the shim answers
// itself only for a descriptor and an empty path (fstat, shim.cc):
//    0  mov $NR, %eax
//    5  lea -128(%rsp), %rsp
//   10  call *48(%rip-relative)    sbx_shim_fstat_entry: back at 16 if answered, else at 29
//   16  lea 128(%rsp), %rsp
//   24  jmp SITE+WINDOW+2
//   29  lea 128(%rsp), %rsp
//   37  jmp SITE+WINDOW            to the `syscall`, %rax the call's number
//   48  .quad sbx_shim_fstat_entry
// For another call the shim answers (the window is mov $NR, %eax and the
// policy traps NR):
//    0  mov $NR, %eax
//    5  lea -128(%rsp), %rsp       past the red zone
//   10  call *32(%rip-relative)    sbx_shim_emulate_entry (raw_syscall.h)
//   16  lea 128(%rsp), %rsp
//   24  jmp SITE+WINDOW+2          after the syscall, which is not made
//   32  .quad sbx_shim_emulate_entry
// For an open on the fast route (the window is mov $NR, %eax for a call
// listed after "+"), the shim makes the call itself, entered as if libc had
// called it right after its `syscall` (fast_open.cc says why):
//    0  mov $NR, %eax
//    5  lea -128(%rsp), %rsp       past the red zone
//   10  movabs $SITE+WINDOW+2, %r11
//   20  push %r11                  the "return address": after the syscall
//   22  jmp *32(%rip-relative)     sbx_shim_open_entry (raw_syscall.h)
//   32  .quad sbx_shim_open_entry
// For any other:
//    0  the window's instruction, copied
//    W  jmp SITE+WINDOW            to the `syscall` itself, where it was
// so that the call is made from libc's own code: the filter decides it as
// before, and unwinders, debuggers and core dumps see a thread blocked in
// it where they know the code.
void build_trampoline(unsigned char* s, const Site& site) {
  const auto* from = reinterpret_cast<const unsigned char*>(site.at);
  const unsigned long syscall_at = site.at + site.window;
  int k = 0;
  const long nr = emulated_number(from, site.window);
  if (nr == SYS_newfstatat) {
    for (; k < 5; ++k) s[k] = from[k];
    const unsigned char lea_down[] = {0x48, 0x8d, 0x64, 0x24, 0x80};
    const unsigned char lea_up[] = {0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00};
    for (const unsigned char b : lea_down) s[k++] = b;
    s[k++] = 0xff, s[k++] = 0x15;  // call *disp32(%rip)
    put_rel32(s + k, reinterpret_cast<unsigned long>(s + 48));
    k += 4;
    const unsigned long targets[] = {syscall_at + 2, syscall_at};  // answered; not
    for (const unsigned long target : targets) {
      for (const unsigned char b : lea_up) s[k++] = b;
      s[k++] = 0xe9;
      put_rel32(s + k, target);
      k += 4;
    }
    while (k < 48) s[k++] = 0xcc;
    const unsigned long entry = reinterpret_cast<unsigned long>(&sbx_shim_fstat_entry);
    for (int b = 0; b < 8; ++b) s[k++] = static_cast<unsigned char>(entry >> (8 * b));
    ++g_rewrite_counts.emulated;
  } else if (nr >= 0) {
    for (; k < 5; ++k) s[k] = from[k];
    const unsigned char lea_down[] = {0x48, 0x8d, 0x64, 0x24, 0x80};
    for (const unsigned char b : lea_down) s[k++] = b;
    s[k++] = 0xff, s[k++] = 0x15;  // call *disp32(%rip)
    put_rel32(s + k, reinterpret_cast<unsigned long>(s + 32));
    k += 4;
    const unsigned char lea_up[] = {0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00};
    for (const unsigned char b : lea_up) s[k++] = b;
    s[k++] = 0xe9;
    put_rel32(s + k, syscall_at + 2);
    k += 4;
    while (k < 32) s[k++] = 0xcc;
    const unsigned long entry = reinterpret_cast<unsigned long>(&sbx_shim_emulate_entry);
    for (int b = 0; b < 8; ++b) s[k++] = static_cast<unsigned char>(entry >> (8 * b));
    ++g_rewrite_counts.emulated;
  } else if (fast_open_number(from, site.window) >= 0) {
    for (; k < 5; ++k) s[k] = from[k];
    const unsigned char lea_down[] = {0x48, 0x8d, 0x64, 0x24, 0x80};
    for (const unsigned char b : lea_down) s[k++] = b;
    s[k++] = 0x49, s[k++] = 0xbb;  // movabs $imm64, %r11
    for (int b = 0; b < 8; ++b) s[k++] = static_cast<unsigned char>((syscall_at + 2) >> (8 * b));
    s[k++] = 0x41, s[k++] = 0x53;  // push %r11
    s[k++] = 0xff, s[k++] = 0x25;  // jmp *disp32(%rip)
    put_rel32(s + k, reinterpret_cast<unsigned long>(s + 32));
    k += 4;
    while (k < 32) s[k++] = 0xcc;
    const unsigned long entry = reinterpret_cast<unsigned long>(&sbx_shim_open_entry);
    for (int b = 0; b < 8; ++b) s[k++] = static_cast<unsigned char>(entry >> (8 * b));
    ++g_rewrite_counts.fast_opens;
  } else {
    for (; k < site.window; ++k) s[k] = from[k];
    s[k++] = 0xe9;
    put_rel32(s + k, syscall_at);
    k += 4;
  }
  while (k < kSlot) s[k++] = 0xcc;
}

// Rewrites the sites of one object. `sites` points at ",OFF.LEN,..." in
// the table; returns after the object's list.
void rewrite_object(unsigned long base, const Elf64_Phdr* ph, int phnum, const char* sites) {
  unsigned long lo, hi;
  if (!code_range(base, ph, phnum, &lo, &hi)) return;
  // First pass: count and check each site where it is.
  constexpr int kMaxSites = 2048;
  static Site list[kMaxSites];
  int n = 0;
  const char* p = sites;
  while (*p == ',') {
    ++p;
    unsigned long offset, window, nr = ~0ul;
    if (!read_hex(&p, &offset) || *p++ != '.' || !read_hex(&p, &window)) return;  // malformed: nothing
    if (*p == '.' && (++p, !read_hex(&p, &nr))) return;
    ++g_rewrite_counts.listed;
    // A site whose trampoline would only jump back to its `syscall` costs
    // a written page and two jumps per call for nothing: left, unless all
    // are asked for. Known by the number the table gives, without reading
    // the code (reading it faults in its pages). Checked below as well.
    if (!g_all && !(nr < sizeof(g_emulated) && (g_emulated[nr] || g_fast_open[nr]))) {
      ++g_rewrite_counts.without_fast_path;
      continue;
    }
    const unsigned long at = base + offset - window;
    const auto* code = reinterpret_cast<const unsigned char*>(base + offset);
    if (window < 5 || window > 15 || at < lo || base + offset + 2 > hi || code[0] != 0x0f || code[1] != 0x05 ||
        n == kMaxSites || (n > 0 && at < list[n - 1].at + list[n - 1].window)) {
      ++g_rewrite_counts.mismatched;
      continue;
    }
    if (!g_all && emulated_number(reinterpret_cast<const unsigned char*>(at), static_cast<int>(window)) < 0 &&
        fast_open_number(reinterpret_cast<const unsigned char*>(at), static_cast<int>(window)) < 0) {
      ++g_rewrite_counts.mismatched;
      continue;
    }
    list[n++] = Site{at, static_cast<int>(window)};
  }
  if (n == 0) return;
  // Only now, when there is something to patch (it costs a brokered open).
  static int threads = 0;  // 1: one thread; -1: others, or unknown
  if (threads == 0) threads = single_threaded() ? 1 : -1;
  if (threads < 0) {
    g_rewrite_counts.threaded = 1;
    return;
  }
  const long size = (n * kSlot + kPage - 1) & ~(kPage - 1);
  const long tramp = map_near(lo, hi, size);
  if (tramp < 0) return;
  auto* t = reinterpret_cast<unsigned char*>(tramp);
  for (int i = 0; i < n; ++i) build_trampoline(t + i * kSlot, list[i]);
  if (raw_syscall(SYS_mprotect, tramp, size, PROT_READ | PROT_EXEC) != 0) {
    // PR_SET_MDWE (or a policy that refuses it): no new code at all.
    raw_syscall(SYS_munmap, tramp, size);
    g_rewrite_counts.refused = 1;
    return;
  }
  // Second pass: the windows, all the object's pages from the first site's
  // to the last's made writable but not executable at once, written, and
  // executable again (two calls: per page it cost twice the time). They
  // are in the object's one executable segment (checked above); pages
  // between that are not written stay shared with the file.
  const unsigned long first = list[0].at & ~(kPage - 1);
  const unsigned long last = (list[n - 1].at + list[n - 1].window - 1) & ~(kPage - 1);
  const long len = static_cast<long>(last - first) + kPage;
  // No handler may run libc's code while its pages cannot run: every
  // signal blocked but SIGSYS, whose handler is the shim's own code (a
  // policy that traps one of these calls gets it answered, not a death).
  const uint64_t all_but_sigsys = ~(1ull << (SIGSYS - 1));
  uint64_t old = 0;
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all_but_sigsys), reinterpret_cast<long>(&old),
              8);
  if (raw_syscall(SYS_mprotect, first, len, PROT_READ | PROT_WRITE) != 0) {
    raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&old), 0, 8);
    g_rewrite_counts.mismatched += n;
    return;
  }
  for (int i = 0; i < n; ++i) {
    auto* w = reinterpret_cast<unsigned char*>(list[i].at);
    w[0] = 0xe9;
    put_rel32(w + 1, static_cast<unsigned long>(tramp) + i * kSlot);
    for (int b = 5; b < list[i].window; ++b) w[b] = 0xcc;  // the rest of the instruction: never reached
    ++g_rewrite_counts.patched;
  }
  // Cannot fail once the trampolines were made executable; if it did, the
  // code could not run: end here rather than fault later.
  if (raw_syscall(SYS_mprotect, first, len, PROT_READ | PROT_EXEC) != 0) raw_syscall(SYS_exit_group, 125);
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&old), 0, 8);
}

void put_number(char* line, int* at, long value) {
  char digits[20];
  int n = 0;
  do digits[n++] = static_cast<char>('0' + value % 10), value /= 10;
  while (value > 0);
  while (n > 0) line[(*at)++] = digits[--n];
}
void put_text(char* line, int* at, const char* text) {
  while (*text != '\0') line[(*at)++] = *text++;
}

}  // namespace

// "sbx shim: syscall sites: L listed, P patched, F without a fast path, M mismatched, E answered
// at the site, in T us, O opens on the fast route[, ...]\n"
void report_rewriting() {
  char line[200];
  int at = 0;
  const RewriteCounts& c = g_rewrite_counts;
  put_text(line, &at, "sbx shim: syscall sites: ");
  put_number(line, &at, c.listed);
  put_text(line, &at, " listed, ");
  put_number(line, &at, c.patched);
  put_text(line, &at, " patched, ");
  put_number(line, &at, c.without_fast_path);
  put_text(line, &at, " without a fast path, ");
  put_number(line, &at, c.mismatched);
  put_text(line, &at, " mismatched, ");
  put_number(line, &at, c.emulated);
  put_text(line, &at, " answered at the site, in ");
  put_number(line, &at, c.micros);
  put_text(line, &at, " us, ");
  put_number(line, &at, c.fast_opens);
  put_text(line, &at, " opens on the fast route");
  if (c.threaded) put_text(line, &at, ", not patched: other threads");
  if (c.refused) put_text(line, &at, ", not patched: the kernel refused new code");
  line[at++] = '\n';
  raw_syscall(SYS_write, 2, reinterpret_cast<long>(line), at);
}

// For lazy_patch.cc, which patches one site at a time with the same code.
bool answered_at_site(long nr) { return nr >= 0 && nr < static_cast<long>(sizeof(g_emulated)) && g_emulated[nr]; }
void build_site_trampoline(unsigned char* s, unsigned long at, int window) { build_trampoline(s, Site{at, window}); }
long map_trampolines_near(unsigned long lo, unsigned long hi, long size) { return map_near(lo, hi, size); }
bool process_single_threaded() { return single_threaded(); }
bool loaded_code_range(unsigned long address, unsigned long* lo, unsigned long* hi) {
  for (const link_map* l = _r_debug.r_map; l != nullptr; l = l->l_next) {
    const unsigned long base = l->l_addr;
    if (base == 0) continue;
    const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
    if (eh->e_ident[0] != ELFMAG0 || eh->e_ident[1] != ELFMAG1 || eh->e_ident[2] != ELFMAG2 ||
        eh->e_ident[3] != ELFMAG3 || eh->e_phentsize != sizeof(Elf64_Phdr))
      continue;
    const auto* ph = reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff);
    if (code_range(base, ph, eh->e_phnum, lo, hi) && address >= *lo && address < *hi) return true;
  }
  return false;
}

long now_ns() {
  struct {
    long sec, nsec;
  } ts{0, 0};
  raw_syscall(SYS_clock_gettime, CLOCK_MONOTONIC, reinterpret_cast<long>(&ts));
  return ts.sec * 1000000000 + ts.nsec;
}

void rewrite_at_start() {
  const long start = now_ns();
  const char* table = g_rewrite_entry + sizeof(kEnvRewrite);  // after "SBX_REWRITE="
  if (g_rewrite_entry[0] == '\0' || table[0] != '1') return;
  bool verbose = false;  // "v": report what was done on stderr (tests)
  // "l": the policy brokers the shim's request to patch a site through the
  // trusted process (lazy_patch.h).
  for (; table[1] == 'v' || table[1] == 'a' || table[1] == 'l'; ++table)
    (table[1] == 'v' ? verbose : table[1] == 'a' ? g_all : g_lazy_via_trusted) = true;
  if (table[1] == '!') {  // "!NR.NR...": the trapped calls to answer at the site
    const char* p = table + 2;
    for (unsigned long nr; read_hex(&p, &nr);) {
      if (nr < sizeof(g_emulated) && is_answered_at_site(static_cast<long>(nr))) g_emulated[nr] = true;
      if (*p == '.') ++p;
    }
    table = p - 1;
  }
  if (table[1] == '+') {  // "+NR.NR...": the brokered opens for the fast route
    const char* p = table + 2;
    bool any = false;
    for (unsigned long nr; read_hex(&p, &nr);) {
      any |= nr == SYS_openat || nr == SYS_open;
      if (*p == '.') ++p;
    }
    if (any && fast_open_start()) {
      p = table + 2;
      for (unsigned long nr; read_hex(&p, &nr);) {
        if (nr == SYS_openat || nr == SYS_open) g_fast_open[nr] = true;
        if (*p == '.') ++p;
      }
    }
    table = p - 1;
  }
  if (table[1] != ';' && table[1] != '\0') return;
  g_rewrite_on = true;
  g_rewrite_verbose = verbose;
  for (const link_map* l = _r_debug.r_map; /* the loader's list of loaded objects */ l != nullptr; l = l->l_next) {
    const unsigned long base = l->l_addr;
    if (base == 0) continue;  // a program not built PIE: not in any table
    const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
    if (eh->e_ident[0] != ELFMAG0 || eh->e_ident[1] != ELFMAG1 || eh->e_ident[2] != ELFMAG2 ||
        eh->e_ident[3] != ELFMAG3 || eh->e_phentsize != sizeof(Elf64_Phdr))
      continue;
    const auto* ph = reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff);
    char id[2 * 64 + 1];
    if (!build_id_of(base, ph, eh->e_phnum, id)) continue;
    for (const char* p = table + 1; *p == ';'; ++p) {
      if (same(id, p + 1)) {
        const char* sites = p + 1;
        while (*sites != ',' && *sites != ';' && *sites != '\0') ++sites;
        rewrite_object(base, ph, eh->e_phnum, sites);
        break;
      }
      ++p;
      while (*p != ';' && *p != '\0') ++p;
      --p;
    }
  }
  g_rewrite_counts.micros = (now_ns() - start) / 1000;
  if (verbose) report_rewriting();
}

}  // namespace sbx::shim
