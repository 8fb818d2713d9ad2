// The ELF core file writer (core_file.h), after the kernel's elf_core_dump
// and fill_note_info (fs/binfmt_elf.c): the same headers, the same notes in
// the same order, the same page-aligned segment data, the same cut at the
// limit. Which memory goes in, and how much of each mapping, is decided in
// core_mappings.cc; this writes the file.
#include "core_file.h"

#include <elf.h>
#include <sys/procfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core_internal.h"

namespace sbx::trusted {

namespace {

constexpr size_t kChunk = 64 * 1024;

static_assert(sizeof(elf_prstatus) == 336, "x86-64 kernel's elf_prstatus");
static_assert(sizeof(elf_prpsinfo) == 136, "x86-64 kernel's elf_prpsinfo");
static_assert(sizeof(user_regs_struct) == sizeof(elf_gregset_t));
static_assert(sizeof(user_fpregs_struct) == 512, "the FXSAVE area");
static_assert(sizeof(siginfo_t) == 128);

// ---- notes ----

void append(std::string* out, const void* data, size_t size) { out->append(static_cast<const char*>(data), size); }

void pad4(std::string* out) {
  while (out->size() % 4 != 0) out->push_back('\0');
}

void note(std::string* out, uint32_t type, const void* desc, size_t size) {
  static const char kName[] = "CORE";
  Elf64_Nhdr header{};
  header.n_namesz = sizeof(kName);  // with its NUL, as the kernel counts it
  header.n_descsz = static_cast<Elf64_Word>(size);
  header.n_type = type;
  append(out, &header, sizeof(header));
  append(out, kName, sizeof(kName));
  pad4(out);
  append(out, desc, size);
  pad4(out);
}

void prstatus_note(std::string* out, const CoreProcess& process, const CoreThread& thread) {
  elf_prstatus status;
  std::memset(&status, 0, sizeof(status));
  // fill_prstatus: the signal number only, in every thread's note.
  status.pr_info.si_signo = process.info.si_signo;
  status.pr_cursig = static_cast<short>(process.info.si_signo);
  status.pr_pid = thread.tid;
  status.pr_ppid = process.ppid;
  status.pr_pgrp = process.pgrp;
  status.pr_sid = process.sid;
  std::memcpy(&status.pr_reg, &thread.regs, sizeof(status.pr_reg));
  status.pr_fpvalid = thread.has_fpregs ? 1 : 0;
  note(out, NT_PRSTATUS, &status, sizeof(status));
}

void prpsinfo_note(std::string* out, const CoreProcess& process) {
  elf_prpsinfo info;
  std::memset(&info, 0, sizeof(info));
  // fill_psinfo: the dumping process is running (state 0, 'R').
  info.pr_state = 0;
  info.pr_sname = 'R';
  info.pr_zomb = 0;
  info.pr_uid = process.uid;
  info.pr_gid = process.gid;
  info.pr_pid = process.pid;
  info.pr_ppid = process.ppid;
  info.pr_pgrp = process.pgrp;
  info.pr_sid = process.sid;
  const size_t name = std::min(process.name.size(), sizeof(info.pr_fname) - 1);
  std::memcpy(info.pr_fname, process.name.data(), name);
  const size_t args = std::min(process.args.size(), sizeof(info.pr_psargs) - 1);
  std::memcpy(info.pr_psargs, process.args.data(), args);
  for (size_t i = 0; i < args; ++i) {
    if (info.pr_psargs[i] == '\0') info.pr_psargs[i] = ' ';
  }
  note(out, NT_PRPSINFO, &info, sizeof(info));
}

// fill_files_note: count, page size, {start, end, offset in pages} per file
// mapping, then their paths; nothing if it would pass the kernel's limit.
void file_note(std::string* out, const std::vector<CoreMapping>& mappings) {
  uint64_t count = 0;
  size_t names = 0;
  for (const CoreMapping& m : mappings) {
    if (m.path.empty() || m.path[0] != '/') continue;
    ++count;
    names += m.path.size() + 1;
    if (names > kCoreMaxFileNote) return;
  }
  const size_t size = 16 + count * 24 + names;
  if (size > kCoreMaxFileNote) return;
  std::string desc;
  desc.reserve(size);
  const uint64_t head[2] = {count, kPage};
  append(&desc, head, sizeof(head));
  for (const CoreMapping& m : mappings) {
    if (m.path.empty() || m.path[0] != '/') continue;
    const uint64_t entry[3] = {m.start, m.end, m.offset / kPage};
    append(&desc, entry, sizeof(entry));
  }
  for (const CoreMapping& m : mappings) {
    if (m.path.empty() || m.path[0] != '/') continue;
    desc.append(m.path.data(), m.path.size());
    desc.push_back('\0');
  }
  note(out, NT_FILE, desc.data(), desc.size());
}

// ---- writing ----

struct Writer {
  int fd;
  uint64_t limit;  // UINT64_MAX: none
  std::string* why;

  // data at file offset `at`, cut at the limit; false on a write error.
  bool put(uint64_t at, const char* data, size_t size) {
    if (at >= limit) return true;
    size = static_cast<size_t>(std::min<uint64_t>(size, limit - at));
    while (size > 0) {
      const ssize_t n = pwrite(fd, data, size, static_cast<off_t>(at));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        *why = std::string("write the core file: ") + (n < 0 ? std::strerror(errno) : "nothing written");
        return false;
      }
      data += n;
      at += static_cast<uint64_t>(n);
      size -= static_cast<size_t>(n);
    }
    return true;
  }
};

bool all_zero(const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != 0) return false;
  }
  return true;
}

struct MemoryReader {
  int fd;
  bool gone = false;  // the memory read as the end of the file: the process has no memory left

  // Up to `size` bytes at `address` into buf. Returns how many were read;
  // 0 with *unreadable set for a range that cannot be read (to its page's
  // end). -1 with *why for a failure of our own (a bad descriptor).
  ssize_t read(uint64_t address, char* buf, size_t size, uint64_t* unreadable, std::string* why) {
    *unreadable = 0;
    if (gone) {
      *unreadable = size;
      return 0;
    }
    for (;;) {
      const ssize_t n = pread(fd, buf, size, static_cast<off_t>(address));
      if (n > 0) return n;
      if (n == 0) {
        gone = true;
        *unreadable = size;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == EBADF) {
        *why = std::string("read the process's memory: ") + std::strerror(errno);
        return -1;
      }
      // EIO (an unmapped or unreadable page, a mapping that vanished),
      // EFAULT, ENOMEM...: zeros to the end of this page.
      *unreadable = std::min<uint64_t>(size, kPage - address % kPage);
      return 0;
    }
  }
};

}  // namespace

std::string core_notes(const CoreProcess& process, const std::vector<CoreMapping>& mappings) {
  std::string out;
  for (size_t i = 0; i < process.threads.size(); ++i) {
    const CoreThread& thread = process.threads[i];
    prstatus_note(&out, process, thread);
    if (i == 0) {
      prpsinfo_note(&out, process);
      note(&out, NT_SIGINFO, &process.info, sizeof(process.info));
      const size_t auxv = std::min(process.auxv.size(), kCoreMaxAuxv) / 16 * 16;
      note(&out, NT_AUXV, process.auxv.data(), auxv);
      file_note(&out, mappings);
    }
    if (thread.has_fpregs) note(&out, NT_PRFPREG, &thread.fpregs, sizeof(thread.fpregs));
  }
  return out;
}

bool core_headers(const std::vector<CoreMapping>& mappings, uint64_t notes_size, std::string* headers, uint64_t* total,
                  std::string* why) {
  headers->clear();
  if (mappings.size() > kCoreMaxMappings) {
    *why = "more mappings than a core holds";
    return false;
  }
  const uint64_t segments = 1 + mappings.size();
  const bool extended = segments >= PN_XNUM;
  const uint64_t header_size = sizeof(Elf64_Ehdr) + segments * sizeof(Elf64_Phdr) + (extended ? sizeof(Elf64_Shdr) : 0);
  constexpr uint64_t kMaxFile = static_cast<uint64_t>(INT64_MAX) - kPage;
  if (notes_size > kMaxFile - header_size) {
    *why = "the notes are too large";
    return false;
  }
  const uint64_t notes_offset = header_size;
  uint64_t offset = (notes_offset + notes_size + kPage - 1) / kPage * kPage;

  Elf64_Ehdr ehdr{};
  std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
  ehdr.e_ident[EI_CLASS] = ELFCLASS64;
  ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr.e_ident[EI_VERSION] = EV_CURRENT;
  ehdr.e_ident[EI_OSABI] = ELFOSABI_NONE;
  ehdr.e_type = ET_CORE;
  ehdr.e_machine = EM_X86_64;
  ehdr.e_version = EV_CURRENT;
  ehdr.e_phoff = sizeof(Elf64_Ehdr);
  ehdr.e_ehsize = sizeof(Elf64_Ehdr);
  ehdr.e_phentsize = sizeof(Elf64_Phdr);
  ehdr.e_phnum = extended ? PN_XNUM : static_cast<Elf64_Half>(segments);
  if (extended) {
    // Extended numbering: the real count in the one section header's sh_info.
    ehdr.e_shoff = sizeof(Elf64_Ehdr) + segments * sizeof(Elf64_Phdr);
    ehdr.e_shentsize = sizeof(Elf64_Shdr);
    ehdr.e_shnum = 1;
    ehdr.e_shstrndx = SHN_UNDEF;
  }
  headers->reserve(header_size);
  append(headers, &ehdr, sizeof(ehdr));

  Elf64_Phdr notes{};
  notes.p_type = PT_NOTE;
  notes.p_offset = notes_offset;
  notes.p_filesz = notes_size;
  notes.p_align = 4;
  append(headers, &notes, sizeof(notes));

  for (const CoreMapping& m : mappings) {
    const uint64_t size = m.end >= m.start ? m.end - m.start : 0;
    const uint64_t filesz = std::min(m.dump_bytes, size);
    if (filesz > kMaxFile - offset) {
      *why = "the core would be larger than a file can be";
      headers->clear();
      return false;
    }
    Elf64_Phdr load{};
    load.p_type = PT_LOAD;
    load.p_offset = offset;
    load.p_vaddr = m.start;
    load.p_filesz = filesz;
    load.p_memsz = size;
    load.p_flags = (m.read ? PF_R : 0) | (m.write ? PF_W : 0) | (m.exec ? PF_X : 0);
    load.p_align = kPage;
    append(headers, &load, sizeof(load));
    offset += filesz;
  }
  if (extended) {
    Elf64_Shdr shdr{};
    shdr.sh_type = SHT_NULL;
    shdr.sh_size = 1;          // e_shnum
    shdr.sh_link = SHN_UNDEF;  // e_shstrndx
    shdr.sh_info = static_cast<Elf64_Word>(segments);
    append(headers, &shdr, sizeof(shdr));
  }
  *total = offset;
  return true;
}

bool write_core(int out, int mem_fd, const CoreProcess& process, uint64_t limit, std::string* why) {
  if (process.threads.empty()) {
    *why = "no thread to write";
    return false;
  }
  if (process.threads.size() > kCoreMaxThreads) {
    *why = "more threads than a core holds";
    return false;
  }
  std::vector<CoreMapping> mappings;
  std::vector<uint8_t> flags;
  if (!core_dump_mappings(process.maps, mem_fd, &mappings, &flags, why)) return false;

  const std::string notes = core_notes(process, mappings);
  std::string headers;
  uint64_t total = 0;
  if (!core_headers(mappings, notes.size(), &headers, &total, why)) return false;

  Writer writer{out, limit == 0 ? UINT64_MAX : limit, why};
  if (!writer.put(0, headers.data(), headers.size())) return false;
  if (!writer.put(headers.size(), notes.data(), notes.size())) return false;

  // The segments' data, in the order of their headers, from the first page
  // after the notes; zeros and unreadable memory stay holes.
  uint64_t at = (headers.size() + notes.size() + kPage - 1) / kPage * kPage;
  MemoryReader memory{mem_fd};
  std::vector<char> buffer(kChunk);
  for (size_t i = 0; i < mappings.size(); ++i) {
    const CoreMapping& m = mappings[i];
    const uint64_t size = std::min(m.dump_bytes, m.end - m.start);
    if ((flags[i] & kHaveSmaps) && !(flags[i] & kResident)) {
      at += size;  // no page in memory or swap: all of it a hole, unread
      continue;
    }
    uint64_t done = 0;
    while (done < size) {
      if (at >= writer.limit) break;
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size - done));
      uint64_t unreadable = 0;
      const ssize_t got = memory.read(m.start + done, buffer.data(), want, &unreadable, why);
      if (got < 0) return false;
      const uint64_t step = got > 0 ? static_cast<uint64_t>(got) : unreadable;
      if (got > 0 && !all_zero(buffer.data(), static_cast<size_t>(got)) &&
          !writer.put(at, buffer.data(), static_cast<size_t>(got))) {
        return false;
      }
      done += step;
      at += step;
    }
    if (at >= writer.limit) break;
  }

  // The file's length: its last bytes may be a hole.
  const uint64_t length = std::min(total, writer.limit);
  while (ftruncate(out, static_cast<off_t>(length)) != 0) {
    if (errno == EINTR) continue;
    *why = std::string("set the core file's length: ") + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace sbx::trusted
