// The sandbox's own /dev/shm (shm.cc): POSIX shared memory and semaphores
// (shm_open, sem_open: files in /dev/shm) among the sandbox's processes,
// kept in the trusted process as memfds, private to the sandbox and gone
// with it.
#pragma once

#include <linux/seccomp.h>

#include <optional>

#include "calls.h"

namespace sbx::trusted {

// The answer to a call on a name in /dev/shm (open, openat, creat, unlink,
// unlinkat, link, linkat, rename, renameat, renameat2; statfs of /dev/shm
// itself), or nothing if the
// call names no such path (the rules then decide, as for any path).
std::optional<Answer> shm_call(const seccomp_notif& r);

// How many names there may be, from our descriptor limit (read at start).
void set_shm_limit(unsigned long files);

}  // namespace sbx::trusted
