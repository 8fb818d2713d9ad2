// The trusted process's threads. Linux wakes every thread waiting on a
// seccomp listener for each notification, so exactly one worker, the
// receiver, waits; the main thread (watch) hands its turn to a spare or a
// new worker (up to 64) when calls wait while it is busy or one call has
// kept it over 2 ms, so a call that blocks holds up the others 2 ms at most.
#pragma once

namespace sbx::trusted {

// Starts the first worker; false if it could not.
bool start_pool();
// The main thread from then on: watches the workers, and ends the trusted
// process when `sandboxed` (a pidfd) says the sandboxed process has ended.
[[noreturn]] void watch(int sandboxed);

}  // namespace sbx::trusted
