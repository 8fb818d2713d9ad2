// write_execute ATTEMPT...: what a program that writes code and then runs it
// is let do. Makes each attempt named, in order, and prints one line for
// each, "NAME ok" or "NAME ERRNO-NAME":
//   mmap-wx        an anonymous mapping writable and executable at once
//   mprotect-rx    a writable mapping, "mov eax, 42; ret" written into it,
//                  made read+execute; when allowed, the code is run and
//                  prints "ran 42"
//   mprotect-r-rx  a read+execute mapping made read-only, then executable again
// Exits 0 once every attempt has been made, whatever the answers (a policy
// may kill it instead: builtin:stdio kills mmap-wx).
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace {
constexpr size_t kPage = 4096;

bool say(const char* name, bool ok) {
  if (ok) std::printf("%s ok\n", name);
  else std::printf("%s %s\n", name, strerrorname_np(errno));
  std::fflush(stdout);
  return ok;
}

void mmap_wx() {
  void* wx = mmap(nullptr, kPage, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("mmap-wx", wx != MAP_FAILED);
}

void mprotect_rx() {
  void* rw = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!say("mmap-rw", rw != MAP_FAILED)) return;
  static const unsigned char kCode[] = {0xb8, 42, 0, 0, 0, 0xc3};  // mov eax, 42; ret
  std::memcpy(rw, kCode, sizeof(kCode));
  if (!say("mprotect-rx", mprotect(rw, kPage, PROT_READ | PROT_EXEC) == 0)) return;
  std::printf("ran %d\n", reinterpret_cast<int (*)()>(rw)());
}

void mprotect_r_rx() {
  void* rx = mmap(nullptr, kPage, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!say("mmap-rx", rx != MAP_FAILED)) return;
  say("mprotect-r-rx", mprotect(rx, kPage, PROT_READ) == 0 && mprotect(rx, kPage, PROT_READ | PROT_EXEC) == 0);
}
}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "mmap-wx") == 0) mmap_wx();
    else if (std::strcmp(argv[i], "mprotect-rx") == 0) mprotect_rx();
    else if (std::strcmp(argv[i], "mprotect-r-rx") == 0) mprotect_r_rx();
    else {
      std::fprintf(stderr, "write_execute: unknown attempt %s\n", argv[i]);
      return 2;
    }
  }
  std::fflush(stdout);
  return 0;
}
