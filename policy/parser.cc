// The policy language's parser: one statement per line (docs/policy.md).
// Every error names its file, line and column; parsing goes on after an
// error so that one run reports every mistake. The lexer is lexer.cc, the
// grammar of a statement's parts line_parser.cc; this file reads the
// statements and the files they are in, and puts included files in place
// (arranged by include.cc).
#include <algorithm>
#include <fstream>
#include <sstream>

#include "lexer.h"
#include "line_parser.h"
#include "policy.h"

namespace sbx::policy {

bool read_file(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream content;
  content << in.rdbuf();
  *text = content.str();
  return true;
}

namespace {

struct State {
  const FileReader& reader;
  Policy policy;  // its rules and default are set once the top file is arranged
  std::vector<Error> errors;
  std::vector<std::string> include_stack;
  // What each file being read says (the innermost last), and its number
  // (an index into policy.includer).
  std::vector<FileLines> lines;
  std::vector<int> file_numbers;
};

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

Arranged parse_text(State& st, const std::string& text, const std::string& file);

void parse_include(State& st, LineParser& parser, const std::string& file, const Location& where) {
  const Token& target = parser.next();
  std::string name;
  std::string body;
  if (target.kind == Token::kWord && target.text == "builtin" && parser.at_punct(":")) {
    parser.next();
    const Token& builtin_name = parser.next();
    if (builtin_name.kind != Token::kWord)
      parser.fail(builtin_name, "expected the name of a built-in policy after 'builtin:'");
    const char* text = builtin_policy(builtin_name.text);
    if (text == nullptr) parser.fail(builtin_name, "no built-in policy named '" + builtin_name.text + "'");
    name = "builtin:" + builtin_name.text;
    body = text;
  } else if (target.kind == Token::kString) {
    name = target.text.empty() || target.text[0] == '/' ? target.text : directory_of(file) + "/" + target.text;
    if (!st.reader(name, &body)) parser.fail(target, "cannot read included file '" + name + "'");
  } else {
    parser.fail(target, "expected \"FILE\" or builtin:NAME after include");
  }
  parser.expect_end();
  if (std::find(st.include_stack.begin(), st.include_stack.end(), name) != st.include_stack.end())
    parser.fail(target, "'" + name + "' includes itself (through " + file + ")");
  (void)where;
  // The included file, arranged, joins this file's lines as included ones:
  // arrange() puts this file's own lines before them (include.cc).
  Arranged sub = parse_text(st, body, name);
  FileLines& here = st.lines.back();
  for (auto& rule : sub.rules) {
    CallLines& call = lines_for(here, rule.name, rule.nr);
    call.included.insert(call.included.end(), rule.clauses.begin(), rule.clauses.end());
  }
  if (sub.default_line) here.included_defaults.push_back(*sub.default_line);
  if (sub.core_dir) here.core_dir.included.push_back(*sub.core_dir);
  if (sub.core_limit) here.core_limit.included.push_back(*sub.core_limit);
  if (sub.deny_write_execute) here.deny_write_execute.included.push_back(*sub.deny_write_execute);
}

// A directive says one thing once per file; it overrides the included
// files' (include.cc).
template <typename T>
void set_once(LineParser& parser, const Token& first, Setting<T>& setting, SettingLine<T> line) {
  if (setting.own)
    parser.fail(first, first.text + " already set at " + setting.own->where.file + ":" +
                           std::to_string(setting.own->where.line));
  setting.own = std::move(line);
}

void parse_statement(State& st, LineParser& parser, const std::string& file, int line_no) {
  const Token& first = parser.next();
  const Location where{file, line_no, first.column};
  if (first.kind != Token::kWord)
    parser.fail(first, "expected a statement: a system call rule, default, include, path, core-dir, core-limit or "
                       "deny-write-execute");

  if (parser.at_punct(":")) {  // SYSCALL: ACTION [if CONDITION]
    const int nr = syscall_number(first.text);
    if (nr < 0) parser.fail(first, "unknown system call '" + first.text + "' (x86-64 names, as in syscalls(2))");
    parser.next();
    Clause clause;
    clause.where = where;
    clause.action = parser.action();
    clause.condition = {{}};
    if (parser.at_word("if")) {
      parser.next();
      clause.condition = parser.condition();
    }
    parser.expect_end();
    clause.file = st.file_numbers.back();
    lines_for(st.lines.back(), first.text, nr).own.push_back(std::move(clause));
    return;
  }
  if (first.text == "default") {
    const Action action = parser.action();
    parser.expect_end();
    if (action.kind == ActionKind::kBroker)
      parser.fail(first, "the default cannot be broker: name the calls to broker");
    // One per file; it overrides those of the files it includes (include.cc).
    auto& own = st.lines.back().own_default;
    if (own) parser.fail(first, "default already set at " + own->where.file + ":" + std::to_string(own->where.line));
    own = DefaultLine{action, where};
    return;
  }
  if (first.text == "include") {
    parse_include(st, parser, file, where);
    return;
  }
  if (first.text == "core-dir") {
    const Token& dir = parser.next();
    if (dir.kind != Token::kRaw) parser.fail(dir, "expected the directory for core files after core-dir");
    std::string why;
    if (!valid_core_dir(dir.text, &why)) parser.fail(dir, "core-dir: " + why);
    parser.expect_end();
    set_once(parser, first, st.lines.back().core_dir, SettingLine<std::string>{dir.text, where});
    return;
  }
  if (first.text == "core-limit") {
    const Token& size = parser.next();
    if (size.kind != Token::kRaw)
      parser.fail(size, "expected a size after core-limit: bytes, or a number and K, M or G");
    const uint64_t bytes = parser.size(size);
    parser.expect_end();
    set_once(parser, first, st.lines.back().core_limit, SettingLine<uint64_t>{bytes, where});
    return;
  }
  if (first.text == "deny-write-execute") {
    // on: the program's process may not make memory executable that was
    // writable, nor map it writable and executable (PR_SET_MDWE); off: it may.
    const Token& value = parser.next();
    if (value.kind != Token::kWord || (value.text != "on" && value.text != "off"))
      parser.fail(value, "expected on or off after deny-write-execute");
    parser.expect_end();
    set_once(parser, first, st.lines.back().deny_write_execute, SettingLine<bool>{value.text == "on", where});
    return;
  }
  if (first.text == "path") {
    PathRule rule;
    rule.where = where;
    for (;;) {
      const Token& perm = parser.next();
      if (perm.kind == Token::kWord && perm.text == "read") rule.permissions |= kPathRead;
      else if (perm.kind == Token::kWord && perm.text == "write") rule.permissions |= kPathWrite;
      else if (perm.kind == Token::kWord && perm.text == "create") rule.permissions |= kPathCreate;
      else parser.fail(perm, "expected a permission: read, write or create");
      if (!parser.at_punct(",")) break;
      parser.next();
    }
    const Token& path = parser.next();
    if (path.kind != Token::kPath) parser.fail(path, "expected an absolute path after the permissions");
    std::string why;
    if (!valid_pattern(path.text, &why)) parser.fail(path, why);
    rule.pattern = path.text;
    parser.expect_end();
    st.policy.paths.push_back(rule);
    return;
  }
  parser.fail(first, "expected ':' after the system call name '" + first.text +
                         "' (or default, include, path, core-dir, core-limit, deny-write-execute)");
}

// Reads one file (and those it includes) and arranges its lines.
Arranged parse_text(State& st, const std::string& text, const std::string& file) {
  st.include_stack.push_back(file);
  st.policy.includer.push_back(st.file_numbers.empty() ? -1 : st.file_numbers.back());
  st.file_numbers.push_back(static_cast<int>(st.policy.includer.size()) - 1);
  st.lines.emplace_back();
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::vector<Token> tokens;
    int column = 0;
    std::string why;
    if (!tokenize(line, &tokens, &column, &why)) {
      st.errors.push_back({{file, line_no, column}, why});
      continue;
    }
    if (tokens.size() == 1) continue;  // blank or comment
    LineParser parser(tokens);
    try {
      parse_statement(st, parser, file, line_no);
    } catch (const ParseFailure& failure) {
      st.errors.push_back({{file, line_no, failure.column}, failure.message});
    }
  }
  Arranged arranged = arrange(st.lines.back(), file, &st.policy.overrides, &st.errors);
  st.lines.pop_back();
  st.file_numbers.pop_back();
  st.include_stack.pop_back();
  return arranged;
}

}  // namespace

ParseResult parse(const std::string& text, const std::string& file_name, const FileReader& reader) {
  State st{reader, {}, {}, {}, {}, {}};
  Arranged top = parse_text(st, text, file_name);
  st.policy.rules = std::move(top.rules);
  if (top.default_line) {
    st.policy.default_action = top.default_line->action;
    st.policy.has_default = true;
  }
  if (top.core_dir) st.policy.core.dir = top.core_dir->value;
  if (top.core_limit) st.policy.core.limit = top.core_limit->value;
  if (top.deny_write_execute) st.policy.deny_write_execute = top.deny_write_execute->value;
  if (st.errors.empty() && !st.policy.has_default)
    st.errors.push_back({{file_name, 1, 1}, "no default action: add a line such as 'default kill'"});
  ParseResult result;
  result.errors = std::move(st.errors);
  if (result.errors.empty()) result.policy = std::move(st.policy);
  return result;
}

ParseResult parse_file(const std::string& path) {
  std::string text;
  if (path.rfind("builtin:", 0) == 0) {
    const char* builtin = builtin_policy(path.substr(8));
    if (builtin == nullptr)
      return {std::nullopt, {{{path, 0, 0}, "no built-in policy named '" + path.substr(8) + "'"}}};
    return parse(builtin, path);
  }
  if (!read_file(path, &text)) return {std::nullopt, {{{path, 0, 0}, "cannot read the policy file"}}};
  return parse(text, path);
}

}  // namespace sbx::policy
