// The handlers of brokered calls, one file per concern: open.cc (open,
// openat, openat2, creat), metadata.cc (stat, access, readlink, chmod,
// chown, utimensat), names.cc (mkdir, unlink, rmdir, symlink, mknod, link,
// rename, truncate), cwd.cc (chdir, getcwd). calls.cc dispatches to them
// (and says how every call is handled); paths.h is what they share. Each
// file says how its calls are checked.
#pragma once

#include <sys/resource.h>

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/types.h>
#include <time.h>

#include <cstdint>

#include "caller.h"
#include "calls.h"
#include "decisions.h"  // kValidOpenFlags, Change

namespace sbx::trusted {

// open.cc
Answer do_open(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t flags, uint64_t mode);
Answer do_openat2(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t how_address, uint64_t size);

// metadata.cc
Answer do_stat(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t flags, uint64_t buf,
               bool is_statx, uint64_t statx_mask);
Answer do_access(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t mode, uint64_t flags);
Answer do_readlink(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t buf, uint64_t size);
// chmod, chown and utimens, on a path or a descriptor. The file must be one
// the rules let the program write: a descriptor it holds may have been
// opened for reading only, and these calls do not ask for a writable one.
// The change is made on our own descriptor of the file (the path's, checked
// like any other, or the caller's, taken over with pidfd_getfd), so it
// lands on the file checked. Setting the set-user-ID or set-group-ID bit is
// refused (EPERM): a program made setuid in a shared directory would run as
// this user for whoever starts it. (Change, mode_change and owner_change
// are in decisions.h.)
Answer do_change(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, bool nofollow, bool empty_path_ok,
                 const Change& change);
Answer do_utimensat(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t times, uint64_t flags);

// names.cc
// What a call in a parent directory does to a name that anchors a rule
// (see anchors()): nothing to it (mkdir: a directory where one is missing
// is what the rule meant), removes it (EBUSY), or puts a symlink there.
enum class AtAnchor { kLet, kRemove, kLink };
Answer do_in_parent(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, unsigned wanted,
                    int (*act)(int parent, const char* name, uint64_t extra), uint64_t extra,
                    AtAnchor at_anchor = AtAnchor::kLet);
Answer do_mkdir(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t mode);
Answer do_symlink(const seccomp_notif& r, uint64_t target_address, int64_t dirfd, uint64_t path_address);
Answer do_truncate(const seccomp_notif& r, uint64_t path_address, uint64_t length);
Answer do_mknod(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t mode, uint64_t dev);
Answer do_link(const seccomp_notif& r, int64_t olddir, uint64_t oldpath, int64_t newdir, uint64_t newpath,
               uint64_t flags);
Answer do_rename(const seccomp_notif& r, int64_t olddir, uint64_t oldpath, int64_t newdir, uint64_t newpath,
                 uint64_t flags);

// cwd.cc
Answer do_chdir(const seccomp_notif& r, uint64_t path_address);
// How many chdir answers may be in flight at once (cwd.cc): a sixteenth of
// our descriptor limit, 1 to 64. Set once at start.
void set_answer_limit(rlim_t descriptor_limit);
Answer do_getcwd(const seccomp_notif& r, uint64_t buf, uint64_t size);

}  // namespace sbx::trusted
