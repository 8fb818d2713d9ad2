// The program's own /proc: /proc/self, /proc/thread-self and /proc/PID of
// its own PID, answered from the calling thread's entry in our /proc (the
// host's), for the few entries programs read about themselves; nothing of
// any other process (proc_view.cc says which entries, and why each is safe).
#pragma once

#include <linux/seccomp.h>

#include <cstdint>
#include <string>

namespace sbx::trusted {

// How a call takes the last name of its path.
enum class Look {
  kFollow,    // follows a last symlink (open, stat, access, chmod...)
  kNoFollow,  // does not (lstat, O_NOFOLLOW, and calls that make or remove names)
  kReadLink,  // readlink: the link itself, and /proc/self/fd/N as calls.cc reads it
};

// What a path means in the program's /proc. Its descriptor is ours, closed
// with it unless taken.
class ProcView {
 public:
  enum Kind {
    kNone,     // not the program's /proc: an ordinary path (proc_view may have rewritten it)
    kEntry,    // an entry of the view: fd, ours, of the calling thread's or its process's entry
    kLink,     // a magic link itself (not followed): fd an O_PATH descriptor of the link, text its text
    kFile,     // the file a followed link names (/proc/self/exe): fd an O_PATH descriptor of it,
               // held to the rules by its real path like any descriptor's file
    kRefused,  // error
  };
  ProcView() = default;
  ProcView(ProcView&& other) noexcept;
  ProcView& operator=(ProcView&& other) noexcept;
  ProcView(const ProcView&) = delete;
  ProcView& operator=(const ProcView&) = delete;
  ~ProcView();
  int take();  // the descriptor, now the caller's

  Kind kind = kNone;
  int fd = -1;
  bool openable = false;  // kEntry: fd is open for reading (a file, or /proc/self/fd), and may be handed over
  std::string text;       // kLink: what readlink answers
  int error = 0;          // kRefused
};

// What `path` (absolute, normalised) means to the calling thread r. A path
// through /proc/self/root, /proc/self/cwd or /proc/self/fd/N (a name after
// them) is rewritten in *path to the path it stands for, which the caller
// then checks by the rules like any other (kNone); /proc/<own PID> and
// /proc/<own PID>/task/<own TID> are rewritten to /proc/self and
// /proc/thread-self, so that a followed /proc/self/fd/N stays for calls.cc
// to take (kNone); any other path outside /proc/self is left as it is.
ProcView proc_view(const seccomp_notif& r, std::string* path, Look look);

// The name the program knows for real, a path in our /proc of the calling
// thread's own entry (/proc/HOST/...: a descriptor the view gave it), as
// /proc/<its PID>/... or /proc/<its PID>/task/<its TID>/...; "" for any
// other path.
std::string own_proc_name(const seccomp_notif& r, const std::string& real);

// The descriptor an open of a kEntry or kLink view gives the program (taken
// from it), or -1 with errno set: an entry read-only (EACCES for the
// directory itself, ENOTDIR for a file with O_DIRECTORY); a link itself is
// ELOOP (O_NOFOLLOW), or EACCES with O_PATH, as nothing we can hand over.
// Writing was refused before (take_path).
int open_view(ProcView* view, uint64_t flags);

}  // namespace sbx::trusted
