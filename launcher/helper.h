// What the three files of sbx-helper share: suid_main.cc (the story, and
// the steps common to every mode), user_namespace.cc (user-namespace mode,
// step 2u) and uid_range.cc (UID-range mode, steps 3a, 3b, 10a and 10b).
// Internal to launcher/; the pure parsers are protocol.h's. The rules of
// suid_main.cc's header hold for all three files.
#pragma once

#include <csignal>
#include <sys/types.h>

#include "protocol.h"

namespace sbx::helper {

struct Failure {
  const char* what;  // nullptr: no failure
  const char* reason;
};

// User-namespace mode (step 2u), read by steps 6, 9, 10 and 12.
extern bool g_user_namespace;  // defined in suid_main.cc

// The empty directory the chroot helper chroots into (step 9).
inline constexpr char kEmptyDirectory[] = "/proc/self/fdinfo";

// What the target needs to know, handed over in our memory (vfork-style).
struct TargetStart {
  char** argv;
  int namespaces;        // the CLONE_NEW* flags the target got
  sigset_t caller_mask;  // the signal mask the program starts with
  int waiter_pidfd;      // the original process, to notice if it is gone
  // UID-range mode (step 3a): the range, the caller's ids, and the UID the
  // target took (step 10a), which the waiter reads once the target has exec'd.
  UidRange range;
  uid_t caller_uid;
  gid_t caller_gid;
  uid_t range_uid;
  bool files_as_caller;  // SBX_FILES_AS_CALLER in UID-range mode: the caller's euid for the first stage
};

// Messages (suid_main.cc): one line "sbx-helper: <what>: <reason>" on
// stderr, in one write(2); fail and fail_errno then exit with exit_code.
void print_line(const char* what, const char* reason);
[[noreturn]] void fail(int exit_code, const char* what, const char* reason);
[[noreturn]] void fail_errno(int exit_code, const char* what, int err);

// The modes' own steps; each one's comment is at its definition.
void enter_user_namespace();                                    // step 2u, user_namespace.cc
void read_helper_config(UidRange* range);                       // step 3a, uid_range.cc
void files_as_caller_request(TargetStart* start);               // step 3b, uid_range.cc
void keep_only_chroot_capability();                             // step 9, userns, user_namespace.cc
void take_range_uid(TargetStart* start);                        // step 10a, uid_range.cc
bool confine_range_uid(uid_t range_uid, bool files_as_caller);  // step 10b, uid_range.cc

}  // namespace sbx::helper
