// Finding rewritable `syscall` sites with Zydis (syscall_sites.h).
//
// A site is rewritable when the instruction that ends exactly where the
// `syscall` starts is at least 5 bytes long, refers to nothing by its own
// address (no RIP-relative operand, no relative branch) and does not
// transfer control. The shim replaces that one instruction with a 5-byte
// `jmp` to a trampoline that runs it, then `syscall`, then jumps back after
// the site; the `syscall` itself stays where it was. So no byte that can be
// the start of an instruction changes except the window's first: code that
// jumps to the `syscall` directly still runs it there (through the filter),
// and no analysis of branch targets is needed.
#include "syscall_sites.h"

#include <Zydis/Zydis.h>
#include <elf.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace sbx::cli {

namespace {

bool transfers_control(const ZydisDecodedInstruction& in) {
  switch (in.meta.category) {
    case ZYDIS_CATEGORY_COND_BR:
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
    case ZYDIS_CATEGORY_INTERRUPT:
    case ZYDIS_CATEGORY_SYSTEM: return true;
    default: return false;
  }
}

bool read_whole(const std::string& path, std::string* out) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool ok = fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < (64 << 20);
  if (ok) {
    out->resize(static_cast<size_t>(st.st_size));
    ok = read(fd, out->data(), out->size()) == static_cast<ssize_t>(out->size());
  }
  close(fd);
  return ok;
}

// mov $15, %eax or %rax: the signal trampoline __restore_rt, which
// unwinders (libgcc's fallback, libunwind, debuggers) recognise by its
// bytes; it runs once per handled signal, so nothing is lost leaving it.
bool is_sigreturn(const unsigned char* p, int length) {
  static const unsigned char mov_eax[] = {0xb8, 0x0f, 0, 0, 0};
  static const unsigned char mov_rax[] = {0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0};
  return (length == 5 && std::memcmp(p, mov_eax, 5) == 0) || (length == 7 && std::memcmp(p, mov_rax, 7) == 0);
}

// The site of the `syscall` at address (its bytes at code), given the
// instruction decoded just before it (nullptr if none).
SyscallSite classify(unsigned long address, const ZydisDecodedInstruction* before, const unsigned char* code) {
  SyscallSite site{address, 0, nullptr};
  if (before == nullptr) return site.left = "no instruction decoded just before it", site;
  if (before->length < 5) site.left = "the instruction before it is shorter than 5 bytes";
  else if (transfers_control(*before)) site.left = "the instruction before it transfers control";
  else if (before->attributes & ZYDIS_ATTRIB_IS_RELATIVE) site.left = "the instruction before it is RIP-relative";
  else if (is_sigreturn(code - before->length, before->length))
    site.left = "rt_sigreturn, whose bytes unwinders recognise";
  else site.window = before->length;
  const unsigned char* w = code - before->length;
  if (site.window == 5 && w[0] == 0xb8) site.nr = w[1] | w[2] << 8 | w[3] << 16 | static_cast<long>(w[4]) << 24;
  return site;
}

std::string hex(const unsigned char* p, size_t n) {
  std::string s;
  char b[3];
  for (size_t i = 0; i < n; ++i) std::snprintf(b, sizeof(b), "%02x", p[i]), s += b;
  return s;
}

}  // namespace

namespace {

// The hex of the NT_GNU_BUILD_ID note among the notes of one PT_NOTE
// segment, [notes, notes + size): "" if none. Shared by the two ways a
// file's build id is read (in memory, elf_build_id; by pread, file_build_id).
std::string notes_build_id(const unsigned char* notes, size_t size) {
  for (size_t at = 0; at + sizeof(Elf64_Nhdr) <= size;) {
    const auto* n = reinterpret_cast<const Elf64_Nhdr*>(notes + at);
    const size_t name = at + sizeof(*n), desc = name + ((n->n_namesz + 3) & ~3u);
    const size_t next = desc + ((n->n_descsz + 3) & ~3u);
    if (next > size) break;
    if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && std::memcmp(notes + name, "GNU", 4) == 0)
      return hex(notes + desc, n->n_descsz);
    at = next;
  }
  return "";
}

// The build id of the ELF image in file (empty if none), and whether it is
// an x86-64 ELF file at all.
bool elf_build_id(std::string_view file, std::string* build_id) {
  const auto* data = reinterpret_cast<const unsigned char*>(file.data());
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(data);
  if (file.size() < sizeof(Elf64_Ehdr) || std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
      eh->e_shoff + eh->e_shnum * sizeof(Elf64_Shdr) > file.size() ||
      eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) > file.size())
    return false;
  const auto* ph = reinterpret_cast<const Elf64_Phdr*>(data + eh->e_phoff);
  for (int i = 0; i < eh->e_phnum && build_id->empty(); ++i)
    if (ph[i].p_type == PT_NOTE && ph[i].p_offset + ph[i].p_filesz <= file.size())
      *build_id = notes_build_id(data + ph[i].p_offset, ph[i].p_filesz);
  return true;
}

SiteScan scan_image(const std::string& path, const std::string& file) {
  SiteScan scan;
  scan.path = path;
  const auto* data = reinterpret_cast<const unsigned char*>(file.data());
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(data);
  if (!elf_build_id(file, &scan.build_id)) {
    scan.error = "not an x86-64 ELF file with sections";
    return scan;
  }
  if (scan.build_id.empty()) {
    scan.error = "no build id";
    return scan;
  }
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  const auto* sh = reinterpret_cast<const Elf64_Shdr*>(data + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; ++i) {
    if (sh[i].sh_type != SHT_PROGBITS || (sh[i].sh_flags & SHF_EXECINSTR) == 0) continue;
    if (sh[i].sh_offset + sh[i].sh_size > file.size()) continue;
    const unsigned char* code = data + sh[i].sh_offset;
    ZydisDecodedInstruction before{};
    bool have_before = false;
    for (size_t at = 0; at < sh[i].sh_size;) {
      ZydisDecodedInstruction ins;
      if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, nullptr, code + at, sh[i].sh_size - at, &ins))) {
        have_before = false;
        ++at;
        continue;
      }
      if (ins.mnemonic == ZYDIS_MNEMONIC_SYSCALL)
        scan.sites.push_back(classify(sh[i].sh_addr + at, have_before ? &before : nullptr, code + at));
      before = ins;
      have_before = true;
      at += ins.length;
    }
  }
  return scan;
}

// The start of the function holding address by the unwind table the
// compiler leaves for every function (.eh_frame_hdr's sorted table of FDE
// start addresses), for code no symbol names (the loader exports almost
// none): the last start at or before address; 0 if the table is missing
// or in another encoding than binutils writes.
unsigned long unwind_start(std::string_view file, unsigned long address) {
  const auto* data = reinterpret_cast<const unsigned char*>(file.data());
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(data);
  const auto* sh = reinterpret_cast<const Elf64_Shdr*>(data + eh->e_shoff);
  if (eh->e_shstrndx >= eh->e_shnum || sh[eh->e_shstrndx].sh_offset >= file.size()) return 0;
  const char* names = file.data() + sh[eh->e_shstrndx].sh_offset;
  const size_t names_size = file.size() - sh[eh->e_shstrndx].sh_offset;
  for (int i = 0; i < eh->e_shnum; ++i) {
    if (sh[i].sh_name >= names_size ||
        std::strncmp(names + sh[i].sh_name, ".eh_frame_hdr", names_size - sh[i].sh_name) != 0)
      continue;
    if (sh[i].sh_offset + sh[i].sh_size > file.size() || sh[i].sh_size < 12) return 0;
    const unsigned char* hdr = data + sh[i].sh_offset;
    // version 1; eh_frame_ptr pcrel|sdata4; fde_count udata4; table datarel|sdata4
    if (hdr[0] != 1 || hdr[1] != 0x1b || hdr[2] != 0x03 || hdr[3] != 0x3b) return 0;
    uint32_t count;
    std::memcpy(&count, hdr + 8, 4);
    if (12 + static_cast<uint64_t>(count) * 8 > sh[i].sh_size) return 0;
    unsigned long best = 0;
    for (uint32_t k = 0; k < count; ++k) {
      int32_t location;
      std::memcpy(&location, hdr + 12 + k * 8, 4);
      const unsigned long start = sh[i].sh_addr + static_cast<long>(location);
      if (start <= address && start > best) best = start;
    }
    return best;
  }
  return 0;
}

// The sites of scan_image whose window is `mov $NR, %eax` for an NR in
// numbers, found without decoding the whole file: each place where those
// 7 bytes (b8 NR 0f 05) appear is decoded from the start of the function
// symbol (.dynsym, .symtab) that holds it, where an instruction starts,
// up to the `syscall`; a place no symbol holds, from the start its unwind
// entry gives (unwind_start), else from its section's start. The decoding
// must land exactly on the site, or there is none there. The same sites
// as scan_image's, at a small part of its cost (libc: 4 functions instead
// of 1.4 MB).
SiteScan scan_image_for(const std::string& path, std::string_view file, const std::vector<long>& numbers) {
  SiteScan scan;
  scan.path = path;
  if (!elf_build_id(file, &scan.build_id)) return scan.error = "not an x86-64 ELF file with sections", scan;
  if (scan.build_id.empty()) return scan.error = "no build id", scan;
  const auto* data = reinterpret_cast<const unsigned char*>(file.data());
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(data);
  const auto* sh = reinterpret_cast<const Elf64_Shdr*>(data + eh->e_shoff);
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  // The start of the function symbol holding address, or 0.
  const auto function_start = [&](unsigned long address) -> unsigned long {
    for (int i = 0; i < eh->e_shnum; ++i) {
      if ((sh[i].sh_type != SHT_DYNSYM && sh[i].sh_type != SHT_SYMTAB) || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
          sh[i].sh_offset + sh[i].sh_size > file.size())
        continue;
      const auto* sym = reinterpret_cast<const Elf64_Sym*>(data + sh[i].sh_offset);
      for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); ++k)
        if (ELF64_ST_TYPE(sym[k].st_info) == STT_FUNC && sym[k].st_value != 0 && sym[k].st_value <= address &&
            address < sym[k].st_value + sym[k].st_size)
          return sym[k].st_value;
    }
    return 0;
  };
  for (int i = 0; i < eh->e_shnum; ++i) {
    if (sh[i].sh_type != SHT_PROGBITS || (sh[i].sh_flags & SHF_EXECINSTR) == 0) continue;
    if (sh[i].sh_offset + sh[i].sh_size > file.size() || sh[i].sh_size < 7) continue;
    const unsigned char* code = data + sh[i].sh_offset;
    // Each `syscall` (0f 05) after mov $NR, %eax (b8 NR 00 00) for one of
    // the numbers: memchr for the 05 (vectorised: about 0.1 ms for libc's
    // 1.4 MB; one Boyer-Moore-Horspool pass per number cost about 1.5 ms
    // each), then the 6 bytes before it. The sites in address order.
    std::vector<size_t> places;
    const unsigned char* end = code + sh[i].sh_size;
    for (const unsigned char* at = code + 6; at < end; ++at) {
      at = static_cast<const unsigned char*>(std::memchr(at, 0x05, static_cast<size_t>(end - at)));
      if (at == nullptr) break;
      if (at[-1] != 0x0f || at[-6] != 0xb8 || at[-3] != 0 || at[-2] != 0) continue;
      const long nr = at[-5] | at[-4] << 8;
      if (std::find(numbers.begin(), numbers.end(), nr) != numbers.end())
        places.push_back(static_cast<size_t>(at - 6 - code));
    }
    std::sort(places.begin(), places.end());
    for (const size_t at : places) {
      unsigned long start = function_start(sh[i].sh_addr + at);
      if (start == 0) start = unwind_start(file, sh[i].sh_addr + at);
      size_t from = start >= sh[i].sh_addr && start <= sh[i].sh_addr + at ? start - sh[i].sh_addr : 0;
      // Decode from there to the `syscall`, as scan_image would.
      ZydisDecodedInstruction before{}, ins;
      bool have_before = false;
      while (from < at + 5) {
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, nullptr, code + from, sh[i].sh_size - from, &ins))) {
          have_before = false;
          ++from;
          continue;
        }
        before = ins;
        have_before = true;
        from += ins.length;
      }
      if (from != at + 5) continue;  // the bytes are inside another instruction: no site here
      if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, nullptr, code + from, sh[i].sh_size - from, &ins)) ||
          ins.mnemonic != ZYDIS_MNEMONIC_SYSCALL)
        continue;
      scan.sites.push_back(classify(sh[i].sh_addr + from, have_before ? &before : nullptr, code + from));
    }
  }
  return scan;
}

// ";BUILDID,OFFSET.WINDOW,..." for one scanned object; "" if it failed.
std::string object_entry(const SiteScan& s) {
  if (!s.error.empty()) return "";
  std::string entry = ";" + s.build_id;
  char b[40];
  for (const SyscallSite& site : s.sites)
    if (site.window > 0 && site.nr >= 0)
      std::snprintf(b, sizeof(b), ",%lx.%x.%lx", site.offset, site.window, site.nr), entry += b;
    else if (site.window > 0) std::snprintf(b, sizeof(b), ",%lx.%x", site.offset, site.window), entry += b;
  return entry;
}

}  // namespace

SiteScan scan_syscall_sites(const std::string& path) {
  std::string file;
  if (!read_whole(path, &file)) {
    SiteScan scan;
    scan.path = path;
    scan.error = "cannot be read";
    return scan;
  }
  return scan_image(path, file);
}

std::string rewrite_table(const std::vector<SiteScan>& scans) {
  std::string table = "1";
  for (const SiteScan& s : scans) table += object_entry(s);
  return table;
}

const char* const kRewrittenFiles[] = {"/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2", nullptr};

namespace {

// The build id of the ELF file at path, read from its headers and notes
// alone (the whole file is read only to decode it): "" if none.
std::string file_build_id(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string id;
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
      eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum < 64) {
    Elf64_Phdr ph[64];
    const ssize_t size = static_cast<ssize_t>(eh.e_phnum * sizeof(Elf64_Phdr));
    if (pread(fd, ph, size, static_cast<off_t>(eh.e_phoff)) == size) {
      for (int i = 0; i < eh.e_phnum && id.empty(); ++i) {
        if (ph[i].p_type != PT_NOTE || ph[i].p_filesz > 4096) continue;
        std::string notes(ph[i].p_filesz, '\0');
        if (pread(fd, notes.data(), notes.size(), static_cast<off_t>(ph[i].p_offset)) !=
            static_cast<ssize_t>(notes.size()))
          continue;
        id = notes_build_id(reinterpret_cast<const unsigned char*>(notes.data()), notes.size());
      }
    }
  }
  close(fd);
  return id;
}

}  // namespace

std::string rewrite_table_cached(const std::string& cache_dir) {
  std::string table;
  for (const char* const* path = kRewrittenFiles; *path != nullptr; ++path) {
    const std::string build_id = file_build_id(*path);
    if (build_id.empty()) continue;
    const std::string cached = cache_dir.empty() ? "" : cache_dir + "/syscall-sites-" + build_id;
    std::string entry;
    // A cached entry is the user's own file and only ever shapes the
    // user's own sandboxed program; the shim checks each site's bytes.
    if (!cached.empty() && read_whole(cached, &entry) && entry.rfind(";" + build_id, 0) == 0) {
      table += entry;
      continue;
    }
    std::string file;
    if (!read_whole(*path, &file)) continue;
    const SiteScan scan = scan_image(*path, file);
    if (scan.build_id != build_id) continue;  // replaced meanwhile
    entry = object_entry(scan);
    table += entry;
    if (cached.empty() || entry.empty()) continue;
    mkdir(cache_dir.c_str(), 0700);
    const std::string temporary = cached + "." + std::to_string(getpid());
    const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) continue;
    const bool written = write(fd, entry.data(), entry.size()) == static_cast<ssize_t>(entry.size());
    close(fd);
    if (!written || rename(temporary.c_str(), cached.c_str()) != 0) unlink(temporary.c_str());
  }
  return table.empty() ? "" : "1" + table;
}

std::string rewrite_table_for(const std::vector<long>& numbers) {
  std::string table;
  if (numbers.empty()) return table;
  for (const char* const* path = kRewrittenFiles; *path != nullptr; ++path) {
    // Mapped, not read: a copy of libc's 2 MB cost more than the search
    // (zeroing, copying, and faulting in fresh pages), and only the code
    // sections and a few functions' bytes are touched.
    const int fd = open(*path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    void* map = fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < (64 << 20)
                    ? mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0)
                    : MAP_FAILED;
    close(fd);
    if (map == MAP_FAILED) continue;
    table += object_entry(scan_image_for(
        *path, std::string_view(static_cast<const char*>(map), static_cast<size_t>(st.st_size)), numbers));
    munmap(map, static_cast<size_t>(st.st_size));
  }
  return table.empty() ? "" : "1" + table;
}

}  // namespace sbx::cli
