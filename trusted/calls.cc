// The trusted process's answers to brokered calls. Every call is handled the
// same way:
//   1. copy the path (and any struct) out of the sandboxed process with
//      process_vm_readv, once per call (read_argument), then check that the
//      notification is still valid, so the copy belongs to the call that is
//      waiting (and check again just before writing a result back into its
//      memory; a stat, which acts on nothing and whose result goes back only
//      that way, is checked there alone: metadata.cc);
//   2. normalise the path on our copy and check it against the rules before
//      touching the filesystem;
//   3. open exactly that path (openat2 RESOLVE_NO_SYMLINKS: no component may
//      be a symlink, so what opens is what was checked); if a symlink is on
//      the way, resolve it name by name (resolve.cc: the program's names
//      looked up only where the rules show, magic links refused, ENOENT
//      wherever it leaves the rules, whether or not anything is there) and
//      check the path of the file found against the rules again
//      (refusal_at: what they do not show looks absent);
//   4. act, and reply: a new descriptor is installed in the sandboxed
//      process atomically with the reply (SECCOMP_ADDFD_FLAG_SEND); or,
//      for an open from the shim's fast route, sent on the calling
//      process's own socket before a plain reply (fast_route.cc).
// A call is never answered by letting it continue: the sandboxed process's
// memory could change after the check. (One exception, the shim's request
// for a core, whose arguments are registers: crash.cc.)
//
// This file dispatches each call to its handler (handlers.h: open.cc,
// metadata.cc, names.cc, cwd.cc; what they share in reading and checking
// a path is paths.cc) and sends the reply.
#include "calls.h"

#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "caller.h"
#include "crash.h"
#include "fast_route.h"
#include "handlers.h"
#include "patch_site.h"
#include "paths.h"
#include "shm.h"

namespace sbx::trusted {

using policy::kPathCreate;
using policy::kPathWrite;

Answer handle(const seccomp_notif& r) {
  const auto& a = r.data.args;
  const auto nr = r.data.nr;
  if (const auto shm = shm_call(r)) return *shm;  // the sandbox's own /dev/shm (shm.h)
  switch (nr) {
    case SYS_open: return do_open(r, AT_FDCWD, a[0], a[1] & kValidOpenFlags, a[2]);
    case SYS_chdir: return do_chdir(r, a[0]);
    case SYS_tgkill: return do_crash(r);                  // the shim's request for a core (crash.h)
    case SYS_process_vm_writev: return do_patch_site(r);  // the shim's request to patch a site (patch_site.h)
    case SYS_getcwd: return do_getcwd(r, a[0], a[1]);
    case SYS_creat: return do_open(r, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, a[1]);
    case SYS_openat: return do_open(r, static_cast<int64_t>(a[0]), a[1], a[2] & kValidOpenFlags, a[3]);
    case SYS_openat2: return do_openat2(r, static_cast<int64_t>(a[0]), a[1], a[2], a[3]);
    case SYS_stat: return do_stat(r, AT_FDCWD, a[0], 0, a[1], false, 0);
    case SYS_lstat: return do_stat(r, AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW, a[1], false, 0);
    case SYS_newfstatat: return do_stat(r, static_cast<int64_t>(a[0]), a[1], a[3], a[2], false, 0);
    case SYS_statx: return do_stat(r, static_cast<int64_t>(a[0]), a[1], a[2], a[4], true, a[3]);
    case SYS_access: return do_access(r, AT_FDCWD, a[0], a[1], 0);
    case SYS_faccessat: return do_access(r, static_cast<int64_t>(a[0]), a[1], a[2], 0);
    case SYS_faccessat2: return do_access(r, static_cast<int64_t>(a[0]), a[1], a[2], a[3]);
    case SYS_readlink: return do_readlink(r, AT_FDCWD, a[0], a[1], a[2]);
    case SYS_readlinkat: return do_readlink(r, static_cast<int64_t>(a[0]), a[1], a[2], a[3]);
    case SYS_mkdir: return do_mkdir(r, AT_FDCWD, a[0], a[1]);
    case SYS_mkdirat: return do_mkdir(r, static_cast<int64_t>(a[0]), a[1], a[2]);
    case SYS_unlink:
      return do_in_parent(
          r, AT_FDCWD, a[0], kPathWrite,
          [](int parent, const char* name, uint64_t) { return unlinkat(parent, name, 0); }, 0, AtAnchor::kRemove);
    case SYS_rmdir:
      return do_in_parent(
          r, AT_FDCWD, a[0], kPathWrite,
          [](int parent, const char* name, uint64_t) { return unlinkat(parent, name, AT_REMOVEDIR); }, 0,
          AtAnchor::kRemove);
    case SYS_unlinkat:
      return do_in_parent(
          r, static_cast<int64_t>(a[0]), a[1], kPathWrite,
          [](int parent, const char* name, uint64_t f) {
            return unlinkat(parent, name, static_cast<int>(f & AT_REMOVEDIR));
          },
          a[2], AtAnchor::kRemove);
    case SYS_symlink: return do_symlink(r, a[0], AT_FDCWD, a[1]);
    case SYS_truncate: return do_truncate(r, a[0], a[1]);
    case SYS_mknod: return do_mknod(r, AT_FDCWD, a[0], a[1], a[2]);
    case SYS_mknodat: return do_mknod(r, static_cast<int64_t>(a[0]), a[1], a[2], a[3]);
    case SYS_link: return do_link(r, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
    case SYS_linkat: return do_link(r, static_cast<int64_t>(a[0]), a[1], static_cast<int64_t>(a[2]), a[3], a[4]);
    case SYS_symlinkat: return do_symlink(r, a[0], static_cast<int64_t>(a[1]), a[2]);
    case SYS_chmod: return do_change(r, AT_FDCWD, a[0], false, false, mode_change(a[1]));
    case SYS_fchmod: return do_change(r, static_cast<int64_t>(a[0]), 0, false, true, mode_change(a[1]));
    case SYS_fchmodat: return do_change(r, static_cast<int64_t>(a[0]), a[1], false, false, mode_change(a[2]));
    case SYS_chown: return do_change(r, AT_FDCWD, a[0], false, false, owner_change(a[1], a[2]));
    case SYS_lchown: return do_change(r, AT_FDCWD, a[0], true, false, owner_change(a[1], a[2]));
    case SYS_fchown: return do_change(r, static_cast<int64_t>(a[0]), 0, false, true, owner_change(a[1], a[2]));
    case SYS_fchownat:
      return do_change(r, static_cast<int64_t>(a[0]), a[1], a[4] & AT_SYMLINK_NOFOLLOW, a[4] & AT_EMPTY_PATH,
                       owner_change(a[2], a[3]));
    case SYS_utimensat: return do_utimensat(r, static_cast<int64_t>(a[0]), a[1], a[2], a[3]);
    case SYS_rename: return do_rename(r, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
    case SYS_renameat: return do_rename(r, static_cast<int64_t>(a[0]), a[1], static_cast<int64_t>(a[2]), a[3], 0);
    case SYS_renameat2: return do_rename(r, static_cast<int64_t>(a[0]), a[1], static_cast<int64_t>(a[2]), a[3], a[4]);
    default: return fail(ENOSYS);  // brokered by the policy, but nothing we answer
  }
}

void reply(const seccomp_notif& n, const Answer& a) {
  int error = a.error;
  // An open from the shim's fast route: the descriptor on the caller's
  // socket and a plain reply (fast_route.cc), if it can be done.
  if (a.fd >= 0 && on_fast_route(n) && answer_on_fast_route(n, a)) return;
  if (a.fd >= 0) {
    seccomp_notif_addfd add{};
    add.id = n.id;
    add.flags = SECCOMP_ADDFD_FLAG_SEND;  // install and answer with its number, atomically
    add.srcfd = static_cast<unsigned>(a.fd);
    add.newfd_flags = a.fd_flags;
    const int rc = ioctl(g_listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    const int err = errno;
    close(a.fd);
    if (rc >= 0 || err == ENOENT) return;  // answered, or the caller is gone
    // Not installed, so not answered: the call fails with the kernel's
    // reason (EMFILE only if the program's descriptor table is full).
    error = err;
  }
  seccomp_notif_resp resp{};
  resp.id = n.id;
  if (a.let_continue) {
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    return;
  }
  resp.error = -error;
  resp.val = a.value;
  ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

}  // namespace sbx::trusted
