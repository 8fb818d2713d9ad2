// The shim's request to patch one of the caller's syscall sites
// (patch_site.cc says how it is checked and written).
#pragma once

#include <linux/seccomp.h>

#include "calls.h"
#include "policy.h"

namespace sbx::trusted {

// What the policy allows, read once at start from the compiled policy.
void set_site_patching(const policy::Compiled& compiled);
// The marked process_vm_writev (sandbox.h); ENOSYS for any other.
Answer do_patch_site(const seccomp_notif& r);

}  // namespace sbx::trusted
