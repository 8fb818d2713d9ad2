// The printers: a policy's parts as sbx policy check and explain, and the
// errors, show them. Action words and comparison operators come from
// words.h, as the parser reads them.
#include <cstring>
#include <sstream>

#include "policy.h"
#include "words.h"

namespace sbx::policy {

std::string format(const Error& error) {
  std::ostringstream out;
  out << error.where.file << ":" << error.where.line << ":" << error.where.column << ": error: " << error.message;
  return out.str();
}

std::string format(const Override& said) {
  // The overridden lines, file by file in the order they are tried:
  // "builtin:default (lines 84, 85) and builtin:stdio (line 68)".
  std::string from;
  for (size_t i = 0; i < said.overridden.size();) {
    const std::string& file = said.overridden[i].file;
    std::string numbers;
    size_t count = 0;
    for (; i < said.overridden.size() && said.overridden[i].file == file; ++i, ++count)
      numbers += (count ? ", " : "") + std::to_string(said.overridden[i].line);
    from += (from.empty() ? "" : " and ") + file + (count == 1 ? " (line " : " (lines ") + numbers + ")";
  }
  const std::string text = said.line.file + ":" + std::to_string(said.line.line) + ": " + said.name + ": ";
  const std::string theirs = said.overridden.size() == 1 ? "the one from " : "the ones from ";
  if (said.name == "default") return text + "this file's default overrides " + theirs + from;
  const std::string mine = said.lines == 1 ? "this file's rule " : "this file's rules ";
  if (said.replaces) return text + mine + (said.lines == 1 ? "overrides " : "override ") + theirs + from;
  return text + mine + (said.lines == 1 ? "is" : "are") + " tried before " + theirs + from;
}

std::string to_string(const Action& action) {
  if (action.kind != ActionKind::kErrno) return action_word(action.kind);
  const char* name = strerrorname_np(action.errno_value);
  return std::string(action_word(action.kind)) + "(" + (name ? std::string(name) : std::to_string(action.errno_value)) +
         ")";
}

std::string to_string(const Atom& atom) {
  std::ostringstream out;
  out << "arg" << atom.arg;
  if (atom.op == Op::kMaskedEq) {
    out << " & 0x" << std::hex << atom.mask << " " << op_word(Op::kEq) << " 0x" << atom.value;
    return out.str();
  }
  out << " " << op_word(atom.op) << " 0x" << std::hex << atom.value;
  return out.str();
}

std::string to_string(const Dnf& condition) {
  if (condition.empty()) return "false";
  std::string out;
  for (size_t i = 0; i < condition.size(); ++i) {
    if (i) out += " || ";
    if (condition[i].empty()) return "true";
    for (size_t j = 0; j < condition[i].size(); ++j) out += (j ? " && " : "") + to_string(condition[i][j]);
  }
  return out;
}

}  // namespace sbx::policy
