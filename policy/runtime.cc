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
#include "words.h"

namespace sbx::policy {

// --- path rules ------------------------------------------------------------------

bool valid_pattern(const std::string& pattern, std::string* why) {
  if (pattern.empty() || pattern[0] != '/') return (*why = "a path must be absolute"), false;
  if (pattern.size() > 1 && pattern.back() == '/') return (*why = "a path must not end with '/'"), false;
  // One rule is one line of the compiled format: a newline in a name would
  // start a rule of its own.
  for (const unsigned char ch : pattern)
    if (ch < 0x20 || ch == 0x7f)
      return (*why = "a path must not contain control characters (a newline, a tab...)"), false;
  size_t start = 1;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == std::string::npos) end = pattern.size();
    const std::string part = pattern.substr(start, end - start);
    if (pattern.size() > 1 && part.empty()) return (*why = "empty path component ('//')"), false;
    if (part == "." || part == "..") return (*why = "'.' and '..' are not allowed in paths"), false;
    if (part.find('*') != std::string::npos && !(part == "**" && end == pattern.size()))
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
  for (const auto& rule : rules)
    if (covers(rule.pattern, path)) granted |= rule.permissions;
  return wanted != 0 && (granted & wanted) == wanted;
}

bool path_on_the_way(const std::vector<PathRule>& rules, const std::string& path) {
  for (const auto& rule : rules) {
    const std::string& pattern = rule.pattern;
    if (path == "/" ||
        (pattern.size() > path.size() && pattern.compare(0, path.size(), path) == 0 && pattern[path.size()] == '/'))
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
  for (const auto& rule : rules) {
    const std::string root = rule_root(rule.pattern);
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
//   deny-write-execute 1              (optional; only when on)
//   path <permissions> <pattern>      (any number; permissions r, w, c)
//   bpf <N>
//   <N * 8 bytes: struct sock_filter, little-endian>

namespace {
// The action as the compiled format writes it: its word (words.h), and for
// errno the value, "errno:13".
std::string format_action(const Action& action) {
  if (action.kind == ActionKind::kErrno)
    return std::string(action_word(action.kind)) + ":" + std::to_string(action.errno_value);
  return action_word(action.kind);
}
// Only a default is written this way, and a default is never broker.
std::optional<Action> parse_default_action(const std::string& text) {
  const std::string errno_prefix = std::string(action_word(ActionKind::kErrno)) + ":";
  if (text.rfind(errno_prefix, 0) == 0) {
    const std::string digits = text.substr(errno_prefix.size());
    if (digits.empty() || digits.size() > 4 || digits.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    const int value = std::atoi(digits.c_str());
    if (value > 4095) return std::nullopt;
    return Action{ActionKind::kErrno, value};
  }
  const auto kind = action_kind(text);
  if (!kind || *kind == ActionKind::kErrno || *kind == ActionKind::kBroker) return std::nullopt;
  return Action{*kind, 0};
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

std::string serialize(const Compiled& compiled) {
  std::string why;
  for (const auto& rule : compiled.paths)
    if (!valid_pattern(rule.pattern, &why)) return "";
  if (!compiled.core.dir.empty() && !valid_core_dir(compiled.core.dir, &why)) return "";
  std::ostringstream out;
  out << "SBXPOLICY 1\n"
      << "default " << format_action(compiled.default_action) << "\n"
      << "broker " << (compiled.uses_broker ? 1 : 0) << "\n";
  if (!compiled.core.dir.empty()) out << "core-dir " << compiled.core.dir << "\n";
  if (compiled.core.limit) out << "core-limit " << *compiled.core.limit << "\n";
  if (compiled.deny_write_execute) out << "deny-write-execute 1\n";
  for (const auto& rule : compiled.paths) {
    std::string perms;
    if (rule.permissions & kPathRead) perms += 'r';
    if (rule.permissions & kPathWrite) perms += 'w';
    if (rule.permissions & kPathCreate) perms += 'c';
    out << "path " << perms << " " << rule.pattern << "\n";
  }
  out << "bpf " << compiled.bpf.size() << "\n";
  std::string text = out.str();
  text.append(reinterpret_cast<const char*>(compiled.bpf.data()), compiled.bpf.size() * 8);
  return text;
}

std::optional<Compiled> deserialize(const std::string& bytes, std::string* why) {
  Compiled compiled;
  size_t pos = 0;
  auto next_line = [&](std::string* out) {
    const size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos) return false;
    *out = bytes.substr(pos, nl - pos);
    pos = nl + 1;
    return true;
  };
  std::string text;
  if (!next_line(&text) || text != "SBXPOLICY 1") return (*why = "not a compiled sbx policy (version 1)"), std::nullopt;
  if (!next_line(&text) || text.rfind("default ", 0) != 0) return (*why = "missing default"), std::nullopt;
  const auto def = parse_default_action(text.substr(8));
  if (!def) return (*why = "bad default action"), std::nullopt;
  compiled.default_action = *def;
  if (!next_line(&text) || (text != "broker 0" && text != "broker 1"))
    return (*why = "missing broker line"), std::nullopt;
  compiled.uses_broker = text == "broker 1";
  // Optional, in this order: core-dir, core-limit, deny-write-execute.
  const size_t after_broker = pos;
  if (next_line(&text) && text.rfind("core-dir ", 0) == 0) {
    std::string bad;
    if (!valid_core_dir(text.substr(9), &bad)) return (*why = "bad core-dir (" + bad + ")"), std::nullopt;
    compiled.core.dir = text.substr(9);
  } else {
    pos = after_broker;
  }
  const size_t after_core_dir = pos;
  if (next_line(&text) && text.rfind("core-limit ", 0) == 0) {
    const auto limit = decimal(text.substr(11));
    if (!limit) return (*why = "bad core-limit"), std::nullopt;
    compiled.core.limit = *limit;
  } else {
    pos = after_core_dir;
  }
  const size_t after_core_limit = pos;
  if (next_line(&text) && text == "deny-write-execute 1") compiled.deny_write_execute = true;
  else pos = after_core_limit;
  for (;;) {
    if (!next_line(&text)) return (*why = "truncated"), std::nullopt;
    if (text.rfind("path ", 0) == 0) {
      const size_t sp = text.find(' ', 5);
      if (sp == std::string::npos) return (*why = "bad path line"), std::nullopt;
      PathRule rule;
      for (const char ch : text.substr(5, sp - 5)) {
        if (ch == 'r') rule.permissions |= kPathRead;
        else if (ch == 'w') rule.permissions |= kPathWrite;
        else if (ch == 'c') rule.permissions |= kPathCreate;
        else return (*why = "bad path permissions"), std::nullopt;
      }
      rule.pattern = text.substr(sp + 1);
      std::string bad;
      if (!valid_pattern(rule.pattern, &bad)) return (*why = "bad path pattern (" + bad + ")"), std::nullopt;
      compiled.paths.push_back(rule);
      continue;
    }
    if (text.rfind("bpf ", 0) != 0) return (*why = "unexpected line '" + text + "'"), std::nullopt;
    const std::string count_text = text.substr(4);
    if (count_text.empty() || count_text.size() > 4 || count_text.find_first_not_of("0123456789") != std::string::npos)
      return (*why = "bad instruction count"), std::nullopt;
    const size_t count = std::stoul(count_text);
    if (count == 0 || count > BPF_MAXINSNS) return (*why = "instruction count out of range"), std::nullopt;
    if (bytes.size() - pos != count * 8) return (*why = "program size does not match its count"), std::nullopt;
    compiled.bpf.resize(count);
    std::memcpy(compiled.bpf.data(), bytes.data() + pos, count * 8);
    return compiled;
  }
}

std::optional<Compiled> read_sealed(int fd, std::string* why) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > (1 << 20))
    return (*why = "not a compiled policy"), std::nullopt;
  // Sealed by sbx run: nobody can change it between our check and our use.
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0 || !(seals & F_SEAL_WRITE) || !(seals & F_SEAL_SHRINK) || !(seals & F_SEAL_GROW) ||
      !(seals & F_SEAL_SEAL))
    return (*why = "the policy memfd is not sealed"), std::nullopt;
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  if (pread(fd, bytes.data(), bytes.size(), 0) != st.st_size) return (*why = "cannot read the policy"), std::nullopt;
  return deserialize(bytes, why);
}

}  // namespace sbx::policy
