// Placeholders for O_PATH descriptors of symlinks. The kernel cannot
// install an O_PATH descriptor in the program (SECCOMP_IOCTL_NOTIF_ADDFD
// takes its source with fget(), which refuses O_PATH files), and a symlink
// can be opened no other way. So the program gets a placeholder, a sealed
// empty memfd, and we keep, for the newest placeholders, our own O_PATH
// descriptor of the symlink each stands for. Wherever we take a descriptor
// from the program (base_fd), a placeholder becomes the symlink again, so
// fstat, readlinkat, fchownat and utimensat with AT_EMPTY_PATH act on the
// link itself, as natively.
#pragma once

#include <sys/resource.h>

namespace sbx::trusted {

// How many placeholders are remembered: 256, or fewer if our descriptor
// limit is low (each takes two of our descriptors). Called once at start,
// before the first placeholder.
void set_placeholder_limit(rlim_t descriptor_limit);

// A new placeholder for `link`, our O_PATH|O_NOFOLLOW descriptor of a
// symlink the rules let the program open (kept: the table owns it from
// here, also on failure). Returns a descriptor of the placeholder to
// install in the program, or -1 with errno set.
int placeholder_for(int link);

// `fd`, a descriptor just taken from the program: if it is one of our
// placeholders, it is closed and a new O_PATH descriptor of the symlink it
// stands for is returned; anything else is returned as it is. -1 with
// errno set if the copy fails.
int without_placeholder(int fd);

}  // namespace sbx::trusted
