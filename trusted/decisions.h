// The trusted process's pure decisions: what a call's flags, modes and
// paths decide, as functions of their arguments alone (no descriptor, no
// caller, no global), so that tests/unit/trusted_decisions_test.cc checks
// each one by itself. The handlers (open.cc, metadata.cc, names.cc,
// paths.cc, resolve.cc) ask them and carry out what they decide. Header
// only: the functions are small, and each handler inlines what it asks.
#pragma once

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "caller.h"  // kTmpFileBit, creates(), Rules
#include "policy.h"
#include "resolve.h"  // Walk

namespace sbx::trusted {

// --- open flags --------------------------------------------------------------------

// The open flags the kernel knows (VALID_OPEN_FLAGS, include/linux/fcntl.h).
// open and openat drop any others silently (build_open_how); openat2
// refuses them (EINVAL), and we answer as each does. O_LARGEFILE is
// 0100000 to the kernel, though glibc spells it 0 on 64-bit systems
// (O_SYNC is __O_SYNC|O_DSYNC).
constexpr uint64_t kKernelLargeFile = 0100000;
constexpr uint64_t kValidOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK |
                                     O_DSYNC | FASYNC | O_DIRECT | kKernelLargeFile | O_DIRECTORY | O_NOFOLLOW |
                                     O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | kTmpFileBit;
static_assert(kValidOpenFlags == 037777703, "the kernel's VALID_OPEN_FLAGS on x86-64");

// What an O_PATH open (open, openat) keeps of its flags: the kernel ignores
// the others, as we do (openat2 refuses them: EINVAL). So an O_PATH open
// never creates, truncates or asks for writing.
constexpr uint64_t kPathOnlyFlags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// And the resolve flags it knows (VALID_RESOLVE_FLAGS).
constexpr uint64_t kValidResolveFlags =
    RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;

// What an open with these flags does to the file: read, write (or both).
inline unsigned wanted_by(uint64_t flags) {
  const unsigned access = flags & O_ACCMODE;
  unsigned wanted = 0;
  // O_ACCMODE itself (3) asks the kernel for read and write permission.
  if (access == O_RDONLY || access == O_RDWR || access == O_ACCMODE || (flags & O_PATH)) wanted |= policy::kPathRead;
  if (access == O_WRONLY || access == O_RDWR || access == O_ACCMODE || (flags & O_TRUNC)) wanted |= policy::kPathWrite;
  return wanted;
}

// openat2's open_how, checked as the kernel's openat2 checks it (fs/open.c:
// do_sys_openat2, build_open_flags), in the same order and before the path
// is looked at: the errno to answer, or 0. Where open() ignores what it does
// not know, openat2 refuses it: unknown flag or resolve bits, O_PATH with
// flags it has no use for, a mode with more than permission bits or without
// a file to create are mistakes (EINVAL), not something to ignore. The
// struct's size first: shorter than ours EINVAL, more than a page E2BIG (a
// longer one must also be zeros past ours, which the caller's memory says).
inline int openat2_size_refusal(uint64_t size) {
  if (size < sizeof(open_how)) return EINVAL;
  if (size > 4096) return E2BIG;  // PAGE_SIZE
  return 0;
}
inline int openat2_refusal(const open_how& how) {
  const uint64_t flags = how.flags;
  if ((flags & ~kValidOpenFlags) || (how.resolve & ~kValidResolveFlags)) return EINVAL;
  if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT)) return EINVAL;
  if (creates(flags) ? (how.mode & ~uint64_t{07777}) != 0 : how.mode != 0) return EINVAL;
  if ((flags & kTmpFileBit) && ((flags & (kTmpFileBit | O_DIRECTORY | O_CREAT)) != (kTmpFileBit | O_DIRECTORY) ||
                                (flags & O_ACCMODE) == O_RDONLY))
    return EINVAL;
  if ((flags & O_PATH) && (flags & ~kPathOnlyFlags)) return EINVAL;
  if ((how.resolve & RESOLVE_CACHED) && (flags & (O_TRUNC | O_CREAT | kTmpFileBit))) return EAGAIN;
  return 0;
}

// How an open with these flags (and openat2's resolve flags) resolves its
// path the slow way. O_CREAT|O_EXCL never follows a last symlink: the name
// is taken (EEXIST), whatever it points to.
inline Walk walk_of(uint64_t flags, uint64_t resolve) {
  Walk how;
  how.follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
  how.directory = flags & O_DIRECTORY;
  how.no_symlinks = resolve & RESOLVE_NO_SYMLINKS;
  how.beneath = resolve & RESOLVE_BENEATH;
  how.in_root = resolve & RESOLVE_IN_ROOT;
  how.no_xdev = resolve & RESOLVE_NO_XDEV;
  return how;
}

// --- descriptors named by path -----------------------------------------------------

// A /proc number as /proc spells it: decimal, no sign, no leading zero, at
// most INT_MAX; -1 for anything else.
inline long proc_number(std::string_view s) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return -1;
  long long value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value <= INT_MAX ? static_cast<long>(value) : -1;
}

// N of a normalised path exactly "/proc/self/fd/N",
// "/proc/thread-self/fd/N" or "/dev/fd/N" (or /dev/stdin, stdout, stderr:
// 0, 1, 2), spelled as /proc spells it (decimal, no sign,
// no leading zero, at most INT_MAX, so never one that wraps to another
// descriptor); -1 for any other path.
inline int proc_fd_number(const std::string& path) {
  // Debian's links to them: /dev/fd -> /proc/self/fd, /dev/stdin -> /proc/self/fd/0, ...
  if (path == "/dev/stdin") return 0;
  if (path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  static constexpr std::string_view kPrefixes[] = {"/proc/self/fd/", "/proc/thread-self/fd/", "/dev/fd/"};
  for (const std::string_view prefix : kPrefixes) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    return static_cast<int>(proc_number(std::string_view(path).substr(prefix.size())));
  }
  return -1;
}

// What a call that names a descriptor by path (/proc/self/fd/N) needs of
// the file it is: what it wants, without create (to create is, on a
// descriptor's path, to open it for writing: an O_CREAT open of the file it
// is); a read at least.
inline unsigned descriptor_wanted(unsigned wanted) {
  const unsigned without_create = wanted & ~unsigned{policy::kPathCreate};
  if (without_create) return without_create;
  return (wanted & policy::kPathCreate) ? unsigned{policy::kPathWrite} : unsigned{policy::kPathRead};
}

// Whether a descriptor with these status flags (F_GETFL) is open for every
// access in `wanted` (kPathRead, kPathWrite): reopened so, it gives nothing
// new. Never an O_PATH one, nor for nothing or for more than read and write.
inline bool open_for(int status_flags, unsigned wanted) {
  if (status_flags < 0 || (status_flags & O_PATH) || wanted == 0 ||
      (wanted & ~unsigned{policy::kPathRead | policy::kPathWrite}))
    return false;
  const int mode = status_flags & O_ACCMODE;
  return (!(wanted & policy::kPathRead) || mode == O_RDONLY || mode == O_RDWR) &&
         (!(wanted & policy::kPathWrite) || mode == O_WRONLY || mode == O_RDWR);
}

// --- paths and the rules ------------------------------------------------------------

// The path of `name` in directory `parent` (both as the kernel gives them).
inline std::string child_of(const std::string& parent, const std::string& name) {
  return (parent == "/" ? "" : parent) + "/" + name;
}

// An absolute, normalised path's parent directory and last name.
inline std::pair<std::string, std::string> split_parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// Where the part of a path up to its last ".." that comes after a name
// ends ("a/b/../c": 4, after "a/b/.."), or npos if there is none: the part
// the kernel would resolve through links before going up (paths.cc,
// resolve_dotdot). ".." at the start, or after only "." and "..", climbs
// from the start itself, which lexical normalisation gets right.
inline size_t last_dotdot_after_name(const std::string& full) {
  size_t last = std::string::npos;
  bool named = false;
  for (size_t start = 0; start <= full.size();) {
    size_t end = full.find('/', start);
    if (end == std::string::npos) end = full.size();
    const std::string_view part(full.data() + start, end - start);
    if (part == ".." && named) last = end;
    else if (!part.empty() && part != "." && part != "..") named = true;
    start = end + 1;
  }
  return last;
}

// Whether the rules show path (absolute, normalised): grant anything on it,
// or lead through it. What the program may learn exists.
inline bool rules_show(const Rules& rules, const std::string& path) {
  return policy::path_allowed(rules, path, policy::kPathRead) ||
         policy::path_allowed(rules, path, policy::kPathWrite) ||
         policy::path_allowed(rules, path, policy::kPathCreate) || policy::path_on_the_way(rules, path);
}

// Whether the rules grant `wanted` on path; metadata (stat, readlink,
// access F_OK) is also readable on the directories leading to granted paths.
inline bool allowed_by(const Rules& rules, const std::string& path, unsigned wanted, bool metadata) {
  return policy::path_allowed(rules, path, wanted) ||
         (metadata && wanted == policy::kPathRead && policy::path_on_the_way(rules, path));
}

// What a refusal answers at `real` (paths.h, refusal_at): EACCES where the
// rules show the path, or where they show the directory a name is to be
// made in; else ENOENT, whether or not anything is there.
inline int refusal_by(const Rules& rules, const std::string& real, bool creates) {
  if (rules_show(rules, real)) return EACCES;
  return creates && rules_show(rules, split_parent(real).first) ? EACCES : ENOENT;
}

// --- modes, owners and names made -----------------------------------------------

// A mode without set-user-ID and set-group-ID: what a file or directory the
// program creates gets (paths.h, creation_mode, says why).
inline uint64_t without_set_id_bits(uint64_t mode) { return mode & ~static_cast<uint64_t>(S_ISUID | S_ISGID); }

// chmod, chown and utimens, on a path or a descriptor (handlers.h,
// do_change): what changes.
struct Change {
  enum Kind { kMode, kOwner, kTimes } kind;
  mode_t mode = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  bool now = true;  // utimens with no times: both now
  timespec times[2] = {};
};
inline Change mode_change(uint64_t mode) {
  Change change{Change::kMode};
  change.mode = static_cast<mode_t>(mode & 07777);
  return change;
}
inline Change owner_change(uint64_t uid, uint64_t gid) {
  Change change{Change::kOwner};
  change.uid = static_cast<uid_t>(uid);
  change.gid = static_cast<gid_t>(gid);
  return change;
}

// Whether `change` would change the mode or owner of a file of status st:
// refused (EPERM) on a name a rule hangs on (paths.h, anchors()); the mode
// or owner it already has is no change (install -d -m, tar x of "./").
inline bool changes_mode_or_owner(const struct stat& st, const Change& change) {
  if (change.kind == Change::kTimes) return false;
  if (change.kind == Change::kMode) return (st.st_mode & 07777) != change.mode;
  return (change.uid != static_cast<uid_t>(-1) && change.uid != st.st_uid) ||
         (change.gid != static_cast<gid_t>(-1) && change.gid != st.st_gid);
}

// Whether a mode change sets set-user-ID or set-group-ID: refused (EPERM),
// a program made setuid in a shared directory would run as this user for
// whoever starts it.
inline bool sets_set_id(const Change& change) {
  return change.kind == Change::kMode && (change.mode & (S_ISUID | S_ISGID)) != 0;
}

// access(): what a mode asks of the rules. F_OK, R_OK and X_OK a read,
// W_OK a write.
inline unsigned access_wanted(uint64_t mode) { return (mode & W_OK) ? policy::kPathWrite : policy::kPathRead; }

// mknod: the type made (a FIFO, or a regular file for type 0), or 0 for a
// type refused (a device, a socket: EPERM).
inline mode_t mknod_type(uint64_t mode) {
  const mode_t type = static_cast<mode_t>(mode) & S_IFMT;
  if (type != S_IFIFO && type != S_IFREG && type != 0) return 0;
  return type == 0 ? S_IFREG : type;
}

// linkat's flags: unknown ones EINVAL; AT_EMPTY_PATH needs
// CAP_DAC_READ_SEARCH natively: ENOENT. 0 to go on.
inline int link_flags_refusal(uint64_t flags) {
  if ((flags & ~static_cast<uint64_t>(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) != 0) return EINVAL;
  if (flags & AT_EMPTY_PATH) return ENOENT;
  return 0;
}

// renameat2's flags, as the kernel checks them before it looks at a path
// (its flags are an unsigned int): unknown ones, and RENAME_EXCHANGE with
// either other, are EINVAL; RENAME_WHITEOUT is EPERM (names.cc says why).
// 0 to go on.
inline int rename_flags_refusal(uint64_t flags) {
  constexpr unsigned kNoReplace = 1U << 0, kExchange = 1U << 1, kWhiteout = 1U << 2;  // RENAME_*, linux/fs.h
  const unsigned how = static_cast<unsigned>(flags);
  if ((how & ~(kNoReplace | kExchange | kWhiteout)) != 0) return EINVAL;
  if ((how & kExchange) && (how & (kNoReplace | kWhiteout))) return EINVAL;
  if (how & kWhiteout) return EPERM;
  return 0;
}

}  // namespace sbx::trusted
