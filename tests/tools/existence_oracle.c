// Whether a host path exists, asked through symlinks under sbx run
// (run_cases.py existence-oracle). The attack: with W/l -> SECRET/X, a call
// that resolves W/l for real answered EACCES when X exists (found, then
// refused by the rules) and ENOENT when it does not, so the program learned
// whether any host path exists. Every call is made twice, through a link to
// SECRET/X (which exists) and one to SECRET/Y (which does not); both must
// answer the same, EACCES. A missing file inside the rules still answers
// ENOENT. One line per call: "NAME: X-ANSWER Y-ANSWER", an answer being ok
// or the errno's name.
//   usage: existence_oracle W SECRET RO        (started in SECRET)
// W is an --allow-write directory holding f and f2; SECRET a directory
// outside the rules holding the file X and the directory XD (no Y, no YD);
// RO an --allow-read directory holding real (a file) and root's symlinks
// alt -> HIDDEN2/alt (HIDDEN2, beside SECRET, outside the rules, holding
// root's alt -> RO/real), dirlink -> SECRET, dirlink_X -> SECRET/XD and
// dirlink_Y -> SECRET/YD. The program is started in SECRET: its working
// directory is a directory outside the rules.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *w, *secret, *ro;
static char paths[4][4096];
static int next_path;

// DIR/NAME (NAME may hold a %s for "X" or "Y"); the last four stay valid.
static const char* in(const char* dir, const char* name, const char* which) {
  char* buf = paths[next_path];
  next_path = (next_path + 1) % 4;
  char formatted[1024];
  snprintf(formatted, sizeof(formatted), name, which);
  snprintf(buf, sizeof(paths[0]), "%s/%s", dir, formatted);
  return buf;
}

static const char* answer(long rc) {
  static char text[2][32];
  static int next;
  char* out = text[next];
  next = !next;
  snprintf(out, sizeof(text[0]), "%s", rc >= 0 ? "ok" : strerrorname_np(errno));
  return out;
}

// The call f, through "X" then "Y": one line.
typedef long (*Call)(const char* which);

static void both(const char* name, Call f) {
  const char* x = answer(f("X"));
  const char* y = answer(f("Y"));
  printf("%s: %s %s\n", name, x, y);
}

static long closed(long fd) {
  if (fd >= 0) close((int)fd);
  return fd;
}

static long openat2_call(int dirfd, const char* path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how = {flags, mode, resolve};
  return closed(syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

static struct stat st;
static char buf[256];

static long c_stat(const char* s) { return stat(in(w, "l_%s", s), &st); }
static long c_lstat_below(const char* s) { return lstat(in(w, "d_%s/x", s), &st); }
static long c_statx(const char* s) {
  struct statx sx;
  return statx(AT_FDCWD, in(w, "l_%s", s), 0, STATX_BASIC_STATS, &sx);
}
static long c_access(const char* s) { return access(in(w, "l_%s", s), F_OK); }
static long c_access_nofollow(const char* s) {
  return faccessat(AT_FDCWD, in(w, "d_%s/x", s), F_OK, AT_SYMLINK_NOFOLLOW);
}
static long c_readlink(const char* s) { return readlink(in(w, "d_%s/x", s), buf, sizeof(buf)); }
static long c_open(const char* s) { return closed(open(in(w, "l_%s", s), O_RDONLY)); }
static long c_open_path(const char* s) { return closed(open(in(w, "l_%s", s), O_PATH)); }
static long c_open_creat(const char* s) { return closed(open(in(w, "l_%s", s), O_WRONLY | O_CREAT, 0644)); }
static long c_open_creat_below(const char* s) { return closed(open(in(w, "d_%s/new", s), O_WRONLY | O_CREAT, 0644)); }
static long c_open_excl_below(const char* s) {
  return closed(open(in(w, "d_%s/new", s), O_WRONLY | O_CREAT | O_EXCL, 0644));
}
static long c_openat2(const char* s) { return openat2_call(AT_FDCWD, in(w, "l_%s", s), O_RDONLY, 0, 0); }
static long c_openat2_xdev(const char* s) {
  return openat2_call(AT_FDCWD, in(w, "l_%s", s), O_RDONLY, 0, RESOLVE_NO_XDEV);
}
static long c_openat2_creat(const char* s) {
  return openat2_call(AT_FDCWD, in(w, "d_%s/new", s), O_WRONLY | O_CREAT, 0644, RESOLVE_NO_XDEV);
}
static long c_chdir(const char* s) {
  const long rc = chdir(in(w, "d_%s", s));
  if (chdir(w) != 0) exit(3);
  return rc;
}
static long c_mkdir(const char* s) { return mkdir(in(w, "d_%s/new", s), 0755); }
static long c_unlink(const char* s) { return unlink(in(w, "d_%s/x", s)); }
static long c_rmdir(const char* s) { return rmdir(in(w, "d_%s/x", s)); }
static long c_symlink(const char* s) { return symlink("t", in(w, "d_%s/s", s)); }
static long c_rename_to(const char* s) { return rename(in(w, "f2", s), in(w, "d_%s/x", s)); }
static long c_rename_from(const char* s) { return rename(in(w, "d_%s/x", s), in(w, "f3", s)); }
static long c_chmod(const char* s) { return chmod(in(w, "l_%s", s), 0644); }
static long c_chown(const char* s) { return chown(in(w, "l_%s", s), (uid_t)-1, (gid_t)-1); }
static long c_utimensat(const char* s) { return utimensat(AT_FDCWD, in(w, "l_%s", s), NULL, 0); }
static long c_up(const char* s) { return stat(in(w, "up_%s", s), &st); }
static long c_up_open(const char* s) { return closed(open(in(w, "up_%s", s), O_RDONLY)); }
static long c_far(const char* s) { return stat(in(w, "far_%s", s), &st); }
static long c_host_link(const char* s) { return stat(in(ro, "dirlink/%s", s), &st); }
static long c_planted_alt(const char* s) { return stat(in(w, "alt_%s", s), &st); }
static long c_host_dir_excl(const char* s) {
  return openat2_call(AT_FDCWD, in(ro, "dirlink_%s/", s), O_WRONLY | O_CREAT | O_EXCL, 0644, RESOLVE_NO_XDEV);
}
static long c_cwd_openat(const char* s) { return closed(openat(AT_FDCWD, s, O_RDONLY)); }
static long c_cwd_fstatat(const char* s) { return fstatat(AT_FDCWD, s, &st, 0); }
static long c_cwd_beneath(const char* s) { return openat2_call(AT_FDCWD, s, O_RDONLY, 0, RESOLVE_BENEATH); }
static long c_cwd_in_root(const char* s) { return openat2_call(AT_FDCWD, s, O_PATH, 0, RESOLVE_IN_ROOT); }

static void link_to(const char* target_dir, const char* target, const char* name, const char* which) {
  char text[4096];
  snprintf(text, sizeof(text), "%s/", target_dir);
  snprintf(text + strlen(text), sizeof(text) - strlen(text), target, which);
  if (symlink(text, in(w, name, which)) != 0) printf("symlink %s: %s\n", text, strerrorname_np(errno));
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  w = argv[1];
  secret = argv[2];
  ro = argv[3];
  // From the directory it was started in, outside the rules.
  both("openat from the start directory", c_cwd_openat);
  both("fstatat from the start directory", c_cwd_fstatat);
  both("openat2 RESOLVE_BENEATH from the start directory", c_cwd_beneath);
  both("openat2 RESOLVE_IN_ROOT from the start directory", c_cwd_in_root);
  if (chdir(w) != 0) return 3;
  const char* sides[] = {"X", "Y"};
  for (int i = 0; i < 2; ++i) {
    const char* s = sides[i];
    link_to(secret, "%s", "l_%s", s);
    link_to(secret, "%sD", "d_%s", s);
    // Out through SECRET/XD and back into W by "..": it resolves only if
    // SECRET/XD exists.
    link_to(secret, "%sD/../../../w/f", "up_%s", s);
    // Several links, the last one out.
    link_to(w, "l_%s", "far_%s", s);
    // A link of the program's to a name in a directory outside the rules
    // (HIDDEN2/alt is root's link back to RO/real; there is no HIDDEN2/alY).
    char hidden2[4096];
    snprintf(hidden2, sizeof(hidden2), "%s", secret);
    strcpy(strrchr(hidden2, '/'), "/hidden2");
    link_to(hidden2, i == 0 ? "alt" : "al%s", "alt_%s", s);
  }

  both("stat", c_stat);
  both("lstat below", c_lstat_below);
  both("statx", c_statx);
  both("access", c_access);
  both("faccessat nofollow below", c_access_nofollow);
  both("readlink below", c_readlink);
  both("open", c_open);
  both("open O_PATH", c_open_path);
  both("open O_CREAT", c_open_creat);
  both("open O_CREAT below", c_open_creat_below);
  both("open O_CREAT|O_EXCL below", c_open_excl_below);
  both("openat2", c_openat2);
  both("openat2 RESOLVE_NO_XDEV", c_openat2_xdev);
  both("openat2 O_CREAT below", c_openat2_creat);
  both("chdir", c_chdir);
  both("mkdir below", c_mkdir);
  both("unlink below", c_unlink);
  both("rmdir below", c_rmdir);
  both("symlink below", c_symlink);
  both("rename to below", c_rename_to);
  both("rename from below", c_rename_from);
  both("chmod", c_chmod);
  both("chown", c_chown);
  both("utimensat", c_utimensat);
  both("out and back by ..", c_up);
  both("open out and back by ..", c_up_open);
  both("a chain of links", c_far);
  both("a name in root's link to a hidden directory", c_host_link);
  both("the program's link into a hidden directory", c_planted_alt);
  both("O_CREAT|O_EXCL of root's link to a hidden directory", c_host_dir_excl);

  // Inside the rules: a missing file is ENOENT, however it is reached.
  printf("missing: %s\n", answer(stat(in(w, "missing", ""), &st)));
  printf("missing below a file: %s\n", answer(stat(in(w, "f/missing", ""), &st)));
  if (symlink("missing", in(w, "dangling", "")) != 0 || symlink("nodir/x", in(w, "dangling2", "")) != 0 ||
      symlink(w, in(w, "self", "")) != 0)
    printf("symlink: %s\n", strerrorname_np(errno));
  printf("dangling link: %s\n", answer(stat(in(w, "dangling", ""), &st)));
  printf("dangling link lstat: %s\n", answer(lstat(in(w, "dangling", ""), &st)));
  printf("dangling link below: %s\n", answer(stat(in(w, "dangling2", ""), &st)));
  printf("missing through a link: %s\n", answer(stat(in(w, "self/missing", ""), &st)));
  printf("chdir through a link: %s\n", answer(chdir(in(w, "self/nodir", ""))));
  printf("open through a link: %s\n", answer(closed(open(in(w, "self/missing", ""), O_RDONLY))));
  printf("create through a dangling link: %s\n", answer(closed(open(in(w, "dangling", ""), O_WRONLY | O_CREAT, 0644))));
  printf("made: %s\n", answer(stat(in(w, "missing", ""), &st)));
  printf("O_EXCL on a link: %s\n", answer(closed(open(in(w, "dangling", ""), O_WRONLY | O_CREAT | O_EXCL, 0644))));
  printf("mkdir through a link: %s\n", answer(mkdir(in(w, "self/newdir", ""), 0755)));
  printf("openat2 through a link: %s\n",
         answer(openat2_call(AT_FDCWD, in(w, "self/missing2", ""), O_RDONLY, 0, RESOLVE_NO_XDEV)));
  // Root's links through a directory outside the rules, back to an allowed
  // file, work (as /usr/lib/...so -> /etc/alternatives/... -> /usr/lib/...).
  char text[64] = {0};
  const int fd = open(in(ro, "alt", ""), O_RDONLY);
  printf("root's link through a hidden directory: %s %s", answer(fd), fd >= 0 && read(fd, text, 63) > 0 ? text : "\n");
  return 0;
}
