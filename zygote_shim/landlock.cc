// The first stage's Landlock domains (see landlock.h).
#include "landlock.h"

#include "landlock_abi.h"
#include "root_links.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

// Rights newer than Debian 12's headers.
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

namespace sbx::zygote {

namespace {

using policy::kPathCreate;
using policy::kPathRead;
using policy::kPathWrite;

constexpr uint64_t kRead = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
constexpr uint64_t kMake = LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                           LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                           LANDLOCK_ACCESS_FS_MAKE_SYM;
constexpr uint64_t kRemove = LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE;
// What Landlock allows on a rule for a file rather than a directory.
constexpr uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;

int create_ruleset(uint64_t handled) {
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = handled;
  return static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0));
}

// A rule granting `rights` (those the ruleset handles) beneath fd.
bool add_rule(int ruleset, int fd, uint64_t rights, uint64_t handled) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  if (!S_ISDIR(st.st_mode)) rights &= kFileRights;
  landlock_path_beneath_attr beneath{};
  beneath.allowed_access = rights & handled;
  beneath.parent_fd = fd;
  if (beneath.allowed_access == 0) return true;
  return syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) == 0;
}

bool enforce(int ruleset, std::string* why) {
  const bool ok = syscall(SYS_landlock_restrict_self, ruleset, 0) == 0;
  if (!ok) *why = std::string("landlock_restrict_self: ") + std::strerror(errno);
  close(ruleset);
  return ok;
}

// Calls add(rule, fd) with an O_PATH descriptor of each rule's root, opened
// through root's symlinks only, as sbx run resolved it. One that stands on
// a symlink of anyone but root's gets nothing: sbx run refused such a rule,
// so one now is a link planted since (by another sandbox sharing a
// directory), and the rule fails closed. A root that does not exist (yet)
// gets nothing either, or, with `nearest`, the nearest directory on its way
// that does (where it would be made: the trusted process, inside the files
// domain, must be able to make it). False with why if an add failed.
bool for_each_root(const std::vector<policy::PathRule>& rules, bool nearest,
                   const std::function<bool(const policy::PathRule&, int)>& add, std::string* why) {
  for (const auto& rule : rules) {
    const std::string root = policy::rule_root(rule.pattern);
    const sbx::RootLinksResult found =
        nearest ? sbx::open_nearest_through_root_links(root) : sbx::open_through_root_links(root);
    const int fd = found.fd >= 0 ? found.fd : found.nearest;
    if (fd < 0) continue;
    const bool ok = add(rule, fd);
    const int err = errno;
    close(fd);
    if (!ok) return (*why = "landlock_add_rule for " + rule.pattern + ": " + std::strerror(err)), false;
  }
  return true;
}

}  // namespace

bool restrict_files(const std::vector<policy::PathRule>& rules, const std::vector<int>& extra_read, int core_dir,
                    std::string* why, bool proc_writable) {
  const int abi = sbx::landlock_abi();
  if (abi < 2) return true;  // see landlock.h: the trusted process's checks stand alone
  // Everything but executing (the exec domain's) is handled here.
  uint64_t handled = LANDLOCK_ACCESS_FS_WRITE_FILE | kRead | kRemove | kMake | LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
  const int ruleset = create_ruleset(handled);
  if (ruleset < 0) return (*why = std::string("landlock_create_ruleset: ") + std::strerror(errno)), false;
  // A rule whose root does not exist yet gets its rights on the directory it
  // would be made in, and so on all of that directory: the trusted
  // process's own check stays exact (docs/SECURITY.md, known limits).
  const bool added = for_each_root(
      rules, true,
      [&](const policy::PathRule& rule, int fd) {
        uint64_t rights = 0;
        if (rule.permissions & kPathRead) rights |= kRead;
        if (rule.permissions & kPathWrite)
          rights |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | kRemove | LANDLOCK_ACCESS_FS_REFER;
        if (rule.permissions & kPathCreate) rights |= kMake | LANDLOCK_ACCESS_FS_REFER;
        return add_rule(ruleset, fd, rights, handled);
      },
      why);
  if (!added) return close(ruleset), false;
  // The trusted process reads the program's umask in /proc; and, unless
  // the policy denies write-execute, writes a jump into its code through
  // /proc/PID/mem (trusted/patch_site.cc). The program's own root has no
  // /proc: it reaches /proc only through the trusted process's checks.
  const int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  bool ok = proc >= 0 && add_rule(ruleset, proc, kRead | (proc_writable ? LANDLOCK_ACCESS_FS_WRITE_FILE : 0), handled);
  if (proc >= 0) close(proc);
  for (int fd : extra_read) ok = ok && add_rule(ruleset, fd, LANDLOCK_ACCESS_FS_READ_FILE, handled);
  if (core_dir >= 0)
    ok = ok &&
         add_rule(ruleset, core_dir,
                  LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE, handled);
  if (!ok)
    return (*why = std::string("landlock_add_rule for start-up: ") + std::strerror(errno)), close(ruleset), false;
  return enforce(ruleset, why);
}

bool restrict_exec(const std::vector<policy::PathRule>& rules, int runnable, std::string* why) {
  if (sbx::landlock_abi() < 1)
    return (*why = "this kernel has no Landlock (Linux 5.13 or later, with landlock in its lsm= list)"), false;
  const uint64_t handled = LANDLOCK_ACCESS_FS_EXECUTE;
  const int ruleset = create_ruleset(handled);
  if (ruleset < 0) return (*why = std::string("landlock_create_ruleset: ") + std::strerror(errno)), false;
  if (!add_rule(ruleset, runnable, LANDLOCK_ACCESS_FS_EXECUTE, handled)) {
    *why = std::string("landlock_add_rule: ") + std::strerror(errno);
    close(ruleset);
    return false;
  }
  // What the program may read it may execute (from a descriptor: its root
  // is empty), and nothing else; a root that does not exist yet gives none.
  const bool added = for_each_root(
      rules, false,
      [&](const policy::PathRule& rule, int fd) {
        return !(rule.permissions & kPathRead) || add_rule(ruleset, fd, LANDLOCK_ACCESS_FS_EXECUTE, handled);
      },
      why);
  if (!added) return close(ruleset), false;
  return enforce(ruleset, why);
}

}  // namespace sbx::zygote
