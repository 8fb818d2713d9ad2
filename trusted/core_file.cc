// The ELF core file writer (core_file.h), after the kernel's elf_core_dump
// and fill_note_info (fs/binfmt_elf.c): the same headers, the same notes in
// the same order, the same page-aligned segment data, the same cut at the
// limit.
#include "core_file.h"

#include <elf.h>
#include <sys/procfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace sbx::trusted {

namespace {

constexpr uint64_t kPage = 4096;
constexpr size_t kChunk = 64 * 1024;

static_assert(sizeof(elf_prstatus) == 336, "x86-64 kernel's elf_prstatus");
static_assert(sizeof(elf_prpsinfo) == 136, "x86-64 kernel's elf_prpsinfo");
static_assert(sizeof(user_regs_struct) == sizeof(elf_gregset_t));
static_assert(sizeof(user_fpregs_struct) == 512, "the FXSAVE area");
static_assert(sizeof(siginfo_t) == 128);

// ---- parse_maps ----

// Hex digits at *p (at most 16), into *value; false if none or too many.
bool hex(const char*& p, const char* end, uint64_t* value) {
  uint64_t v = 0;
  int digits = 0;
  for (; p < end; ++p, ++digits) {
    const char c = *p;
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else break;
    if (digits == 16) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *value = v;
  return digits > 0;
}

bool decimal(const char*& p, const char* end) {
  int digits = 0;
  for (; p < end && *p >= '0' && *p <= '9'; ++p) {
    if (++digits > 20) return false;
  }
  return digits > 0;
}

bool expect(const char*& p, const char* end, char c) {
  if (p == end || *p != c) return false;
  ++p;
  return true;
}

bool flag(const char*& p, const char* end, char yes, bool* value) {
  if (p == end) return false;
  if (*p == yes) *value = true;
  else if (*p == '-') *value = false;
  else return false;
  ++p;
  return true;
}

// "start-end perms offset major:minor inode [path]"
bool parse_line(const char* p, const char* end, CoreMapping* m) {
  if (!hex(p, end, &m->start) || !expect(p, end, '-') || !hex(p, end, &m->end) || !expect(p, end, ' ')) return false;
  if (m->end < m->start) return false;
  if (!flag(p, end, 'r', &m->read) || !flag(p, end, 'w', &m->write) || !flag(p, end, 'x', &m->exec)) return false;
  if (p == end || (*p != 's' && *p != 'p')) return false;
  m->shared = *p++ == 's';
  uint64_t ignored;
  if (!expect(p, end, ' ') || !hex(p, end, &m->offset) || !expect(p, end, ' ')) return false;
  if (!hex(p, end, &ignored) || !expect(p, end, ':') || !hex(p, end, &ignored)) return false;
  if (!expect(p, end, ' ') || !decimal(p, end)) return false;
  if (p != end && *p != ' ') return false;
  while (p != end && *p == ' ') ++p;
  if (static_cast<size_t>(end - p) > kCoreMaxPath) return false;
  m->path.assign(p, end);
  m->dump_bytes = 0;
  return true;
}

bool starts_with(const std::string& s, const char* prefix) { return s.compare(0, std::strlen(prefix), prefix) == 0; }

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

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

bool mem_starts_with_elf(uint64_t address, void* context) {
  const int fd = *static_cast<const int*>(context);
  char magic[SELFMAG];
  ssize_t n;
  do {
    n = pread(fd, magic, sizeof(magic), static_cast<off_t>(address));
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof(magic)) && std::memcmp(magic, ELFMAG, SELFMAG) == 0;
}

// The read-only start of a writable segment that the dynamic loader made
// read-only after relocating it (RELRO: .dynamic, .got, .data.rel.ro): a
// private read-only file mapping right before a private writable mapping
// of the same file that continues it, in memory and in the file. The
// kernel writes it whole, because it was written to (it has an anon_vma);
// gdb needs it: the executable's DT_DEBUG there leads to the list of
// shared libraries.
bool relro(const CoreMapping& m, const CoreMapping* next) {
  return next != nullptr && !m.shared && !m.write && !m.exec && !next->shared && next->write && next->path == m.path &&
         next->start == m.end && m.end - m.start <= UINT64_MAX - m.offset &&
         next->offset == m.offset + (m.end - m.start);
}

// What /proc/PID/smaps says of a mapping beyond its maps line.
enum SmapsFlag : uint8_t {
  kDontDump = 1,   // VmFlags "dd": MADV_DONTDUMP, never in a core
  kWritten = 2,    // Anonymous: above 0 kB: private pages written to
  kResident = 4,   // Rss: or Swap: above 0 kB: some page exists
  kHaveSmaps = 8,  // the lines above were there
};

// "Key:" at p: an smaps attribute line (letters, digits and '_' then ':').
bool attribute(const char* p, const char* end, const char** value, std::string* key) {
  const char* k = p;
  while (p < end && (std::isalnum(static_cast<unsigned char>(*p)) || *p == '_')) ++p;
  if (p == k || p == end || *p != ':') return false;
  key->assign(k, p);
  *value = p + 1;
  return true;
}

bool positive_kb(const char* p, const char* end) {
  while (p < end && *p == ' ') ++p;
  for (; p < end && *p >= '0' && *p <= '9'; ++p) {
    if (*p != '0') return true;
  }
  return false;
}

bool has_word(const char* p, const char* end, const char* word) {
  const size_t n = std::strlen(word);
  while (p < end) {
    while (p < end && *p == ' ') ++p;
    const char* w = p;
    while (p < end && *p != ' ') ++p;
    if (static_cast<size_t>(p - w) == n && std::memcmp(w, word, n) == 0) return true;
  }
  return false;
}

// maps or smaps text: the mappings, and with smaps their flags.
bool parse_text(const std::string& maps, std::vector<CoreMapping>* out, std::vector<uint8_t>* flags) {
  out->clear();
  if (flags != nullptr) flags->clear();
  const char* p = maps.data();
  const char* const end = p + maps.size();
  std::string key;
  while (p < end) {
    const char* eol = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (eol == nullptr) eol = end;
    CoreMapping m;
    const char* value = nullptr;
    if (parse_line(p, eol, &m)) {
      if (out->size() == kCoreMaxMappings) return false;
      out->push_back(std::move(m));
      if (flags != nullptr) flags->push_back(0);
    } else if (!out->empty() && attribute(p, eol, &value, &key)) {
      if (flags == nullptr) {
        p = eol == end ? end : eol + 1;
        continue;
      }
      uint8_t& f = flags->back();
      f |= kHaveSmaps;
      if (key == "VmFlags" && has_word(value, eol, "dd")) f |= kDontDump;
      if (key == "Anonymous" && positive_kb(value, eol)) f |= kWritten;
      if ((key == "Rss" || key == "Swap") && positive_kb(value, eol)) f |= kResident;
    } else {
      return false;
    }
    p = eol == end ? end : eol + 1;
  }
  return true;
}

}  // namespace

bool parse_maps(const std::string& maps, std::vector<CoreMapping>* out) { return parse_text(maps, out, nullptr); }

void choose_dump_bytes(std::vector<CoreMapping>* mappings, bool (*starts_with_elf)(uint64_t address, void* context),
                       void* context) {
  for (size_t i = 0; i < mappings->size(); ++i) {
    CoreMapping& m = (*mappings)[i];
    const CoreMapping* next = i + 1 < mappings->size() ? &(*mappings)[i + 1] : nullptr;
    const uint64_t size = m.end >= m.start ? m.end - m.start : 0;
    const std::string& path = m.path;
    const bool file = !path.empty() && path[0] == '/';
    const bool anonymous = path.empty() || path == "[heap]" || starts_with(path, "[stack") ||
                           starts_with(path, "[anon:") || starts_with(path, "[anon_shmem:") ||
                           (file && m.shared && ends_with(path, " (deleted)"));
    uint64_t dump = 0;
    if (!m.read) {
      dump = 0;
    } else if (anonymous || path == "[vdso]") {
      dump = size;
    } else if (file && !m.shared && (m.write || relro(m, next))) {
      dump = size;  // private and written to, as far as we can tell
    } else if (file && !m.shared && m.offset == 0 && starts_with_elf != nullptr && size > 0 &&
               starts_with_elf(m.start, context)) {
      dump = std::min(size, kPage);
    }
    m.dump_bytes = dump;
  }
}

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
  std::vector<CoreMapping> parsed;
  std::vector<uint8_t> parsed_flags;
  if (!parse_text(process.maps, &parsed, &parsed_flags)) {
    *why = parsed.size() == kCoreMaxMappings ? "more mappings than a core holds" : "a line of the maps cannot be read";
    return false;
  }
  // In address order (the kernel's), with their smaps flags.
  std::vector<size_t> order(parsed.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return parsed[a].start < parsed[b].start; });
  std::vector<CoreMapping> mappings;
  std::vector<uint8_t> flags;
  mappings.reserve(order.size());
  flags.reserve(order.size());
  for (size_t i : order) {
    mappings.push_back(std::move(parsed[i]));
    flags.push_back(parsed_flags[i]);
  }
  parsed.clear();
  int fd = mem_fd;
  choose_dump_bytes(&mappings, mem_starts_with_elf, &fd);
  // What smaps adds, as the kernel decides: MADV_DONTDUMP leaves a mapping
  // out; a private file mapping with written pages is written whole.
  for (size_t i = 0; i < mappings.size(); ++i) {
    CoreMapping& m = mappings[i];
    if (flags[i] & kDontDump) {
      m.dump_bytes = 0;
    } else if ((flags[i] & kWritten) && m.read && !m.shared && !m.path.empty() && m.path[0] == '/') {
      m.dump_bytes = m.end - m.start;
    }
  }

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
