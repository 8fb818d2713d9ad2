// The trusted process's pure decisions about a request for a core
// (trusted/crash_report.h): which signals dump core, the shim's report read
// as registers, the program's name under the loader, the core's file name.
#include <elf.h>
#include <signal.h>
#include <sys/ucontext.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "crash_report.h"

using namespace sbx::trusted;

TEST_CASE("only the signals whose default action dumps core") {
  for (int s : {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS, SIGXCPU, SIGXFSZ})
    CHECK(dumps_core(s));
  for (int s : {0, SIGHUP, SIGINT, SIGKILL, SIGTERM, SIGUSR1, SIGCHLD, SIGSTOP, SIGRTMIN, 65, -11})
    CHECK_FALSE(dumps_core(s));
}

namespace {
sbx::CrashReport report_for(int signal) {
  sbx::CrashReport report{};
  report.magic = sbx::kCrashReportMagic;
  siginfo_t info{};
  info.si_signo = signal;
  info.si_code = SEGV_MAPERR;
  std::memcpy(report.info, &info, sizeof(info));
  for (int i = 0; i < 23; ++i) report.gregs[i] = 1000 + static_cast<unsigned long long>(i);
  report.gregs[REG_CSGSFS] = 0x002b'0000'0000'0033ULL;  // ss 0x2b, cs 0x33
  report.fs_base = 0x7f00'1234'5000ULL;
  report.has_fpregs = 1;
  for (int i = 0; i < 512; ++i) report.fpregs[i] = static_cast<unsigned char>(i);
  return report;
}
}  // namespace

TEST_CASE("the report's registers land where gdb reads them") {
  const sbx::CrashReport report = report_for(SIGSEGV);
  CoreThread thread;
  siginfo_t info{};
  REQUIRE(thread_from_report(report, SIGSEGV, &thread, &info));
  CHECK(info.si_signo == SIGSEGV);
  CHECK(thread.regs.rip == 1000 + REG_RIP);
  CHECK(thread.regs.rsp == 1000 + REG_RSP);
  CHECK(thread.regs.rbp == 1000 + REG_RBP);
  CHECK(thread.regs.rax == 1000 + REG_RAX);
  CHECK(thread.regs.r8 == 1000 + REG_R8);
  CHECK(thread.regs.r15 == 1000 + REG_R15);
  CHECK(thread.regs.eflags == 1000 + REG_EFL);
  CHECK(thread.regs.cs == 0x33);
  CHECK(thread.regs.ss == 0x2b);
  CHECK(thread.regs.fs_base == 0x7f0012345000ULL);
  CHECK(thread.regs.orig_rax == ~0ULL);
  CHECK(thread.has_fpregs);
  CHECK(reinterpret_cast<const unsigned char*>(&thread.fpregs)[511] == 511 % 256);
}

TEST_CASE("a report that is not one, or of another signal, is refused") {
  sbx::CrashReport report = report_for(SIGSEGV);
  CoreThread thread;
  siginfo_t info{};
  CHECK_FALSE(thread_from_report(report, SIGABRT, &thread, &info));
  report.magic = 0;
  CHECK_FALSE(thread_from_report(report, SIGSEGV, &thread, &info));
}

TEST_CASE("the program's words, without the loader's") {
  std::string path, args;
  const std::string loader = sbx::kSystemLoader;
  using namespace std::string_literals;
  program_words(loader + "\0--argv0\0./crash\0--preload\0/usr/lib/sbx/libsbx-shim.so\0/home/u/crash\0-x\0y z\0"s, &path,
                &args);
  CHECK(path == "/home/u/crash");
  CHECK(args == "/home/u/crash -x y z");
  program_words("/usr/bin/static-thing\0a\0"s, &path, &args);
  CHECK(path == "/usr/bin/static-thing");
  CHECK(args == "/usr/bin/static-thing a");
  program_words(loader + "\0--argv0\0"s, &path, &args);
  CHECK(path.empty());
  program_words("", &path, &args);
  CHECK(path.empty());
}

TEST_CASE("the auxiliary vector of a native run") {
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_type = ET_DYN;
  header.e_phoff = 64;
  header.e_phnum = 13;
  header.e_entry = 0x1040;
  const uint64_t pairs[] = {AT_SYSINFO_EHDR, 0x7ffd000,   AT_PHDR,   0x7f0000040, AT_PHNUM, 11, AT_BASE, 0,
                            AT_ENTRY,        0x7f0001000, AT_EXECFN, 0x7ffe00,    AT_NULL,  0};
  const std::string auxv(reinterpret_cast<const char*>(pairs), sizeof(pairs));
  const std::string native =
      auxv_as_native(auxv, reinterpret_cast<const unsigned char*>(&header), sizeof(header), 0x5555000, 0x7f0000000);
  REQUIRE(native.size() == auxv.size());
  uint64_t out[14];
  std::memcpy(out, native.data(), sizeof(out));
  CHECK(out[1] == 0x7ffd000);
  CHECK(out[3] == 0x5555000 + 64);
  CHECK(out[5] == 13);
  CHECK(out[7] == 0x7f0000000);
  CHECK(out[9] == 0x5555000 + 0x1040);
  CHECK(out[11] == 0x7ffe00);
  header.e_type = ET_EXEC;
  header.e_entry = 0x401040;
  std::memcpy(
      out,
      auxv_as_native(auxv, reinterpret_cast<const unsigned char*>(&header), sizeof(header), 0x400000, 0x7f0000000)
          .data(),
      sizeof(out));
  CHECK(out[3] == 0x400000 + 64);
  CHECK(out[9] == 0x401040);
  header.e_ident[0] = 0;
  CHECK(auxv_as_native(auxv, reinterpret_cast<const unsigned char*>(&header), sizeof(header), 1, 2) == auxv);
  CHECK(auxv_as_native(auxv, nullptr, 0, 1, 2) == auxv);
}

TEST_CASE("what reaches the terminal is printable") {
  CHECK(printable("crash", 64) == "crash");
  CHECK(printable("\x1b]0;owned\x07x", 64) == "?]0;owned?x");
  CHECK(printable("caf\xc3\xa9", 64) == "caf??");
  CHECK(printable(std::string(100, 'a'), 64).size() == 64);
}

TEST_CASE("a core's name is ours, whatever the program is called") {
  CHECK(core_name("crash", 2, 4711, 1800000000) == "core.crash.2.4711.1800000000");
  CHECK(core_name("../../etc/passwd", 2, 1, 5) == "core._.._.._etc_passw.2.1.5");
  CHECK(core_name(".hidden", 3, 1, 5) == "core._.hidden.3.1.5");
  CHECK(core_name("", 3, 1, 5) == "core._.3.1.5");
  CHECK(core_name("a\nb/c", 3, 1, 5) == "core.a_b_c.3.1.5");
  CHECK(core_name("abcdefghijklmnopqrstuvwxyz", 3, 1, 5) == "core.abcdefghijklmno.3.1.5");
}
