// Landlock's ABI version on this kernel; 0 when it has none (or it is off).
// sbx run and sbx doctor ask it to refuse or warn; the first stage, to know
// which domains it can build (zygote_shim/landlock.h).
#pragma once

#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sbx {

inline int landlock_abi() {
  const long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

}  // namespace sbx
