#include "crash_report.h"

#include <elf.h>
#include <sys/ucontext.h>

#include <cstring>
#include <string>
#include <vector>

namespace sbx::trusted {

bool dumps_core(int signal) {
  switch (signal) {
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGSYS:
    case SIGXCPU:
    case SIGXFSZ: return true;
    default: return false;
  }
}

bool thread_from_report(const CrashReport& report, int signal, CoreThread* thread, siginfo_t* info) {
  if (report.magic != kCrashReportMagic) return false;
  static_assert(sizeof(report.info) == sizeof(siginfo_t));
  std::memcpy(info, report.info, sizeof(*info));
  if (info->si_signo != signal) return false;
  const unsigned long long* g = report.gregs;
  user_regs_struct& r = thread->regs;
  r = {};
  r.r8 = g[REG_R8], r.r9 = g[REG_R9], r.r10 = g[REG_R10], r.r11 = g[REG_R11];
  r.r12 = g[REG_R12], r.r13 = g[REG_R13], r.r14 = g[REG_R14], r.r15 = g[REG_R15];
  r.rdi = g[REG_RDI], r.rsi = g[REG_RSI], r.rbp = g[REG_RBP], r.rbx = g[REG_RBX];
  r.rdx = g[REG_RDX], r.rax = g[REG_RAX], r.rcx = g[REG_RCX], r.rsp = g[REG_RSP];
  r.rip = g[REG_RIP], r.eflags = g[REG_EFL];
  // uc_mcontext's csgsfs: cs, gs, fs, then ss (Linux 4.8 and later).
  const unsigned long long segments = g[REG_CSGSFS];
  r.cs = segments & 0xffff;
  r.ss = (segments >> 48) & 0xffff;
  r.orig_rax = ~0ULL;  // not in a system call
  r.fs_base = report.fs_base;
  thread->has_fpregs = report.has_fpregs == 1;
  static_assert(sizeof(report.fpregs) == sizeof(user_fpregs_struct));
  if (thread->has_fpregs) std::memcpy(&thread->fpregs, report.fpregs, sizeof(thread->fpregs));
  return true;
}

void program_words(const std::string& cmdline, std::string* path, std::string* args) {
  std::vector<std::string> words;
  for (size_t start = 0; start < cmdline.size();) {
    size_t end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    words.push_back(cmdline.substr(start, end - start));
    start = end + 1;
  }
  size_t first = 0;
  const std::string loader = kSystemLoader;
  if (!words.empty() && words[0] == loader) {
    first = 1;
    while (first < words.size() && words[first].rfind("--", 0) == 0) {
      const std::string& option = words[first];
      const bool takes_value = option == "--argv0" || option == "--preload" || option == "--library-path" ||
                               option == "--audit" || option == "--inhibit-rpath" ||
                               option == "--glibc-hwcaps-prepend" || option == "--glibc-hwcaps-mask";
      first += takes_value ? 2 : 1;
    }
  }
  path->clear();
  args->clear();
  if (first >= words.size()) return;
  *path = words[first];
  for (size_t i = first; i < words.size(); ++i) *args += (i > first ? " " : "") + words[i];
}

std::string auxv_as_native(const std::string& auxv, const unsigned char* header, size_t header_size, uint64_t base,
                           uint64_t loader_base) {
  Elf64_Ehdr ehdr;
  if (header_size < sizeof(ehdr)) return auxv;
  std::memcpy(&ehdr, header, sizeof(ehdr));
  if (std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0 || ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
      (ehdr.e_type != ET_DYN && ehdr.e_type != ET_EXEC))
    return auxv;
  // An ET_EXEC is mapped at its own addresses: its first segment's (the
  // mapping at the file's start, `base`) less its file offset 0.
  const uint64_t load_bias = ehdr.e_type == ET_DYN ? base : 0;
  const uint64_t phdr = base + ehdr.e_phoff;
  std::string out = auxv;
  for (size_t at = 0; at + 16 <= out.size(); at += 16) {
    uint64_t pair[2];
    std::memcpy(pair, out.data() + at, 16);
    if (pair[0] == AT_NULL) break;
    if (pair[0] == AT_PHDR) pair[1] = phdr;
    else if (pair[0] == AT_PHNUM) pair[1] = ehdr.e_phnum;
    else if (pair[0] == AT_ENTRY) pair[1] = load_bias + ehdr.e_entry;
    else if (pair[0] == AT_BASE) pair[1] = loader_base;
    else continue;
    std::memcpy(out.data() + at, pair, 16);
  }
  return out;
}

std::string printable(const std::string& text, size_t most) {
  std::string out = text.substr(0, most);
  for (char& c : out)
    if (c < 0x20 || c > 0x7e) c = '?';
  return out;
}

std::string core_name(const std::string& program, pid_t pid, pid_t host_pid, long seconds) {
  std::string name;
  for (const char c : program.substr(0, 15)) {
    const bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    name += plain ? c : '_';
  }
  if (name.empty() || name[0] == '.') name.insert(0, "_");
  return "core." + name + "." + std::to_string(pid) + "." + std::to_string(host_pid) + "." + std::to_string(seconds);
}

}  // namespace sbx::trusted
