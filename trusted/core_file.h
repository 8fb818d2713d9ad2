// The ELF core file of a crashed sandboxed process, as the kernel writes it
// (fs/binfmt_elf.c), so that `gdb PROGRAM CORE` shows every thread's stack
// and the shared libraries. A pure writer: someone else gathers the inputs
// (registers by ptrace and the shim's report, /proc/PID/{maps,auxv,comm,
// cmdline}); this turns them into the file.
//
// Two files hold it: core_mappings.cc reads the maps into CoreMappings and
// chooses which memory goes in (parse_maps, choose_dump_bytes);
// core_file.cc writes the ELF file (core_notes, core_headers, write_core).
// core_internal.h is what they share.
//
// The inputs come from a process that may be hostile: nothing here
// allocates a size it dictates (memory is copied in 64 KiB chunks, the
// notes are bounded by the caps below), memory that cannot be read is
// written as zeros, and sizes that would overflow are refused.
#pragma once
#include <signal.h>
#include <sys/types.h>
#include <sys/user.h>
#include <cstdint>
#include <string>
#include <vector>
namespace sbx::trusted {
struct CoreThread {
  pid_t tid = 0;            // the thread's id as the sandbox names it (pr_pid)
  user_regs_struct regs{};  // general registers (NT_PRSTATUS's pr_reg)
  bool has_fpregs = false;
  user_fpregs_struct fpregs{};  // FXSAVE area (NT_PRFPREG / NT_FPREGSET)
};
struct CoreProcess {
  pid_t pid = 0, ppid = 0, pgrp = 0, sid = 0;  // as the sandbox names them
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;                 // /proc/PID/comm without the newline (pr_fname)
  std::string args;                 // /proc/PID/cmdline, NULs as spaces (pr_psargs)
  siginfo_t info{};                 // the fatal signal: NT_SIGINFO, and pr_info/pr_cursig of threads[0]
  std::vector<CoreThread> threads;  // threads[0] is the thread that received the signal
  std::string auxv;                 // the bytes of /proc/PID/auxv (NT_AUXV)
  std::string maps;                 // the text of /proc/PID/maps (paths as the trusted process sees them)
};
// One mapping of /proc/PID/maps and how many of its bytes the core holds.
struct CoreMapping {
  uint64_t start = 0, end = 0, offset = 0;
  bool read = false, write = false, exec = false, shared = false;
  std::string path;         // "" for anonymous; "[heap]", "[stack]", "[vdso]", ...
  uint64_t dump_bytes = 0;  // 0 .. end-start
};

// The caps on what a process can make us write. More mappings than the
// kernel's default max_map_count (65530) or threads than this: write_core
// refuses (the gatherer keeps threads[0] and the first others). The auxv
// note holds at most kCoreMaxAuxv bytes (the kernel's saved_auxv is a few
// hundred); an NT_FILE note that would exceed kCoreMaxFileNote (the
// kernel's default core_file_note_size_limit) is left out, as the kernel
// leaves it out.
inline constexpr size_t kCoreMaxMappings = 65536;
inline constexpr size_t kCoreMaxThreads = 8192;
inline constexpr size_t kCoreMaxAuxv = 16384;
inline constexpr size_t kCoreMaxFileNote = 4 * 1024 * 1024;
inline constexpr size_t kCoreMaxPath = 16384;  // a maps line's path, escaped

// The mappings of a maps text, in order; false if a line cannot be read.
// Also false past kCoreMaxMappings lines, for an end before its start, or a
// path longer than kCoreMaxPath. /proc/PID/smaps text is read too (its
// "Key: value" lines after a mapping's line are skipped). The path is the
// rest of the line after the inode and its padding, verbatim: spaces kept,
// " (deleted)" kept, and a newline in a name stays as the kernel escaped
// it ("\012").
bool parse_maps(const std::string& maps, std::vector<CoreMapping>* out);
// How much of each mapping the kernel's default coredump_filter (0x33) would
// write: anonymous private and shared memory, private writable file
// mappings (treat as written-to), whole; [vdso] whole; [vvar], [vvar_vclock],
// [vsyscall] and unreadable mappings not at all; a read-only file mapping at
// offset 0 that starts with an ELF header: its first page (the build id for
// gdb); other file mappings: nothing. starts_with_elf(start) says whether the
// memory at an address begins with "\x7fELF".
//
// Also whole, as the kernel writes it (it was written to): a private
// read-only file mapping that the next mapping, private, writable and of
// the same file, continues in memory and in the file: the part of a
// writable segment the dynamic loader made read-only after relocating it
// (RELRO). gdb needs it: the executable's DT_DEBUG there leads it to the
// list of shared libraries. So `mappings` is in address order.
//
// Anonymous: no path, [heap], [stack...], [anon:NAME], [anon_shmem:NAME],
// and a shared mapping of a deleted file ("/dev/zero (deleted)", SysV
// shared memory, a memfd: the kernel's unlinked shared files). Any other
// name (other [specials], anon_inode:...) is not written. starts_with_elf
// may be null (never an ELF header).
void choose_dump_bytes(std::vector<CoreMapping>* mappings, bool (*starts_with_elf)(uint64_t address, void* context),
                       void* context);
// The contents of the PT_NOTE segment for `process` and its mappings (with
// dump_bytes chosen): for threads[0] NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO,
// NT_AUXV, NT_FILE (left out past kCoreMaxFileNote), NT_PRFPREG (if
// has_fpregs); then for every other thread NT_PRSTATUS, NT_PRFPREG. Every
// NT_PRSTATUS carries the signal number in pr_cursig and pr_info.si_signo,
// as the kernel's do. Each note is named "CORE", 4-byte aligned.
std::string core_notes(const CoreProcess& process, const std::vector<CoreMapping>& mappings);
// The ELF header and program headers (one PT_NOTE of notes_size bytes, then
// one PT_LOAD per mapping; past 65534 mappings the PN_XNUM section header
// after them) with each segment's data page-aligned after the notes, and
// the size of the whole file in *total. false, with *why, if the sizes do
// not fit in a file.
bool core_headers(const std::vector<CoreMapping>& mappings, uint64_t notes_size, std::string* headers, uint64_t* total,
                  std::string* why);
// Writes the ELF core of `process` to `out` (a new empty regular file),
// reading memory with pread() on mem_fd (/proc/PID/mem). Writes at most
// `limit` bytes (0: no limit), as the kernel does when RLIMIT_CORE is
// reached: the headers and notes first, then the segments in address order,
// cut at the limit. A range that cannot be read (EIO) is written as zeros.
// false, with *why, if writing fails.
//
// `process.maps` may be the text of /proc/PID/smaps instead, and should
// be: then, as the kernel does, a mapping with VmFlags "dd"
// (MADV_DONTDUMP: ASan's terabytes of shadow, for one) is not written, a
// private file mapping with Anonymous pages (written to) is written whole,
// and a mapping with no Rss and no Swap is a hole without a read. With
// plain maps every anonymous page is read through mem_fd, so a huge
// untouched reservation takes as long as its size: give a limit.
//
// Pages of zeros (and memory that cannot be read) are left as holes, so the
// file is sparse as the kernel's are. System calls: pread64 (mem_fd),
// pwrite64 and ftruncate (out), and the allocator's (brk, mmap, munmap,
// mremap, mprotect, madvise).
bool write_core(int out, int mem_fd, const CoreProcess& process, uint64_t limit, std::string* why);
}  // namespace sbx::trusted
