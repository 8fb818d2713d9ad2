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
// On that socket: the first stage sends the number its listener will have
// (an int); the trusted process answers this byte once it holds the listener.
inline constexpr char kMsgListenerTaken = 'T';

// Exit statuses of sbx run (besides the program's own, and 128+N for a
// program killed by signal N).
inline constexpr int kExitSandboxFailed = 125;  // the first stage could not complete the sandbox: nothing of the program ran
inline constexpr int kExitRunRefused = 126;     // sbx run refused to start (one sentence says why): nothing ran

}  // namespace sbx
