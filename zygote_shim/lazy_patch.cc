// Lazy patching: a site the table at start did not name (a library loaded
// later, the program's own code), or one left because the process had
// threads, is patched on its first trap, as gVisor's systrap and
// lazypoline do; each site is tried once, at most kMaxSites of them. Only a site of exactly `mov $NR, %eax; syscall`
// (b8 NR NR NR NR 0f 05, si_call_addr just after it) in the code of a
// loaded object (not the shim's), for a call the shim answers at the site
// (the table's "!" list: the policy traps it for every argument). Its
// trampoline is rewrite.cc's, in a page of its own (other threads may be
// running the trampolines of pages written before), made executable before
// anything is patched: under PR_SET_MDWE that is refused and nothing ever
// is.
//
// The 5-byte jump is written without a page that is writable and
// executable where another thread can run it:
// - with one thread (/proc/self/status), here, as at start: every signal
//   but SIGSYS blocked, the page RX -> RW -> write -> RX;
// - with others, by the trusted process through /proc/PID/mem (the request
//   and its checks: sandbox.h, trusted/patch_site.cc), in gVisor's three
//   steps: the first byte to kPatchHoldByte, an invalid instruction, then
//   the other four, then the first byte to the jump's. A thread that runs
//   the site meanwhile gets SIGILL there; the shim's SIGILL handler sees
//   the site being patched (or patched since) and returns, so that the
//   thread runs it again: the old instruction is never run half-changed.
//
// The SIGILL handler and the program's own: the shim takes SIGILL only
// while its disposition is the default (or the shim's core handler,
// crash.cc), at its first patch through the trusted process, and passes
// every SIGILL that is not at a site being patched on as if it had never
// been there (the default action, or the core handler). A program that
// sets its own SIGILL handler replaces the shim's, and from then on sites
// are no longer patched while it has other threads (they keep trapping):
// the shim never changes a handler of the program's. Left open: a program
// that sets its handler while a patch is being written, and a thread that
// runs that site in those microseconds, has its handler called there; and a
// thread with SIGILL blocked that runs it then dies of it, as the kernel
// does for a blocked fault. Also left: processes sharing memory without
// being threads (clone(CLONE_VM) without CLONE_THREAD, a vfork child) each
// count one thread; patching in place from one of them can make another's
// code briefly not executable (the vfork parent's other threads).
#include "lazy_patch.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <cstdint>

#include "raw_syscall.h"
#include "rewrite.h"
#include "sandbox.h"

namespace sbx::shim {

// crash.cc: the handler of the signals that dump core, with a core-dir.
bool is_core_handler(void (*handler)(int, siginfo_t*, void*));
void on_core_signal(int signal, siginfo_t* info, void* context);

namespace {

constexpr long kPage = 4096;
constexpr int kSiteLength = 7;  // b8 NR NR NR NR 0f 05
constexpr int kMaxSites = 256;  // lazily patched in one process: one trampoline page each

unsigned long g_sites[kMaxSites];  // sites tried, each once (the SIGILL handler reads it)
int g_site_count;
unsigned long g_patching;  // the site the trusted process is writing now, or 0
long g_patching_pid;       // for this process
unsigned long g_patching_trampoline;
int g_lock;  // one patch at a time; a thread that finds it held leaves its site
bool g_off;  // the kernel refused new code (PR_SET_MDWE): never again
enum class IllBefore { kNotOurs, kDefault, kCore };
IllBefore g_ill_before;  // what SIGILL's disposition was before the shim took it

bool is_site(const unsigned char* at, long nr) {
  if (at[0] != 0xb8 || at[5] != 0x0f || at[6] != 0x05) return false;
  for (int b = 0; b < 4; ++b)
    if (at[1 + b] != static_cast<unsigned char>(static_cast<unsigned long>(nr) >> (8 * b))) return false;
  return true;
}

void put_jump(unsigned char* at, unsigned long target) {
  const long rel = static_cast<long>(target - (reinterpret_cast<unsigned long>(at) + 5));
  at[0] = 0xe9;
  for (int b = 0; b < 4; ++b) at[1 + b] = static_cast<unsigned char>(static_cast<unsigned long>(rel) >> (8 * b));
}

// One thread: as rewrite.cc does at start.
void patch_in_place(unsigned long at, unsigned long trampoline) {
  const unsigned long first = at & ~(kPage - 1);
  const long len = static_cast<long>(((at + 4) & ~(kPage - 1)) - first) + kPage;
  const uint64_t all_but_sigsys = ~(1ull << (SIGSYS - 1));
  uint64_t old = 0;
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all_but_sigsys), reinterpret_cast<long>(&old),
              8);
  if (raw_syscall(SYS_mprotect, first, len, PROT_READ | PROT_WRITE) == 0) {
    put_jump(reinterpret_cast<unsigned char*>(at), trampoline);
    if (raw_syscall(SYS_mprotect, first, len, PROT_READ | PROT_EXEC) != 0) raw_syscall(SYS_exit_group, 125);
  }
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&old), 0, 8);
}

void sigill_as_before(int signal, siginfo_t* info, void* context) {
  KernelSigaction dfl{nullptr, kSaRestorer, sbx_shim_restore_rt, 0};  // SIG_DFL
  raw_syscall(SYS_rt_sigaction, SIGILL, reinterpret_cast<long>(&dfl), 0, sizeof(dfl.mask));
  if (g_ill_before == IllBefore::kCore) {
    on_core_signal(signal, info, context);  // a core, then the same death
    return;
  }
  // A fault happens again when we return, now at the default action; a
  // sent SIGILL is sent again.
  if (info->si_code <= 0) raw_syscall(SYS_tgkill, raw_syscall(SYS_getpid), raw_syscall(SYS_gettid), SIGILL);
}

void on_sigill(int signal, siginfo_t* info, void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
  const auto pc = static_cast<unsigned long>(uc->uc_mcontext.gregs[REG_RIP]);
  if (info->si_code > 0 && pc == reinterpret_cast<unsigned long>(info->si_addr)) {
    if (pc == __atomic_load_n(&g_patching, __ATOMIC_ACQUIRE)) {
      // A child forked while its parent's site was being written has a copy
      // that nobody will finish: it finishes it itself (it has one thread,
      // just forked).
      if (raw_syscall(SYS_getpid) != g_patching_pid) {
        patch_in_place(pc, g_patching_trampoline);
        __atomic_store_n(&g_patching, 0ul, __ATOMIC_RELEASE);
      } else {
        raw_syscall(SYS_sched_yield);
      }
      return;  // being patched: run it again
    }
    const int n = __atomic_load_n(&g_site_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; ++i)
      if (g_sites[i] == pc && *reinterpret_cast<const unsigned char*>(pc) != kPatchHoldByte)
        return;  // patched (or put back) since the fault: run it again
  }
  sigill_as_before(signal, info, context);
}

// Whether SIGILL's handler is the shim's, taking it if it is the default
// or the shim's core handler; false if the program has its own (or
// ignores SIGILL): then the trusted process is not asked.
bool own_sigill() {
  KernelSigaction now{};
  if (raw_syscall(SYS_rt_sigaction, SIGILL, 0, reinterpret_cast<long>(&now), sizeof(now.mask)) != 0) return false;
  if (now.handler == on_sigill) return true;
  if (reinterpret_cast<unsigned long>(now.handler) == reinterpret_cast<unsigned long>(SIG_DFL))
    g_ill_before = IllBefore::kDefault;
  else if (is_core_handler(now.handler)) g_ill_before = IllBefore::kCore;
  else return false;
  KernelSigaction sa{on_sigill, SA_SIGINFO | SA_NODEFER | SA_ONSTACK | kSaRestorer, sbx_shim_restore_rt, 0};
  return raw_syscall(SYS_rt_sigaction, SIGILL, reinterpret_cast<long>(&sa), 0, sizeof(sa.mask)) == 0;
}

// Other threads: by the trusted process, with the signals that are not
// faults blocked (a handler would run while the request waits, and a
// restarted request finds the site already patched).
void patch_by_trusted_process(unsigned long at, unsigned long trampoline, long nr) {
  if (!g_lazy_via_trusted || !own_sigill()) return;
  uint64_t keep = 0;
  const int faults[] = {SIGSYS, SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP};
  for (const int s : faults) keep |= 1ull << (s - 1);
  const uint64_t mask = ~keep;
  uint64_t old = 0;
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&mask), reinterpret_cast<long>(&old), 8);
  g_patching_pid = raw_syscall(SYS_getpid);
  g_patching_trampoline = trampoline;
  __atomic_store_n(&g_patching, at, __ATOMIC_RELEASE);
  raw_syscall(SYS_process_vm_writev, static_cast<long>(at), static_cast<long>(trampoline), nr, 0, 0,
              static_cast<long>(kShimCallMark));
  __atomic_store_n(&g_patching, 0ul, __ATOMIC_RELEASE);
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&old), 0, 8);
}

void put_hex(char* line, int* n, unsigned long value) {
  const char digits[] = "0123456789abcdef";
  int shift = 60;
  while (shift > 0 && (value >> shift) == 0) shift -= 4;
  for (; shift >= 0; shift -= 4) line[(*n)++] = digits[(value >> shift) & 15];
}

// "sbx shim: syscall site patched on its first trap: 0xADDR (in place|by the trusted process), N so far\n"
void report(unsigned long at, bool in_place) {
  char line[128];
  int n = 0;
  for (const char* t = "sbx shim: syscall site patched on its first trap: 0x"; *t != '\0';) line[n++] = *t++;
  put_hex(line, &n, at);
  for (const char* t = in_place ? " (in place), " : " (by the trusted process), "; *t != '\0';) line[n++] = *t++;
  char digits[12];
  int d = 0;
  for (int count = g_rewrite_counts.lazy; d == 0 || count > 0; count /= 10)
    digits[d++] = static_cast<char>('0' + count % 10);
  while (d > 0) line[n++] = digits[--d];
  for (const char* t = " so far\n"; *t != '\0';) line[n++] = *t++;
  raw_syscall(SYS_write, 2, reinterpret_cast<long>(line), n);
}

}  // namespace

void patch_on_trap(unsigned long call_end, long nr) {
  if (!g_rewrite_on || g_off || !answered_at_site(nr) || call_end < kSiteLength) return;
  const unsigned long at = call_end - kSiteLength;
  unsigned long lo, hi, shim_lo, shim_hi;
  if (!loaded_code_range(at, &lo, &hi) || call_end > hi) return;
  if (loaded_code_range(reinterpret_cast<unsigned long>(&patch_on_trap), &shim_lo, &shim_hi) && shim_lo == lo)
    return;  // the shim's own code: never
  if (!is_site(reinterpret_cast<const unsigned char*>(at), nr)) return;
  int free = 0;
  if (!__atomic_compare_exchange_n(&g_lock, &free, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
  // Each site is tried once: one that could not be patched (the program
  // has its own SIGILL handler, the trusted process refused) keeps trapping
  // without the cost of trying again; and one another thread patched
  // meanwhile is not patched twice.
  bool tried = g_site_count == kMaxSites || !is_site(reinterpret_cast<const unsigned char*>(at), nr);
  for (int i = 0; i < g_site_count && !tried; ++i) tried = g_sites[i] == at;
  if (tried) {
    __atomic_store_n(&g_lock, 0, __ATOMIC_RELEASE);
    return;
  }
  g_sites[g_site_count] = at;
  __atomic_store_n(&g_site_count, g_site_count + 1, __ATOMIC_RELEASE);
  const long page = map_trampolines_near(lo, hi, kPage);
  if (page >= 0) {
    const int emulated = g_rewrite_counts.emulated;
    build_site_trampoline(reinterpret_cast<unsigned char*>(page), at, 5);
    g_rewrite_counts.emulated = emulated;  // counts the sites patched at start
    if (raw_syscall(SYS_mprotect, page, kPage, PROT_READ | PROT_EXEC) != 0) {
      g_off = true;  // PR_SET_MDWE (or a policy that refuses it)
    } else {
      const bool in_place = process_single_threaded();
      if (in_place) patch_in_place(at, static_cast<unsigned long>(page));
      else patch_by_trusted_process(at, static_cast<unsigned long>(page), nr);
      const auto* code = reinterpret_cast<const unsigned char*>(at);
      if (code[0] == 0xe9) {
        ++g_rewrite_counts.lazy;
        if (g_rewrite_verbose) report(at, in_place);
      }
      if (code[0] == 0xb8 && is_site(code, nr)) raw_syscall(SYS_munmap, page, kPage);  // not patched: not needed
    }
    if (g_off) raw_syscall(SYS_munmap, page, kPage);
  }
  __atomic_store_n(&g_lock, 0, __ATOMIC_RELEASE);
}

}  // namespace sbx::shim
