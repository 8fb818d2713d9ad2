// Crash dumps (sbx run --core-dir): the shim's request for a core of its
// process, answered here (crash.cc says how it is checked and written).
#pragma once

#include <linux/seccomp.h>

#include <cstdint>
#include <string>

#include "calls.h"

namespace sbx::trusted {

// At start, before the program exists: the core-dir's descriptor (ours,
// O_DIRECTORY) and path, and the most bytes a core may have (0: no limit).
// Without it, requests are checked and let go on, and no core is written.
void set_core_dumps(int dir, const std::string& path, uint64_t limit);

// The shim's marked tgkill(pid, tid, signal, mark, &report, sizeof report).
Answer do_crash(const seccomp_notif& r);

}  // namespace sbx::trusted
