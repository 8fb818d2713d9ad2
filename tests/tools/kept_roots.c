// Tries to remove, rename, replace and re-mode the roots of the rules from
// inside the sandbox (run_cases.py kept-roots), and checks that what below
// them is the program's stays so. One line per attempt: "WHAT: ok" or the
// errno's name.
//   usage: kept_roots A B FILE DATA
// A and B are --allow-write directories, FILE an --allow-write file, DATA an
// --allow-read file in A/in (so A/in is on the way to a root).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static void say(const char* what, long rc) { printf("%s: %s\n", what, rc == 0 ? "ok" : strerrorname_np(errno)); }

static char path_buf[3][4096];
static const char* in(int slot, const char* dir, const char* name) {
  snprintf(path_buf[slot], sizeof(path_buf[slot]), "%s/%s", dir, name);
  return path_buf[slot];
}

int main(int argc, char** argv) {
  if (argc != 5) return 2;
  const char *a = argv[1], *b = argv[2], *file = argv[3], *data = argv[4];
  const char* a_name = strrchr(a, '/') + 1;
  const int fd = open(a, O_RDONLY | O_DIRECTORY);

  // The root's mode and owner: by path, through ".", by descriptor.
  say("chmod A", chmod(a, 0777));
  say("chmod A/.", chmod(in(0, a, "."), 0777));
  say("fchmodat A", fchmodat(AT_FDCWD, a, 0700, 0));
  say("fchmod A", fchmod(fd, 0777));
  say("fchownat A group", fchownat(fd, "", (uid_t)-1, 0, AT_EMPTY_PATH));
  say("chmod A to its own mode", chmod(a, 0755));
  say("chown A to its own owner", chown(a, (uid_t)-1, (gid_t)-1));
  // Removed, moved away, replaced, exchanged.
  say("rmdir A", rmdir(a));
  say("unlinkat A", unlinkat(AT_FDCWD, a, AT_REMOVEDIR));
  say("rename A into B", rename(a, in(0, b, "moved")));
  say("rename B over A", rename(b, a));
  say("exchange A and B", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE));
  // Through a symlink in A to A's parent: the path is below A, the file A.
  say("symlink A/up -> ..", symlink("..", in(0, a, "up")));
  char up_a[4096];
  snprintf(up_a, sizeof(up_a), "%s/up/%s", a, a_name);
  say("rmdir A/up/A", rmdir(up_a));
  say("chmod A/up/A", chmod(up_a, 0777));
  say("rename A/up/A into B", rename(up_a, in(2, b, "moved")));
  say("unlink A/up", unlink(in(0, a, "up")));
  // A file rule's root.
  say("chmod FILE", chmod(file, 0666));
  say("unlink FILE", unlink(file));
  say("symlink at FILE", symlink("/etc/hostname", file));
  close(open(in(0, a, "f"), O_CREAT | O_WRONLY, 0644));
  say("rename A/f over FILE", rename(path_buf[0], file));
  say("unlink A/f", unlink(path_buf[0]));
  // On the way to a root: A/in holds DATA.
  say("rename A/in", rename(in(0, a, "in"), in(1, a, "in2")));
  say("chmod A/in", chmod(path_buf[0], 0777));
  say("unlink DATA", unlink(data));
  // Below the roots, everything stays the program's.
  say("mkdir A/sub", mkdir(in(0, a, "sub"), 0755));
  say("chmod A/sub", chmod(path_buf[0], 0700));
  say("rename A/sub A/sub2", rename(path_buf[0], in(1, a, "sub2")));
  say("rename A/sub2 B/sub3", rename(path_buf[1], in(2, b, "sub3")));
  say("rmdir B/sub3", rmdir(path_buf[2]));
  close(open(in(0, a, "x"), O_CREAT | O_WRONLY, 0644));
  say("chmod A/x", chmod(path_buf[0], 0600));
  say("unlink A/x", unlink(path_buf[0]));
  return 0;
}
