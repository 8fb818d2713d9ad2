// The first stage's two Landlock domains (Linux's API, linux/landlock.h):
//
//   files  (applied before the trusted process is started, so it holds the
//          trusted process and, below it, the program): files can be opened
//          only as the policy's path rules say, plus what start-up needs
//          (/proc for reading, and for writing too where the trusted
//          process may patch the program's syscall sites: /proc/PID/mem,
//          trusted/patch_site.cc; the loader and the trusted binary; and
//          making files in the core-dir if there is one). A rule
//          for a path that does not exist yet gives its rights on the
//          nearest directory that does, where it would be made. Defense
//          in depth: a bug in the trusted process's own path checks still
//          opens nothing else. Needs Landlock ABI 2 (renames across
//          directories); on ABI 1 it is left out and the trusted process's
//          checks stand alone.
//   exec   (applied to the first stage alone, after the trusted process has
//          started): only the loader (or a static program) may be
//          executed, and what the rules let the program read, whatever a
//          later execve/execveat names. The root is empty, so only a
//          descriptor of a file the program could open anyway can be
//          executed, and by the kernel only if static: a dynamic program or
//          a script names an interpreter that the kernel looks up in the
//          empty root (dynamic programs are run through the loader).
//
// The trusted process's domain must stay an ancestor of the program's:
// Landlock lets a process trace (read the memory of) only a process in the
// same or a nested domain.
#pragma once

#include <string>
#include <vector>

#include "policy.h"

namespace sbx::zygote {

// The files domain. `extra_read` are descriptors of files start-up must be
// able to read (and so to execute): the loader, the trusted binary.
// `core_dir`, if not -1, is the directory the trusted process makes cores
// in (new files, written). `proc_writable`: files in /proc may be opened
// for writing too (the policy is not deny-write-execute, so the trusted
// process may patch the program's syscall sites through /proc/PID/mem).
bool restrict_files(const std::vector<policy::PathRule>& rules, const std::vector<int>& extra_read, int core_dir,
                    std::string* why, bool proc_writable = false);

// The exec domain: only the file of descriptor `runnable`, and what is
// beneath the root of a rule with read permission that exists now, can be
// executed.
bool restrict_exec(const std::vector<policy::PathRule>& rules, int runnable, std::string* why);

}  // namespace sbx::zygote
