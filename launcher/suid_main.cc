// sbx-helper: the privileged part of sbx, setuid root (or, not setuid, in a
// user namespace of its own). It speaks Chromium's SUID-sandbox protocol
// (API 1), so Chromium can use it as its chrome-sandbox (setuid mode only),
// and any program can be started through it.
//
// This file is the whole privileged story, in the order it happens, and in
// that order below. Each step is one function:
//
//      main                      read the command line (--get-api, --adjust-oom-score, --userns)
//   1  check_api_request         SBX_CHROME_API_RQ in, SBX_CHROME_API_PRV=1 out
//   2  require_setuid_root       setuid mode (effective uid 0): refuse to pretend when we are not root
//   2u enter_user_namespace      user-namespace mode (not setuid root, or --userns): the caller's
//                                own ids mapped in a new user namespace, whose capabilities
//                                stand in for root's in steps 3-13; not dumpable from here on
//   3  refuse_directory_descriptors  an inherited directory leads out of any chroot
//   3a read_helper_config        setuid mode: /etc/sbx/helper.conf, root's alone, or refuse; its UID range
//   3b files_as_caller_request   SBX_FILES_AS_CALLER (sbx run), taken in UID-range mode, removed always
//   4  hold_signals              TERM, INT, HUP, TSTP, CONT and CHLD wait until the waiter takes them
//   5  respect_process_limit     refuse a caller at its RLIMIT_NPROC, which our clones would pass
//   6  enter_namespaces          start the target in new PID and network namespaces;
//        run_waiter              the original process: drop privileges (10), wait,
//                                pass signals on, pass the program's status on
//      run_target                the target, PID 1 of the new namespaces:
//   7    export_namespaces       SBX_PID_NS / SBX_NET_NS
//   8    leave_caller_session    a new session: no way into the caller's terminal
//   9    spawn_chroot_helper     a privileged child sharing our filesystem context,
//                                which chroots us into an empty directory on 'C'
//  10a   take_range_uid          UID-range mode: a UID of the range no process has, kept
//                                from the check on (RLIMIT_NPROC), as the target's real uid;
//                                and a new IPC namespace
//  10    drop_privileges         no uid 0, no capabilities, no groups (userns: they stay),
//                                no new privileges
//  10b   confine_range_uid       UID-range mode: a filter that keeps the range UID from
//                                outliving the sandbox (no setuid/setgid bits; with
//                                SBX_FILES_AS_CALLER no way to hide it from the count)
//  11    die_with_waiter         if the waiter dies, so does the program
//  12    restore_saved_environment  SANDBOX_<NAME> back to <NAME>
//  13    execv                   the program, by path, with the caller's signal mask
//
// The two modes differ in step 2 and in what "privileged" means: root in
// setuid mode; in user-namespace mode, the capabilities the new user
// namespace gives, which reach only what that namespace owns (the new PID
// and network namespaces, chroot, the caller's own files and processes
// inside it) and which steps 9 and 10 shed the same way. Where a step does
// something else in user-namespace mode, its comment says so ("userns:").
// docs/protocol.md ("User-namespace mode") lists what those capabilities
// reach before they are dropped, and the differences that remain.
//
// No address space is copied: the target starts vfork-style (CLONE_VM |
// CLONE_VFORK: the original process sleeps until the target has exec'd) and
// the chroot helper shares the target's memory (CLONE_VM) until that exec.
// Each runs on a stack of its own. What that sharing means for safety is
// said at enter_namespaces and spawn_chroot_helper.
//
// Rules for this file: single-threaded, no exceptions, no iostreams, no
// allocation beyond what libc and libcap calls named here do, and every
// failure reports "sbx-helper: <what failed>: <reason>" with the exit codes
// of protocol.h (documented in docs/protocol.md).

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"

// The configuration file. A test-only build of the helper (tests/meson.build)
// points it at a root-owned directory of the build tree; the installed
// helper reads only /etc/sbx/helper.conf.
#ifndef SBX_HELPER_CONF
#define SBX_HELPER_CONF "/etc/sbx/helper.conf"
#endif

namespace {

constexpr char kConfigPath[] = SBX_HELPER_CONF;

using namespace sbx::helper;

// ---------------------------------------------------------------------------
// Messages. Built in a stack buffer and written with one write(2), so that
// nothing here allocates and lines from different processes do not interleave.

void print_line(const char* what, const char* reason) {
  char line[512];
  const int n = std::snprintf(line, sizeof(line), "sbx-helper: %s: %s\n", what, reason);
  if (n > 0) {
    const size_t len = static_cast<size_t>(n) < sizeof(line) ? static_cast<size_t>(n) : sizeof(line) - 1;
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
  }
}

[[noreturn]] void fail(int exit_code, const char* what, const char* reason) {
  print_line(what, reason);
  _exit(exit_code);
}

[[noreturn]] void fail_errno(int exit_code, const char* what, int err) { fail(exit_code, what, std::strerror(err)); }

void print_usage(int fd) {
  static const char usage[] = "usage: sbx-helper [--userns] PROGRAM [ARGS...]\n"
                              "       sbx-helper --get-api\n"
                              "       sbx-helper --adjust-oom-score PID SCORE\n"
                              "Runs PROGRAM (an absolute or relative path, never searched in PATH) in new\n"
                              "PID and network namespaces with no privileges; the program asks to be\n"
                              "chrooted into an empty directory by writing 'C' on the descriptor named\n"
                              "by SBX_D. Not setuid root, or with --userns, it does so in a new user\n"
                              "namespace instead. See sbx-helper(8) and docs/protocol.md.\n";
  ssize_t ignored = write(fd, usage, sizeof(usage) - 1);
  (void)ignored;
}

// ---------------------------------------------------------------------------
// --adjust-oom-score PID SCORE: Chromium's browser raises its renderers' OOM
// score through us because their /proc files belong to root. We only do it for
// a process the caller owns: the ownership check and the write go through one
// descriptor of /proc/PID, so a recycled PID cannot slip in between.
// Exit 0 on success, 1 on any failure (Chromium ignores the status).

int adjust_oom_score(const char* pid_text, const char* score_text) {
  pid_t pid = 0;
  int score = 0;
  if (!parse_oom_arguments(pid_text, score_text, &pid, &score)) {
    print_line("--adjust-oom-score", "expected PID (a positive number) and SCORE (0 to 1000)");
    return kExitUsage;
  }
  char path[32];
  std::snprintf(path, sizeof(path), "/proc/%d", static_cast<int>(pid));
  const int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    print_line("--adjust-oom-score: open /proc/PID", std::strerror(errno));
    return 1;
  }
  struct stat st;
  if (fstat(dir, &st) != 0 || st.st_uid != getuid()) {
    close(dir);
    print_line("--adjust-oom-score", "the process does not belong to the caller");
    return 1;
  }
  const int fd = openat(dir, "oom_score_adj", O_WRONLY | O_CLOEXEC);
  close(dir);
  if (fd < 0) {
    print_line("--adjust-oom-score: open oom_score_adj", std::strerror(errno));
    return 1;
  }
  char value[16];
  format_decimal(score, value, sizeof(value));
  const ssize_t len = static_cast<ssize_t>(std::strlen(value));
  const ssize_t written = write(fd, value, static_cast<size_t>(len));
  const int err = errno;
  close(fd);
  if (written != len) {
    print_line("--adjust-oom-score: write oom_score_adj", std::strerror(err));
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// The story. Steps 1-6 run in the original process; from step 6 on, the
// original process is the waiter and the target runs steps 7-13.

struct Failure {
  const char* what;  // nullptr: no failure
  const char* reason;
};
Failure drop_privileges(uid_t uid, uid_t euid, gid_t gid, gid_t egid);
[[noreturn]] int run_target(void* start);

// User-namespace mode (step 2u), read by steps 6, 9, 10 and 12.
bool g_user_namespace = false;

// The empty directory the chroot helper chroots into (step 9).
constexpr char kEmptyDirectory[] = "/proc/self/fdinfo";

// What the target needs to know, handed over in our memory (vfork-style).
struct TargetStart {
  char** argv;
  int namespaces;        // the CLONE_NEW* flags the target got
  sigset_t caller_mask;  // the signal mask the program starts with
  int waiter_pidfd;      // the original process, to notice if it is gone
  // UID-range mode (step 3a): the range, the caller's ids, and the UID the
  // target took (step 10a), which the waiter reads once the target has exec'd.
  UidRange range;
  uid_t caller_uid;
  gid_t caller_gid;
  uid_t range_uid;
  bool files_as_caller;  // SBX_FILES_AS_CALLER in UID-range mode: the caller's euid for the first stage
};

// Step 1. The API handshake. Chromium tells us the API it wants; a different
// number is only a warning (Chromium's helper does the same), a value that is
// not a number is an error. We always say which API we provide.

void check_api_request() {
  int requested = 0;
  if (!parse_api_request(std::getenv(kEnvApiRequest), &requested)) fail(kExitApi, kEnvApiRequest, "not a number");
  if (requested != kApiNumber) {
    char reason[96];
    std::snprintf(reason, sizeof(reason), "API %d requested, this helper provides API %d; continuing", requested,
                  kApiNumber);
    print_line(kEnvApiRequest, reason);
  }
  if (setenv(kEnvApiProvides, "1", 1) != 0) fail_errno(kExitEnvironment, "setenv SBX_CHROME_API_PRV", errno);
}

// Step 2. Setuid mode. main sends a caller without an effective uid of 0 to
// step 2u; the check stays here as a guard. Chromium's helper warns without
// root and goes on; ours takes the user-namespace mode then, or stops with
// the cause (step 2u), and never runs a weaker sandbox than asked for.

void require_setuid_root() {
  if (geteuid() != 0)
    fail(kExitFatal, "not running as root",
         "install sbx-helper owned by root with mode 4755 on a filesystem mounted "
         "without nosuid (and do not start it under a debugger or with no_new_privs)");
  // Started by root, the program ends with no capability at all, but it is
  // still uid 0 and owns what root owns until it chroots. Say so.
  if (getuid() == 0)
    print_line("warning", "started by root: the program keeps uid 0 (with no capabilities) and owns root's "
                          "files until it chroots; start sbx-helper as an unprivileged user");
}

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

// Step 3. A directory descriptor is a way out of any chroot: openat(fd, "..")
// climbs to the real root. Chromium passes none; a caller that does gets a
// clear refusal instead of a sandbox with a hole in it.

void refuse_directory_descriptors() {
  const int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) fail_errno(kExitFatal, "open /proc/self/fd (is /proc mounted?)", errno);
  alignas(alignof(dirent64)) char buf[4096];
  for (;;) {
    const ssize_t n = getdents64(dir, buf, sizeof(buf));
    if (n < 0) fail_errno(kExitFatal, "reading /proc/self/fd", errno);
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buf + off);
      off += entry->d_reclen;
      long fd = 0;
      struct stat st;
      if (!parse_long(entry->d_name, 0, INT_MAX, &fd) || fd == dir) continue;
      if (fstat(static_cast<int>(fd), &st) == 0 && S_ISDIR(st.st_mode)) {
        char what[64];
        std::snprintf(what, sizeof(what), "inherited descriptor %ld", fd);
        fail(kExitDirectoryFd, what,
             "is a directory, which leads out of any chroot; close it before starting sbx-helper");
      }
    }
  }
  close(dir);
}

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

// Step 4. From here on, TERM, INT, HUP, TSTP, CONT and CHLD are held
// (blocked) until the waiter takes them with sigwaitinfo: a Ctrl-C during
// set-up is passed on like any other, instead of killing the original
// process and orphaning the target. SIGCHLD gets its default action back: a
// caller that ignores it would have its children reaped behind the waiter's
// back (the program starts with it at default too). A pidfd of this process
// lets the target notice a waiter killed outright (SIGKILL) before it could
// arrange to die with it.

sigset_t held_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTSTP);
  sigaddset(&set, SIGCONT);
  sigaddset(&set, SIGCHLD);
  return set;
}

void hold_signals(TargetStart* start) {
  const sigset_t held = held_signals();
  if (sigprocmask(SIG_BLOCK, &held, &start->caller_mask) != 0) fail_errno(kExitFatal, "sigprocmask", errno);
  if (signal(SIGCHLD, SIG_DFL) == SIG_ERR) fail_errno(kExitFatal, "signal(SIGCHLD)", errno);
  start->waiter_pidfd = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
  if (start->waiter_pidfd < 0) fail_errno(kExitFatal, "pidfd_open (Linux 5.3 or later is needed)", errno);
}

// Step 5. The caller's process limit. Every process of the sandbox is the
// caller's (its real uid) and counts against the caller's RLIMIT_NPROC, but
// the kernel lets a clone made with CAP_SYS_ADMIN or CAP_SYS_RESOURCE pass
// the limit, and ours (step 6, and the chroot helper's, step 9) need
// CAP_SYS_ADMIN: a caller at its limit would still get two processes, and
// helpers started in a chain as many as it likes. So first a probe, with
// those two capabilities out of our effective set: a child that forks a
// grandchild (as many processes as the sandbox's start adds), both ending
// at once. If the kernel refuses either (EAGAIN), nothing starts. The
// capabilities come back before step 6.
void respect_process_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NPROC, &limit) == 0 && limit.rlim_cur == RLIM_INFINITY) return;  // no limit to respect
  cap_t saved = cap_get_proc();  // what we have, to come back to (a container may lack some)
  cap_t lowered = saved != nullptr ? cap_dup(saved) : nullptr;
  if (lowered == nullptr) fail_errno(kExitFatal, "cap_get_proc", errno);
  const cap_value_t exempting[] = {CAP_SYS_ADMIN, CAP_SYS_RESOURCE};
  if (cap_set_flag(lowered, CAP_EFFECTIVE, 2, exempting, CAP_CLEAR) != 0 || cap_set_proc(lowered) != 0)
    fail_errno(kExitFatal, "lowering the effective capabilities for the process limit's probe", errno);
  cap_free(lowered);
  const pid_t probe = fork();
  if (probe == 0) {
    const pid_t second = fork();
    if (second == 0) _exit(0);
    if (second < 0) _exit(errno == EAGAIN ? 1 : 2);
    waitpid(second, nullptr, 0);
    _exit(0);
  }
  const int fork_error = errno;
  int status = 0;
  if (probe > 0) waitpid(probe, &status, 0);
  const bool restored = cap_set_proc(saved) == 0;
  const int restore_error = errno;
  cap_free(saved);
  if (!restored) fail_errno(kExitFatal, "raising the effective capabilities again after the probe", restore_error);
  const bool at_limit =
      (probe < 0 && fork_error == EAGAIN) || (probe > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 1);
  if (at_limit)
    fail(kExitProcessLimit, "starting the sandbox",
         "you are at your process limit (RLIMIT_NPROC, ulimit -u): the sandbox's processes count against it");
  if (probe < 0) fail_errno(kExitFatal, "fork (the process limit's probe)", fork_error);
}

// Step 6. New PID and network namespaces. The target is our child and the
// first process (PID 1) of the new PID namespace, as Chromium expects. A
// kernel without one of the namespaces answers EINVAL: fall back to fewer and
// say so; any other error is fatal, since it means the sandbox cannot be had.
// userns: no fallback. The namespaces all belong to our user namespace, and
// a kernel that has user namespaces without PID or network ones gets no
// sandbox from this mode.
//
// The target starts vfork-style: it runs in our memory, on its own stack,
// while we (the original process) sleep until it has exec'd the program or
// exited. Nothing is copied, and nothing runs in our memory but our own code:
// by the time we wake up, the target has its own address space.

alignas(16) char g_target_stack[128 * 1024];

[[noreturn]] void run_waiter(pid_t target, bool target_is_pid1, const TargetStart& start);

[[noreturn]] void enter_namespaces(TargetStart* start) {
  static const struct {
    int flags;
    const char* what;
  } kAttempts[] = {
      {CLONE_NEWPID | CLONE_NEWNET, "PID and network namespaces"},
      {CLONE_NEWPID, "a PID namespace alone"},
      {CLONE_NEWNET, "a network namespace alone"},
      {0, "no new namespace"},
  };
  for (const auto& attempt : kAttempts) {
    start->namespaces = attempt.flags;  // on our stack: we sleep until the target execs
    const pid_t pid = clone(run_target, g_target_stack + sizeof(g_target_stack),
                            CLONE_VM | CLONE_VFORK | attempt.flags | SIGCHLD, start);
    if (pid > 0) run_waiter(pid, attempt.flags & CLONE_NEWPID, *start);
    char what[80];
    std::snprintf(what, sizeof(what), "clone with %s", attempt.what);
    if (errno != EINVAL || attempt.flags == 0 || g_user_namespace) fail_errno(kExitNamespace, what, errno);
    char reason[120];
    std::snprintf(reason, sizeof(reason), "the kernel cannot create %s (EINVAL); trying with fewer", attempt.what);
    print_line("namespaces", reason);
  }
  __builtin_unreachable();  // the last attempt either runs the waiter or fails
}

// Step 6, the original process from here on: the waiter. The target is in its
// own PID namespace, so somebody outside must wait for it, pass signals on
// and report its status. It keeps nothing: no privileges (step 10), no
// inherited descriptors beyond stdin, stdout and stderr. If it cannot drop
// privileges, it kills the target (PID 1 of the new namespace, so the whole
// namespace goes with it) rather than leave a sandbox nobody reports on.

// Whether the program catches or ignores sig, from /proc/PID/status.
bool program_handles(pid_t target, int sig) {
  char path[32];
  std::snprintf(path, sizeof(path), "/proc/%d/status", static_cast<int>(target));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[4096];
  const ssize_t n = read(fd, text, sizeof(text));
  close(fd);
  unsigned long long ignored = 0;
  unsigned long long caught = 0;
  if (n <= 0 || !parse_signal_masks(text, static_cast<size_t>(n), &ignored, &caught)) return false;
  return ((ignored | caught) >> (sig - 1) & 1) != 0;
}

// A signal for the waiter is meant for the program. But as PID 1 of its
// namespace the program never gets a signal it neither catches nor ignores
// (the kernel drops it, even from outside). Then do what the signal's
// default action would have done, end the program, and report that signal.
void pass_signal(pid_t target, int sig, bool target_is_pid1, int* reported_signal) {
  if (target_is_pid1 && !program_handles(target, sig)) {
    *reported_signal = sig;
    kill(target, SIGKILL);
    return;
  }
  kill(target, sig);
}

// Job control. The program is in a session of its own (step 8), so the
// terminal's Ctrl-Z (SIGTSTP) and the shell's fg/bg (SIGCONT) reach only the
// waiter. Pass them on to the program's whole process group (its threads,
// the trusted process, its children): SIGSTOP, which no process can refuse,
// then stop the waiter too, so that the shell sees the job stopped.
// SIGCONT resumes a stopped process even when it is held, and its arrival
// resumes the group. A group member that is not ours (the chroot helper,
// root) refuses the signal; kill still reaches the others.
void pass_job_control(pid_t target, int sig) {
  if (sig == SIGTSTP) {
    kill(-target, SIGSTOP);
    raise(SIGSTOP);
  } else {
    kill(-target, SIGCONT);
  }
}

// In UID-range mode the waiter keeps the caller's real uid (the caller may
// signal it, and it counts against the caller's limit) with the sandbox's
// UID as effective and saved uid, so that it may pass signals on to the
// program, whose ids are all the range UID (kill's rule: the sender's real
// or effective uid is the target's real or saved one).
Failure drop_waiter_privileges(const TargetStart& start) {
  // No UID taken: no range, or the target failed before it took one (and
  // has exited: we run once it has exec'd or exited).
  const uid_t euid = start.range_uid != 0 ? start.range_uid : start.caller_uid;
  return drop_privileges(start.caller_uid, euid, start.caller_gid, start.caller_gid);
}

[[noreturn]] void run_waiter(pid_t target, bool target_is_pid1, const TargetStart& start) {
  if (const Failure f = drop_waiter_privileges(start); f.what != nullptr) {
    kill(target, SIGKILL);
    waitpid(target, nullptr, 0);
    fail(kExitDropRoot, f.what, f.reason);
  }
  close_range(3, ~0U, 0);

  // Wait for the target or a held signal, whichever comes first. Checking
  // first and then waiting for SIGCHLD loses nothing: both stay pending.
  const sigset_t held = held_signals();
  int reported_signal = 0;
  for (;;) {
    int status = 0;
    const pid_t reaped = waitpid(target, &status, WNOHANG);
    if (reaped == target) {
      const bool ended_for_signal = reported_signal != 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      _exit(ended_for_signal ? kExitSignalBase + reported_signal : exit_code_for_wait_status(status));
    }
    if (reaped < 0 && errno != EINTR) fail_errno(kExitFatal, "waiting for the sandboxed program", errno);
    siginfo_t info;
    const int sig = sigwaitinfo(&held, &info);
    if (sig == SIGTSTP || sig == SIGCONT) pass_job_control(target, sig);
    else if (sig > 0 && sig != SIGCHLD) pass_signal(target, sig, target_is_pid1, &reported_signal);
  }
}

// Step 7 (target). Tell the program which namespaces it is in: present (and
// empty) when created, absent otherwise, whatever the caller had set.

void export_namespaces(int flags) {
  const bool ok = ((flags & CLONE_NEWPID) ? setenv(kEnvPidNamespace, "", 1) : unsetenv(kEnvPidNamespace)) == 0 &&
                  ((flags & CLONE_NEWNET) ? setenv(kEnvNetNamespace, "", 1) : unsetenv(kEnvNetNamespace)) == 0;
  if (!ok) fail_errno(kExitEnvironment, "setenv SBX_PID_NS/SBX_NET_NS", errno);
}

// Step 8 (target). A session of its own: the program has no controlling
// terminal, so it cannot push input into the caller's (TIOCSTI needs the
// terminal to be the caller's controlling one, or CAP_SYS_ADMIN).

void leave_caller_session() {
  if (setsid() < 0) fail_errno(kExitFatal, "setsid", errno);
}

// Step 9 (target). The chroot helper. It shares our filesystem context
// (CLONE_FS: root and working directory), keeps root, and waits for one byte.
// On 'C' it chroots the shared context into its own /proc/self/fdinfo: an
// empty directory that nobody can write, and that is gone once the helper has
// exited and been reaped. Then it answers 'O' and exits; the client reaps it
// before reading the answer. It holds nothing else: one socket, stderr, and a
// descriptor limit of zero.
//
// It also shares our memory (CLONE_VM), on its own stack, so that starting it
// copies nothing. Once the target has exec'd, the only other process in that
// memory is the waiter, which runs only our code and, after dropping its
// privileges, is not dumpable: the unprivileged user can neither trace it nor
// read or write its memory (ptrace, /proc/PID/mem and process_vm_* all check
// dumpability). The helper uses no heap and nothing of the waiter's but errno.
//
// userns: there is no root to become. The helper keeps CAP_SYS_CHROOT of
// the user namespace and nothing else (effective and permitted, and the
// bounding set), in memory that step 2u made not dumpable, which it checks.
// The program, of the same uid in the same user namespace, can therefore
// not trace it or reach its memory, descriptors or root through /proc (the
// kernel wants the tracer's capabilities to include the traced one's, and,
// for a process that is not dumpable, CAP_SYS_PTRACE over the namespace the
// memory was made in: the initial one). It can signal it, as the caller
// can: that only denies itself the chroot, and a client that checks the
// chroot then stops (docs/protocol.md).

// userns: CAP_SYS_CHROOT alone, checked, and not dumpable, checked.
void keep_only_chroot_capability() {
  const cap_value_t cap_count = cap_max_bits();
  for (cap_value_t cap = 0; cap < cap_count; ++cap)
    if (cap != CAP_SYS_CHROOT && cap_drop_bound(cap) != 0)
      fail_errno(1, "chroot helper: emptying the capability bounding set", errno);
  if (cap_reset_ambient() != 0) fail_errno(1, "chroot helper: clearing the ambient capabilities", errno);
  const cap_value_t chroot_only[] = {CAP_SYS_CHROOT};
  cap_t caps = cap_init();
  cap_t now = nullptr;
  bool ok = caps != nullptr && cap_set_flag(caps, CAP_EFFECTIVE, 1, chroot_only, CAP_SET) == 0 &&
            cap_set_flag(caps, CAP_PERMITTED, 1, chroot_only, CAP_SET) == 0 && cap_set_proc(caps) == 0;
  const int err = errno;
  ok = ok && (now = cap_get_proc()) != nullptr && cap_compare(now, caps) == 0;
  for (cap_value_t cap = 0; ok && cap < cap_count; ++cap) ok = cap_get_bound(cap) == (cap == CAP_SYS_CHROOT);
  if (now != nullptr) cap_free(now);
  if (caps != nullptr) cap_free(caps);
  if (!ok) fail(1, "chroot helper: keeping CAP_SYS_CHROOT alone", err != 0 ? std::strerror(err) : "not verified");
  if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) fail(1, "chroot helper", "dumpable in user-namespace mode; stopping");
}

[[noreturn]] void run_chroot_helper(int sock) {
  // Fully root: the unprivileged user (our real uid until now) may no longer
  // signal us, so only our one job or exit can happen. userns: CAP_SYS_CHROOT
  // alone instead (above).
  if (g_user_namespace) keep_only_chroot_capability();
  else if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) fail_errno(1, "chroot helper: setresuid(0)", errno);
  // Die with the target (set after the credential change, which clears it).
  // Without a PID namespace to take us down, end of file on the socket does.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail_errno(1, "chroot helper: PR_SET_PDEATHSIG", errno);
  // Keep the socket and stderr, nothing else (glibc gives a setuid program
  // open fds 0-2, so the socket is above them).
  close_range(STDIN_FILENO, STDOUT_FILENO, 0);
  if (sock > STDERR_FILENO + 1) close_range(STDERR_FILENO + 1, static_cast<unsigned>(sock) - 1, 0);
  close_range(static_cast<unsigned>(sock) + 1, ~0U, 0);
  const struct rlimit no_files = {0, 0};
  if (setrlimit(RLIMIT_NOFILE, &no_files) != 0) fail_errno(1, "chroot helper: setrlimit(RLIMIT_NOFILE)", errno);

  char request = 0;
  ssize_t n;
  do {
    n = read(sock, &request, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 0) _exit(0);  // the target went away or does not want a chroot
  if (n < 0) fail_errno(1, "chroot helper: read", errno);
  if (request != kMsgChrootMe) {
    char reason[80];
    std::snprintf(reason, sizeof(reason), "unexpected request byte 0x%02x (expected 'C'); not chrooting",
                  static_cast<unsigned char>(request));
    fail(1, "chroot helper", reason);
  }

  if (chdir(kEmptyDirectory) != 0) fail_errno(1, "chroot helper: chdir /proc/self/fdinfo", errno);
  if (chroot(".") != 0) fail_errno(1, "chroot helper: chroot", errno);
  if (chdir("/") != 0) fail_errno(1, "chroot helper: chdir /", errno);

  const char reply = kMsgChrootDone;
  do {
    n = write(sock, &reply, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) fail_errno(1, "chroot helper: write reply", errno);
  _exit(0);
}

alignas(16) char g_chroot_helper_stack[32 * 1024];

int chroot_helper_main(void* sock) { run_chroot_helper(static_cast<int>(reinterpret_cast<intptr_t>(sock))); }

void spawn_chroot_helper() {
  // /proc is there: step 3 read /proc/self/fd.
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) fail_errno(kExitChrootHelper, "socketpair", errno);
  // The descriptor travels by value: our stack frame may be gone by the time
  // the helper reads its argument. The helper closes its copy of sv[1].
  const pid_t pid = clone(chroot_helper_main, g_chroot_helper_stack + sizeof(g_chroot_helper_stack),
                          CLONE_VM | CLONE_FS | SIGCHLD, reinterpret_cast<void*>(static_cast<intptr_t>(sv[0])));
  if (pid < 0) fail_errno(kExitChrootHelper, "clone of the chroot helper", errno);
  close(sv[0]);

  // sv[1] stays open across exec: it is the program's end of the handshake.
  char number[24];
  format_decimal(sv[1], number, sizeof(number));
  if (setenv(kEnvDescriptor, number, 1) != 0) fail_errno(kExitEnvironment, "setenv SBX_D", errno);
  format_decimal(pid, number, sizeof(number));
  if (setenv(kEnvHelperPid, number, 1) != 0) fail_errno(kExitEnvironment, "setenv SBX_HELPER_PID", errno);
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

alignas(16) char g_probe_stack[8192];

int probe_child_main(void*) { _exit(0); }

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

// Step 10 (target and waiter). The privilege drop. The order matters: the
// bounding set can only be emptied while we hold CAP_SETPCAP, groups only
// while we hold CAP_SETGID, and the gid only before the uid. Everything is
// read back afterwards: a drop that did not happen is a failure, never a
// warning. userns: the same drop of the user namespace's capabilities (the
// ids are already the caller's), without setgroups, which the namespace
// denies (step 2u): the supplementary groups stay.

Failure failed(const char* what) { return {what, std::strerror(errno)}; }

Failure drop_privileges(uid_t uid, uid_t euid, gid_t gid, gid_t egid) {
  // Not dumpable: nobody may trace or read the memory of a process that was
  // root a moment ago. (A credential change does this too; say it plainly.)
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return failed("prctl(PR_SET_DUMPABLE)");

  const cap_value_t cap_count = cap_max_bits();
  for (cap_value_t cap = 0; cap < cap_count; ++cap)
    if (cap_drop_bound(cap) != 0) return failed("emptying the capability bounding set");
  if (cap_reset_ambient() != 0) return failed("clearing the ambient capabilities");

  if (!g_user_namespace && setgroups(0, nullptr) != 0) return failed("setgroups(0)");

  // The real ids as given; the effective ones also become the saved ones.
  if (setresgid(gid, egid, egid) != 0) return failed("setresgid");
  if (setresuid(uid, euid, euid) != 0) return failed("setresuid");

  // A caller whose real uid is 0 keeps its capabilities through setresuid;
  // clear them so that even root ends up with none.
  cap_t none = cap_init();
  if (none == nullptr) return failed("cap_init");
  if (cap_clear(none) != 0 || cap_set_proc(none) != 0) {
    const Failure f = failed("clearing the capabilities");
    cap_free(none);
    return f;
  }

  // Read it all back. The ambient set needs no separate look: the kernel
  // keeps it inside permitted, which must now be empty.
  uid_t u[3];
  gid_t g[3];
  bool ok = getresuid(&u[0], &u[1], &u[2]) == 0 && getresgid(&g[0], &g[1], &g[2]) == 0 && u[0] == uid && u[1] == euid &&
            u[2] == euid && g[0] == gid && g[1] == egid && g[2] == egid &&
            (g_user_namespace || getgroups(0, nullptr) == 0);
  cap_t now = ok ? cap_get_proc() : nullptr;
  ok = ok && now != nullptr && cap_compare(now, none) == 0;
  for (cap_value_t cap = 0; ok && cap < cap_count; ++cap) ok = cap_get_bound(cap) == 0;
  if (now != nullptr) cap_free(now);
  cap_free(none);
  if (!ok) return {"verifying the privilege drop", "a uid, gid, group or capability is still there"};

  // No exec may ever give privileges back (setuid files, file capabilities).
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("prctl(PR_SET_NO_NEW_PRIVS)");
  return {nullptr, nullptr};
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

// Step 12 (target). The loader removed the unsafe variables (LD_PRELOAD and
// its kind) because we are setuid; the caller saved them as SANDBOX_<NAME>.
// Now that we are the caller's uid again, they are safe to put back: the
// program runs with nothing more than the caller's own rights. userns: the
// loader kept them (we are not setuid), so remove them first as it would
// have: the program's environment is the same in both modes.

void restore_saved_environment() {
  for (const char* const* name = kUnsecureEnvironment; *name != nullptr; ++name) {
    char saved[64];
    if (!saved_variable_name(*name, saved, sizeof(saved))) fail(kExitEnvironment, *name, "name too long");
    if (g_user_namespace && unsetenv(*name) != 0) fail_errno(kExitEnvironment, *name, errno);
    const char* value = std::getenv(saved);
    if (value == nullptr) continue;
    if (setenv(*name, value, 1) != 0 || unsetenv(saved) != 0) fail_errno(kExitEnvironment, saved, errno);
  }
}

// Step 11 (target). If the waiter dies (even by SIGKILL), the program gets
// SIGKILL, and as PID 1 takes its whole namespace with it. The parent-death
// signal is set after the last credential change, which would clear it; the
// pidfd catches a waiter that died before it was set.

void die_with_waiter(int waiter_pidfd) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail_errno(kExitFatal, "prctl(PR_SET_PDEATHSIG)", errno);
  struct pollfd waiter = {waiter_pidfd, POLLIN, 0};
  if (poll(&waiter, 1, 0) != 0) fail(kExitFatal, "the waiting sbx-helper process is gone", "not starting the program");
  close(waiter_pidfd);
}

// The target: steps 7 to 13, as PID 1 of the new namespaces. Step 13 is the
// exec of the program, by path; our own memory is then the waiter's again.

[[noreturn]] int run_target(void* arg) {
  TargetStart* start = static_cast<TargetStart*>(arg);
  export_namespaces(start->namespaces);
  leave_caller_session();
  spawn_chroot_helper();
  uid_t uid = start->caller_uid;
  gid_t gid = start->caller_gid;
  uid_t euid = uid;
  gid_t egid = gid;
  if (start->range.configured()) {
    take_range_uid(start);
    uid = euid = start->range_uid;
    gid = egid = static_cast<gid_t>(start->range_uid);  // the matching GID
    // sbx run's first stage forks its trusted process with the caller's
    // effective uid, then drops it (docs/SECURITY.md, "UID-range mode").
    if (start->files_as_caller) {
      euid = start->caller_uid;
      egid = start->caller_gid;
    }
  }
  if (const Failure f = drop_privileges(uid, euid, gid, egid); f.what != nullptr) fail(kExitDropRoot, f.what, f.reason);
  if (start->range.configured() && !confine_range_uid(start->range_uid, start->files_as_caller))
    fail_errno(kExitDropRoot, "UID-range mode: installing the filter that keeps the range UID in the sandbox", errno);
  die_with_waiter(start->waiter_pidfd);
  restore_saved_environment();
  if (sigprocmask(SIG_SETMASK, &start->caller_mask, nullptr) != 0) fail_errno(kExitFatal, "sigprocmask", errno);
  execv(start->argv[1], &start->argv[1]);
  char what[300];
  std::snprintf(what, sizeof(what), "execv %s", start->argv[1]);
  fail_errno(kExitExec, what, errno);
}

}  // namespace

int main(int argc, char** argv) {
  const Mode mode = classify_command_line(argc, argv);
  switch (mode) {
    case Mode::kUsageError: print_usage(STDERR_FILENO); return kExitUsage;
    case Mode::kHelp: print_usage(STDOUT_FILENO); return 0;
    case Mode::kVersion: {
      static const char version[] = "sbx-helper " SBX_VERSION " (Chromium SUID sandbox API 1)\n";
      return write(STDOUT_FILENO, version, sizeof(version) - 1) > 0 ? 0 : 1;
    }
    case Mode::kGetApi: return write(STDOUT_FILENO, "1\n", 2) == 2 ? 0 : 1;
    case Mode::kAdjustOomScore: return adjust_oom_score(argv[2], argv[3]);
    case Mode::kRun: break;
    case Mode::kRunUserns: ++argv; break;  // argv[1] is now PROGRAM, as in kRun
  }

  check_api_request();
  if (mode == Mode::kRunUserns || geteuid() != 0) enter_user_namespace();
  else require_setuid_root();
  refuse_directory_descriptors();
  TargetStart start = {argv, 0, {}, -1, {}, getuid(), getgid(), 0, false};
  if (!g_user_namespace) read_helper_config(&start.range);  // userns: no range, no configuration read
  files_as_caller_request(&start);
  hold_signals(&start);
  respect_process_limit();
  enter_namespaces(&start);  // never returns: we become the waiter, the target runs steps 7-13
}
