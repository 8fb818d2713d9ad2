// Crash dumps (sbx run --core-dir): the shim's part. The kernel cannot
// write a core for a sandboxed process (its root is empty and RLIMIT_CORE
// is 0, first_stage.cc says why), so when the policy names a core-dir the
// shim catches the signals whose default action dumps core and asks the
// trusted process, which is outside the sandbox and already reads the
// program's memory, to write one. Then the process dies of its signal, as
// it would have.
//
// Only the signals the program leaves at their default get this handler,
// once per exec; a program that installs its own handler keeps it. The
// handler resets itself as it runs (SA_RESETHAND), so a second fault, in
// this thread or another, is the kernel's default: death, without a core.
//
// Nothing here is trusted. The report is the program's own account of its
// registers and shapes only its own core; the trusted process decides where
// the core goes (the core-dir it opened before the program existed, a name
// of its choosing), checks that the request names the calling thread and a
// signal that dumps core, and writes one core per process.
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <cstdint>

#include "raw_syscall.h"
#include "sandbox.h"

namespace sbx::shim {

namespace {

// The signals whose default action dumps core (the kernel's
// SIG_KERNEL_COREDUMP_MASK) but SIGSYS, which is the shim's own.
constexpr int kCoreSignals[] = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ};

// An alternate stack for the main thread, so that a stack overflow there
// can still be reported. Other threads start without one (the kernel gives
// a new thread none) and report on their own stack.
constexpr long kAltStackSize = 64 * 1024;

// Copies in words: no libc, and no call the compiler would make to one.
void copy_words(unsigned long long* to, const unsigned long long* from, int words) {
  for (int i = 0; i < words; ++i) to[i] = from[i];
}
void copy_bytes(unsigned char* to, const unsigned char* from, int size) {
  for (int i = 0; i < size; ++i) to[i] = from[i];
}

void on_fatal(int signal, siginfo_t* info, void* context) {
  const auto* uc = static_cast<const ucontext_t*>(context);
  CrashReport report;
  report.magic = kCrashReportMagic;
  unsigned long long thread_pointer;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(thread_pointer));  // the TCB points to itself (x86-64 ABI)
  report.fs_base = thread_pointer;
  copy_bytes(report.info, reinterpret_cast<const unsigned char*>(info), sizeof(report.info));
  copy_words(report.gregs, reinterpret_cast<const unsigned long long*>(uc->uc_mcontext.gregs), 23);
  report.has_fpregs = uc->uc_mcontext.fpregs != nullptr;
  if (report.has_fpregs)
    copy_bytes(report.fpregs, reinterpret_cast<const unsigned char*>(uc->uc_mcontext.fpregs), sizeof(report.fpregs));
  else
    for (unsigned char& b : report.fpregs) b = 0;
  const long pid = raw_syscall(SYS_getpid);
  const long tid = raw_syscall(SYS_gettid);
  // Answered by the trusted process, which writes the core and then lets
  // this tgkill go on: the signal is pending (blocked while we run) and is
  // delivered, at its default now, when we return.
  const long rc = raw_syscall(SYS_tgkill, pid, tid, signal, static_cast<long>(kShimCallMark),
                              reinterpret_cast<long>(&report), sizeof(report));
  if (rc != 0) raw_syscall(SYS_tgkill, pid, tid, signal);  // no core, but the same death
}

}  // namespace

// For lazy_patch.cc, which takes SIGILL over from this handler and passes
// it on every SIGILL that is not its own.
bool is_core_handler(void (*handler)(int, siginfo_t*, void*)) { return handler == on_fatal; }
void on_core_signal(int signal, siginfo_t* info, void* context) { on_fatal(signal, info, context); }

void catch_core_signals() {
  const long stack =
      raw_syscall(SYS_mmap, 0, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack > 0) {
    stack_t alt{reinterpret_cast<void*>(stack), 0, static_cast<size_t>(kAltStackSize)};
    raw_syscall(SYS_sigaltstack, reinterpret_cast<long>(&alt), 0);
  }
  for (const int signal : kCoreSignals) {
    KernelSigaction now{};
    if (raw_syscall(SYS_rt_sigaction, signal, 0, reinterpret_cast<long>(&now), sizeof(now.mask)) != 0) continue;
    if (reinterpret_cast<unsigned long>(now.handler) != reinterpret_cast<unsigned long>(SIG_DFL))
      continue;  // ignored since an exec
    KernelSigaction sa{on_fatal, SA_SIGINFO | SA_ONSTACK | SA_RESETHAND | kSaRestorer, sbx_shim_restore_rt, 0};
    raw_syscall(SYS_rt_sigaction, signal, reinterpret_cast<long>(&sa), 0, sizeof(sa.mask));
  }
}

}  // namespace sbx::shim
