// Which memory an ELF core holds (core_file.h), as the kernel decides it
// (fs/binfmt_elf.c's vma_dump_size and the default coredump_filter): the
// text of /proc/PID/maps or smaps read into CoreMapping records, and how
// many bytes of each the core writes. core_file.cc writes the file.
#include "core_file.h"

#include <elf.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "core_internal.h"

namespace sbx::trusted {

namespace {

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

// ---- choosing ----

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

bool core_dump_mappings(const std::string& maps, int mem_fd, std::vector<CoreMapping>* out,
                        std::vector<uint8_t>* out_flags, std::string* why) {
  std::vector<CoreMapping> parsed;
  std::vector<uint8_t> parsed_flags;
  if (!parse_text(maps, &parsed, &parsed_flags)) {
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
  *out = std::move(mappings);
  *out_flags = std::move(flags);
  return true;
}

}  // namespace sbx::trusted
