// What the in-process layer and the trusted process need of a policy at run
// time: the compiled format and the path rules. Nothing here uses
// libseccomp, so libsbx-shim.so, preloaded into every sandboxed program,
// carries no compiler.
#include <fcntl.h>
#include <linux/filter.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string_view>

#include "policy.h"

namespace sbx::policy {

// --- path rules ------------------------------------------------------------------

bool valid_pattern(const std::string& p, std::string* why) {
  if (p.empty() || p[0] != '/') return (*why = "a path must be absolute"), false;
  if (p.size() > 1 && p.back() == '/') return (*why = "a path must not end with '/'"), false;
  // One rule is one line of the compiled format: a newline in a name would
  // start a rule of its own.
  for (const unsigned char ch : p)
    if (ch < 0x20 || ch == 0x7f) return (*why = "a path must not contain control characters (a newline, a tab...)"), false;
  size_t start = 1;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    const std::string part = p.substr(start, end - start);
    if (p.size() > 1 && part.empty()) return (*why = "empty path component ('//')"), false;
    if (part == "." || part == "..") return (*why = "'.' and '..' are not allowed in paths"), false;
    if (part.find('*') != std::string::npos && !(part == "**" && end == p.size()))
      return (*why = "'**' is allowed only as the last component (a whole subtree); no other wildcards"), false;
    start = end + 1;
  }
  return true;
}

std::optional<uint64_t> size_in_bytes(const std::string& text, std::string* why) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return (*why = "bad size '" + text + "': expected bytes, or a number and K, M or G"), std::nullopt;
  uint64_t value = 0;
  for (size_t i = 0; i < digits; ++i) {
    const auto d = static_cast<uint64_t>(text[i] - '0');
    if (value > (~0ULL - d) / 10) return (*why = "size '" + text + "' does not fit 64 bits"), std::nullopt;
    value = value * 10 + d;
  }
  const std::string suffix = text.substr(digits);
  int shift = 0;
  if (suffix == "K") shift = 10;
  else if (suffix == "M") shift = 20;
  else if (suffix == "G") shift = 30;
  else if (!suffix.empty())
    return (*why = "unknown size suffix '" + suffix + "' in '" + text + "' (K, M or G)"), std::nullopt;
  if (value > (~0ULL >> shift)) return (*why = "size '" + text + "' does not fit 64 bits"), std::nullopt;
  return value << shift;
}

bool valid_core_dir(const std::string& dir, std::string* why) {
  if (!valid_pattern(dir, why)) return false;
  if (dir.find('*') != std::string::npos) return (*why = "a core directory is one directory: no '**'"), false;
  return true;
}

namespace {
// Whether one rule's pattern covers path (both absolute, normalised).
bool covers(std::string_view pattern, std::string_view path) {
  if (pattern.size() >= 3 && pattern.ends_with("/**")) {
    const std::string_view dir = pattern.substr(0, pattern.size() - 3);  // "" for "/**"
    if (dir.empty()) return !path.empty() && path[0] == '/';
    return path == dir || (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
  }
  return path == pattern;
}
}  // namespace

bool path_allowed(const std::vector<PathRule>& rules, const std::string& path, unsigned wanted) {
  unsigned granted = 0;
  for (const auto& r : rules)
    if (covers(r.pattern, path)) granted |= r.permissions;
  return wanted != 0 && (granted & wanted) == wanted;
}

bool path_on_the_way(const std::vector<PathRule>& rules, const std::string& path) {
  for (const auto& r : rules) {
    const std::string& p = r.pattern;
    if (path == "/" || (p.size() > path.size() && p.compare(0, path.size(), path) == 0 && p[path.size()] == '/'))
      return true;
  }
  return false;
}

std::string rule_root(const std::string& pattern) {
  if (pattern == "/**") return "/";
  if (pattern.size() > 3 && pattern.ends_with("/**")) return pattern.substr(0, pattern.size() - 3);
  return pattern;
}

bool path_anchors_rule(const std::vector<PathRule>& rules, const std::string& path) {
  for (const auto& r : rules) {
    const std::string root = rule_root(r.pattern);
    if (path == root || path == "/") return true;
    if (root.size() > path.size() && root.compare(0, path.size(), path) == 0 && root[path.size()] == '/') return true;
  }
  return false;
}

std::string normalize_path(const std::string& base, const std::string& path) {
  if (path.empty() || path.size() >= PATH_MAX) return "";
  const std::string full = path[0] == '/' ? path : base + "/" + path;
  std::string out;
  out.reserve(full.size());
  size_t start = 0;
  while (start <= full.size()) {
    size_t end = full.find('/', start);
    if (end == std::string::npos) end = full.size();
    const std::string_view part(full.data() + start, end - start);
    if (part == "..") {
      out.resize(out.empty() ? 0 : out.rfind('/'));  // up one, never above "/"
    } else if (!part.empty() && part != ".") {
      out += '/';
      out += part;
    }
    start = end + 1;
  }
  return out.empty() ? "/" : out;
}

// --- the compiled format ---------------------------------------------------------
//
//   SBXPOLICY 1
//   default <action>
//   broker <0|1>
//   core-dir <absolute directory>     (optional)
//   core-limit <bytes, decimal>       (optional; 0: no limit)
//   path <permissions> <pattern>      (any number; permissions r, w, c)
//   bpf <N>
//   <N * 8 bytes: struct sock_filter, little-endian>

namespace {
std::string action_word(const Action& a) {
  switch (a.kind) {
    case ActionKind::kAllow: return "allow";
    case ActionKind::kKill: return "kill";
    case ActionKind::kTrap: return "trap";
    case ActionKind::kLog: return "log";
    case ActionKind::kBroker: return "broker";
    case ActionKind::kErrno: return "errno:" + std::to_string(a.errno_value);
  }
  return "?";
}
std::optional<Action> parse_action_word(const std::string& w) {
  if (w == "allow") return Action{ActionKind::kAllow, 0};
  if (w == "kill") return Action{ActionKind::kKill, 0};
  if (w == "trap") return Action{ActionKind::kTrap, 0};
  if (w == "log") return Action{ActionKind::kLog, 0};
  if (w.rfind("errno:", 0) == 0) {
    const int v = std::atoi(w.c_str() + 6);
    if (v >= 0 && v <= 4095 && w.size() > 6 && w.find_first_not_of("0123456789", 6) == std::string::npos)
      return Action{ActionKind::kErrno, v};
  }
  return std::nullopt;
}
// A decimal number of 1 to 20 digits that fits 64 bits.
std::optional<uint64_t> decimal(const std::string& text) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  uint64_t value = 0;
  for (const char digit : text) {
    const auto d = static_cast<uint64_t>(digit - '0');
    if (value > (~0ULL - d) / 10) return std::nullopt;
    value = value * 10 + d;
  }
  return value;
}
}  // namespace

std::string serialize(const Compiled& c) {
  std::string why;
  for (const auto& p : c.paths)
    if (!valid_pattern(p.pattern, &why)) return "";
  if (!c.core.dir.empty() && !valid_core_dir(c.core.dir, &why)) return "";
  std::ostringstream out;
  out << "SBXPOLICY 1\n"
      << "default " << action_word(c.default_action) << "\n"
      << "broker " << (c.uses_broker ? 1 : 0) << "\n";
  if (!c.core.dir.empty()) out << "core-dir " << c.core.dir << "\n";
  if (c.core.limit) out << "core-limit " << *c.core.limit << "\n";
  for (const auto& p : c.paths) {
    std::string perms;
    if (p.permissions & kPathRead) perms += 'r';
    if (p.permissions & kPathWrite) perms += 'w';
    if (p.permissions & kPathCreate) perms += 'c';
    out << "path " << perms << " " << p.pattern << "\n";
  }
  out << "bpf " << c.bpf.size() << "\n";
  std::string text = out.str();
  text.append(reinterpret_cast<const char*>(c.bpf.data()), c.bpf.size() * 8);
  return text;
}

std::optional<Compiled> deserialize(const std::string& bytes, std::string* why) {
  Compiled c;
  size_t pos = 0;
  auto line = [&](std::string* l) {
    const size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos) return false;
    *l = bytes.substr(pos, nl - pos);
    pos = nl + 1;
    return true;
  };
  std::string l;
  if (!line(&l) || l != "SBXPOLICY 1") return (*why = "not a compiled sbx policy (version 1)"), std::nullopt;
  if (!line(&l) || l.rfind("default ", 0) != 0) return (*why = "missing default"), std::nullopt;
  const auto def = parse_action_word(l.substr(8));
  if (!def) return (*why = "bad default action"), std::nullopt;
  c.default_action = *def;
  if (!line(&l) || (l != "broker 0" && l != "broker 1")) return (*why = "missing broker line"), std::nullopt;
  c.uses_broker = l == "broker 1";
  // Optional, in this order: core-dir, core-limit.
  const size_t after_broker = pos;
  if (line(&l) && l.rfind("core-dir ", 0) == 0) {
    std::string bad;
    if (!valid_core_dir(l.substr(9), &bad)) return (*why = "bad core-dir (" + bad + ")"), std::nullopt;
    c.core.dir = l.substr(9);
  } else {
    pos = after_broker;
  }
  const size_t after_core_dir = pos;
  if (line(&l) && l.rfind("core-limit ", 0) == 0) {
    const auto limit = decimal(l.substr(11));
    if (!limit) return (*why = "bad core-limit"), std::nullopt;
    c.core.limit = *limit;
  } else {
    pos = after_core_dir;
  }
  for (;;) {
    if (!line(&l)) return (*why = "truncated"), std::nullopt;
    if (l.rfind("path ", 0) == 0) {
      const size_t sp = l.find(' ', 5);
      if (sp == std::string::npos) return (*why = "bad path line"), std::nullopt;
      PathRule r;
      for (const char ch : l.substr(5, sp - 5)) {
        if (ch == 'r') r.permissions |= kPathRead;
        else if (ch == 'w') r.permissions |= kPathWrite;
        else if (ch == 'c') r.permissions |= kPathCreate;
        else return (*why = "bad path permissions"), std::nullopt;
      }
      r.pattern = l.substr(sp + 1);
      std::string bad;
      if (!valid_pattern(r.pattern, &bad)) return (*why = "bad path pattern (" + bad + ")"), std::nullopt;
      c.paths.push_back(r);
      continue;
    }
    if (l.rfind("bpf ", 0) != 0) return (*why = "unexpected line '" + l + "'"), std::nullopt;
    const std::string n_text = l.substr(4);
    if (n_text.empty() || n_text.size() > 4 || n_text.find_first_not_of("0123456789") != std::string::npos)
      return (*why = "bad instruction count"), std::nullopt;
    const size_t n = std::stoul(n_text);
    if (n == 0 || n > BPF_MAXINSNS) return (*why = "instruction count out of range"), std::nullopt;
    if (bytes.size() - pos != n * 8) return (*why = "program size does not match its count"), std::nullopt;
    c.bpf.resize(n);
    std::memcpy(c.bpf.data(), bytes.data() + pos, n * 8);
    return c;
  }
}

std::optional<Compiled> read_sealed(int fd, std::string* why) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > (1 << 20)) return (*why = "not a compiled policy"), std::nullopt;
  // Sealed by sbx run: nobody can change it between our check and our use.
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0 || !(seals & F_SEAL_WRITE) || !(seals & F_SEAL_SHRINK) || !(seals & F_SEAL_GROW) || !(seals & F_SEAL_SEAL))
    return (*why = "the policy memfd is not sealed"), std::nullopt;
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  if (pread(fd, bytes.data(), bytes.size(), 0) != st.st_size) return (*why = "cannot read the policy"), std::nullopt;
  return deserialize(bytes, why);
}

}  // namespace sbx::policy
