// Names shared across sbx's trust levels, each defined once: the helper
// (root), the first stage and the shim (inside the sandbox), the trusted
// process, and sbx run (the caller). Like Chromium's
// sandbox/linux/suid/common/sandbox.h. docs/protocol.md and
// docs/ARCHITECTURE.md describe what travels over each.
#pragma once

namespace sbx {

// --- sbx-helper and its program (Chromium's SUID-sandbox protocol, API 1) ---
// The socket to the chroot helper, and the helper's pid to reap.
inline constexpr char kEnvDescriptor[] = "SBX_D";
inline constexpr char kEnvHelperPid[] = "SBX_HELPER_PID";
// The chroot handshake on SBX_D: the program asks, the helper confirms.
inline constexpr char kMsgChrootMe = 'C';
inline constexpr char kMsgChrootDone = 'O';

// --- sbx run, its first stage and the trusted process ---
// The compiled policy: a sealed memfd whose number sbx run puts here.
inline constexpr char kEnvPolicyFd[] = "SBX_POLICY_FD";
// The descriptors the trusted process starts with: its socket to the first
// stage, and the policy.
inline constexpr int kTrustedSocketFd = 3;
inline constexpr int kTrustedPolicyFd = 4;
// On that socket: the first program's process (the first stage's child)
// sends a ListenerAt; the trusted process answers this byte once it holds
// the listener.
struct ListenerAt {
  int pid;     // the process that installed the filter, in the sandbox's PID namespace
  int number;  // the descriptor number its listener has there
};
inline constexpr char kMsgListenerTaken = 'T';

// --- the first stage and the shim (both inside the sandbox) ---
// The shim's path, for the --preload of programs it executes; the first
// stage sets it, the shim's constructor takes it out of the environment.
inline constexpr char kEnvShim[] = "SBX_SHIM";
// The system's loader for x86-64 programs, which runs every dynamic program.
inline constexpr char kSystemLoader[] = "/lib64/ld-linux-x86-64.so.2";
// In an argument register the call does not use: marks the shim's own
// execveat and rt_sigaction(SIGSYS), which the filter lets through where it
// traps the program's (for the shim to emulate). Not a boundary: a program
// that sets it only reaches what the kernel, Landlock and the chroot allow.
inline constexpr unsigned long long kShimCallMark = 0x5b78'5348'494d'0001ULL;  // "[xSHIM" 1

// Syscall rewriting (docs/ARCHITECTURE.md): the table of libc's and the
// loader's rewritable `syscall` sites that sbx run decodes ahead
// (cli/syscall_sites.cc) and the shim patches from (zygote_shim/rewrite.cc);
// kept and taken out of the environment like kEnvShim. Set by the user to
// anything else ("0"), it turns rewriting off. A fast path only: the
// filter sees every call either way.
inline constexpr char kEnvRewrite[] = "SBX_REWRITE";
// The shim's request to patch a site lazily (zygote_shim/lazy_patch.cc):
// process_vm_writev(SITE, TRAMPOLINE, NR, 0, 0, kShimCallMark), brokered
// (a real process_vm_writev has no flags in arg5). SITE is a
// `mov $NR, %eax; syscall` of the caller's: the trusted process checks it
// and the trampoline itself and writes the 5-byte jump in three steps
// (trusted/patch_site.cc), the first byte kPatchHoldByte meanwhile: an
// instruction invalid in 64-bit mode (PUSH ES), so a thread that runs it
// then gets SIGILL, which the shim's handler answers by running it again.
inline constexpr unsigned char kPatchHoldByte = 0x06;

// The fast route for brokered opens from a rewritten site (docs/ARCHITECTURE.md,
// "Syscall rewriting"; zygote_shim/fast_open.cc, trusted/fast_route.cc): the
// shim's openat (or open) carries in args[4] (r8) kFastOpenMark in its high
// half and the route's entry, as the trusted process named it (0: none yet),
// in its low half; in args[5] (r9) a token in its high half and the number
// of the process's route socket (-1: none yet) in its low half. The trusted
// process, when it gives a descriptor and the caller's descriptor of that
// number is the peer of its entry's socket, sends it there as one
// FastOpenMessage with SCM_RIGHTS and answers kFastOpenSent: bit 31 set for
// O_CLOEXEC, the low 31 bits 0, or a new socket's number + 1 (installed in
// the caller by ADDFD). Any other call gets its descriptor by ADDFD as
// before. Not a boundary: the filter and the decision are unchanged; a
// program that forges the marks only receives the descriptors it asked for.
inline constexpr unsigned kFastOpenMark = 0x5b784653;  // "[xFS"
inline constexpr unsigned long long kFastOpenSent = 0x5b78'4653'0000'0000ULL;
struct FastOpenMessage {
  unsigned token;  // the call's token (args[5]'s high half)
  unsigned entry;  // the socket's entry, for the shim's next calls
};

// Set by `sbx run` for sbx-helper: in UID-range mode, start the first stage
// with the range UID as real uid and the caller's as effective uid (and so
// the trusted process it forks, which then creates files as the caller);
// the first stage drops its own effective uid to the range UID right after
// that fork. The helper reads it only in UID-range mode, and removes it.
inline constexpr char kEnvFilesAsCaller[] = "SBX_FILES_AS_CALLER";

// Set (to "1") by the first stage when the policy names a core-dir: the
// shim then catches the signals that dump core and asks the trusted process
// for a core (kept and taken out of the environment like kEnvShim).
inline constexpr char kEnvCoreDumps[] = "SBX_CORE_DUMPS";
// The shim's request for a core: tgkill(its pid, its tid, SIGNAL,
// kShimCallMark, &report, sizeof report), brokered. The trusted process
// reads the report (the registers the signal interrupted, which no other
// thread's ptrace stop can give), writes the core, and lets the tgkill go
// on, which kills the process with SIGNAL as it would have died. The
// report is the program's own word about itself: it only shapes its own
// core.
struct CrashReport {
  unsigned long long magic;       // kCrashReportMagic
  unsigned long long fs_base;     // the thread pointer (%fs:0 on x86-64)
  unsigned char info[128];        // the siginfo_t of the fatal signal
  unsigned long long gregs[23];   // ucontext's uc_mcontext.gregs (REG_R8 .. REG_CR2)
  unsigned long long has_fpregs;  // 1 if fpregs holds the FXSAVE area
  unsigned char fpregs[512];
};
inline constexpr unsigned long long kCrashReportMagic = 0x5b78'434f'5245'0001ULL;  // "[xCORE" 1

// Exit statuses of sbx run (besides the program's own, and 128+N for a
// program killed by signal N).
inline constexpr int kExitSandboxFailed =
    125;  // the first stage could not complete the sandbox: nothing of the program ran
inline constexpr int kExitRunRefused = 126;  // sbx run refused to start (one sentence says why): nothing ran

}  // namespace sbx
