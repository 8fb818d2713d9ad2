// openat2's open_how under sbx run (run_cases.py openat2-flags): the
// trusted process answers what the kernel's openat2 would, EINVAL for flag
// or resolve bits it does not know (the attack: they were accepted, and
// open()'s leniency applied), before it looks at the path. open() and
// openat() still ignore unknown bits, as the kernel's do.
// One line per step: the result, or the errno's name.
//   usage: openat2_flags W OUTSIDE
// W is an --allow-write directory holding f; OUTSIDE a file outside the
// rules.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char path_buf[4096];

static const char* in(const char* dir, const char* name) {
  snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
  return path_buf;
}

static const char* err(void) { return strerrorname_np(errno); }

static void result(const char* what, long fd) {
  printf("%s: %s\n", what, fd >= 0 ? "ok" : err());
  if (fd >= 0) close((int)fd);
}

// openat2 with a struct of `size` bytes: open_how, then `extra` in the
// first byte past it.
static long openat2_sized(const char* path, uint64_t flags, uint64_t mode, uint64_t resolve, size_t size, char extra) {
  static char block[8192];
  memset(block, 0, sizeof(block));
  struct open_how how = {flags, mode, resolve};
  memcpy(block, &how, sizeof(how));
  block[sizeof(how)] = extra;
  return syscall(SYS_openat2, AT_FDCWD, path, block, size);
}

static long openat2(const char* path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  return openat2_sized(path, flags, mode, resolve, sizeof(struct open_how), 0);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const char *w = argv[1], *outside = argv[2];
  char f[4096];
  snprintf(f, sizeof(f), "%s", in(w, "f"));
  result("plain", openat2(f, O_RDONLY, 0, 0));
  result("flag 04", openat2(f, O_RDONLY | 04, 0, 0));
  result("flag 040", openat2(f, O_RDONLY | 040, 0, 0));
  result("flag 1<<31", openat2(f, O_RDONLY | (1ULL << 31), 0, 0));
  result("flag 1<<40", openat2(f, O_RDONLY | (1ULL << 40), 0, 0));
  result("flag 1<<40 outside the rules", openat2(outside, O_RDONLY | (1ULL << 40), 0, 0));
  result("flag 1<<40 with O_CREAT", openat2(in(w, "new1"), O_WRONLY | O_CREAT | (1ULL << 40), 0644, 0));
  result("O_PATH with flag 04", openat2(f, O_PATH | 04, 0, 0));
  result("resolve 0x40", openat2(f, O_RDONLY, 0, 0x40));
  result("resolve 1<<40", openat2(f, O_RDONLY, 0, 1ULL << 40));
  result("resolve 0x40 outside the rules", openat2(outside, O_RDONLY, 0, 0x40));
  result("RESOLVE_BENEATH|RESOLVE_IN_ROOT", openat2(f, O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT));
  result("RESOLVE_CACHED with O_CREAT", openat2(in(w, "new2"), O_WRONLY | O_CREAT, 0644, RESOLVE_CACHED));
  result("mode 010644", openat2(in(w, "new3"), O_WRONLY | O_CREAT, 010644, 0));
  result("mode without O_CREAT", openat2(f, O_RDONLY, 0644, 0));
  result("O_TMPFILE read-only", openat2(w, O_RDONLY | O_TMPFILE, 0600, 0));
  result("O_DIRECTORY", openat2(w, O_RDONLY | O_DIRECTORY, 0, 0));
  result("O_DIRECTORY with RESOLVE_NO_XDEV", openat2(w, O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_XDEV));
  result("O_DIRECTORY with a mode", openat2(w, O_RDONLY | O_DIRECTORY, 0644, 0));
  result("size 16", openat2_sized(f, O_RDONLY, 0, 0, 16, 0));
  result("size 32, zeros past the struct", openat2_sized(f, O_RDONLY, 0, 0, 32, 0));
  result("size 32, a byte past the struct", openat2_sized(f, O_RDONLY, 0, 0, 32, 1));
  result("size 4097", openat2_sized(f, O_RDONLY, 0, 0, 4097, 0));
  result("openat with flag 04", openat(AT_FDCWD, f, O_RDONLY | 04));
  result("openat with flag 1<<30", openat(AT_FDCWD, f, O_RDONLY | (1 << 30)));
  printf("created: %s %s %s\n", access(in(w, "new1"), F_OK) == 0 ? "new1" : "-",
         access(in(w, "new2"), F_OK) == 0 ? "new2" : "-", access(in(w, "new3"), F_OK) == 0 ? "new3" : "-");
  return 0;
}
