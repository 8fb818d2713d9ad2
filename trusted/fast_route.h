// The fast route for brokered opens (fast_route.cc; sandbox.h,
// kFastOpenMark; docs/ARCHITECTURE.md, "Syscall rewriting"): a descriptor
// the trusted process gives to an open from a rewritten site travels on a
// socket of the calling process, with a plain reply, instead of ADDFD.
#pragma once

#include <linux/seccomp.h>
#include <sys/resource.h>

#include "calls.h"

namespace sbx::trusted {

// Whether the call n carries the route's marks (an openat or open from the
// shim's fast route, or a program forging them: either way it only gets
// what it asked for), and the route is allowed: never unless sbx run asked
// for it (allow_fast_route), so that by default no code of the route's is
// within the program's reach.
bool on_fast_route(const seccomp_notif& n);

// Called at start when sbx run asked for the route (sbx-trusted --open-route).
void allow_fast_route();

// Sends the answer's descriptor (a.fd >= 0) to the caller's route socket
// and replies; true if answered (the descriptor is then closed), false if
// the caller is to get it by ADDFD as before (a.fd still open).
bool answer_on_fast_route(const seccomp_notif& n, const Answer& a);

// How many route sockets are kept (two descriptors each): a sixteenth of
// our descriptor limit, at most 64. Set before our filter.
void set_fast_route_limit(rlim_t descriptor_limit);

}  // namespace sbx::trusted
