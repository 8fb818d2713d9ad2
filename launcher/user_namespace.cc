// sbx-helper, user-namespace mode: step 2u, and the chroot helper's part
// of step 9 in that mode. The story, and the list of every step, is
// suid_main.cc's; its rules hold here.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "helper.h"

namespace sbx::helper {

// Step 2u. User-namespace mode: sbx-helper is not setuid root (or --userns
// asked for this mode). A new user namespace, in which the caller's own uid
// and gid are mapped to themselves and nothing else ("U U 1"), gives this
// process every capability over what the namespace owns and nothing over
// the rest of the system: the namespaces of step 6 are created with them,
// the chroot helper (step 9) chroots with its CAP_SYS_CHROOT, and step 10
// sheds them as it sheds root. The maps are written here, by this process,
// before any other process is in the namespace: the kernel takes each map
// once, so the program can never change them. setgroups is denied (the
// kernel requires it for an unprivileged gid_map), so the caller's
// supplementary groups stay (docs/protocol.md). Then, not dumpable: the
// map files belong to a dumpable process's owner only, so this comes after
// them. The namespace's own user.max_user_namespaces is set to 0: nothing in
// the sandbox can create a user namespace (and capabilities in it). Last, a
// chroot("/") (which changes nothing) proves CAP_SYS_CHROOT works here:
// Ubuntu's AppArmor restriction lets unshare succeed and denies it later.
// And the chroot helper's empty directory must be enterable (step 9).
// Any failure stops the launch: the program never runs without the
// namespaces. First, as the loader of a setuid program would, fds 0-2 are
// made open.

namespace {

// The first bytes of a /proc/sys file, as text in buf; nullptr if absent.
const char* read_switch(const char* path, char* buf, size_t size) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  const ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return nullptr;
  buf[n] = '\0';
  return buf;
}

[[noreturn]] void fail_user_namespace(const char* what, int err) {
  char max[32], clone[32], apparmor[32];
  const char* cause =
      userns_refusal(read_switch("/proc/sys/user/max_user_namespaces", max, sizeof(max)),
                     read_switch("/proc/sys/kernel/unprivileged_userns_clone", clone, sizeof(clone)),
                     read_switch("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", apparmor, sizeof(apparmor)));
  if (cause != nullptr) fail(kExitNamespace, "user namespace", cause);
  fail_errno(kExitNamespace, what, err);
}

void write_own_file(const char* path, const char* text) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  const ssize_t len = static_cast<ssize_t>(std::strlen(text));
  if (fd < 0 || write(fd, text, static_cast<size_t>(len)) != len) {
    const int err = errno;
    if (fd >= 0) close(fd);
    fail_user_namespace(path, err);
  }
  close(fd);
}

// glibc opens fds 0-2 for a setuid program that lacks them (the chroot
// helper's socket must be above them, step 9); do as it does: /dev/full
// write-only for 0, /dev/null read-only for 1 and 2.
void open_standard_descriptors() {
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int opened =
        fd == STDIN_FILENO ? open("/dev/full", O_WRONLY | O_NOFOLLOW) : open("/dev/null", O_RDONLY | O_NOFOLLOW);
    if (opened != fd) _exit(kExitFatal);  // stderr may be what is missing: nothing to say it on
  }
}
}  // namespace

void enter_user_namespace() {
  g_user_namespace = true;
  open_standard_descriptors();
  // Setuid root but asked for --userns: be the caller for good first, and
  // dumpable again (as any process of the caller) for the map files.
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  if (geteuid() != uid || getegid() != gid) {
    if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
      fail_errno(kExitDropRoot, "setresuid to the caller (--userns)", errno);
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) fail_errno(kExitFatal, "prctl(PR_SET_DUMPABLE)", errno);
  }
  if (uid == 0)
    print_line("warning", "started by root: the program keeps uid 0 (with no capabilities) and owns root's "
                          "files until it chroots; start sbx-helper as an unprivileged user");
  if (unshare(CLONE_NEWUSER) != 0) fail_user_namespace("unshare(CLONE_NEWUSER)", errno);
  char map[48];
  write_own_file("/proc/self/setgroups", "deny");
  std::snprintf(map, sizeof(map), "%u %u 1", static_cast<unsigned>(uid), static_cast<unsigned>(uid));
  write_own_file("/proc/self/uid_map", map);
  std::snprintf(map, sizeof(map), "%u %u 1", static_cast<unsigned>(gid), static_cast<unsigned>(gid));
  write_own_file("/proc/self/gid_map", map);
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail_errno(kExitFatal, "prctl(PR_SET_DUMPABLE)", errno);
  write_own_file("/proc/sys/user/max_user_namespaces", "0");
  if (chroot("/") != 0) fail_user_namespace("chroot with the user namespace's CAP_SYS_CHROOT", errno);
  // The chroot helper's empty directory: older kernels give a process that
  // is not dumpable a /proc/self/fdinfo only root may enter.
  if (faccessat(AT_FDCWD, kEmptyDirectory, X_OK, AT_EACCESS) != 0)
    fail(kExitNamespace, "user namespace",
         "this kernel does not let a process that is not dumpable enter its own /proc/self/fdinfo, the chroot's "
         "empty directory; install sbx-helper setuid root here");
}

// userns: CAP_SYS_CHROOT alone, checked, and not dumpable, checked. With
// prctl, capget and capset alone: the chroot helper runs in the target's
// memory (CLONE_VM) while the target drops its own privileges, and must not
// allocate: libcap's cap_t lives on the heap, and malloc's state, shared by
// two processes it takes for one thread, was corrupted (the check then
// failed, or a launch hung, once in a few hundred).
void keep_only_chroot_capability() {
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap)
    if (cap != CAP_SYS_CHROOT && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
      fail_errno(1, "chroot helper: emptying the capability bounding set", errno);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    fail_errno(1, "chroot helper: clearing the ambient capabilities", errno);
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct chroot_only[_LINUX_CAPABILITY_U32S_3] = {};
  chroot_only[CAP_TO_INDEX(CAP_SYS_CHROOT)].effective = CAP_TO_MASK(CAP_SYS_CHROOT);
  chroot_only[CAP_TO_INDEX(CAP_SYS_CHROOT)].permitted = CAP_TO_MASK(CAP_SYS_CHROOT);
  if (syscall(SYS_capset, &header, chroot_only) != 0)
    fail_errno(1, "chroot helper: keeping CAP_SYS_CHROOT alone (capset)", errno);
  __user_cap_data_struct now[_LINUX_CAPABILITY_U32S_3] = {};
  header = {_LINUX_CAPABILITY_VERSION_3, 0};
  bool ok = syscall(SYS_capget, &header, now) == 0 && std::memcmp(now, chroot_only, sizeof(now)) == 0;
  for (int cap = 0; ok; ++cap) {
    const int bound = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (bound < 0) break;
    ok = bound == (cap == CAP_SYS_CHROOT ? 1 : 0);
  }
  if (!ok) fail(1, "chroot helper: keeping CAP_SYS_CHROOT alone", "not verified");
  if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) fail(1, "chroot helper", "dumpable in user-namespace mode; stopping");
}

}  // namespace sbx::helper
