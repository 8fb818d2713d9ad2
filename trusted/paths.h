// Reading and checking a path argument, shared by the call handlers
// (open.cc, metadata.cc, names.cc, cwd.cc): the path copied out of the
// caller and normalised (take_path), /proc/self/fd/N taken as the caller's
// descriptor, the lexical check and the answer a refusal gives, and the
// checked open of what a path names. paths.cc holds them; calls.cc says how
// every call is handled.
#pragma once

#include <linux/seccomp.h>

#include <cstdint>
#include <string>
#include <utility>

#include "calls.h"
#include "decisions.h"  // child_of, split_parent, and the other pure decisions
#include "policy.h"
#include "proc_view.h"

namespace sbx::trusted {

// The policy's names every handler file uses.
using policy::kPathCreate;
using policy::kPathRead;
using policy::kPathWrite;
using policy::normalize_path;
using policy::path_allowed;

// The answer that fails a call with errno `error`.
Answer fail(int error);

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
bool anchors(const std::string& real);

// The mode a file or directory the program creates gets: without the
// program's umask, and never set-user-ID or set-group-ID. A program made
// setuid in a shared directory would run as this user for whoever starts
// it; tar and cp ask for the bits they found and go on without them, as a
// careful user would want (chmod to set them is refused, EPERM). The kernel
// ignores both bits in mkdir's mode anyway; a directory still inherits
// set-group-ID from its parent, which only passes the group on (no
// privilege).
uint64_t creation_mode(const seccomp_notif& r, uint64_t mode);

// Whether the rules grant `wanted` on path; metadata (stat, readlink,
// access F_OK) is also readable on the directories leading to granted paths.
bool allowed(const std::string& path, unsigned wanted, bool metadata);

// What a refusal answers, as the kernel would under a view of the host
// that has only what the rules show (bubblewrap's binds). A path the rules
// do not show looks absent: ENOENT, whether or not anything is there, so
// the answer tells nothing of the host; but making a name in a directory
// they show is refused (EACCES: the directory is there, and refuses it),
// also whether or not the name is there. A path they show that is there is
// refused, EACCES (a write to a file they only let the program read); the
// handlers give the kernel's answer for one that is not (ENOENT).
// `real` is absolute and normalised: as the kernel resolved it, or as the
// program named it.
int refusal_at(const std::string& real, bool creates);

// The same for `name` in our directory descriptor `dir`, whose path is
// real's parent: a name the rules show but refuse is looked up, so a
// missing one answers as natively (ENOENT).
int refusal_in(int dir, const std::string& real, const std::string& name, bool creates);

// An O_PATH descriptor of a path that passed the lexical check for
// `wanted`: opened exactly, or (a symlink on the way) resolved name by name
// (resolve.cc) and checked again. -1 with errno set: EACCES if the file
// found is refused where the rules show it, ENOENT where they do not, or if
// the resolution left what the rules show (refusal_at).
int open_checked(const std::string& path, bool follow, unsigned wanted, bool metadata);

// What a path /proc/self/fd/N means to a call (take_path). Inside the
// sandbox there is no /proc, but glibc names descriptors that way itself
// (lchmod and fchmodat(AT_SYMLINK_NOFOLLOW) chmod "/proc/self/fd/N" of an
// O_PATH descriptor; ttyname reads the link), and natively it means the
// caller's descriptor N: the magic link is followed to the file the
// descriptor is, whatever its name now.
enum class ProcFd {
  kPath,      // no such meaning (calls that do not follow a last symlink, and
              // those that create or remove names): a path no rule names
  kChecked,   // the caller's descriptor N, if the rules grant `wanted` on
              // the file it is, as they would for that file's real path
  kAsFstat,   // the caller's descriptor N, as fstat(N) sees it: stat gives
              // no more than the program's own fstat of it, so no more checks
  kLinkText,  // readlink: the caller's descriptor N as kChecked; and the
              // program's /proc (proc_view.h) sees the last link itself
};

// Whether fd (a copy of the caller's) is open for every access in `wanted`
// (kPathRead, kPathWrite): reopened so, it gives nothing new.
bool held_for(int fd, unsigned wanted);

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
// refuse answers as lexical_refusal (paths.cc) says.
// The notification is checked right after the path is copied, so that the
// copy is the waiting call's before anything is acted on; `checked_later`
// leaves that check to the caller, for a call that acts on nothing and
// whose result reaches the program only through write_to_caller (which
// checks it) or the reply (delivered only while it is pending): a stat.
bool take_path(const seccomp_notif& r, int64_t dirfd, uint64_t address, unsigned wanted, std::string* path,
               Answer* refusal, bool metadata = false, ProcFd proc = ProcFd::kPath, int* descriptor = nullptr,
               ProcView* view = nullptr, bool checked_later = false);

}  // namespace sbx::trusted
