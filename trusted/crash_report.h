// The shim's report of a fatal signal (common/sandbox.h, CrashReport), read
// as a core's thread: pure, unit-tested (tests/unit/crash_report_test.cc).
#pragma once

#include <signal.h>

#include "core_file.h"
#include "sandbox.h"

namespace sbx::trusted {

// Whether the kernel's default action for `signal` dumps core
// (SIG_KERNEL_COREDUMP_MASK): the only signals a core is written for.
bool dumps_core(int signal);

// The registers and signal of the thread that crashed, from its report;
// false if the report is not one (its magic) or names another signal than
// the request (`signal`).
bool thread_from_report(const CrashReport& report, int signal, CoreThread* thread, siginfo_t* info);

// The program's path and command line from its /proc/PID/cmdline (NULs
// between the words): every program of the sandbox runs through the
// system's loader, so the words before the program's path are the
// loader's ("/lib64/ld-linux-x86-64.so.2 --argv0 NAME --preload SHIM
// PROGRAM ARGS"), and are left out. *path is the program's path as the
// loader was given it, *args the words from it on, joined by spaces.
void program_words(const std::string& cmdline, std::string* path, std::string* args);

// The auxiliary vector as a native run of the program would have it. The
// kernel's copy (/proc/PID/auxv) describes the system's loader, which the
// sandbox runs in the program's place; gdb finds the program's load address
// (and through it the shared libraries) from AT_PHDR and AT_ENTRY. So those
// become the program's (its ELF header `header`, mapped at `base`, from the
// file's start), AT_PHNUM its count, and AT_BASE the loader's load address
// `loader_base`. The auxv unchanged if the header is not an ELF header.
std::string auxv_as_native(const std::string& auxv, const unsigned char* header, size_t header_size, uint64_t base,
                           uint64_t loader_base);

// `text` fit for the user's terminal: bytes outside printable ASCII become
// '?', at most `most` bytes. The program's name is its own word, and a
// terminal obeys escape sequences.
std::string printable(const std::string& text, size_t most);

// A core file's name: "core.NAME.PID.HOSTPID.SECONDS", NAME the program's
// (program_words: the program chooses it) with anything but letters, digits,
// '-', '_' and '.' made '_', never starting with '.', at most 15 bytes.
std::string core_name(const std::string& program, pid_t pid, pid_t host_pid, long seconds);

}  // namespace sbx::trusted
