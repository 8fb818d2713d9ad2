// The pure parts of sbx-helper: names, numbers and parsers of Chromium's
// SUID-sandbox protocol (API 1). Nothing here touches the process state, so
// all of it is unit-tested; suid_main.cc tells the privileged story.
//
// No allocation, no exceptions, no iostreams: this code runs setuid root.
#pragma once

#include <cstddef>
#include <sys/types.h>

#include "sandbox.h"  // names shared with the sandboxed side (SBX_D, C/O)

namespace sbx::helper {

// The API this helper provides. Chromium refuses a helper whose API differs.
inline constexpr int kApiNumber = 1;

// Command-line switches (Chromium's names).
inline constexpr char kGetApiSwitch[] = "--get-api";
inline constexpr char kAdjustOomScoreSwitch[] = "--adjust-oom-score";

// Environment, in and out.
inline constexpr char kEnvApiRequest[] = "SBX_CHROME_API_RQ";
inline constexpr char kEnvApiProvides[] = "SBX_CHROME_API_PRV";
inline constexpr char kEnvPidNamespace[] = "SBX_PID_NS";
inline constexpr char kEnvNetNamespace[] = "SBX_NET_NS";
inline constexpr char kSavedPrefix[] = "SANDBOX_";

// SBX_D, SBX_HELPER_PID and the chroot handshake on SBX_D, shared with the
// sandboxed side (sandbox.h).
using sbx::kEnvDescriptor;
using sbx::kEnvHelperPid;
using sbx::kMsgChrootDone;
using sbx::kMsgChrootMe;

// oom_score_adj values a caller may ask for (the range an owner may set).
inline constexpr long kMinOomScore = 0;
inline constexpr long kMaxOomScore = 1000;

// Exit codes. 80-86 keep the meanings of Chromium's helper; docs/protocol.md
// lists them. A target killed by signal N is reported as 128 + N.
enum ExitCode : int {
  kExitUsage = 1,          // no program, bad switch arguments, argc == 0
  kExitFatal = 80,         // not setuid root, or an unexpected failure
  kExitApi = 81,           // SBX_CHROME_API_RQ is not a number
  kExitNamespace = 82,     // could not create the namespaces
  kExitChrootHelper = 83,  // could not start the chroot helper
  kExitDropRoot = 84,      // could not drop (or verify dropping) privileges
  kExitEnvironment = 85,   // could not prepare the target's environment
  kExitExec = 86,          // execv of PROGRAM failed
  kExitDirectoryFd = 87,   // an inherited descriptor is a directory
  kExitProcessLimit = 88,  // the caller is at its RLIMIT_NPROC
  kExitConfig = 89,        // the configuration file (helper.conf) is refused
  kExitUidRange = 90,      // no free UID left in the configured range
  kExitSignalBase = 128,   // + signal number: the target was killed
};

// What the command line asks for. kUsageError covers argc == 0, no program,
// a switch with the wrong number of arguments and an unknown switch (a
// PROGRAM must not start with '-': it is run by path, never searched).
enum class Mode { kUsageError, kHelp, kVersion, kGetApi, kAdjustOomScore, kRun };
Mode classify_command_line(int argc, const char* const* argv);

// Strict decimal parsing: an optional '-' then 1-19 digits, nothing else (no
// spaces, no '+', no hex), and the value within [min, max].
bool parse_long(const char* text, long min, long max, long* out);

// SBX_CHROME_API_RQ: absent means 0. Returns false when present but not a
// number that fits an int.
bool parse_api_request(const char* text_or_null, int* api);

// The arguments of --adjust-oom-score: a pid > 0 and a score in 0..1000.
bool parse_oom_arguments(const char* pid_text, const char* score_text, pid_t* pid, int* score);

// glibc's list of variables the loader removes from a setuid program's
// environment (its "unsecure" list), null-terminated.
extern const char* const kUnsecureEnvironment[];

// Writes "SANDBOX_<name>" into buf; false if it does not fit.
bool saved_variable_name(const char* name, char* buf, std::size_t size);

// Writes the decimal form of value into buf; false if it does not fit.
bool format_decimal(long value, char* buf, std::size_t size);

// Reads the SigIgn and SigCgt masks (bit N-1 for signal N) out of the text
// of /proc/PID/status. False if either line is missing or malformed.
bool parse_signal_masks(const char* status_text, std::size_t length, unsigned long long* ignored,
                        unsigned long long* caught);

// The configuration file, /etc/sbx/helper.conf (docs/protocol.md,
// "Configuration"). Lines: blank, a comment (#...), or the one directive
//   uid-range FIRST-LAST
// (decimal, 1 <= FIRST <= LAST <= 4294967294, at most kMaxRangeLength UIDs,
// and not the overflow UID 65534). A file without a directive means no
// UID range: the helper behaves as without the file.
inline constexpr char kUidRangeDirective[] = "uid-range";
inline constexpr unsigned long kMaxRangeLength = 65536;
inline constexpr std::size_t kMaxConfigSize = 4096;

struct UidRange {
  uid_t first = 0;
  uid_t last = 0;  // first == last == 0: no range configured
  bool configured() const { return first != 0; }
};

// Parses the text of helper.conf. Returns nullptr on success (range set, or
// left unconfigured), else a static sentence saying what is wrong, with the
// 1-based number of the offending line in *bad_line.
const char* parse_helper_config(const char* text, std::size_t length, UidRange* range, int* bad_line);

// The exit status that reports a wait status honestly: the exit code of a
// target that exited, 128 + N for one killed by signal N.
int exit_code_for_wait_status(int status);

}  // namespace sbx::helper
