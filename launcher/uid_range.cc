// sbx-helper, UID-range mode (setuid mode with /etc/sbx/helper.conf):
// steps 3a and 3b in the original process, 10a and 10b in the target. The
// story, and the list of every step, is suid_main.cc's; its rules hold here.

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

// The configuration file. A test-only build of the helper (tests/meson.build)
// points it at a root-owned directory of the build tree; the installed
// helper reads only /etc/sbx/helper.conf.
#ifndef SBX_HELPER_CONF
#define SBX_HELPER_CONF "/etc/sbx/helper.conf"
#endif

namespace sbx::helper {
namespace {

constexpr char kConfigPath[] = SBX_HELPER_CONF;

// Step 3a. The configuration file, read while root. It decides who the
// sandbox runs as, so only root may have written it: every directory from /
// down and the file itself must belong to root and be writable by nobody
// else, and nothing on the way may be a symbolic link. The directories are
// checked with lstat, from / down: one that is root's alone can only be
// changed by root, so what was checked stays true; the file is opened with
// O_NOFOLLOW and its descriptor checked. No descriptor is used unless the
// file is there. No file (or no directory on the way) is no configuration:
// the helper behaves as it always did, provided every directory checked on
// the way is root's alone. Anything else wrong is refused (exit 89) before
// anything starts. userns: not read. The range's UIDs are not mapped in the
// caller's user namespace, so the mode is setuid mode's alone, and a caller
// who asks for --userns runs as it would without a range.

bool root_alone(const struct stat& st) { return st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0; }

// No file is no configuration only if nobody but root could have removed
// it: the owner of a directory on the way (or a group or anybody who may
// write it) could otherwise turn UID-range mode off, unseen, by removing
// or renaming the file or a directory above it.
constexpr char kUnsafeConfigDir[] =
    "the configuration file's directory is not root's alone: every directory above it must belong to root "
    "and not be writable by group or others";

void no_configuration(const char* unsafe) {
  if (unsafe != nullptr) fail(kExitConfig, unsafe, kUnsafeConfigDir);
}

}  // namespace

void read_helper_config(UidRange* range) {
  *range = UidRange{};
  char path[256];
  const size_t length = std::strlen(kConfigPath);
  if (kConfigPath[0] != '/' || length >= sizeof(path)) fail(kExitConfig, kConfigPath, "not an absolute path");
  std::memcpy(path, kConfigPath, length + 1);
  const char* unsafe = nullptr;  // the first directory on the way that is not root's alone
  char unsafe_dir[256];
  struct stat st;
  if (lstat("/", &st) != 0) fail_errno(kExitConfig, "/", errno);
  if (!root_alone(st)) unsafe = "/";
  for (char* slash = std::strchr(path + 1, '/'); slash != nullptr; slash = std::strchr(slash + 1, '/')) {
    *slash = '\0';
    if (lstat(path, &st) != 0) {
      if (errno == ENOENT) return no_configuration(unsafe);
      fail_errno(kExitConfig, path, errno);
    }
    struct stat file;
    if (!S_ISDIR(st.st_mode) && stat(kConfigPath, &file) != 0 && errno == ENOENT)
      return no_configuration(unsafe);  // nothing there either
    if (!S_ISDIR(st.st_mode))
      fail(kExitConfig, path, "a symbolic link or not a directory; the configuration's directories must be real ones");
    if (unsafe == nullptr && !root_alone(st)) {
      std::memcpy(unsafe_dir, path, std::strlen(path) + 1);
      unsafe = unsafe_dir;
    }
    *slash = '/';
  }
  const int fd = open(kConfigPath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  const int err = errno;
  if (fd < 0 && err == ENOENT) return no_configuration(unsafe);
  if (fd < 0 && err == ELOOP) fail(kExitConfig, kConfigPath, "a symbolic link; it must be a regular file");
  if (fd < 0 || fstat(fd, &st) != 0) fail_errno(kExitConfig, kConfigPath, fd < 0 ? err : errno);
  if (!S_ISREG(st.st_mode)) fail(kExitConfig, kConfigPath, "not a regular file");
  if (unsafe != nullptr) fail(kExitConfig, unsafe, kUnsafeConfigDir);
  if (!root_alone(st))
    fail(kExitConfig, kConfigPath,
         "must belong to root and not be writable by group or others (chown root; chmod go-w)");
  char text[kMaxConfigSize + 1];
  size_t got = 0;
  for (ssize_t n; got < sizeof(text); got += static_cast<size_t>(n)) {
    n = read(fd, text + got, sizeof(text) - got);
    if (n < 0 && errno == EINTR) n = 0;
    else if (n < 0) fail_errno(kExitConfig, kConfigPath, errno);
    else if (n == 0) break;
  }
  close(fd);
  if (got > kMaxConfigSize) fail(kExitConfig, kConfigPath, "larger than 4096 bytes");
  int bad_line = 0;
  if (const char* reason = parse_helper_config(text, got, range, &bad_line); reason != nullptr) {
    char what[300];
    std::snprintf(what, sizeof(what), "%s line %d", kConfigPath, bad_line);
    fail(kExitConfig, what, reason);
  }
}

// Step 3b. sbx run's first stage asks (SBX_FILES_AS_CALLER) to start with
// the caller's effective uid beside the range UID, so that the trusted
// process it forks creates files as the caller; it drops that uid itself
// before anything of the program exists (docs/SECURITY.md, "UID-range
// mode"). Taken only in UID-range mode (elsewhere the program is the
// caller anyway), and removed from the environment in every mode.
//
// Not for any program: one that holds the range UID beside the caller's
// can keep the UID where the count of step 10a does not see it (a
// set-user-ID file made with openat2, whose mode step 10b's filter cannot
// see and must allow for sbx's trusted process), and so reach the next
// sandbox of the UID, of any user. So the request is taken only for sbx's
// own first stage and trusted process, sbx-zygote and sbx-trusted beside
// this helper (as installed, and as the tests lay them out): PROGRAM and
// TRUSTED (its first argument) must name them (realpath, which may
// allocate), every directory from / to ours must be a real directory of
// root's, writable by nobody else unless sticky, and both files root's
// alone; we then execute those canonical paths, not the caller's strings.
// Anything else asking is refused (exit 85) before anything starts.

namespace {

char g_first_stage[PATH_MAX];
char g_trusted[PATH_MAX];

bool installed_beside_us(const char* given, const char* dir, const char* name, char* canonical) {
  char resolved[PATH_MAX];
  if (given == nullptr || realpath(given, resolved) == nullptr) return false;
  const int n = std::snprintf(canonical, PATH_MAX, "%s/%s", dir, name);
  if (n <= 0 || n >= PATH_MAX || std::strcmp(resolved, canonical) != 0) return false;
  struct stat st;
  return lstat(canonical, &st) == 0 && S_ISREG(st.st_mode) && root_alone(st);
}

bool root_directories(const char* dir) {
  char path[PATH_MAX];
  const size_t length = std::strlen(dir);
  if (dir[0] != '/' || length >= sizeof(path)) return false;
  std::memcpy(path, dir, length + 1);
  struct stat st;
  for (char* end = path + 1;; ++end) {
    if (*end != '/' && *end != '\0') continue;
    const char kept = *end;
    *end = '\0';
    const bool ok = lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
                    ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st.st_mode & S_ISVTX) != 0);
    *end = kept;
    if (!ok) return false;
    if (kept == '\0') return lstat("/", &st) == 0 && st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
  }
}

}  // namespace

void files_as_caller_request(TargetStart* start) {
  start->files_as_caller = start->range.configured() && std::getenv(sbx::kEnvFilesAsCaller) != nullptr;
  if (unsetenv(sbx::kEnvFilesAsCaller) != 0) fail_errno(kExitEnvironment, "unsetenv SBX_FILES_AS_CALLER", errno);
  if (!start->files_as_caller) return;
  char dir[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
  char* slash = n > 0 ? static_cast<char*>(memrchr(dir, '/', static_cast<size_t>(n))) : nullptr;
  if (slash != nullptr) *slash = '\0';
  if (slash == nullptr || slash == dir || !root_directories(dir) ||
      !installed_beside_us(start->argv[1], dir, "sbx-zygote", g_first_stage) ||
      !installed_beside_us(start->argv[2], dir, "sbx-trusted", g_trusted))
    fail(kExitEnvironment, "SBX_FILES_AS_CALLER",
         "only sbx run's first stage may ask: PROGRAM must be the sbx-zygote and its first argument the "
         "sbx-trusted installed beside sbx-helper, in directories of root's");
  start->argv[1] = g_first_stage;
  start->argv[2] = g_trusted;
}

// Step 10a (target, UID-range mode). A UID of the range that no process
// has, found with the kernel's count of processes per real uid, which its
// RLIMIT_NPROC check reads. Since Linux 3.1 setuid() itself no longer fails
// at the limit (set_user only flags the process, and a later execve fails),
// so the count is read through fork's check instead, which is exact: for
// each candidate we make it our real uid (keeping saved uid 0, so we may come
// back), then, with RLIMIT_NPROC at 2 and no capability in effect (euid is
// the candidate), start a child that exits at once. The kernel counts us,
// the child and every other process whose real uid is the candidate: the
// clone fails with EAGAIN exactly when some other process has it, and we
// try the next one.
//
// Taking comes before checking, and we never let go: two helpers that pick
// the same candidate each count the other, so at most one of them passes
// (both may fail, and move on). The UID stays ours as the target's real uid,
// and the target becomes the program, PID 1 of its namespace; it is free
// again when the last process with it is gone. RLIMIT_NPROC goes back to the
// caller's before the program runs, so the sandbox may fork.

namespace {

alignas(16) char g_probe_stack[8192];

int probe_child_main(void*) { _exit(0); }

}  // namespace

void take_range_uid(TargetStart* start) {
  const UidRange range = start->range;
  rlimit saved{};
  if (getrlimit(RLIMIT_NPROC, &saved) != 0) fail_errno(kExitFatal, "getrlimit(RLIMIT_NPROC)", errno);
  const rlimit probe_limit = {2, saved.rlim_max >= 2 ? saved.rlim_max : 2};
  if (setrlimit(RLIMIT_NPROC, &probe_limit) != 0) fail_errno(kExitFatal, "setrlimit(RLIMIT_NPROC, 2)", errno);
  uid_t taken = 0;
  for (uid_t uid = range.first;; ++uid) {
    if (setresuid(uid, uid, 0) != 0) fail_errno(kExitFatal, "setresuid (trying a UID of the range)", errno);
    const pid_t probe =
        clone(probe_child_main, g_probe_stack + sizeof(g_probe_stack), CLONE_VM | CLONE_VFORK | SIGCHLD, nullptr);
    const int err = errno;
    // Effective uid 0 again (the saved one), and with it the capabilities;
    // the real uid stays the candidate.
    if (setresuid(static_cast<uid_t>(-1), 0, static_cast<uid_t>(-1)) != 0)
      fail_errno(kExitFatal, "setresuid (back to euid 0 after a probe)", errno);
    if (probe > 0) {
      waitpid(probe, nullptr, 0);
      taken = uid;
      break;
    }
    if (err != EAGAIN) fail_errno(kExitFatal, "clone (probing a UID of the range)", err);
    if (uid == range.last) break;
  }
  if (taken == 0) {
    char what[300];
    std::snprintf(what, sizeof(what), "uid-range %u-%u (%s)", static_cast<unsigned>(range.first),
                  static_cast<unsigned>(range.last), kConfigPath);
    fail(kExitUidRange, what,
         "every UID of the range is in use by some process; wait for sandboxes to end, or widen the range");
  }
  if (setrlimit(RLIMIT_NPROC, &saved) != 0) fail_errno(kExitFatal, "setrlimit(RLIMIT_NPROC) back", errno);
  start->range_uid = taken;
  // SysV IPC objects and POSIX message queues outlive their processes and
  // belong to the UID: in the caller's IPC namespace the next sandbox of the
  // UID, of any user, would own what this one left. A new IPC namespace of
  // our own (we still hold CAP_SYS_ADMIN) ends with the sandbox, and them.
  if (unshare(CLONE_NEWIPC) != 0) fail_errno(kExitNamespace, "UID-range mode: unshare(CLONE_NEWIPC)", errno);
}

// Step 10b (target, UID-range mode). The count of step 10a sees processes
// whose real uid is the candidate, and nothing else; the range UID is handed
// to the next sandbox, of any user, as soon as that count is 0. So nothing
// started here may keep the UID past its sandbox in a way the count misses:
//   - a file with the set-user-ID or set-group-ID bit, owned by the range
//     UID: anyone who runs it later (the caller, outside) has the range UID
//     as effective uid, uncounted, and may signal the next sandbox that gets
//     it and read its /proc files. chmod, fchmod, fchmodat(2), and creating
//     (open, openat, creat, mknod, mknodat) with either bit are refused
//     (EPERM); io_uring, whose mode the filter cannot see, answers ENOSYS,
//     and so does openat2 (libc falls back on openat), except with
//     SBX_FILES_AS_CALLER: sbx's trusted process resolves paths with it.
//     (That is why step 3b takes SBX_FILES_AS_CALLER for sbx's own first
//     stage and trusted process only: openat2 with O_CREAT and mode 04755.)
//   - with SBX_FILES_AS_CALLER the program (sbx's first stage, step 3b; this
//     is a second line) starts with real uid R and effective uid the
//     caller's, and could move R out of its real slot
//     (setresuid(caller, R, R)) or be counted under the caller (a user
//     namespace it owns, entered by unshare, clone or setns): setreuid and
//     setresuid must leave the real uid as it is (-1) or R, and unshare,
//     clone with CLONE_NEWUSER, and setns are refused (EPERM), clone3
//     answers ENOSYS (libc falls back on clone).
//   - the UID's user keyring (and its persistent keyring) outlives every
//     process of the UID: keys one sandbox puts there, the next sandbox of
//     the UID, of any user, reads. add_key, request_key and keyctl answer
//     ENOSYS. (SysV IPC and POSIX message queues, likewise kept by the
//     kernel, are left behind in a new IPC namespace: take_range_uid.)
// Any other architecture's calls (i386, x32) end the process: their numbers
// differ, and nothing of sbx or Chromium needs them. The filter is the
// first of the program's, which keeps it across exec (no_new_privs is set).

#if !defined(__x86_64__)
#error "confine_range_uid's filter is written for x86_64's system call numbers"
#endif

bool confine_range_uid(uid_t range_uid, bool files_as_caller) {
  constexpr unsigned kNr = offsetof(struct seccomp_data, nr);
  constexpr unsigned kArch = offsetof(struct seccomp_data, arch);
  constexpr unsigned kModeBits = S_ISUID | S_ISGID;
  constexpr unsigned kX32 = 0x40000000U;
  // Each entry: a call that can set a mode, and the argument whose low 32
  // bits hold it (the kernel reads a mode_t).
  struct Rule {
    unsigned nr;
    int arg;
  };
  static const Rule kModeRules[] = {
      {SYS_chmod, 1},  {SYS_fchmod, 1}, {SYS_fchmodat, 2}, {452 /* fchmodat2 */, 2}, {SYS_open, 2},
      {SYS_openat, 3}, {SYS_creat, 1},  {SYS_mknod, 1},    {SYS_mknodat, 2},
  };
  sock_filter prog[128];
  unsigned n = 0;
  bool fits = true;
  auto add = [&](sock_filter f) {
    if (n < sizeof(prog) / sizeof(prog[0])) prog[n++] = f;
    else fits = false;
  };
  auto arg_lo = [](int arg) { return static_cast<unsigned>(offsetof(struct seccomp_data, args) + 8 * arg); };
  const sock_filter kAllow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  const sock_filter kEperm = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  const sock_filter kEnosys = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArch));
  add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
  add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr));
  add(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kX32, 0, 1));
  add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  for (const Rule& r : kModeRules) {
    // nr == r.nr ? (A = arg; A & bits ? EPERM : ALLOW) : next
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r.nr, 0, 4));
    add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg_lo(r.arg)));
    add(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kModeBits, 0, 1));
    add(kEperm);
    add(kAllow);
  }
  for (unsigned nr : {static_cast<unsigned>(SYS_io_uring_setup), static_cast<unsigned>(SYS_add_key),
                      static_cast<unsigned>(SYS_request_key), static_cast<unsigned>(SYS_keyctl)}) {
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
    add(kEnosys);
  }
  if (!files_as_caller) {  // sbx's trusted process resolves with openat2 (see above)
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1));
    add(kEnosys);
  }
  if (files_as_caller) {
    for (unsigned nr : {static_cast<unsigned>(SYS_setreuid), static_cast<unsigned>(SYS_setresuid)}) {
      // real uid argument: -1 (unchanged) or the range UID
      add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 5));
      add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg_lo(0)));
      add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffU, 2, 0));
      add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, range_uid, 1, 0));
      add(kEperm);
      add(kAllow);
    }
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4));
    add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg_lo(0)));
    add(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1));
    add(kEperm);
    add(kAllow);
    for (unsigned nr : {static_cast<unsigned>(SYS_unshare), static_cast<unsigned>(SYS_setns)}) {
      add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
      add(kEperm);
    }
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
    add(kEnosys);
  }
  add(kAllow);
  if (!fits) {
    errno = E2BIG;  // cannot happen: the array is sized for every rule above
    return false;
  }
  const sock_fprog fprog = {static_cast<unsigned short>(n), prog};
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0;
}
}  // namespace sbx::helper
