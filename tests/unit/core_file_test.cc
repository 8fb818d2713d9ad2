// The core file writer (trusted/core_file.h): the maps parser, what each
// mapping contributes, the notes read back, the cut at the limit, hostile
// inputs, and gdb reading a core of a real stopped process.
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core_file.h"

using namespace sbx::trusted;

namespace {

struct Note {
  uint32_t type;
  std::string name;
  std::string desc;
};

// Reads back a PT_NOTE's contents; fails the test if they are malformed.
std::vector<Note> read_notes(const std::string& data) {
  std::vector<Note> notes;
  size_t at = 0;
  while (at < data.size()) {
    REQUIRE(data.size() - at >= sizeof(Elf64_Nhdr));
    Elf64_Nhdr h;
    std::memcpy(&h, data.data() + at, sizeof(h));
    at += sizeof(h);
    const size_t name_space = (h.n_namesz + 3) / 4 * 4;
    const size_t desc_space = (h.n_descsz + 3) / 4 * 4;
    REQUIRE(data.size() - at >= name_space + desc_space);
    Note n;
    n.type = h.n_type;
    n.name.assign(data.data() + at, h.n_namesz);
    n.desc.assign(data.data() + at + name_space, h.n_descsz);
    at += name_space + desc_space;
    notes.push_back(n);
  }
  REQUIRE(at == data.size());
  return notes;
}

std::string read_all(int fd) {
  std::string s;
  char buf[65536];
  off_t at = 0;
  for (;;) {
    const ssize_t n = pread(fd, buf, sizeof(buf), at);
    REQUIRE(n >= 0);
    if (n == 0) break;
    s.append(buf, static_cast<size_t>(n));
    at += n;
  }
  return s;
}

std::string read_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const std::string s = read_all(fd);
  close(fd);
  return s;
}

int new_file() {
  const int fd = memfd_create("core", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  return fd;
}

CoreProcess sample_process() {
  CoreProcess p;
  p.pid = 7;
  p.ppid = 1;
  p.pgrp = 7;
  p.sid = 1;
  p.uid = 1000;
  p.gid = 100;
  p.name = "a-rather-long-program-name";
  p.args = std::string("prog arg ") + std::string(200, 'x');
  p.info.si_signo = SIGSEGV;
  p.info.si_code = SEGV_MAPERR;
  CoreThread t0;
  t0.tid = 7;
  t0.regs.rip = 0x401000;
  t0.regs.rsp = 0x7ffd0000;
  t0.has_fpregs = true;
  t0.fpregs.cwd = 0x37f;
  CoreThread t1;
  t1.tid = 8;
  t1.regs.rip = 0x402000;
  t1.has_fpregs = true;
  t1.fpregs.cwd = 0x27f;
  CoreThread t2;
  t2.tid = 9;
  t2.regs.rip = 0x403000;
  p.threads = {t0, t1, t2};
  const uint64_t auxv[] = {AT_PAGESZ, 4096, AT_ENTRY, 0x401000, AT_NULL, 0};
  p.auxv.assign(reinterpret_cast<const char*>(auxv), sizeof(auxv));
  return p;
}

Elf64_Ehdr ehdr_of(const std::string& core) {
  REQUIRE(core.size() >= sizeof(Elf64_Ehdr));
  Elf64_Ehdr e;
  std::memcpy(&e, core.data(), sizeof(e));
  return e;
}

std::vector<Elf64_Phdr> phdrs_of(const std::string& core) {
  const Elf64_Ehdr e = ehdr_of(core);
  size_t count = e.e_phnum;
  if (count == PN_XNUM) {
    Elf64_Shdr s;
    REQUIRE(core.size() >= e.e_shoff + sizeof(s));
    std::memcpy(&s, core.data() + e.e_shoff, sizeof(s));
    count = s.sh_info;
  }
  REQUIRE(core.size() >= e.e_phoff + count * sizeof(Elf64_Phdr));
  std::vector<Elf64_Phdr> out(count);
  std::memcpy(out.data(), core.data() + e.e_phoff, count * sizeof(Elf64_Phdr));
  return out;
}

}  // namespace

TEST_CASE("parse_maps reads the kernel's lines", "[core-file]") {
  const std::string maps =
      "55d0c6a00000-55d0c6a02000 r--p 00000000 fe:01 1835099                    /usr/bin/cat\n"
      "55d0c6a02000-55d0c6a07000 r-xp 00002000 fe:01 1835099                    /usr/bin/cat\n"
      "55d0c6a0c000-55d0c6a0d000 rw-p 0000b000 fe:01 1835099                    /usr/bin/cat\n"
      "55d0c8143000-55d0c8164000 rw-p 00000000 00:00 0                          [heap]\n"
      "7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0 \n"
      "7f1e2d000000-7f1e2d001000 rw-s 00000000 00:01 4097                       /dev/zero (deleted)\n"
      "7f1e2d001000-7f1e2d002000 r--p 00001000 103:05 123456789                 /tmp/a file with  spaces \n"
      "7f1e2d002000-7f1e2d003000 r-xp 00000000 08:01 42                         /tmp/gone.so (deleted)\n"
      "7f1e2d003000-7f1e2d004000 rw-p 00000000 00:00 0                          [anon:glibc: malloc]\n"
      "7ffd5a3a1000-7ffd5a3c2000 rw-p 00000000 00:00 0                          [stack]\n"
      "7ffd5a3f6000-7ffd5a3fa000 r--p 00000000 00:00 0                          [vvar]\n"
      "7ffd5a3fa000-7ffd5a3fc000 r-xp 00000000 00:00 0                          [vdso]\n"
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
  std::vector<CoreMapping> m;
  REQUIRE(parse_maps(maps, &m));
  REQUIRE(m.size() == 13);
  CHECK(m[0].start == 0x55d0c6a00000);
  CHECK(m[0].end == 0x55d0c6a02000);
  CHECK(m[0].read);
  CHECK_FALSE(m[0].write);
  CHECK_FALSE(m[0].exec);
  CHECK_FALSE(m[0].shared);
  CHECK(m[0].path == "/usr/bin/cat");
  CHECK(m[1].offset == 0x2000);
  CHECK(m[1].exec);
  CHECK(m[2].write);
  CHECK(m[3].path == "[heap]");
  CHECK(m[4].path.empty());
  CHECK(m[5].shared);
  CHECK(m[5].path == "/dev/zero (deleted)");
  CHECK(m[6].path == "/tmp/a file with  spaces ");
  CHECK(m[6].offset == 0x1000);
  CHECK(m[7].path == "/tmp/gone.so (deleted)");
  CHECK(m[8].path == "[anon:glibc: malloc]");
  CHECK(m[9].path == "[stack]");
  CHECK(m[11].path == "[vdso]");
  CHECK(m[12].start == 0xffffffffff600000);
  CHECK(m[12].end == 0xffffffffff601000);
  CHECK_FALSE(m[12].read);
  CHECK(m[12].exec);

  // Without a final newline, and an empty text.
  REQUIRE(parse_maps("00400000-00401000 r-xp 00000000 08:01 1 /bin/x", &m));
  REQUIRE(m.size() == 1);
  CHECK(m[0].path == "/bin/x");
  REQUIRE(parse_maps("", &m));
  CHECK(m.empty());
}

TEST_CASE("parse_maps refuses what it cannot read", "[core-file]") {
  std::vector<CoreMapping> m;
  const char* bad[] = {
      "garbage\n",
      "00400000 r-xp 00000000 08:01 1 /bin/x\n",
      "00401000-00400000 r-xp 00000000 08:01 1 /bin/x\n",  // end before start
      "00400000-00401000 rwxq 00000000 08:01 1 /bin/x\n",
      "00400000-00401000 r-xp 00000000 08:01 /bin/x\n",  // no inode
      "00400000-00401000 r-xp 00000000 08:01 1/bin/x\n",
      "10000000000000000-10000000000000001 r-xp 00000000 08:01 1\n",  // 17 digits
      "00400000-00401000 r-xp 00000000 08:01 1\n\n00401000-00402000 r-xp 00000000 08:01 1\n",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(parse_maps(text, &m));
  }
  CHECK_FALSE(parse_maps("00400000-00401000 r-xp 00000000 08:01 1 /" + std::string(kCoreMaxPath, 'a') + "\n", &m));

  std::string many;
  for (size_t i = 0; i <= kCoreMaxMappings; ++i) many += "00400000-00401000 rw-p 00000000 00:00 0\n";
  CHECK_FALSE(parse_maps(many, &m));
  CHECK(m.size() == kCoreMaxMappings);
}

TEST_CASE("choose_dump_bytes follows coredump_filter 0x33", "[core-file]") {
  const std::string maps =
      "1000-3000 r--p 00000000 fe:01 10 /usr/bin/prog\n"                 // 0: ELF header: a page
      "3000-5000 r-xp 00002000 fe:01 10 /usr/bin/prog\n"                 // 1: file text: nothing
      "5000-6000 r--p 00004000 fe:01 10 /usr/bin/prog\n"                 // 2: RELRO (written): whole
      "6000-8000 rw-p 00005000 fe:01 10 /usr/bin/prog\n"                 // 3: private writable: whole
      "8000-a000 rw-p 00000000 00:00 0                [heap]\n"          // 4: whole
      "a000-c000 rw-p 00000000 00:00 0 \n"                               // 5: whole
      "c000-e000 rw-s 00000000 00:01 5 /dev/zero (deleted)\n"            // 6: shared anonymous: whole
      "e000-10000 rw-s 00000000 fe:01 11 /var/db/file\n"                 // 7: shared file: nothing
      "10000-12000 r--p 00000000 fe:01 12 /usr/share/data\n"             // 8: not ELF: nothing
      "12000-14000 ---p 00000000 00:00 0 \n"                             // 9: unreadable: nothing
      "14000-16000 rw-p 00000000 00:00 0 [stack]\n"                      // 10: whole
      "16000-18000 r--p 00000000 00:00 0 [vvar]\n"                       // 11: nothing
      "18000-1a000 r-xp 00000000 00:00 0 [vdso]\n"                       // 12: whole
      "1a000-1b000 --xp 00000000 00:00 0 [vsyscall]\n"                   // 13: nothing
      "1b000-1c000 r--p 00000000 00:00 0 [vvar_vclock]\n"                // 14: nothing
      "1c000-1c800 r-xp 00000000 fe:01 13 /lib/libsmall.so (deleted)\n"  // 15: ELF, under a page: whole
      "1d000-1f000 r--s 00000000 fe:01 14 /lib/shared.so\n"              // 16: shared file: nothing
      "1f000-21000 rw-p 00000000 00:00 0 [anon:thing]\n"                 // 17: whole
      "21000-23000 rw-s 00000000 00:01 6 /memfd:x (deleted)\n"           // 18: shared anonymous: whole
      "23000-25000 rw-p 00000000 00:0e 7 anon_inode:[perf_event]\n"      // 19: nothing
      "30000-31000 r--p 00009000 fe:01 15 /lib/liba.so\n"                // 20: not continued in the file: nothing
      "31000-32000 rw-p 0000b000 fe:01 15 /lib/liba.so\n"                // 21: whole
      "33000-34000 r--p 00003000 fe:01 16 /lib/libb.so\n"                // 22: another file follows: nothing
      "34000-35000 rw-p 00004000 fe:01 17 /lib/libc.so\n"                // 23: whole
      "35000-36000 r--p 00005000 fe:01 17 /lib/libc.so\n"                // 24: .rodata before RELRO: nothing
      "36000-37000 r--p 00006000 fe:01 17 /lib/libc.so\n"                // 25: RELRO: whole
      "37000-38000 rw-p 00007000 fe:01 17 /lib/libc.so\n";               // 26: whole
  std::vector<CoreMapping> m;
  REQUIRE(parse_maps(maps, &m));
  std::vector<uint64_t> asked;
  struct Context {
    std::vector<uint64_t>* asked;
  } context{&asked};
  choose_dump_bytes(
      &m,
      [](uint64_t address, void* c) {
        static_cast<Context*>(c)->asked->push_back(address);
        return address != 0x10000;  // /usr/share/data is not an ELF file
      },
      &context);
  const uint64_t expected[] = {0x1000, 0,      0x1000, 0x2000, 0x2000, 0x2000, 0x2000, 0,      0,
                               0,      0x2000, 0,      0x2000, 0,      0,      0x800,  0,      0x2000,
                               0x2000, 0,      0,      0x1000, 0,      0x1000, 0,      0x1000, 0x1000};
  REQUIRE(m.size() == sizeof(expected) / sizeof(expected[0]));
  for (size_t i = 0; i < m.size(); ++i) {
    INFO("mapping " << i << ": " << m[i].path);
    CHECK(m[i].dump_bytes == expected[i]);
  }
  // Only read-only private file mappings at offset 0 were looked at.
  CHECK(asked == std::vector<uint64_t>{0x1000, 0x10000, 0x1c000});

  // Without a way to look, no file mapping holds its header.
  choose_dump_bytes(&m, nullptr, nullptr);
  CHECK(m[0].dump_bytes == 0);
  CHECK(m[4].dump_bytes == 0x2000);
}

TEST_CASE("the notes are the kernel's, in its order", "[core-file]") {
  CoreProcess p = sample_process();
  p.maps = "1000-3000 r--p 00000000 fe:01 10 /usr/bin/prog\n"
           "3000-5000 r-xp 00002000 fe:01 10 /usr/bin/prog\n"
           "8000-a000 rw-p 00000000 00:00 0 [heap]\n"
           "c000-e000 r--p 00003000 fe:01 11 /usr/lib/lib with space.so (deleted)\n";
  std::vector<CoreMapping> m;
  REQUIRE(parse_maps(p.maps, &m));
  const std::vector<Note> notes = read_notes(core_notes(p, m));
  std::vector<uint32_t> types;
  for (const Note& n : notes) {
    types.push_back(n.type);
    CHECK(n.name == std::string("CORE", 5));
  }
  CHECK(types == std::vector<uint32_t>{NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE, NT_PRFPREG, NT_PRSTATUS,
                                       NT_PRFPREG, NT_PRSTATUS});

  elf_prstatus status;
  REQUIRE(notes[0].desc.size() == sizeof(status));
  std::memcpy(&status, notes[0].desc.data(), sizeof(status));
  CHECK(status.pr_pid == 7);
  CHECK(status.pr_ppid == 1);
  CHECK(status.pr_pgrp == 7);
  CHECK(status.pr_sid == 1);
  CHECK(status.pr_cursig == SIGSEGV);
  CHECK(status.pr_info.si_signo == SIGSEGV);
  CHECK(status.pr_fpvalid == 1);
  user_regs_struct regs;
  std::memcpy(&regs, &status.pr_reg, sizeof(regs));
  CHECK(regs.rip == 0x401000);
  CHECK(regs.rsp == 0x7ffd0000);

  elf_prpsinfo info;
  REQUIRE(notes[1].desc.size() == sizeof(info));
  std::memcpy(&info, notes[1].desc.data(), sizeof(info));
  CHECK(std::string(info.pr_fname) == "a-rather-long-p");  // 15 bytes and a NUL
  CHECK(std::string(info.pr_psargs) == ("prog arg " + std::string(70, 'x')));
  CHECK(info.pr_pid == 7);
  CHECK(info.pr_uid == 1000);
  CHECK(info.pr_gid == 100);
  CHECK(info.pr_sname == 'R');

  siginfo_t si;
  REQUIRE(notes[2].desc.size() == sizeof(si));
  std::memcpy(&si, notes[2].desc.data(), sizeof(si));
  CHECK(si.si_signo == SIGSEGV);
  CHECK(si.si_code == SEGV_MAPERR);

  CHECK(notes[3].desc == p.auxv);

  // NT_FILE: count, page size, {start, end, page offset}..., paths.
  const std::string& file = notes[4].desc;
  REQUIRE(file.size() >= 16);
  uint64_t head[2];
  std::memcpy(head, file.data(), sizeof(head));
  CHECK(head[0] == 3);
  CHECK(head[1] == 4096);
  REQUIRE(file.size() >= 16 + 3 * 24);
  uint64_t entries[9];
  std::memcpy(entries, file.data() + 16, sizeof(entries));
  CHECK(entries[0] == 0x1000);
  CHECK(entries[1] == 0x3000);
  CHECK(entries[2] == 0);
  CHECK(entries[5] == 2);
  CHECK(entries[6] == 0xc000);
  CHECK(entries[8] == 3);
  const std::string names = file.substr(16 + 3 * 24);
  CHECK(names == std::string("/usr/bin/prog\0/usr/bin/prog\0/usr/lib/lib with space.so (deleted)\0", 65));

  user_fpregs_struct fp;
  REQUIRE(notes[5].desc.size() == sizeof(fp));
  std::memcpy(&fp, notes[5].desc.data(), sizeof(fp));
  CHECK(fp.cwd == 0x37f);

  std::memcpy(&status, notes[6].desc.data(), sizeof(status));
  CHECK(status.pr_pid == 8);
  CHECK(status.pr_cursig == SIGSEGV);
  std::memcpy(&fp, notes[7].desc.data(), sizeof(fp));
  CHECK(fp.cwd == 0x27f);
  std::memcpy(&status, notes[8].desc.data(), sizeof(status));
  CHECK(status.pr_pid == 9);
  CHECK(status.pr_fpvalid == 0);
}

TEST_CASE("an oversized auxv and NT_FILE are bounded", "[core-file]") {
  CoreProcess p = sample_process();
  p.threads.resize(1);
  p.auxv = std::string(kCoreMaxAuxv * 4 + 5, 'a');
  std::vector<CoreMapping> m(2000);
  for (size_t i = 0; i < m.size(); ++i) {
    m[i].start = i * 4096;
    m[i].end = m[i].start + 4096;
    m[i].path = "/" + std::string(4000, 'p');
  }
  const std::vector<Note> notes = read_notes(core_notes(p, m));
  std::vector<uint32_t> types;
  for (const Note& n : notes) types.push_back(n.type);
  // 2000 paths of 4 KB pass the 4 MiB of the kernel's limit: no NT_FILE.
  CHECK(types == std::vector<uint32_t>{NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_PRFPREG});
  CHECK(notes[3].desc.size() == kCoreMaxAuxv);
}

TEST_CASE("the headers: one PT_NOTE, a PT_LOAD per mapping, page-aligned data", "[core-file]") {
  std::vector<CoreMapping> m;
  REQUIRE(parse_maps("1000-3000 r-xp 00000000 fe:01 1 /bin/x\n"
                     "3000-6000 rw-p 00000000 00:00 0 \n"
                     "7000-8000 ---p 00000000 00:00 0 \n",
                     &m));
  m[0].dump_bytes = 0x1000;
  m[1].dump_bytes = 0x3000;
  std::string headers, why;
  uint64_t total = 0;
  REQUIRE(core_headers(m, 1234, &headers, &total, &why));
  CHECK(headers.size() == sizeof(Elf64_Ehdr) + 4 * sizeof(Elf64_Phdr));
  const Elf64_Ehdr e = ehdr_of(headers);
  CHECK(std::memcmp(e.e_ident, ELFMAG, SELFMAG) == 0);
  CHECK(e.e_ident[EI_CLASS] == ELFCLASS64);
  CHECK(e.e_type == ET_CORE);
  CHECK(e.e_machine == EM_X86_64);
  CHECK(e.e_phnum == 4);
  const std::vector<Elf64_Phdr> ph = phdrs_of(headers);
  CHECK(ph[0].p_type == PT_NOTE);
  CHECK(ph[0].p_offset == headers.size());
  CHECK(ph[0].p_filesz == 1234);
  CHECK(ph[1].p_type == PT_LOAD);
  CHECK(ph[1].p_offset == 4096);
  CHECK(ph[1].p_vaddr == 0x1000);
  CHECK(ph[1].p_filesz == 0x1000);
  CHECK(ph[1].p_memsz == 0x2000);
  CHECK(ph[1].p_flags == (PF_R | PF_X));
  CHECK(ph[1].p_align == 4096);
  CHECK(ph[2].p_offset == 0x2000);
  CHECK(ph[2].p_flags == (PF_R | PF_W));
  CHECK(ph[3].p_offset == 0x5000);
  CHECK(ph[3].p_filesz == 0);
  CHECK(ph[3].p_flags == 0);
  CHECK(total == 0x5000);

  // Past 65534 mappings: extended numbering (PN_XNUM).
  std::vector<CoreMapping> many(kCoreMaxMappings);
  for (size_t i = 0; i < many.size(); ++i) {
    many[i].start = i * 4096;
    many[i].end = many[i].start + 4096;
  }
  REQUIRE(core_headers(many, 100, &headers, &total, &why));
  const Elf64_Ehdr x = ehdr_of(headers);
  CHECK(x.e_phnum == PN_XNUM);
  CHECK(x.e_shnum == 1);
  CHECK(phdrs_of(headers).size() == kCoreMaxMappings + 1);

  // Sizes that do not fit in a file.
  std::vector<CoreMapping> huge(3);
  for (CoreMapping& h : huge) {
    h.end = UINT64_MAX;
    h.dump_bytes = UINT64_MAX;
  }
  CHECK_FALSE(core_headers(huge, 100, &headers, &total, &why));
  CHECK_FALSE(why.empty());
}

TEST_CASE("write_core: the data, the holes, the cut at the limit", "[core-file]") {
  // The "memory" is a file: pread at an address reads its bytes there.
  const int mem = new_file();
  std::string bytes(0x5000, '\0');
  for (size_t i = 0x1000; i < 0x3000; ++i) bytes[i] = static_cast<char>(i * 7 + 1);
  std::memcpy(&bytes[0x3000], ELFMAG, SELFMAG);
  REQUIRE(pwrite(mem, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));

  CoreProcess p = sample_process();
  p.maps = "3000-5000 r--p 00000000 fe:01 1 /lib/x.so\n"  // after the next in the text: sorted
           "1000-3000 rw-p 00000000 00:00 0 \n"
           "4000-6000 rw-p 00000000 00:00 0 \n"   // overlaps; 5000-6000 is past the end: zeros
           "6000-9000 rw-p 00000000 00:00 0 \n";  // past the end
  const int full = new_file();
  std::string why;
  REQUIRE(write_core(full, mem, p, 0, &why));
  const std::string core = read_all(full);

  const std::vector<Elf64_Phdr> ph = phdrs_of(core);
  REQUIRE(ph.size() == 5);
  CHECK(ph[1].p_vaddr == 0x1000);
  CHECK(ph[2].p_vaddr == 0x3000);
  CHECK(ph[2].p_filesz == 0x1000);  // the ELF header's page
  CHECK(ph[3].p_vaddr == 0x4000);
  CHECK(ph[4].p_vaddr == 0x6000);
  CHECK(ph[1].p_offset % 4096 == 0);
  CHECK(core.substr(ph[1].p_offset, 0x2000) == bytes.substr(0x1000, 0x2000));
  CHECK(core.substr(ph[2].p_offset, 0x1000) == bytes.substr(0x3000, 0x1000));
  CHECK(core.substr(ph[3].p_offset, 0x2000) == std::string(0x2000, '\0'));
  CHECK(core.size() == ph[4].p_offset + 0x3000);
  CHECK(core.substr(ph[4].p_offset) == std::string(0x3000, '\0'));
  const std::vector<Note> notes = read_notes(core.substr(ph[0].p_offset, ph[0].p_filesz));
  CHECK(notes.size() == 9);

  // Cut anywhere: the first bytes of the whole core, exactly.
  for (uint64_t limit : {uint64_t{1}, uint64_t{64}, uint64_t{300}, uint64_t{ph[0].p_offset + 10},
                         uint64_t{ph[1].p_offset}, uint64_t{ph[1].p_offset + 0x1234}, uint64_t{core.size() - 1},
                         uint64_t{core.size()}, uint64_t{core.size() + 100000}}) {
    INFO("limit " << limit);
    const int cut = new_file();
    REQUIRE(write_core(cut, mem, p, limit, &why));
    CHECK(read_all(cut) == core.substr(0, limit));
    close(cut);
  }
  close(full);
  close(mem);
}

TEST_CASE("write_core: unreadable memory is zeros, absurd inputs end", "[core-file]") {
  // Three pages of our own, the middle one unmapped (a mapping that
  // vanished): read through /proc/self/mem.
  const long page = sysconf(_SC_PAGESIZE);
  REQUIRE(page == 4096);
  char* area = static_cast<char*>(mmap(nullptr, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  REQUIRE(area != MAP_FAILED);
  std::memset(area, 'a', 4096);
  std::memset(area + 8192, 'c', 4096);
  REQUIRE(munmap(area + 4096, 4096) == 0);
  const int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
  REQUIRE(mem >= 0);

  CoreProcess p = sample_process();
  char line[128];
  const uint64_t start = reinterpret_cast<uintptr_t>(area);
  std::snprintf(line, sizeof(line), "%lx-%lx rw-p 00000000 00:00 0 \n", static_cast<unsigned long>(start),
                static_cast<unsigned long>(start + 3 * 4096));
  p.maps = line;
  const int out = new_file();
  std::string why;
  REQUIRE(write_core(out, mem, p, 0, &why));
  const std::string core = read_all(out);
  const std::vector<Elf64_Phdr> ph = phdrs_of(core);
  REQUIRE(ph.size() == 2);
  REQUIRE(ph[1].p_filesz == 3 * 4096);
  CHECK(core.substr(ph[1].p_offset, 4096) == std::string(4096, 'a'));
  CHECK(core.substr(ph[1].p_offset + 4096, 4096) == std::string(4096, '\0'));
  CHECK(core.substr(ph[1].p_offset + 8192, 4096) == std::string(4096, 'c'));
  close(out);
  munmap(area, 4096);
  munmap(area + 8192, 4096);

  // The whole address space, twice, overlapping, under a limit: ends at the
  // limit without reading more.
  p.maps = "0-7fffffffffff rw-p 00000000 00:00 0 \n0-7fffffffffff rw-p 00000000 00:00 0 \n";
  const int big = new_file();
  REQUIRE(write_core(big, mem, p, 1 << 20, &why));
  struct stat st;
  REQUIRE(fstat(big, &st) == 0);
  CHECK(st.st_size == 1 << 20);
  close(big);

  // Sizes no file holds: refused, not written.
  p.maps = "0-ffffffffffffffff rw-p 00000000 00:00 0 \n0-ffffffffffffffff rw-p 00000000 00:00 0 \n";
  const int refused = new_file();
  CHECK_FALSE(write_core(refused, mem, p, 1 << 20, &why));
  CHECK_FALSE(why.empty());
  close(refused);

  // Garbage maps, no threads, too many threads: refused.
  p.maps = "nonsense\n";
  const int bad = new_file();
  CHECK_FALSE(write_core(bad, mem, p, 0, &why));
  p.maps = "";
  p.threads.clear();
  CHECK_FALSE(write_core(bad, mem, p, 0, &why));
  p.threads.resize(kCoreMaxThreads + 1);
  CHECK_FALSE(write_core(bad, mem, p, 0, &why));
  close(bad);
  close(mem);
}

TEST_CASE("write_core with smaps: DONTDUMP, written file pages, nothing resident", "[core-file]") {
  const int mem = new_file();
  std::string bytes(0x6000, 'm');
  REQUIRE(pwrite(mem, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
  CoreProcess p = sample_process();
  p.maps = "1000-2000 rw-p 00000000 00:00 0 \n"
           "Size:                  4 kB\n"
           "Rss:                   4 kB\n"
           "VmFlags: rd wr mr mw me dd ac sd \n"  // DONTDUMP: nothing
           "2000-3000 r--p 00003000 fe:01 9 /lib/x.so\n"
           "Rss:                   4 kB\n"
           "Anonymous:             4 kB\n"  // written: whole
           "VmFlags: rd mr mw me ac sd \n"
           "3000-5000 rw-p 00000000 00:00 0 \n"
           "Rss:                   0 kB\n"
           "Swap:                  0 kB\n"  // nothing there: a hole
           "VmFlags: rd wr mr mw me ac sd nr \n"
           "5000-6000 rw-p 00000000 00:00 0 \n"
           "Rss:                   4 kB\n"
           "VmFlags: rd wr mr mw me ac sd \n";
  std::vector<CoreMapping> plain;
  REQUIRE(parse_maps(p.maps, &plain));
  CHECK(plain.size() == 4);
  const int out = new_file();
  std::string why;
  REQUIRE(write_core(out, mem, p, 0, &why));
  const std::string core = read_all(out);
  const std::vector<Elf64_Phdr> ph = phdrs_of(core);
  REQUIRE(ph.size() == 5);
  CHECK(ph[1].p_filesz == 0);
  CHECK(ph[1].p_memsz == 0x1000);
  CHECK(ph[2].p_filesz == 0x1000);
  CHECK(core.substr(ph[2].p_offset, 0x1000) == std::string(0x1000, 'm'));
  CHECK(ph[3].p_filesz == 0x2000);
  CHECK(core.substr(ph[3].p_offset, 0x2000) == std::string(0x2000, '\0'));
  CHECK(ph[4].p_filesz == 0x1000);
  CHECK(core.substr(ph[4].p_offset, 0x1000) == std::string(0x1000, 'm'));
  close(out);
  close(mem);
}

// ---- gdb reads our core of a real process ----

extern "C" {
// The names gdb must show: the child's two threads wait in these.
__attribute__((noinline)) void sbx_core_test_thread_waits(int ready) {
  const char c = 't';
  if (write(ready, &c, 1) != 1) _exit(2);
  for (;;) pause();
}

__attribute__((noinline)) void* sbx_core_test_thread_start(void* ready) {
  sbx_core_test_thread_waits(static_cast<int>(reinterpret_cast<intptr_t>(ready)));
  return nullptr;
}

__attribute__((noinline)) void sbx_core_test_main_waits(int ready) {
  const char c = 'm';
  if (write(ready, &c, 1) != 1) _exit(2);
  for (;;) pause();
}
}

namespace {

bool have_gdb() {
  FILE* f = popen("command -v gdb", "r");
  if (f == nullptr) return false;
  char buf[256];
  const bool found = fgets(buf, sizeof(buf), f) != nullptr;
  return pclose(f) == 0 && found;
}

std::string run(const std::string& command) {
  FILE* f = popen(command.c_str(), "r");
  REQUIRE(f != nullptr);
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) output.append(buf, n);
  pclose(f);
  return output;
}

}  // namespace

TEST_CASE("gdb reads the core of a stopped two-thread process", "[core-file]") {
  if (!have_gdb()) {
    WARN("gdb is not installed: skipping the check that gdb reads our core");
    return;
  }
  int ready[2];
  REQUIRE(pipe2(ready, O_CLOEXEC) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(ready[0]);
    pthread_t thread;
    if (pthread_create(&thread, nullptr, sbx_core_test_thread_start,
                       reinterpret_cast<void*>(static_cast<intptr_t>(ready[1]))) != 0) {
      _exit(2);
    }
    sbx_core_test_main_waits(ready[1]);
    _exit(0);
  }
  close(ready[1]);
  char got[2];
  REQUIRE(read(ready[0], got, 1) == 1);
  REQUIRE(read(ready[0], got + 1, 1) == 1);
  close(ready[0]);
  usleep(100 * 1000);  // both into pause()

  const std::string proc = "/proc/" + std::to_string(child);
  // The child's threads: the main one first (threads[0] took the signal).
  std::vector<pid_t> tids{child};
  {
    const std::string tasks = run("ls " + proc + "/task");
    size_t at = 0;
    while (at < tasks.size()) {
      const size_t eol = tasks.find('\n', at);
      const pid_t tid = static_cast<pid_t>(std::stol(tasks.substr(at, eol - at)));
      if (tid != child) tids.push_back(tid);
      at = eol == std::string::npos ? tasks.size() : eol + 1;
    }
  }
  REQUIRE(tids.size() == 2);

  CoreProcess p;
  p.pid = child;
  p.ppid = getpid();
  p.pgrp = getpgrp();
  p.sid = getsid(0);
  p.uid = getuid();
  p.gid = getgid();
  p.name = read_file(proc + "/comm");
  if (!p.name.empty() && p.name.back() == '\n') p.name.pop_back();
  p.args = read_file(proc + "/cmdline");
  for (char& c : p.args) {
    if (c == '\0') c = ' ';
  }
  p.info.si_signo = SIGSEGV;
  p.info.si_code = SEGV_MAPERR;
  for (pid_t tid : tids) {
    REQUIRE(ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) == 0);
    REQUIRE(ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) == 0);
    int status = 0;
    REQUIRE(waitpid(tid, &status, __WALL) == tid);
    REQUIRE(WIFSTOPPED(status));
    CoreThread t;
    t.tid = tid;
    REQUIRE(ptrace(PTRACE_GETREGS, tid, nullptr, &t.regs) == 0);
    t.has_fpregs = ptrace(PTRACE_GETFPREGS, tid, nullptr, &t.fpregs) == 0;
    p.threads.push_back(t);
  }
  p.auxv = read_file(proc + "/auxv");
  // smaps, not maps: a sanitized build's shadow is MADV_DONTDUMP terabytes.
  p.maps = read_file(proc + "/smaps");
  const int mem = open((proc + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(mem >= 0);

  char dir[] = "/tmp/sbx-core-test.XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string core_path = std::string(dir) + "/core";
  const int out = open(core_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  REQUIRE(out >= 0);
  std::string why;
  const bool written = write_core(out, mem, p, 0, &why);
  close(out);
  close(mem);
  for (const CoreThread& t : p.threads) ptrace(PTRACE_DETACH, t.tid, nullptr, nullptr);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  INFO(why);
  REQUIRE(written);

  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  REQUIRE(n > 0);
  exe[n] = '\0';
  const std::string output = run("gdb -batch -nx -ex 'set debuginfod enabled off' -ex 'info sharedlibrary' "
                                 "-ex 'thread apply all bt' '" +
                                 std::string(exe) + "' '" + core_path + "' 2>&1");
  INFO(output);
  CHECK(output.find("sbx_core_test_main_waits") != std::string::npos);
  CHECK(output.find("sbx_core_test_thread_waits") != std::string::npos);
  CHECK(output.find("libc.so.6") != std::string::npos);
  CHECK(output.find("SIGSEGV") != std::string::npos);
  CHECK(output.find("Thread 2") != std::string::npos);

  unlink(core_path.c_str());
  rmdir(dir);
}
