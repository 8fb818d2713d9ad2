// Unit tests of the trusted process's pure decisions (trusted/decisions.h):
// what open flags ask of the rules and which openat2 requests are refused,
// descriptors named by path, what a path rule decides and what a refusal
// answers, modes and owners, and the flags of link and rename. Each is a
// function of its arguments alone; the integration tests (tests/run) check
// the handlers that carry them out.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "decisions.h"

using namespace sbx::trusted;
using sbx::policy::kPathCreate;
using sbx::policy::kPathRead;
using sbx::policy::kPathWrite;
using sbx::policy::PathRule;

namespace {
constexpr uint64_t kRenameNoReplace = 1, kRenameExchange = 2, kRenameWhiteout = 4;  // linux/fs.h

open_how how_of(uint64_t flags, uint64_t mode = 0, uint64_t resolve = 0) {
  open_how how{};
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return how;
}

// --allow-read /usr/lib/**, --allow-write /home/u/work/**, create in /tmp/out/**
Rules some_rules() {
  return {PathRule{kPathRead, "/usr/lib/**", {}}, PathRule{kPathRead | kPathWrite, "/home/u/work/**", {}},
          PathRule{kPathCreate | kPathWrite | kPathRead, "/tmp/out/**", {}}, PathRule{kPathRead, "/etc/passwd", {}}};
}
}  // namespace

TEST_CASE("open flags: what each asks of the rules", "[trusted][open]") {
  CHECK(wanted_by(O_RDONLY) == kPathRead);
  CHECK(wanted_by(O_WRONLY) == kPathWrite);
  CHECK(wanted_by(O_RDWR) == (kPathRead | kPathWrite));
  CHECK(wanted_by(O_ACCMODE) == (kPathRead | kPathWrite));           // 3: the kernel asks for both
  CHECK(wanted_by(O_RDONLY | O_TRUNC) == (kPathRead | kPathWrite));  // truncating writes
  CHECK(wanted_by(O_WRONLY | O_CREAT | O_EXCL) == kPathWrite);       // create is asked for apart
  CHECK(wanted_by(O_PATH) == kPathRead);
  // An O_PATH open keeps only what it has use for: never a write, a
  // truncation or a new file, whatever else the flags said.
  const uint64_t path_open = (O_PATH | O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC | O_NOFOLLOW) & kPathOnlyFlags;
  CHECK(path_open == (O_PATH | O_CLOEXEC | O_NOFOLLOW));
  CHECK(wanted_by(path_open) == kPathRead);
  CHECK_FALSE(creates(path_open));
  CHECK(creates(O_CREAT));
  CHECK(creates(O_TMPFILE | O_WRONLY));
  CHECK_FALSE(creates(O_DIRECTORY));  // glibc's O_TMPFILE holds O_DIRECTORY, not the other way
  CHECK((uint64_t{1} << 30 & kValidOpenFlags) == 0);
  CHECK((O_LARGEFILE & ~kValidOpenFlags) == 0);
}

TEST_CASE("openat2: the requests the kernel refuses are refused the same way", "[trusted][open]") {
  CHECK(openat2_size_refusal(0) == EINVAL);
  CHECK(openat2_size_refusal(sizeof(open_how) - 1) == EINVAL);
  CHECK(openat2_size_refusal(sizeof(open_how)) == 0);
  CHECK(openat2_size_refusal(4096) == 0);
  CHECK(openat2_size_refusal(4097) == E2BIG);

  CHECK(openat2_refusal(how_of(O_RDONLY)) == 0);
  CHECK(openat2_refusal(how_of(O_WRONLY | O_CREAT, 0644)) == 0);
  CHECK(openat2_refusal(how_of(O_WRONLY | O_CREAT, 07777)) == 0);
  CHECK(openat2_refusal(how_of(O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)) == 0);
  CHECK(openat2_refusal(how_of(uint64_t{1} << 30)) == EINVAL);  // a flag it does not know
  CHECK(openat2_refusal(how_of(O_RDONLY, 0, 0x40)) == EINVAL);  // a resolve flag it does not know
  CHECK(openat2_refusal(how_of(O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT)) == EINVAL);
  CHECK(openat2_refusal(how_of(O_RDONLY, 0644)) == EINVAL);              // a mode, and no file to create
  CHECK(openat2_refusal(how_of(O_WRONLY | O_CREAT, 010000)) == EINVAL);  // more than permission bits
  CHECK(openat2_refusal(how_of(O_TMPFILE | O_WRONLY, 0600)) == 0);
  CHECK(openat2_refusal(how_of(O_TMPFILE | O_RDONLY, 0600)) == EINVAL);  // a file nobody could write
  CHECK(openat2_refusal(how_of(O_TMPFILE | O_CREAT | O_WRONLY, 0600)) == EINVAL);
  CHECK(openat2_refusal(how_of((O_TMPFILE & ~O_DIRECTORY) | O_WRONLY, 0600)) == EINVAL);
  CHECK(openat2_refusal(how_of(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == 0);
  CHECK(openat2_refusal(how_of(O_PATH | O_WRONLY)) == EINVAL);  // open() would drop it; openat2 refuses
  CHECK(openat2_refusal(how_of(O_RDONLY | O_TRUNC, 0, RESOLVE_CACHED)) == EAGAIN);
  CHECK(openat2_refusal(how_of(O_RDONLY, 0, RESOLVE_CACHED)) == 0);
}

TEST_CASE("open flags: how the slow way resolves the path", "[trusted][open]") {
  CHECK(walk_of(O_RDONLY, 0).follow);
  CHECK_FALSE(walk_of(O_RDONLY | O_NOFOLLOW, 0).follow);
  CHECK_FALSE(walk_of(O_WRONLY | O_CREAT | O_EXCL, 0).follow);  // the name is taken, whatever it points to
  CHECK(walk_of(O_WRONLY | O_CREAT, 0).follow);                 // a dangling link's target is made
  CHECK(walk_of(O_DIRECTORY, 0).directory);
  const Walk how = walk_of(O_RDONLY, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_XDEV);
  CHECK((how.no_symlinks && how.beneath && how.no_xdev && !how.in_root));
  CHECK(walk_of(O_RDONLY, RESOLVE_IN_ROOT).in_root);
}

TEST_CASE("descriptors named by path: only /proc's own spelling of a number", "[trusted][descriptors]") {
  CHECK(proc_fd_number("/proc/self/fd/0") == 0);
  CHECK(proc_fd_number("/proc/self/fd/63") == 63);
  CHECK(proc_fd_number("/proc/thread-self/fd/7") == 7);
  CHECK(proc_fd_number("/dev/fd/3") == 3);
  CHECK(proc_fd_number("/dev/stdin") == 0);
  CHECK(proc_fd_number("/dev/stdout") == 1);
  CHECK(proc_fd_number("/dev/stderr") == 2);
  CHECK(proc_fd_number("/proc/self/fd/2147483647") == 2147483647);
  CHECK(proc_fd_number("/proc/self/fd/2147483648") == -1);  // would wrap to another descriptor
  CHECK(proc_fd_number("/proc/self/fd/99999999999") == -1);
  CHECK(proc_fd_number("/proc/self/fd/07") == -1);  // a leading zero
  CHECK(proc_fd_number("/proc/self/fd/+7") == -1);
  CHECK(proc_fd_number("/proc/self/fd/-1") == -1);
  CHECK(proc_fd_number("/proc/self/fd/") == -1);
  CHECK(proc_fd_number("/proc/self/fd/3/x") == -1);
  CHECK(proc_fd_number("/proc/self/fd") == -1);
  CHECK(proc_fd_number("/proc/1/fd/3") == -1);  // another process's: a path like any
  CHECK(proc_fd_number("/dev/stdin/x") == -1);

  // What the file a descriptor is must grant: create is, on a descriptor's
  // path, a write; nothing asked is a read.
  CHECK(descriptor_wanted(kPathRead) == kPathRead);
  CHECK(descriptor_wanted(kPathWrite | kPathCreate) == kPathWrite);
  CHECK(descriptor_wanted(kPathCreate) == kPathWrite);
  CHECK(descriptor_wanted(0) == kPathRead);

  // A descriptor already open for what is asked may be opened again so.
  CHECK(open_for(O_RDONLY, kPathRead));
  CHECK_FALSE(open_for(O_RDONLY, kPathWrite));
  CHECK(open_for(O_WRONLY | O_APPEND, kPathWrite));
  CHECK_FALSE(open_for(O_WRONLY, kPathRead));  // a pipe's write end never gives its read end
  CHECK(open_for(O_RDWR, kPathRead | kPathWrite));
  CHECK_FALSE(open_for(O_PATH | O_RDONLY, kPathRead));
  CHECK_FALSE(open_for(O_RDWR, 0));
  CHECK_FALSE(open_for(O_RDWR, kPathCreate));
  CHECK_FALSE(open_for(-1, kPathRead));  // F_GETFL failed
}

TEST_CASE("paths: parents, names, and where '..' needs resolving", "[trusted][paths]") {
  CHECK(child_of("/", "etc") == "/etc");
  CHECK(child_of("/usr/lib", "x.so") == "/usr/lib/x.so");
  CHECK(split_parent("/etc") == std::pair<std::string, std::string>{"/", "etc"});
  CHECK(split_parent("/usr/lib/x.so") == std::pair<std::string, std::string>{"/usr/lib", "x.so"});
  CHECK(split_parent("/") == std::pair<std::string, std::string>{"/", ""});

  CHECK(last_dotdot_after_name("/a/b/c") == std::string::npos);
  CHECK(last_dotdot_after_name("/../../a") == std::string::npos);  // above "/" stays at "/": lexical is right
  CHECK(last_dotdot_after_name("./../a") == std::string::npos);
  CHECK(last_dotdot_after_name("/a/../b") == 5);
  CHECK(last_dotdot_after_name("/a/l/../../b/..") == 15);
  CHECK(last_dotdot_after_name("a/b/../c") == 6);
}

TEST_CASE("path rules: what they show, grant, and what a refusal answers", "[trusted][rules]") {
  const Rules rules = some_rules();
  CHECK(rules_show(rules, "/usr/lib/x.so"));
  CHECK(rules_show(rules, "/usr"));  // on the way
  CHECK(rules_show(rules, "/"));
  CHECK(rules_show(rules, "/tmp/out"));
  CHECK_FALSE(rules_show(rules, "/etc/shadow"));
  CHECK_FALSE(rules_show(rules, "/home/u/secret"));

  CHECK(allowed_by(rules, "/usr/lib/x.so", kPathRead, false));
  CHECK_FALSE(allowed_by(rules, "/usr/lib/x.so", kPathWrite, false));
  CHECK(allowed_by(rules, "/home/u/work/f", kPathRead | kPathWrite, false));
  CHECK_FALSE(allowed_by(rules, "/home/u/work/f", kPathCreate, false));
  CHECK_FALSE(allowed_by(rules, "/usr", kPathRead, false));
  CHECK(allowed_by(rules, "/usr", kPathRead, true));  // its metadata, for realpath()
  CHECK_FALSE(allowed_by(rules, "/usr", kPathWrite, true));
  CHECK_FALSE(allowed_by(rules, "/usr", kPathRead | kPathWrite, true));
  CHECK_FALSE(allowed_by(rules, "/usr/share", kPathRead, true));
  CHECK_FALSE(allowed_by(rules, "/etc/passwd", 0, false));  // nothing asked is nothing granted

  // Shown: EACCES; not shown: ENOENT, whether there or not; a name to make
  // in a shown directory: EACCES.
  CHECK(refusal_by(rules, "/usr/lib/x.so", false) == EACCES);
  CHECK(refusal_by(rules, "/etc/shadow", false) == ENOENT);
  CHECK(refusal_by(rules, "/usr/lib/new", true) == EACCES);
  CHECK(refusal_by(rules, "/var/new", true) == ENOENT);
  CHECK(refusal_by(rules, "/etc/new", true) == EACCES);  // /etc leads to /etc/passwd: shown
  CHECK(refusal_by(rules, "/usr/new", true) == EACCES);  // /usr is on the way: shown
  CHECK(refusal_by(rules, "/home/u/secret/new", true) == ENOENT);
}

TEST_CASE("modes and owners: set-id bits never, anchors keep theirs", "[trusted][metadata]") {
  CHECK(without_set_id_bits(06755) == 0755);
  CHECK(without_set_id_bits(01777) == 01777);  // the sticky bit is no privilege
  CHECK(without_set_id_bits(S_IFREG | 04644) == (S_IFREG | 0644));

  const Change to_setuid = mode_change(S_IFREG | 04755);
  CHECK(to_setuid.kind == Change::kMode);
  CHECK(to_setuid.mode == 04755);  // only the mode bits are kept
  CHECK(sets_set_id(to_setuid));
  CHECK(sets_set_id(mode_change(02755)));
  CHECK_FALSE(sets_set_id(mode_change(01777)));
  CHECK_FALSE(sets_set_id(owner_change(0, 0)));

  struct stat st {};
  st.st_mode = S_IFDIR | 0755;
  st.st_uid = 1000;
  st.st_gid = 1000;
  CHECK_FALSE(changes_mode_or_owner(st, mode_change(0755)));  // install -d -m 755 of an anchor: no change
  CHECK(changes_mode_or_owner(st, mode_change(0777)));
  CHECK_FALSE(changes_mode_or_owner(st, owner_change(1000, 1000)));
  CHECK_FALSE(changes_mode_or_owner(st, owner_change(static_cast<uint64_t>(-1), static_cast<uint64_t>(-1))));
  CHECK_FALSE(changes_mode_or_owner(st, owner_change(0xffffffffULL, 1000)));  // -1 as a 32-bit id: keep
  CHECK(changes_mode_or_owner(st, owner_change(0, static_cast<uint64_t>(-1))));
  CHECK(changes_mode_or_owner(st, owner_change(static_cast<uint64_t>(-1), 0)));
  CHECK_FALSE(changes_mode_or_owner(st, Change{Change::kTimes}));
}

TEST_CASE("access, mknod, link and rename: what their arguments decide", "[trusted][names]") {
  CHECK(access_wanted(F_OK) == kPathRead);
  CHECK(access_wanted(R_OK | X_OK) == kPathRead);
  CHECK(access_wanted(W_OK) == kPathWrite);
  CHECK(access_wanted(R_OK | W_OK) == kPathWrite);

  CHECK(mknod_type(S_IFIFO | 0644) == S_IFIFO);
  CHECK(mknod_type(S_IFREG | 0644) == S_IFREG);
  CHECK(mknod_type(0644) == S_IFREG);  // no type: a regular file
  CHECK(mknod_type(S_IFCHR | 0644) == 0);
  CHECK(mknod_type(S_IFBLK | 0644) == 0);
  CHECK(mknod_type(S_IFSOCK | 0644) == 0);
  CHECK(mknod_type(S_IFDIR | 0755) == 0);

  CHECK(link_flags_refusal(0) == 0);
  CHECK(link_flags_refusal(AT_SYMLINK_FOLLOW) == 0);
  CHECK(link_flags_refusal(AT_EMPTY_PATH) == ENOENT);  // needs CAP_DAC_READ_SEARCH natively
  CHECK(link_flags_refusal(AT_SYMLINK_NOFOLLOW) == EINVAL);

  CHECK(rename_flags_refusal(0) == 0);
  CHECK(rename_flags_refusal(kRenameNoReplace) == 0);
  CHECK(rename_flags_refusal(kRenameExchange) == 0);
  CHECK(rename_flags_refusal(kRenameExchange | kRenameNoReplace) == EINVAL);
  CHECK(rename_flags_refusal(kRenameExchange | kRenameWhiteout) == EINVAL);
  CHECK(rename_flags_refusal(kRenameWhiteout) == EPERM);
  CHECK(rename_flags_refusal(8) == EINVAL);
  CHECK(rename_flags_refusal(uint64_t{1} << 32) == 0);  // an unsigned int to the kernel: the high half is not seen
}
