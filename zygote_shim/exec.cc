// Exec inside the sandbox, for the shim. After the chroot the kernel looks a
// program up in the empty root, and a dynamic program's ELF interpreter too;
// so the filter traps execve and execveat, and this code does what the
// kernel would have done with what the rules let the program read:
//
//   - the file is opened through the trusted process (a brokered open: the
//     rules decide) and must be a regular file with an execute bit (EACCES);
//   - "#!" scripts: the interpreter line read from that descriptor, with the
//     kernel's rules (binfmt_script: at most 255 bytes, one optional
//     argument, the script's name appended, up to 4 levels: ELOOP);
//   - a dynamic ELF program is run by the system's loader, itself opened
//     through the trusted process and executed from its descriptor, with
//     the shim preloaded again: {loader, --argv0 ARGV0, --preload SHIM,
//     PROGRAM, ARG...}; the loader opens PROGRAM through the trusted process;
//   - a static ELF program is executed from its descriptor;
//   - anything else is ENOEXEC (a shell then runs it as a script itself).
//
// The execveat that runs it carries kShimCallMark, which the filter lets
// through (Landlock's exec domain still decides what may run). Nothing here
// is a boundary: a program that calls execveat itself reaches no more.
#include <elf.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cerrno>

#include "raw_syscall.h"
#include "rewrite.h"
#include "sandbox.h"

namespace sbx::shim {

namespace {

constexpr int kMaxScriptLevels = 4;  // the kernel's: a fifth "#!" is ELOOP
constexpr long kBufferSize = 256;    // BINPRM_BUF_SIZE

bool is_space(char c) { return c == ' ' || c == '\t'; }

// "/proc/self/fd/N" for the loader to open: the trusted process answers it
// with the program's descriptor N (its rules checked when it was opened).
void fd_name(int fd, char* out) {
  const char prefix[] = "/proc/self/fd/";
  long i = 0;
  for (; prefix[i] != '\0'; ++i) out[i] = prefix[i];
  char digits[12];
  int n = 0;
  do digits[n++] = static_cast<char>('0' + fd % 10), fd /= 10;
  while (fd > 0);
  while (n > 0) out[i++] = digits[--n];
  out[i] = '\0';
}

// What the file at fd is: a script (its interpreter and optional argument
// parsed into line), an ELF program (dynamic or not), or neither.
enum class Kind { kScript, kDynamic, kStatic, kOther };

Kind kind_of(int fd, char* line, char** interpreter, char** argument) {
  const long got = raw_syscall(SYS_pread64, fd, reinterpret_cast<long>(line), kBufferSize - 1, 0);
  if (got < 0) return Kind::kOther;
  line[got] = '\0';
  if (got >= 2 && line[0] == '#' && line[1] == '!') {
    // The first line, without "#!": spaces, the interpreter, spaces, the
    // argument to the end of the line (spaces inside kept, trailing ones
    // not). Cut at 255 bytes like the kernel's buffer.
    long end = 2;
    while (end < got && line[end] != '\n') ++end;
    line[end] = '\0';
    while (end > 2 && is_space(line[end - 1])) line[--end] = '\0';
    long i = 2;
    while (is_space(line[i])) ++i;
    if (line[i] == '\0') return Kind::kOther;  // "#!" and nothing: ENOEXEC
    *interpreter = line + i;
    while (line[i] != '\0' && !is_space(line[i])) ++i;
    *argument = nullptr;
    if (line[i] != '\0') {
      line[i++] = '\0';
      while (is_space(line[i])) ++i;
      if (line[i] != '\0') *argument = line + i;
    }
    return Kind::kScript;
  }
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(line);
  if (got < static_cast<long>(sizeof(Elf64_Ehdr)) || eh->e_ident[0] != ELFMAG0 || eh->e_ident[1] != ELFMAG1 ||
      eh->e_ident[2] != ELFMAG2 || eh->e_ident[3] != ELFMAG3)
    return Kind::kOther;
  if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr))
    return Kind::kOther;
  const unsigned long phoff = eh->e_phoff;
  const int phnum = eh->e_phnum;
  for (int i = 0; i < phnum; ++i) {
    Elf64_Phdr ph;
    if (raw_syscall(SYS_pread64, fd, reinterpret_cast<long>(&ph), sizeof(ph),
                    static_cast<long>(phoff + static_cast<unsigned long>(i) * sizeof(ph))) != sizeof(ph))
      return Kind::kOther;
    if (ph.p_type == PT_INTERP) return Kind::kDynamic;
  }
  return Kind::kStatic;
}

// Opens what execve(at, path) names, as the kernel would open it for an
// exec: a regular file with an execute bit. Returns the descriptor or -errno.
long open_program(long at, const char* path, long flags) {
  long fd;
  if ((flags & AT_EMPTY_PATH) && path[0] == '\0') {
    fd = raw_syscall(SYS_fcntl, at, F_DUPFD_CLOEXEC, 0);
  } else {
    const long nofollow = (flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0;
    fd = raw_syscall(SYS_openat, at, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC | nofollow, 0);
    if (fd == -ELOOP && nofollow) return -ELOOP;
  }
  if (fd < 0) return fd;
  struct statx sx;
  const long rc = raw_syscall(SYS_statx, fd, reinterpret_cast<long>(""), AT_EMPTY_PATH, STATX_TYPE | STATX_MODE,
                              reinterpret_cast<long>(&sx));
  if (rc < 0 || (sx.stx_mode & S_IFMT) != S_IFREG || (sx.stx_mode & 0111) == 0) {
    raw_syscall(SYS_close, fd);
    return rc < 0 ? rc : -EACCES;
  }
  return fd;
}

}  // namespace

long emulate_exec(long dirfd, const char* path, char* const* argv, char* const* envp, long flags) {
  if (path == nullptr) return -EFAULT;
  if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) != 0) return -EINVAL;
  // The names each "#!" level puts before the arguments that follow the
  // original argv[0]: interpreter, optional argument, script.
  char lines[kMaxScriptLevels + 1][kBufferSize];
  char script_names[kMaxScriptLevels + 1][32];
  const char* prefix[3 * (kMaxScriptLevels + 1)];
  int prefixed = 0;
  const char* name = path;  // as given: what a script level appends
  long at = dirfd;
  long fd = -1;
  char* interpreter = nullptr;
  char* argument = nullptr;
  Kind kind = Kind::kOther;
  for (int level = 0;; ++level) {
    fd = open_program(at, name, flags);
    if (fd < 0) return fd;
    kind = kind_of(static_cast<int>(fd), lines[level], &interpreter, &argument);
    if (kind != Kind::kScript) break;
    if (level == kMaxScriptLevels) return raw_syscall(SYS_close, fd), -ELOOP;
    // A script reached through a descriptor is named by it, as the kernel
    // names it /dev/fd/N (here: the name the trusted process answers).
    const char* script = name;
    if (at != AT_FDCWD && name[0] != '/') {
      const long copy = raw_syscall(SYS_fcntl, fd, F_DUPFD, 0);  // kept open across the exec
      if (copy < 0) return raw_syscall(SYS_close, fd), copy;
      fd_name(static_cast<int>(copy), script_names[level]);
      script = script_names[level];
    }
    raw_syscall(SYS_close, fd);
    // As binfmt_script does: the previous level's argv[0] is replaced by
    // this level's words (the original argv[0] is dropped at the end).
    const int count = argument != nullptr ? 3 : 2;
    const int kept = prefixed > 0 ? prefixed - 1 : 0;
    for (int i = kept - 1; i >= 0; --i) prefix[count + i] = prefix[1 + i];
    prefix[0] = interpreter;
    if (argument != nullptr) prefix[1] = argument, prefix[2] = script;
    else prefix[1] = script;
    prefixed = count + kept;
    name = interpreter;
    at = AT_FDCWD;
    flags = 0;
  }
  if (kind == Kind::kOther) return raw_syscall(SYS_close, fd), -ENOEXEC;

  // The new argument list: the loader's words, the script levels' words,
  // then the original arguments after argv[0] (argv[0] itself unless a
  // script replaced it).
  long argc = 0;
  if (argv != nullptr)
    while (argv[argc] != nullptr) ++argc;
  const char* argv0 = prefixed > 0 ? prefix[0] : (argc > 0 ? argv[0] : "");
  char program_name[32];
  const char* program = prefixed > 0 ? prefix[0] : path;
  if (kind == Kind::kDynamic && prefixed == 0 && (dirfd != AT_FDCWD && path[0] != '/')) {
    const long copy = raw_syscall(SYS_fcntl, fd, F_DUPFD, 0);
    if (copy < 0) return raw_syscall(SYS_close, fd), copy;
    fd_name(static_cast<int>(copy), program_name);
    program = program_name;
  }
  // The environment as given, without any SBX_SHIM (or SBX_CORE_DUMPS,
  // SBX_REWRITE), and with ours: the
  // next program's shim takes it out again (sandbox.h).
  long envc = 0;
  if (envp != nullptr)
    while (envp[envc] != nullptr) ++envc;
  const long total = 6 + prefixed + (argc > 1 ? argc - 1 : 0) + 1 + envc + 4;
  const long bytes = total * static_cast<long>(sizeof(char*));
  // On the stack when small (a vfork child's stack is small, and memory we
  // mapped there would stay in its parent); mapped otherwise.
  char* stack_list[512];
  char** list = stack_list;
  if (total > 512) {
    const long mapped = raw_syscall(SYS_mmap, 0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped < 0) return raw_syscall(SYS_close, fd), mapped;
    list = reinterpret_cast<char**>(mapped);
  }
  long n = 0;
  long runnable = fd;
  if (kind == Kind::kDynamic) {
    runnable = raw_syscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(kSystemLoader), O_RDONLY | O_CLOEXEC, 0);
    if (runnable < 0) {
      raw_syscall(SYS_close, fd);
      if (list != stack_list) raw_syscall(SYS_munmap, reinterpret_cast<long>(list), bytes);
      return runnable;
    }
    list[n++] = const_cast<char*>(kSystemLoader);
    list[n++] = const_cast<char*>("--argv0");
    list[n++] = const_cast<char*>(argv0);
    if (g_shim_entry[0] != '\0') {
      list[n++] = const_cast<char*>("--preload");
      list[n++] = g_shim_entry + sizeof(kEnvShim);  // the path, after the name and '='
    }
    list[n++] = const_cast<char*>(program);
    for (int i = 1; i < prefixed; ++i) list[n++] = const_cast<char*>(prefix[i]);
  } else {
    for (int i = 0; i < prefixed; ++i) list[n++] = const_cast<char*>(prefix[i]);
    if (prefixed == 0) list[n++] = const_cast<char*>(argv0);
  }
  for (long i = 1; i < argc; ++i) list[n++] = argv[i];
  list[n++] = nullptr;
  char** env = list + n;
  for (long i = 0; i < envc; ++i)
    if (!is_shim_entry(envp[i])) list[n++] = envp[i];
  if (g_shim_entry[0] != '\0') list[n++] = g_shim_entry;
  if (g_core_entry[0] != '\0') list[n++] = g_core_entry;
  if (g_rewrite_entry[0] != '\0') list[n++] = g_rewrite_entry;
  list[n] = nullptr;
  const long rc = raw_syscall(SYS_execveat, runnable, reinterpret_cast<long>(""), reinterpret_cast<long>(list),
                              reinterpret_cast<long>(env), AT_EMPTY_PATH, static_cast<long>(kShimCallMark));
  raw_syscall(SYS_close, runnable);
  if (runnable != fd) raw_syscall(SYS_close, fd);
  if (list != stack_list) raw_syscall(SYS_munmap, reinterpret_cast<long>(list), bytes);
  return rc;
}

}  // namespace sbx::shim
