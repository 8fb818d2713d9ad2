// The trusted process's answers to brokered calls. Every call is handled the
// same way:
//   1. copy the path (and any struct) out of the sandboxed process with
//      process_vm_readv, then check that the notification is still valid,
//      so the copy belongs to the call that is waiting (and check again
//      just before writing a result back into its memory);
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
//      process atomically with the reply (SECCOMP_ADDFD_FLAG_SEND).
// A call is never answered by letting it continue: the sandboxed process's
// memory could change after the check.
#include "calls.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <linux/stat.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>
#include <utility>

#include "caller.h"
#include "placeholders.h"
#include "shm.h"
#include "proc_view.h"
#include "resolve.h"

namespace sbx::trusted {

using policy::kPathCreate;
using policy::kPathRead;
using policy::kPathWrite;
using policy::normalize_path;
using policy::path_allowed;

namespace {


Answer fail(int e) { return {e, 0, -1, 0}; }

// The names the rules hang on: a rule's root (DIR of --allow-write DIR, an
// exact rule's file) and the directories on the way to one. The program
// may not remove, rename or replace them, nor change their mode or owner
// (policy::path_anchors_rule): a root replaced by a symlink would grant the
// link's target to the next run with the same options, and a root made
// writable to others would let them do it. Always asked of the path the
// kernel resolved (real_path of the parent, plus the name), never only of
// the lexical one: "DIR/up/NAME", with up a symlink to "..", is DIR itself.
// The answers are those of a mount point, which these paths are to the
// program: EBUSY for unlink, rmdir and rename (either side, RENAME_EXCHANGE
// too); EPERM for a mode or owner change, as for a file one does not own
// (a change to the mode or owner it already has is no change, and is let
// through: install -d -m, tar x of "./"); a symlink may not be made where
// one is missing: EACCES (EEXIST if it is there, as natively).
bool anchors(const std::string& real) { return policy::path_anchors_rule(*g_rules, real); }

// The mode a file or directory the program creates gets: without the
// program's umask, and never set-user-ID or set-group-ID. A program made
// setuid in a shared directory would run as this user for whoever starts
// it; tar and cp ask for the bits they found and go on without them, as a
// careful user would want (chmod to set them is refused, EPERM). The kernel
// ignores both bits in mkdir's mode anyway; a directory still inherits
// set-group-ID from its parent, which only passes the group on (no
// privilege).
uint64_t creation_mode(const seccomp_notif& r, uint64_t mode) { return without_umask(r, mode) & ~static_cast<uint64_t>(S_ISUID | S_ISGID); }

// What an O_PATH open (open, openat) keeps of its flags: the kernel ignores
// the others, as we do (openat2 refuses them: EINVAL). So an O_PATH open
// never creates, truncates or asks for writing.
constexpr uint64_t kPathOnlyFlags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// The open flags the kernel knows (VALID_OPEN_FLAGS, include/linux/fcntl.h).
// open and openat drop any others silently (build_open_how); openat2
// refuses them (EINVAL), and we answer as each does. O_LARGEFILE is
// 0100000 to the kernel, though glibc spells it 0 on 64-bit systems
// (O_SYNC is __O_SYNC|O_DSYNC).
constexpr uint64_t kKernelLargeFile = 0100000;
constexpr uint64_t kValidOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
                                     FASYNC | O_DIRECT | kKernelLargeFile | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |
                                     O_CLOEXEC | O_SYNC | O_PATH | kTmpFileBit;
static_assert(kValidOpenFlags == 037777703, "the kernel's VALID_OPEN_FLAGS on x86-64");
// And the resolve flags it knows (VALID_RESOLVE_FLAGS).
constexpr uint64_t kValidResolveFlags =
    RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;

// The path of `name` in directory `parent` (both as the kernel gives them).
std::string child_of(const std::string& parent, const std::string& name) {
  return (parent == "/" ? "" : parent) + "/" + name;
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// Whether the rules grant `wanted` on path; metadata (stat, readlink,
// access F_OK) is also readable on the directories leading to granted paths.
bool allowed(const std::string& path, unsigned wanted, bool metadata) {
  return path_allowed(*g_rules, path, wanted) ||
         (metadata && wanted == kPathRead && policy::path_on_the_way(*g_rules, path));
}

// What a refusal answers, as the kernel would under a view of the host
// that has only what the rules show (bubblewrap's binds). A path the rules
// do not show looks absent: ENOENT, whether or not anything is there, so
// the answer tells nothing of the host; but making a name in a directory
// they show is refused (EACCES: the directory is there, and refuses it),
// also whether or not the name is there. A path they show that is there is
// refused, EACCES (a write to a file they only let the program read); the
// callers below give the kernel's answer for one that is not (ENOENT).
// `real` is absolute and normalised: as the kernel resolved it, or as the
// program named it.
int refusal_at(const std::string& real, bool creates) {
  if (rules_show(real)) return EACCES;
  return creates && rules_show(split_parent(real).first) ? EACCES : ENOENT;
}

// The same for `name` in our directory descriptor `dir`, whose path is
// real's parent: a name the rules show but refuse is looked up, so a
// missing one answers as natively (ENOENT).
int refusal_in(int dir, const std::string& real, const std::string& name, bool creates) {
  const int refused = refusal_at(real, creates);
  struct stat st;
  if (refused == EACCES && !creates && fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
  return refused;
}

// The same for a path refused by the lexical check (take_path), before
// anything was looked up: a shown one is looked up, there the rules let the
// program see (EACCES if there; else the kernel's answer, ENOENT), and the
// file found is judged where it really is (root's links lead anywhere).
int lexical_refusal(const std::string& path, unsigned wanted, bool follow) {
  const bool creates = wanted & kPathCreate;
  if (creates || !rules_show(path)) return refusal_at(path, creates);
  const int o = open_path(path, follow);
  if (o < 0) return errno;
  const std::string real = real_path(o);
  close(o);
  return refusal_at(real, false);
}

// An O_PATH descriptor of a path that passed the lexical check for
// `wanted`: opened exactly, or (a symlink on the way) resolved name by name
// (resolve.cc) and checked again. -1 with errno set: EACCES if the file
// found is refused where the rules show it, ENOENT where they do not, or if
// the resolution left what the rules show (refusal_at).
int open_checked(const std::string& path, bool follow, unsigned wanted, bool metadata) {
  int o = open_exact(path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
  if (o >= 0 || !slow_way(errno)) return o;
  o = walk_path(path, follow);
  if (o >= 0) {
    if (const std::string real = real_path(o); !allowed(real, wanted, metadata)) {
      close(o);
      errno = refusal_at(real, false);
      return -1;
    }
  }
  return o;
}

// What a path /proc/self/fd/N means to a call (take_path). Inside the
// sandbox there is no /proc, but glibc names descriptors that way itself
// (lchmod and fchmodat(AT_SYMLINK_NOFOLLOW) chmod "/proc/self/fd/N" of an
// O_PATH descriptor; ttyname reads the link), and natively it means the
// caller's descriptor N: the magic link is followed to the file the
// descriptor is, whatever its name now.
enum class ProcFd {
  kPath,     // no such meaning (calls that do not follow a last symlink, and
             // those that create or remove names): a path no rule names
  kChecked,  // the caller's descriptor N, if the rules grant `wanted` on
             // the file it is, as they would for that file's real path
  kAsFstat,  // the caller's descriptor N, as fstat(N) sees it: stat gives
             // no more than the program's own fstat of it, so no more checks
  kLinkText, // readlink: the caller's descriptor N as kChecked; and the
             // program's /proc (proc_view.h) sees the last link itself
};

// How the program's /proc (proc_view.h) takes a path's last name.
Look look_of(ProcFd proc) {
  if (proc == ProcFd::kPath) return Look::kNoFollow;
  return proc == ProcFd::kLinkText ? Look::kReadLink : Look::kFollow;
}

// N of a normalised path exactly "/proc/self/fd/N",
// "/proc/thread-self/fd/N" or "/dev/fd/N" (or /dev/stdin, stdout, stderr:
// 0, 1, 2), spelled as /proc spells it (decimal, no sign,
// no leading zero, at most INT_MAX, so never one that wraps to another
// descriptor); -1 for any other path.
int proc_fd_number(const std::string& path) {
  // Debian's links to them: /dev/fd -> /proc/self/fd, /dev/stdin -> /proc/self/fd/0, ...
  if (path == "/dev/stdin") return 0;
  if (path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  static constexpr std::string_view kPrefixes[] = {"/proc/self/fd/", "/proc/thread-self/fd/", "/dev/fd/"};
  for (const std::string_view prefix : kPrefixes) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string_view n = std::string_view(path).substr(prefix.size());
    if (n.empty() || n.size() > 10 || (n.size() > 1 && n[0] == '0')) return -1;
    long long value = 0;
    for (const char c : n) {
      if (c < '0' || c > '9') return -1;
      value = value * 10 + (c - '0');
    }
    return value <= INT_MAX ? static_cast<int>(value) : -1;
  }
  return -1;
}

// Whether fd (a copy of the caller's) is open for every access in `wanted`
// (kPathRead, kPathWrite): reopened so, it gives nothing new.
bool held_for(int fd, unsigned wanted) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_PATH) || wanted == 0 || (wanted & ~(kPathRead | kPathWrite))) return false;
  const int mode = flags & O_ACCMODE;
  return (!(wanted & kPathRead) || mode == O_RDONLY || mode == O_RDWR) &&
         (!(wanted & kPathWrite) || mode == O_WRONLY || mode == O_RDWR);
}

// The kernel takes ".." after a symlink from the link's target (a/to-c/..
// is the parent of what to-c leads to), and fails at a name that is not
// there (missing/.. is ENOENT); a lexical normalisation takes it from the
// name. So for a path with ".." after a name, the part up to its last ".."
// is resolved name by name (resolve.cc, under the rules: what it leaves
// them for answers as they say), and the rest normalised on the directory
// found; *path is replaced. Not for the program's own /proc (proc_view.h),
// whose names are not the host's. Returns 0 or the errno to answer.
int resolve_dotdot(const std::string& full, std::string* path) {
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
  if (last == std::string::npos) return 0;
  const std::string prefix = full.substr(0, last);
  const std::string lexical = normalize_path("/", prefix);
  if (lexical == "/proc" || lexical.rfind("/proc/", 0) == 0 || path->rfind("/proc/", 0) == 0) return 0;
  Walk how;
  how.directory = true;
  Found found = resolve(-1, "/", prefix, how);
  if (found.fd() < 0) return found.error();
  const std::string real = real_path(found.fd());
  if (!is_file_path(real)) return ENOENT;
  const std::string rest = last + 1 < full.size() ? full.substr(last + 1) : "";
  *path = rest.empty() ? real : normalize_path(real, rest);
  return path->empty() ? ENAMETOOLONG : 0;
}

// Reads the path argument, normalises it and checks `wanted` lexically.
// With `proc` other than kPath, a normalised /proc/self/fd/N (and
// /proc/thread-self/fd/N) is the caller's descriptor N instead: taken as
// any descriptor-based call takes it (base_fd: from the calling thread's
// table, a placeholder turned back into its symlink), returned in
// *descriptor (ours, to close), with *path the file's real path, on which
// the rules are checked exactly as for that path (kChecked; a descriptor
// names a file that exists, so nothing is created: a read at least). Why
// this gives nothing the rules do not:
// - "/proc/self" is the caller's, never ours: the caller's string is never
//   resolved by our /proc, and base_fd reaches only descriptors in the
//   caller's own table. The listener is in none of them (the first stage
//   closes its copy before the program starts); were it there, its path is
//   "anon_inode:seccomp notify", no file, which kChecked refuses (and a
//   stat of it shows an anonymous inode, nothing of ours).
// - Every use is then decided on the file's real path, as opening that
//   path would be: a reopen needs the rules' permission for its flags
//   (open_found checks again), a change needs write (change_metadata). A
//   descriptor the program inherited of a file outside the rules, or a
//   pipe, is refused (EACCES), though the descriptor itself stays usable.
// - A descriptor not open answers ENOENT, as /proc would; a name that is
//   not exactly this form stays a path, and no rule names /proc (were one
//   to, the kernel refuses the magic link: RESOLVE_NO_MAGICLINKS).
// The rest of the program's /proc (proc_view.h) comes first: a path
// through /proc/self/root, /proc/self/cwd or /proc/self/fd/N/ is rewritten
// to the path it stands for and checked like any; /proc/self/exe followed
// is its file, held to the rules on its real path (metadata too) as
// kChecked holds a descriptor's; an entry of the view, or one of its links
// itself, goes to the caller in *view if it takes one, and is never
// written, made or removed (EACCES: it is there). Any other path the rules
// refuse answers as lexical_refusal says.
bool take_path(const seccomp_notif& r, int64_t dirfd, uint64_t address, unsigned wanted, std::string* path, Answer* refusal,
               bool metadata = false, ProcFd proc = ProcFd::kPath, int* descriptor = nullptr, ProcView* view = nullptr) {
  std::string raw, base;
  if (!read_string(r.pid, address, &raw)) return (*refusal = fail(EFAULT)), false;
  if (!still_valid(r)) return (*refusal = fail(EINTR)), false;
  if (raw.empty()) return (*refusal = fail(ENOENT)), false;
  if (raw[0] != '/' && !base_of(r, dirfd, &base)) return (*refusal = fail(errno)), false;
  *path = normalize_path(raw[0] == '/' ? "/" : base, raw);
  if (path->empty()) return (*refusal = fail(ENAMETOOLONG)), false;
  if (const int error = resolve_dotdot(raw[0] == '/' ? raw : base + "/" + raw, path); error != 0)
    return (*refusal = fail(error)), false;
  ProcView seen = proc_view(r, path, look_of(proc));
  if (seen.kind == ProcView::kRefused) return (*refusal = fail(seen.error)), false;
  if (seen.kind == ProcView::kEntry || seen.kind == ProcView::kLink) {
    if (view == nullptr || (wanted & (kPathWrite | kPathCreate))) return (*refusal = fail(EACCES)), false;
    *view = std::move(seen);
    return true;
  }
  const bool exe = seen.kind == ProcView::kFile;
  if (exe && descriptor == nullptr) return (*refusal = fail(EACCES)), false;
  if (const int n = exe || proc == ProcFd::kPath ? -1 : proc_fd_number(*path); exe || n >= 0) {
    const int fd = exe ? seen.take() : base_fd(r, n);
    if (fd < 0) return (*refusal = fail(ENOENT)), false;
    *path = real_path(fd);
    // (To create is, on a descriptor's path, to open it for writing: an
    // O_CREAT open of the file it is.)
    const unsigned needed = (wanted & ~kPathCreate) ? (wanted & ~kPathCreate) : (wanted & kPathCreate) ? kPathWrite : kPathRead;
    // readlink of a descriptor that is no file (a pipe, a socket), or an
    // entry of the program's own /proc: the kernel's text, which names
    // nothing of the host ("pipe:[N]", "/proc/PID/fd": proc_view.h).
    bool text_only = false;
    if (proc == ProcFd::kLinkText && !exe) {
      if (!is_file_path(*path)) {
        text_only = true;
      } else if (std::string own = own_proc_name(r, *path); !own.empty()) {
        *path = std::move(own);
        text_only = true;
      }
    }
    // A pipe or a file it holds open for what it asks now may be opened
    // again (bash's <(...) is /dev/fd/63; `echo > /dev/stderr`): nothing it
    // could not do with the descriptor it has. Not the other way: the read
    // end of a pipe it writes to would take what is meant for another
    // reader (found by an attacker review).
    if (!text_only && !exe && proc == ProcFd::kChecked && held_for(fd, needed)) {
      *descriptor = fd;
      return true;
    }
    if (!text_only && (exe || proc != ProcFd::kAsFstat) && (!is_file_path(*path) || !allowed(*path, needed, metadata))) {
      close(fd);
      return (*refusal = fail(EACCES)), false;
    }
    *descriptor = fd;
    return true;
  }
  if (!allowed(*path, wanted, metadata))
    return (*refusal = fail(lexical_refusal(*path, wanted, look_of(proc) == Look::kFollow))), false;
  return true;
}

// What an open with these flags does to the file: read, write (or both).
unsigned wanted_by(uint64_t flags) {
  const unsigned acc = flags & O_ACCMODE;
  unsigned wanted = 0;
  // O_ACCMODE itself (3) asks the kernel for read and write permission.
  if (acc == O_RDONLY || acc == O_RDWR || acc == O_ACCMODE || (flags & O_PATH)) wanted |= kPathRead;
  if (acc == O_WRONLY || acc == O_RDWR || acc == O_ACCMODE || (flags & O_TRUNC)) wanted |= kPathWrite;
  return wanted;
}

// An O_PATH descriptor cannot be handed over: SECCOMP_IOCTL_NOTIF_ADDFD
// takes its source with fget() (kernel/seccomp.c), which refuses O_PATH
// files (fs/file.c: __fget(fd, FMODE_PATH)), and no other way installs a
// descriptor in the program. So the program gets the file it named opened
// for reading, which the rules already granted (an O_PATH open is checked
// as a read; the descriptor is never writable, whatever the flags said): a
// directory O_RDONLY|O_DIRECTORY, a regular file O_RDONLY. What it can tell:
// F_GETFL says O_RDONLY, read() works, and the open needs read permission
// on the file itself (an O_PATH open needs none): EACCES without it. Every
// use of an O_PATH descriptor (a base for *at calls, fstat, fchdir) works
// as well on these. A symlink itself (O_PATH|O_NOFOLLOW) can only be opened
// O_PATH: the program gets a placeholder we know, and every call we answer
// on it acts on our O_PATH descriptor of the link (placeholders.h). A FIFO,
// socket or device would be opened for real, with effects an O_PATH open
// does not have (a FIFO's reader, a tape's rewind): these answer
// EOPNOTSUPP. `o` is closed here (or kept by the placeholder table).
int without_o_path(int o) {
  struct stat st;
  int fd = -1;
  if (fstat(o, &st) != 0) {
  } else if (S_ISREG(st.st_mode)) {
    fd = open(fd_path(o).c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
  } else if (S_ISDIR(st.st_mode)) {
    fd = open(fd_path(o).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } else if (S_ISLNK(st.st_mode)) {
    return placeholder_for(o);
  } else {
    errno = EOPNOTSUPP;
  }
  const int err = errno;
  close(o);
  errno = err;
  return fd;
}

// After an open that may have created a regular file: no set-user-ID or
// set-group-ID bit on it. We never ask for them (creation_mode), and Linux
// never adds them to a new regular file, but a filesystem might (a
// set-group-ID directory on one that passes the bit on to files): so the
// bits found on a file of ours that the rules let the program write are
// taken off, as the kernel would at its first write. If that fails the file
// is not handed over. -1 with errno set, or fd.
int without_set_id(int fd, uint64_t flags) {
  struct stat st;
  // Our user id from the auxiliary vector: geteuid is no call of ours
  // (builtin:trusted-process).
  const uid_t we = static_cast<uid_t>(getauxval(AT_EUID));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & (S_ISUID | S_ISGID)) || st.st_uid != we) return fd;
  // An O_TMPFILE file is new and has no name yet ("/DIR/#N (deleted)").
  if (!(flags & kTmpFileBit) && !path_allowed(*g_rules, real_path(fd), kPathWrite)) return fd;
  if (chmod(fd_path(fd).c_str(), st.st_mode & 07777 & ~static_cast<mode_t>(S_ISUID | S_ISGID)) == 0) return fd;
  const int err = errno;
  close(fd);
  errno = err;
  return -1;
}

Answer opened(int fd, uint64_t flags) {
  if (fd >= 0 && (flags & O_PATH)) fd = without_o_path(fd);
  if (fd >= 0 && creates(flags)) fd = without_set_id(fd, flags);
  return fd < 0 ? fail(errno) : Answer{0, 0, fd, (flags & O_CLOEXEC) ? unsigned{O_CLOEXEC} : 0U};
}

// The file to open was resolved to O_PATH descriptor `o` (closed
// here): refused if it had to be new, or if the rules refuse it where it
// really is; else reopened with the caller's flags (and mode: O_TMPFILE
// makes a file in the directory found).
Answer open_found(int o, uint64_t flags, uint64_t mode) {
  const unsigned wanted = wanted_by(flags);
  const std::string real = real_path(o);
  Answer answer;
  if ((flags & O_CREAT) && (flags & O_EXCL))
    answer = fail(rules_show(real) ? EEXIST : ENOENT);  // natively EEXIST first; but only of what the rules show
  else if (!path_allowed(*g_rules, real, wanted ? wanted : kPathRead))
    answer = fail(refusal_at(real, false));
  else
    answer = opened(open(fd_path(o).c_str(), static_cast<int>(flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC,
                         static_cast<mode_t>(mode)),
                    flags);
  close(o);
  return answer;
}

// A file to create, `name` in the directory resolved to O_PATH descriptor
// `parent` (closed here; -1 with errno set if it failed): checked where the
// parent really is.
Answer create_in(int parent, const std::string& name, uint64_t flags, uint64_t mode) {
  if (parent < 0) return fail(errno);
  Answer answer;
  if (const std::string real = child_of(real_path(parent), name); !path_allowed(*g_rules, real, kPathCreate | wanted_by(flags)))
    answer = fail(refusal_at(real, true));
  else
    answer = opened(openat(parent, name.c_str(), static_cast<int>(flags) | O_NOFOLLOW | O_CLOEXEC,
                           static_cast<mode_t>(mode)),
                    flags);
  close(parent);
  return answer;
}

// How an open with these flags (and openat2's resolve flags) resolves its
// path the slow way. O_CREAT|O_EXCL never follows a last symlink: the name
// is taken (EEXIST), whatever it points to.
Walk walk_of(uint64_t flags, uint64_t resolve) {
  Walk how;
  how.follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
  how.directory = flags & O_DIRECTORY;
  how.no_symlinks = resolve & RESOLVE_NO_SYMLINKS;
  how.beneath = resolve & RESOLVE_BENEATH;
  how.in_root = resolve & RESOLVE_IN_ROOT;
  how.no_xdev = resolve & RESOLVE_NO_XDEV;
  return how;
}

// An open resolved the slow way: the file found is checked where it really
// is and reopened (open_found); a missing last name, with O_CREAT, is made
// in the directory it would be in (create_in: a dangling link's target, as
// natively); anything else answers resolve's errno (EACCES wherever the
// resolution left what the rules show).
Answer open_resolved(Found found, uint64_t flags, uint64_t mode) {
  if (found.fd() >= 0) return open_found(found.take(), flags, mode);
  if (found.error() == ENOENT && (flags & O_CREAT) && found.has_parent())
    return create_in(found.take_parent(), found.name(), flags, mode);
  return fail(found.error());
}

Answer do_open(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t flags, uint64_t mode) {
  if (flags & O_PATH) flags &= kPathOnlyFlags;
  mode = creates(flags) ? creation_mode(r, mode) : 0;
  const unsigned wanted = wanted_by(flags);
  std::string path;
  Answer refusal;
  // A path we may not read or write at all is refused before we look.
  const unsigned lexical = (flags & O_CREAT) ? kPathCreate : wanted;
  // /proc/self/fd/N reopens the caller's descriptor N: the file it is,
  // checked for these flags where it really is (open_found). O_NOFOLLOW
  // would open the magic link itself, which is nothing we can give.
  int descriptor = -1;
  ProcView view;
  if (!take_path(r, dirfd, path_address, lexical ? lexical : kPathRead, &path, &refusal, false,
                 (flags & O_NOFOLLOW) ? ProcFd::kPath : ProcFd::kChecked, &descriptor, &view))
    return refusal;
  if (view.kind != ProcView::kNone) {
    const int fd = open_view(&view, flags);
    return fd < 0 ? fail(errno) : Answer{0, 0, fd, (flags & O_CLOEXEC) ? unsigned{O_CLOEXEC} : 0U};
  }
  if (descriptor >= 0 && held_for(descriptor, wanted ? wanted & ~kPathCreate : kPathRead)) {
    const int fd = open(fd_path(descriptor).c_str(), static_cast<int>(flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)) | O_CLOEXEC);
    close(descriptor);
    return opened(fd, flags & ~static_cast<uint64_t>(O_PATH));
  }
  if (descriptor >= 0) return open_found(descriptor, flags, mode);
  const unsigned everything = wanted | ((flags & O_CREAT) ? unsigned{kPathCreate} : 0U);
  if (everything != 0 && path_allowed(*g_rules, path, everything)) {
    const int fd = open_exact(path, flags, mode);
    if (fd >= 0 || !slow_way(errno)) return opened(fd, flags);
  }
  return open_resolved(resolve(-1, "/", path, walk_of(flags, 0)), flags, mode);
}

// openat2 with resolve flags (RESOLVE_BENEATH, RESOLVE_IN_ROOT, ...): the
// path is resolved the caller's way, from the caller's directory (its own
// descriptor, or its working directory), by resolve() with those flags; the
// file found is checked against the rules, then reopened with the real
// flags. A file to create is checked in the directory it would be in. No
// lexical check first: the names are the caller's, each looked up only
// where the rules show (resolve.cc), so a directory outside the rules (the
// one it was started in) gives nothing, even beneath itself.
Answer do_open_resolved(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, const open_how& caller) {
  std::string raw;
  if (!read_string(r.pid, path_address, &raw)) return fail(EFAULT);
  if (!still_valid(r)) return fail(EINTR);
  if (raw.empty()) return fail(ENOENT);
  const uint64_t flags = caller.flags;
  const uint64_t mode = creates(flags) ? creation_mode(r, caller.mode) : 0;
  const Walk how = walk_of(flags, caller.resolve);
  // The caller's directory, unless an absolute path ignores it.
  int base = -1;
  std::string base_path = "/";
  if (raw[0] != '/' || how.beneath || how.in_root) {
    base = base_fd(r, dirfd);
    if (base < 0) return fail(EBADF);
    struct stat st;
    if (fstat(base, &st) != 0 || !S_ISDIR(st.st_mode)) {
      close(base);
      return fail(ENOTDIR);
    }
    base_path = real_path(base);
  }
  Found found = resolve(base, base_path, raw, how);
  if (base >= 0) close(base);
  return open_resolved(std::move(found), flags, mode);
}

// openat2: its open_how checked as the kernel's openat2 checks it
// (fs/open.c: do_sys_openat2, build_open_flags), in the same order and
// before the path is looked at. Where open() ignores what it does not know,
// openat2 refuses it: unknown flag or resolve bits, O_PATH with flags it
// has no use for, a mode with more than permission bits or without a file
// to create are mistakes (EINVAL), not something to ignore. A struct longer
// than ours (a later version) must be zeros past it (E2BIG).
Answer do_openat2(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t how_address, uint64_t size) {
  open_how how{};
  if (size < sizeof(how)) return fail(EINVAL);
  if (size > 4096) return fail(E2BIG);  // PAGE_SIZE
  if (!read_memory(r.pid, how_address, &how, sizeof(how))) return fail(EFAULT);
  if (size > sizeof(how)) {
    char rest[4096 - sizeof(open_how)];
    const size_t more = size - sizeof(how);
    if (!read_memory(r.pid, how_address + sizeof(how), rest, more)) return fail(EFAULT);
    for (size_t i = 0; i < more; ++i)
      if (rest[i] != 0) return fail(E2BIG);
  }
  const uint64_t flags = how.flags;
  if ((flags & ~kValidOpenFlags) || (how.resolve & ~kValidResolveFlags)) return fail(EINVAL);
  if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT)) return fail(EINVAL);
  if (creates(flags) ? (how.mode & ~uint64_t{07777}) != 0 : how.mode != 0) return fail(EINVAL);
  if ((flags & kTmpFileBit) &&
      ((flags & (kTmpFileBit | O_DIRECTORY | O_CREAT)) != (kTmpFileBit | O_DIRECTORY) || (flags & O_ACCMODE) == O_RDONLY))
    return fail(EINVAL);
  if ((flags & O_PATH) && (flags & ~kPathOnlyFlags)) return fail(EINVAL);
  if ((how.resolve & RESOLVE_CACHED) && (flags & (O_TRUNC | O_CREAT | kTmpFileBit))) return fail(EAGAIN);
  if (how.resolve != 0) return do_open_resolved(r, dirfd, path_address, how);
  return do_open(r, dirfd, path_address, flags, how.mode);
}

// stat, lstat, newfstatat, statx: the result is written into the caller's buffer.
Answer do_stat(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t flags, uint64_t buf, bool is_statx,
               uint64_t statx_mask) {
  int o = -1;
  std::string raw;
  if ((flags & AT_EMPTY_PATH) && (path_address == 0 || (read_string(r.pid, path_address, &raw) && raw.empty()))) {
    // fstat: glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH), and the
    // loader makes it before any handler of the shim exists. The caller
    // holds the descriptor already; we stat our copy of it. AT_FDCWD names
    // our descriptor of its working directory, which it does not hold: that
    // one is shown only if the rules show it (it starts where sbx run was
    // started, which no rule need name).
    o = base_fd(r, dirfd);
    if (o >= 0 && static_cast<int>(dirfd) == AT_FDCWD && !allowed(real_path(o), kPathRead, true)) {
      close(o);
      return fail(EACCES);
    }
  } else {
    std::string path;
    Answer refusal;
    const bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
    ProcView view;
    if (!take_path(r, dirfd, path_address, kPathRead, &path, &refusal, true, follow ? ProcFd::kAsFstat : ProcFd::kPath, &o,
                   &view))
      return refusal;
    if (view.kind != ProcView::kNone) o = view.take();  // an entry of the program's /proc, or a link of it
    if (o < 0) o = open_checked(path, follow, kPathRead, true);
  }
  if (o < 0) return fail(errno);
  bool ok;
  if (is_statx) {
    struct statx sx;
    ok = statx(o, "", AT_EMPTY_PATH, static_cast<unsigned>(statx_mask), &sx) == 0 &&
         write_to_caller(r, buf, &sx, sizeof(sx));
  } else {
    struct stat st;
    ok = fstatat(o, "", &st, AT_EMPTY_PATH) == 0 && write_to_caller(r, buf, &st, sizeof(st));
  }
  const int err = errno;
  close(o);
  return ok ? Answer{} : fail(err ? err : EFAULT);
}

Answer do_access(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t mode, uint64_t flags) {
  const unsigned wanted = (mode & W_OK) ? kPathWrite : kPathRead;
  std::string path;
  Answer refusal;
  const bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
  int o = -1;
  ProcView view;
  if (!take_path(r, dirfd, path_address, wanted, &path, &refusal, mode == F_OK, follow ? ProcFd::kChecked : ProcFd::kPath, &o,
                 &view))
    return refusal;
  if (view.kind != ProcView::kNone) o = view.take();  // never for writing (take_path)
  if (o < 0) o = open_checked(path, follow, wanted, mode == F_OK);
  if (o < 0) return fail(errno);
  const int rc = faccessat(AT_FDCWD, fd_path(o).c_str(), static_cast<int>(mode), 0);
  const int err = errno;
  close(o);
  return rc == 0 ? Answer{} : fail(err);
}

// readlink, readlinkat. With an empty path, the descriptor's own link, as
// Linux reads it for an O_PATH descriptor of a symlink (ENOENT for anything
// else): the link's path must show in the rules, as for readlink by path.
Answer do_readlink(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t buf, uint64_t size) {
  if (static_cast<int>(size) <= 0) return fail(EINVAL);  // the kernel's bufsiz is an int
  std::string raw;
  int o = -1;
  if (!read_string(r.pid, path_address, &raw)) return fail(EFAULT);
  if (raw.empty()) {
    o = base_fd(r, dirfd);
    if (o < 0) return fail(errno);
    const std::string real = real_path(o);
    if (!is_file_path(real) || !allowed(real, kPathRead, true)) {
      close(o);
      return fail(EACCES);
    }
  } else {
    std::string path;
    Answer refusal;
    ProcView view;
    if (!take_path(r, dirfd, path_address, kPathRead, &path, &refusal, true, ProcFd::kLinkText, &o, &view)) return refusal;
    // The program's /proc: a link's text (/proc/self/cwd, exe, root...);
    // an entry is no link.
    if (view.kind == ProcView::kEntry) return fail(EINVAL);
    if (view.kind == ProcView::kLink) path = view.text;
    // /proc/self/fd/N: the link's text is the path of the file the
    // descriptor is (checked: the rules show it), as natively.
    if (o >= 0 || view.kind == ProcView::kLink) {
      if (o >= 0) close(o);
      const size_t copy = path.size() < size ? path.size() : size;
      if (!write_to_caller(r, buf, path.data(), copy)) return fail(EFAULT);
      return {0, static_cast<int64_t>(copy), -1, 0};
    }
    // With O_PATH|O_NOFOLLOW, RESOLVE_NO_SYMLINKS still opens a symlink that
    // is the last component: the link itself, at exactly the checked path.
    o = open_checked(path, false, kPathRead, true);
  }
  if (o < 0) return fail(errno);
  // A file that is no symlink, by path: EINVAL, as natively (realpath and
  // readlink -f ask every name). Of a descriptor (an empty path): ENOENT.
  struct stat st;
  if (!raw.empty() && fstat(o, &st) == 0 && !S_ISLNK(st.st_mode)) {
    close(o);
    return fail(EINVAL);
  }
  char target[PATH_MAX];
  const ssize_t n = readlinkat(o, "", target, sizeof(target));
  const int err = errno;
  close(o);
  if (n < 0) return fail(err);
  const size_t copy = static_cast<size_t>(n) < size ? static_cast<size_t>(n) : size;
  if (!write_to_caller(r, buf, target, copy)) return fail(EFAULT);
  return {0, static_cast<int64_t>(copy), -1, 0};
}

// What a call in a parent directory does to a name that anchors a rule
// (see anchors()): nothing to it (mkdir: a directory where one is missing
// is what the rule meant), removes it (EBUSY), or puts a symlink there.
enum class AtAnchor { kLet, kRemove, kLink };

// mkdir, unlink, rmdir, symlink: in a parent directory resolved and checked
// for real.
Answer do_in_parent(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, unsigned wanted,
                    int (*act)(int parent, const char* name, uint64_t extra), uint64_t extra,
                    AtAnchor at_anchor = AtAnchor::kLet) {
  std::string path;
  Answer refusal;
  if (!take_path(r, dirfd, path_address, wanted, &path, &refusal)) return refusal;
  const auto [parent, name] = split_parent(path);
  if (name.empty()) return fail(EINVAL);
  const int p = open_path(parent, true, true);
  if (p < 0) return fail(errno);
  const std::string real = child_of(real_path(p), name);
  int refused = 0;
  struct stat st;
  if (!path_allowed(*g_rules, real, wanted))
    refused = refusal_in(p, real, name, wanted & kPathCreate);
  else if (at_anchor == AtAnchor::kRemove && anchors(real))
    refused = EBUSY;
  else if (at_anchor == AtAnchor::kLink && anchors(real))
    refused = fstatat(p, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? EEXIST : EACCES;
  if (refused != 0) {
    close(p);
    return fail(refused);
  }
  const int rc = act(p, name.c_str(), extra);
  const int err = errno;
  close(p);
  return rc == 0 ? Answer{} : fail(err);
}

// mkdir. `mkdir -p` climbs from / and takes EEXIST as "go on": natively an
// existing path answers EEXIST before any permission check. So a refused
// mkdir of a path that exists and whose metadata the rules show (readable,
// or a directory on the way to a rule) answers EEXIST, as it would natively;
// anything else stays refused.
Answer do_mkdir(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t mode) {
  const Answer answer = do_in_parent(
      r, dirfd, path_address, kPathCreate,
      [](int p, const char* n, uint64_t m) { return mkdirat(p, n, static_cast<mode_t>(m)); }, creation_mode(r, mode));
  if (answer.error != EACCES) return answer;
  std::string path;
  Answer refusal;
  if (!take_path(r, dirfd, path_address, kPathRead, &path, &refusal, true)) return answer;
  const int o = open_checked(path, false, kPathRead, true);
  if (o < 0) return answer;
  close(o);
  return fail(EEXIST);
}

// symlink: created where the rules let the program create. Its target is
// only text: whatever it points at, a later open through it is resolved and
// checked like any other path.
Answer do_symlink(const seccomp_notif& r, uint64_t target_address, int64_t dirfd, uint64_t path_address) {
  std::string target;
  if (!read_string(r.pid, target_address, &target)) return fail(EFAULT);
  if (target.empty()) return fail(ENOENT);
  return do_in_parent(
      r, dirfd, path_address, kPathCreate,
      [](int p, const char* n, uint64_t t) { return symlinkat(reinterpret_cast<const std::string*>(t)->c_str(), p, n); },
      reinterpret_cast<uint64_t>(&target), AtAnchor::kLink);
}

// truncate by path: a file the rules let the program write (through a
// descriptor we open for writing, so the kernel's own checks apply too).
Answer do_truncate(const seccomp_notif& r, uint64_t path_address, uint64_t length) {
  if (static_cast<int64_t>(length) < 0) return fail(EINVAL);
  std::string path;
  Answer refusal;
  if (!take_path(r, AT_FDCWD, path_address, kPathWrite, &path, &refusal)) return refusal;
  const int o = open_checked(path, true, kPathWrite, false);
  if (o < 0) return fail(errno);
  struct stat st;
  int error = 0;
  if (fstat(o, &st) != 0) error = errno;
  else if (S_ISDIR(st.st_mode)) error = EISDIR;
  else if (!S_ISREG(st.st_mode)) error = EINVAL;
  else if (!path_allowed(*g_rules, real_path(o), kPathWrite)) error = EACCES;
  const int fd = error != 0 ? -1 : open(fd_path(o).c_str(), O_WRONLY | O_CLOEXEC);
  if (error == 0 && fd < 0) error = errno;
  close(o);
  if (fd >= 0) {
    if (ftruncate(fd, static_cast<off_t>(length)) != 0) error = errno;
    close(fd);
  }
  return error == 0 ? Answer{} : fail(error);
}

// mknod and mknodat: a FIFO (a shell's mkfifo) or an empty regular file,
// made where the rules let the program create, with its umask. No device
// and no socket: EPERM, as for an unprivileged process (a device) or a
// program that has no business binding names (a socket).
Answer do_mknod(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t mode, uint64_t dev) {
  const mode_t type = static_cast<mode_t>(mode) & S_IFMT;
  if (type != S_IFIFO && type != S_IFREG && type != 0) return fail(EPERM);
  const uint64_t made = (type == 0 ? S_IFREG : type) | creation_mode(r, mode & 07777);
  (void)dev;  // ignored for a FIFO or a file, as natively
  return do_in_parent(
      r, dirfd, path_address, kPathCreate,
      [](int p, const char* n, uint64_t m) { return mknodat(p, n, static_cast<mode_t>(m), 0); }, made, AtAnchor::kLink);
}

// link and linkat: a new name for a file the rules let the program write
// (a hard link is another way to write it: read-only by the rules must stay
// so), made where they let it create. The file linked is the one we opened
// and checked (through /proc/self/fd with AT_SYMLINK_FOLLOW, which links
// what the descriptor is: the symlink itself when the call does not follow
// one). The kernel's own checks (protected_hardlinks, the same filesystem)
// still apply. AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH natively: ENOENT.
Answer do_link(const seccomp_notif& r, int64_t olddir, uint64_t oldpath, int64_t newdir, uint64_t newpath, uint64_t flags) {
  if ((flags & ~static_cast<uint64_t>(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) != 0) return fail(EINVAL);
  if (flags & AT_EMPTY_PATH) return fail(ENOENT);
  std::string from;
  Answer refusal;
  if (!take_path(r, olddir, oldpath, kPathWrite, &from, &refusal)) return refusal;
  const int o = open_checked(from, (flags & AT_SYMLINK_FOLLOW) != 0, kPathWrite, false);
  if (o < 0) return fail(errno);
  struct stat st;
  if (fstat(o, &st) == 0 && S_ISDIR(st.st_mode)) return close(o), fail(EPERM);
  const std::string real_from = real_path(o);
  if (!is_file_path(real_from) || !path_allowed(*g_rules, real_from, kPathWrite)) return close(o), fail(EACCES);
  const std::string source = fd_path(o);
  const Answer answer = do_in_parent(
      r, newdir, newpath, kPathCreate,
      [](int p, const char* n, uint64_t from_fd) {
        return linkat(AT_FDCWD, reinterpret_cast<const std::string*>(from_fd)->c_str(), p, n, AT_SYMLINK_FOLLOW);
      },
      reinterpret_cast<uint64_t>(&source), AtAnchor::kLink);
  close(o);
  return answer;
}

// chmod, chown and utimens, on a path or a descriptor. The file must be one
// the rules let the program write: a descriptor it holds may have been
// opened for reading only, and these calls do not ask for a writable one.
// The change is made on our own descriptor of the file (the path's, checked
// like any other, or the caller's, taken over with pidfd_getfd), so it
// lands on the file checked. Setting the set-user-ID or set-group-ID bit is
// refused (EPERM): a program made setuid in a shared directory would run as
// this user for whoever starts it.
struct Change {
  enum Kind { kMode, kOwner, kTimes } kind;
  mode_t mode = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  bool now = true;  // utimens with no times: both now
  timespec times[2] = {};
};

// Whether c would change the mode or owner of file o (or we cannot tell).
bool changes_mode_or_owner(int o, const Change& c) {
  struct stat st;
  if (c.kind == Change::kTimes) return false;
  if (fstat(o, &st) != 0) return true;
  if (c.kind == Change::kMode) return (st.st_mode & 07777) != c.mode;
  return (c.uid != static_cast<uid_t>(-1) && c.uid != st.st_uid) || (c.gid != static_cast<gid_t>(-1) && c.gid != st.st_gid);
}

Answer change_metadata(const seccomp_notif& r, int o, const Change& c) {
  if (o < 0) return fail(errno);
  const std::string path = real_path(o);
  int rc = -1;
  if (!is_file_path(path) || !path_allowed(*g_rules, path, kPathWrite)) {
    errno = EACCES;
  } else if (anchors(path) && changes_mode_or_owner(o, c)) {
    errno = EPERM;  // a rule's root, or on the way to one (by path or by descriptor): see anchors()
  } else if (!still_valid(r)) {
    errno = EINTR;
  } else if (c.kind == Change::kMode) {
    // chmod follows /proc/self/fd/N to the file: O_PATH descriptors too.
    rc = (c.mode & (S_ISUID | S_ISGID)) ? (errno = EPERM, -1) : chmod(fd_path(o).c_str(), c.mode);
  } else if (c.kind == Change::kOwner) {
    rc = fchownat(o, "", c.uid, c.gid, AT_EMPTY_PATH);
  } else {
    // On the file o is, a symlink itself too (lutimes, or an O_PATH
    // descriptor of one): AT_EMPTY_PATH never follows.
    rc = utimensat(o, "", c.now ? nullptr : c.times, AT_EMPTY_PATH);
  }
  const int err = errno;
  close(o);
  return rc == 0 ? Answer{} : fail(err);
}

// The file a metadata call names: a path (from dirfd, following a final
// symlink unless nofollow), or, with an empty path and AT_EMPTY_PATH (or no
// path at all, for fchmod/fchown/futimens), the descriptor itself.
Answer do_change(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, bool nofollow, bool empty_path_ok,
                 const Change& c) {
  if (path_address == 0 && c.kind == Change::kTimes) empty_path_ok = true;  // futimens(fd): utimensat(fd, NULL)
  if (path_address == 0 || empty_path_ok) {
    std::string raw;
    if (path_address != 0 && !read_string(r.pid, path_address, &raw)) return fail(EFAULT);
    if (raw.empty()) {
      if (!empty_path_ok) return fail(ENOENT);
      if (static_cast<int>(dirfd) < 0) return fail(EBADF);
      return change_metadata(r, base_fd(r, dirfd), c);
    }
  }
  std::string path;
  Answer refusal;
  int o = -1;
  if (!take_path(r, dirfd, path_address, kPathWrite, &path, &refusal, false, nofollow ? ProcFd::kPath : ProcFd::kChecked, &o))
    return refusal;
  return change_metadata(r, o >= 0 ? o : open_checked(path, !nofollow, kPathWrite, false), c);
}

Change mode_change(uint64_t mode) {
  Change c{Change::kMode};
  c.mode = static_cast<mode_t>(mode & 07777);
  return c;
}

Change owner_change(uint64_t uid, uint64_t gid) {
  Change c{Change::kOwner};
  c.uid = static_cast<uid_t>(uid);
  c.gid = static_cast<gid_t>(gid);
  return c;
}

Answer do_utimensat(const seccomp_notif& r, int64_t dirfd, uint64_t path_address, uint64_t times, uint64_t flags) {
  Change c{Change::kTimes};
  if (times != 0) {
    if (!read_memory(r.pid, times, c.times, sizeof(c.times))) return fail(EFAULT);
    c.now = false;
  }
  return do_change(r, dirfd, path_address, flags & AT_SYMLINK_NOFOLLOW, flags & AT_EMPTY_PATH, c);
}

// chdir, for the shim (its call carries SBX_SHIM_CALL; the program's own is
// trapped, and the shim makes this one). The working directory is the
// process's own, in the kernel; we check the directory as chdir would be
// checked: one the rules show (readable, or on the way to a rule, as stat
// shows it: mkdir -p climbs through those with chdir) and the caller could
// enter (search permission). It goes back as an O_PATH descriptor, which
// reads nothing (a directory only on the way must not be listed); the
// kernel's ADDFD passes no O_PATH descriptor, so it travels in SCM_RIGHTS
// over a socket pair whose other end is the call's answer. The shim takes
// it and calls fchdir on it.
Answer chdir_descriptor(int dir) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) return close(dir), fail(errno);
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &dir, sizeof(int));
  const bool sent = sendmsg(sv[0], &msg, 0) == 1;
  const int err = errno;
  close(dir);
  close(sv[0]);
  if (!sent) return close(sv[1]), fail(err);
  return {0, 0, sv[1], O_CLOEXEC};
}

Answer do_chdir(const seccomp_notif& r, uint64_t path_address) {
  std::string path;
  Answer refusal;
  int o = -1;
  if (!take_path(r, AT_FDCWD, path_address, kPathRead, &path, &refusal, true, ProcFd::kChecked, &o)) return refusal;
  if (o < 0) o = open_checked(path, true, kPathRead, true);
  if (o < 0) return fail(errno);
  struct stat st;
  const std::string real = real_path(o);
  int error = 0;
  if (fstat(o, &st) != 0) error = errno;
  else if (!S_ISDIR(st.st_mode)) error = ENOTDIR;
  else if (!is_file_path(real) || !allowed(real, kPathRead, true)) error = EACCES;
  else if (faccessat(AT_FDCWD, fd_path(o).c_str(), X_OK, 0) != 0) error = errno;
  if (error != 0) return close(o), fail(error);
  return chdir_descriptor(o);
}

// getcwd: the path of the calling process's own working directory, or
// ENOENT once it was removed.
Answer do_getcwd(const seccomp_notif& r, uint64_t buf, uint64_t size) {
  std::string cwd;
  if (!current_cwd(r, &cwd)) return fail(errno);
  if (size < cwd.size() + 1) return fail(ERANGE);
  if (!write_to_caller(r, buf, cwd.c_str(), cwd.size() + 1)) return fail(EFAULT);
  return {0, static_cast<int64_t>(cwd.size() + 1), -1, 0};
}

// rename, renameat, renameat2. The flags first, as the kernel checks them
// before it looks at a path (its flags are an unsigned int): unknown ones,
// and RENAME_EXCHANGE with either other, are EINVAL. RENAME_WHITEOUT is
// refused (EPERM, the answer it had before Linux 5.8 without CAP_MKNOD): it
// leaves a whiteout where the source was, a character device 0:0, and the
// program may make no device node (mknod is never brokered). A whiteout is
// only meaningful to overlayfs, which a program here has no use for.
Answer do_rename(const seccomp_notif& r, int64_t olddir, uint64_t oldpath, int64_t newdir, uint64_t newpath, uint64_t flags) {
  constexpr unsigned kNoReplace = 1U << 0, kExchange = 1U << 1, kWhiteout = 1U << 2;  // RENAME_*, linux/fs.h
  const unsigned how = static_cast<unsigned>(flags);
  if ((how & ~(kNoReplace | kExchange | kWhiteout)) != 0) return fail(EINVAL);
  if ((how & kExchange) && (how & (kNoReplace | kWhiteout))) return fail(EINVAL);
  if (how & kWhiteout) return fail(EPERM);
  std::string from, to;
  Answer refusal;
  if (!take_path(r, olddir, oldpath, kPathWrite, &from, &refusal)) return refusal;
  if (!take_path(r, newdir, newpath, kPathCreate | kPathWrite, &to, &refusal)) return refusal;
  const auto [fp, fn] = split_parent(from);
  const auto [tp, tn] = split_parent(to);
  const int a = open_path(fp, true, true);
  const int a_error = errno;
  const int b = a < 0 ? -1 : open_path(tp, true, true);
  Answer answer;
  if (a < 0 || b < 0) {
    answer = fail(a < 0 ? a_error : errno);
  } else if (const std::string real_from = child_of(real_path(a), fn), real_to = child_of(real_path(b), tn);
             !path_allowed(*g_rules, real_from, kPathWrite) || !path_allowed(*g_rules, real_to, kPathCreate | kPathWrite)) {
    answer = fail(!path_allowed(*g_rules, real_from, kPathWrite) ? refusal_in(a, real_from, fn, false)
                                                                 : refusal_in(b, real_to, tn, true));
  } else if (anchors(real_from) || anchors(real_to)) {
    answer = fail(EBUSY);  // moved away, replaced, or exchanged (RENAME_EXCHANGE): see anchors()
  } else if (syscall(SYS_renameat2, a, fn.c_str(), b, tn.c_str(), how) != 0) {
    answer = fail(errno);
  }
  if (a >= 0) close(a);
  if (b >= 0) close(b);
  return answer;
}

}  // namespace

Answer handle(const seccomp_notif& r) {
  const auto& a = r.data.args;
  const auto nr = r.data.nr;
  if (const auto shm = shm_call(r)) return *shm;  // the sandbox's own /dev/shm (shm.h)
  switch (nr) {
    case SYS_open: return do_open(r, AT_FDCWD, a[0], a[1] & kValidOpenFlags, a[2]);
    case SYS_chdir: return do_chdir(r, a[0]);
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
      return do_in_parent(r, AT_FDCWD, a[0], kPathWrite, [](int p, const char* n, uint64_t) { return unlinkat(p, n, 0); }, 0,
                          AtAnchor::kRemove);
    case SYS_rmdir:
      return do_in_parent(r, AT_FDCWD, a[0], kPathWrite,
                          [](int p, const char* n, uint64_t) { return unlinkat(p, n, AT_REMOVEDIR); }, 0, AtAnchor::kRemove);
    case SYS_unlinkat:
      return do_in_parent(r, static_cast<int64_t>(a[0]), a[1], kPathWrite,
                          [](int p, const char* n, uint64_t f) { return unlinkat(p, n, static_cast<int>(f & AT_REMOVEDIR)); },
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
  resp.error = -error;
  resp.val = a.value;
  ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

}  // namespace sbx::trusted
