// Lazy patching (lazy_patch.cc): a syscall site that the table at start did
// not name is patched on its first trap, for the next call.
#pragma once

namespace sbx::shim {

// Called by the SIGSYS handler after it answered the trapped call nr whose
// `syscall` instruction ends at call_end (si_call_addr): if the site is a
// plain `mov $nr, %eax; syscall` in a loaded object's code and nr is a call
// the shim answers at a site, the site becomes a jump to a trampoline, as
// at start. Anything else, or anything that cannot be done safely, leaves
// the site as it is (it keeps trapping, as before).
void patch_on_trap(unsigned long call_end, long nr);

}  // namespace sbx::shim
