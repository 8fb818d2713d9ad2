// The slow way to a path: resolved name by name, as the kernel resolves it,
// so that what the program learns of the result depends only on what the
// rules show (resolve.cc says why and how).
#pragma once

#include <string>

namespace sbx::trusted {

// How a path is resolved: what open() does, and openat2's resolve flags.
struct Walk {
  bool follow = true;        // follow a symlink that is the last name (not O_NOFOLLOW)
  bool directory = false;    // what is found must be a directory (ENOTDIR)
  bool no_symlinks = false;  // RESOLVE_NO_SYMLINKS: ELOOP at a symlink to follow
  bool beneath = false;      // RESOLVE_BENEATH: EXDEV for an absolute path or link, or ".." above the start
  bool in_root = false;      // RESOLVE_IN_ROOT: "/" and ".." above it are the start
  bool no_xdev = false;      // RESOLVE_NO_XDEV: EXDEV on leaving the start's mount
};

// What a resolution found: an O_PATH descriptor of the file, or an errno;
// with ENOENT for the last name only, the directory that name would be in
// (where a file to create is made) and the name. Its descriptors are
// closed with it, unless taken.
class Found {
 public:
  Found() = default;
  Found(Found&& other) noexcept;
  Found(const Found&) = delete;
  Found& operator=(const Found&) = delete;
  ~Found();
  int fd() const { return fd_; }
  int error() const { return error_; }
  bool has_parent() const { return parent_ >= 0; }
  const std::string& name() const { return name_; }
  int take();         // the descriptor, now the caller's
  int take_parent();  // the parent's, now the caller's

 private:
  friend Found resolve(int, const std::string&, const std::string&, const Walk&);
  int fd_ = -1;
  int error_ = 0;
  int parent_ = -1;
  std::string name_;
};

// Resolves path (as the program gave it, or normalised) from `start`, our
// O_PATH descriptor of a directory whose path is start_path: used for a
// relative path, and for any with RESOLVE_BENEATH or RESOLVE_IN_ROOT (else
// -1 will do).
// Refused (EACCES, the same whether or not anything is there) when it
// leaves what the rules show: see resolve.cc.
Found resolve(int start, const std::string& start_path, const std::string& path, const Walk& how);

// Whether the rules show path (absolute, normalised): grant anything on it,
// or lead through it. What the program may learn exists.
bool rules_show(const std::string& path);

// An O_PATH descriptor of an absolute, normalised path resolved that way
// from "/" (with one openat2 if no link is on the way), or -1 with errno set.
int open_path(const std::string& path, bool follow, bool directory = false);
// The same, resolved name by name at once: for a path already tried as it
// is (open_exact failed with ELOOP).
int walk_path(const std::string& path, bool follow, bool directory = false);

}  // namespace sbx::trusted
