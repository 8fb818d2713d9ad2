// Opening a path that names what a rule of the policy stands on, following
// only root's symlinks (the system's own: /lib -> usr/lib). A symlink of
// anyone else's on the way may have been planted by a program an earlier
// sandbox ran as this user, in place of a directory that was there; sbx run
// refuses it (cli/path_options.cc) and the first stage gives Landlock no
// rule through it (zygote_shim/landlock.cc). Descriptor by descriptor, so
// that what is checked is what is opened.
#pragma once

#include <string>

namespace sbx {

struct RootLinksResult {
  int fd = -1;         // an O_PATH descriptor of what path names, or -1
  int error = 0;       // errno when fd is -1 (ELOOP: a link of someone else's)
  std::string link;    // with ELOOP from such a link: the link's path as walked,
  std::string target;  // and its text
  // open_nearest_through_root_links only, when path does not exist (yet):
  int nearest = -1;     // with ENOENT: an O_PATH descriptor of the nearest directory on the way that does exist,
  std::string missing;  // and the names below it that do not ("a/b", as walked: a root link's target's own names)
  std::string reached;  // with ENOENT or ENOTDIR: the path, as walked, of that directory, or of the file in the way
};

// `path` absolute.
RootLinksResult open_through_root_links(const std::string& path);

// The same walk, for a path that may not exist yet (a rule for a file or
// directory the program is to make): when it does not, fd is -1 with ENOENT,
// and `nearest` (closed by the caller) is the directory it would be made
// in, reached through root's links only like the rest; ENOTDIR when a file
// that is not a directory stands in the way.
RootLinksResult open_nearest_through_root_links(const std::string& path);

}  // namespace sbx
