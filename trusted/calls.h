// The trusted process's answers to the sandboxed program's brokered system
// calls, by the policy's path rules (calls.cc says how each is checked).
#pragma once

#include <linux/seccomp.h>

#include <cstdint>

namespace sbx::trusted {

// The answer to a call: an errno, a value, or a descriptor to install.
struct Answer {
  int error = 0;
  int64_t value = 0;
  int fd = -1;
  unsigned fd_flags = 0;
  // Let the call go on as the program made it (crash.cc's request only:
  // never a call whose meaning is in the program's memory).
  bool let_continue = false;
};

// Decides and carries out one brokered call (nothing is written to the
// caller but results checked just before), then replies to it: a new
// descriptor is installed atomically with the reply.
Answer handle(const seccomp_notif& r);
void reply(const seccomp_notif& n, const Answer& a);

}  // namespace sbx::trusted
