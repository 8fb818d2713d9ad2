// The sandboxed caller, seen from the trusted process: its memory, its
// descriptors, its working directory and umask; and the path a descriptor
// of ours really names. Shared by the call handlers (calls.cc) and start-up.
#pragma once

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "policy.h"

namespace sbx::trusted {

using Rules = std::vector<policy::PathRule>;

extern const Rules* g_rules;      // the policy's path rules, fixed at start
extern int g_listener;            // the sandbox's seccomp listener
extern pid_t g_first_stage_host;  // the first stage's pid as our /proc (the host's) names it

// The calling thread as our /proc names it (host_ids.cc): its host id, or
// -1 with errno set; "/proc/HOST/ENTRY" of it, or "" ; and its process's
// id in the sandbox (its thread-group id), or -1.
pid_t host_thread(const seccomp_notif& r);

// How many pidfds host_thread may keep: a quarter of our descriptor limit,
// at most 256, so that a low RLIMIT_NOFILE (the caller's, which we inherit)
// leaves room for the descriptors calls need. Set before our filter.
void set_pidfd_limit(rlim_t descriptor_limit);

// UID-range mode (docs/SECURITY.md, "UID-range mode"): our real uid and gid
// are the program's (the range UID: the kernel's ptrace checks on it,
// process_vm_readv, pidfd_getfd, PTRACE_SEIZE, compare real ids), our
// effective ones the caller's, and so our file system ids: files we create
// are the caller's, and the caller's permissions apply. The program's /proc
// entries (cwd, fd, maps...) are checked against the file system ids, so an
// AsProgram switches the calling thread's to the program's for its scope
// (setfsuid is per thread). remember_ids() reads the ids once, at start,
// before our filter; without the mode an AsProgram does nothing.
void remember_ids();
class AsProgram {
 public:
  AsProgram();
  ~AsProgram();
  AsProgram(const AsProgram&) = delete;
  AsProgram& operator=(const AsProgram&) = delete;
};
std::string caller_proc(const seccomp_notif& r, const char* entry);
pid_t caller_process(const seccomp_notif& r);

// The text of a small /proc file (its first 4 KiB), or "".
std::string read_text(const std::string& path);
// The last number of a status line such as "NSpid:\t812\t4" (the innermost
// namespace's id), or -1.
long last_number(const std::string& text, const char* key);

// The calling process's working directory (its own, in the kernel): a new
// O_PATH descriptor of it (ours, to close), or -1 with errno set; and its
// path now, which relative paths start from and getcwd answers, false with
// errno set (ENOENT once the directory is removed).
int cwd_descriptor(const seccomp_notif& r);
bool current_cwd(const seccomp_notif& r, std::string* path);

// Whether the notification is still pending: what we copied belongs to it.
bool still_valid(const seccomp_notif& n);
// A NUL-terminated string, or a block, copied out of the caller's memory.
bool read_string(pid_t pid, uint64_t address, std::string* out);
// A string argument of the call r, copied out of the caller's memory once
// per call: reading the same address again while answering the same call
// (shm_call, then take_path) gives the first copy, so every decision on
// one call is made on one copy, for one process_vm_readv.
bool read_argument(const seccomp_notif& r, uint64_t address, std::string* out);
bool read_memory(pid_t pid, uint64_t address, void* to, size_t size);
// A result written into the caller's memory, after checking the call again.
bool write_to_caller(const seccomp_notif& n, uint64_t address, const void* from, size_t size);
// One message of size bytes on sock carrying our descriptor fd
// (SCM_RIGHTS), the way a descriptor reaches the program outside ADDFD
// (a chdir's O_PATH directory, cwd.cc; the fast route, fast_route.cc).
bool send_descriptor(int sock, int fd, const void* data, size_t size, int flags);

// "/proc/self/fd/N", and the path the kernel gives for our descriptor fd.
std::string fd_path(int fd);
std::string real_path(int fd);
// Whether real_path gave a file's path (not "socket:[N]", "anon_inode:..." or "").
bool is_file_path(const std::string& path);
// openat2 with RESOLVE_NO_SYMLINKS: exactly the checked path, or -1.
int open_exact(const std::string& path, uint64_t flags, uint64_t mode);
// Whether open_exact's failure means "resolve it the slow way".
bool slow_way(int err);

// O_TMPFILE's own bit, the kernel's __O_TMPFILE. glibc's __O_TMPFILE (and
// O_TMPFILE) hold O_DIRECTORY too, so `flags & __O_TMPFILE` is true of any
// O_DIRECTORY open.
constexpr uint64_t kTmpFileBit = 020000000;
// Whether an open with these flags makes a file, and so takes a mode.
constexpr bool creates(uint64_t flags) { return (flags & (O_CREAT | kTmpFileBit)) != 0; }

// mode without the bits of the caller's current umask.
uint64_t without_umask(const seccomp_notif& r, uint64_t mode);
// The caller's descriptor dirfd (AT_FDCWD: its working directory), as one of ours.
int base_fd(const seccomp_notif& r, int64_t dirfd);
// Where a relative path of the caller starts; false with errno set (EBADF,
// ENOTDIR) if dirfd is not a directory of the caller's.
bool base_of(const seccomp_notif& r, int64_t dirfd, std::string* base);

}  // namespace sbx::trusted
