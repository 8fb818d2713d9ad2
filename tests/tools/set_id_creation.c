// Asks for set-user-ID and set-group-ID bits by every call that creates or
// changes a file (run_cases.py no-set-id). One line per attempt: "WHAT: mode
// M" (the mode the file has afterwards) or the errno's name.
//   usage: set_id_creation DIR
// DIR is an --allow-write directory holding sgid/, a set-group-ID directory,
// and pre, a set-user-ID file of the user's made outside.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* dir;

static const char* in_dir(const char* name) {
  static char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  return path;
}

static void show(const char* what, const char* name, long rc) {
  struct stat st;
  if (rc < 0) printf("%s: %s\n", what, strerrorname_np(errno));
  else if (stat(in_dir(name), &st) != 0) printf("%s: made, but stat: %s\n", what, strerrorname_np(errno));
  else printf("%s: mode %o\n", what, st.st_mode & 07777);
}

static long closed(long fd) {
  if (fd >= 0) close((int)fd);
  return fd;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  dir = argv[1];
  umask(0);
  const int d = open(dir, O_RDONLY | O_DIRECTORY);
  show("open 04755", "a", closed(open(in_dir("a"), O_CREAT | O_WRONLY, 04755)));
  show("open 02755", "b", closed(open(in_dir("b"), O_CREAT | O_WRONLY, 02755)));
  show("openat 06755", "c", closed(openat(d, "c", O_CREAT | O_EXCL | O_WRONLY, 06755)));
  show("creat 06777", "d", closed(creat(in_dir("d"), 06777)));
  struct open_how how = {.flags = O_CREAT | O_WRONLY, .mode = 06755};
  show("openat2 06755", "e", closed(syscall(SYS_openat2, d, "e", &how, sizeof(how))));
  how.resolve = RESOLVE_BENEATH;
  show("openat2 beneath 06755", "f", closed(syscall(SYS_openat2, d, "f", &how, sizeof(how))));
  show("mkdir 06755", "g", mkdir(in_dir("g"), 06755));
  show("mkdirat 02755", "h", mkdirat(d, "h", 02755));
  const int t = open(dir, O_TMPFILE | O_WRONLY, 06755);
  struct stat st;
  if (t < 0 || fstat(t, &st) != 0) printf("O_TMPFILE 06755: %s\n", strerrorname_np(errno));
  else printf("O_TMPFILE 06755: mode %o\n", st.st_mode & 07777);
  if (t >= 0) close(t);
  show("mknod 06755", "i", mknod(in_dir("i"), S_IFREG | 06755, 0));
  show("chmod 04755", "a", chmod(in_dir("a"), 04755));
  show("fchmodat 02755", "a", fchmodat(d, "a", 02755, 0));
  const int fd = open(in_dir("a"), O_WRONLY);
  show("fchmod 06755", "a", fchmod(fd, 06755));
  close(fd);
  // In a set-group-ID directory: a file never gets the bit; a directory
  // inherits it, as natively (it passes the group on, no privilege).
  show("open in sgid/ 02775", "sgid/j", closed(open(in_dir("sgid/j"), O_CREAT | O_WRONLY, 02775)));
  show("mkdir in sgid/", "sgid/k", mkdir(in_dir("sgid/k"), 0755));
  // A set-user-ID file already there, opened to write with O_CREAT: it loses
  // the bit, as at the first write.
  show("open pre O_CREAT", "pre", closed(open(in_dir("pre"), O_CREAT | O_WRONLY, 0644)));
  return 0;
}
