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

// Exit statuses of sbx run (besides the program's own, and 128+N for a
// program killed by signal N).
inline constexpr int kExitSandboxFailed = 125;  // the first stage could not complete the sandbox: nothing of the program ran
inline constexpr int kExitRunRefused = 126;     // sbx run refused to start (one sentence says why): nothing ran

}  // namespace sbx
