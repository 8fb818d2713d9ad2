// The policy language's parser: one statement per line (docs/policy.md).
// Every error names its file, line and column; parsing goes on after an
// error so that one run reports every mistake.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <cstring>
#include <sstream>

#include "policy.h"

namespace sbx::policy {

std::string format(const Error& error) {
  std::ostringstream out;
  out << error.where.file << ":" << error.where.line << ":" << error.where.column << ": error: " << error.message;
  return out.str();
}

bool read_file(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream content;
  content << in.rdbuf();
  *text = content.str();
  return true;
}

namespace {

struct Token {
  enum Kind { kWord, kNumber, kString, kPath, kRaw, kPunct, kEnd } kind = kEnd;
  std::string text;
  uint64_t number = 0;
  int column = 0;
};

// Splits one line (without its comment) into tokens.
bool tokenize(const std::string& line, std::vector<Token>* tokens, int* bad_column, std::string* why) {
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    const int column = static_cast<int>(i) + 1;
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    Token t;
    t.column = column;
    const bool directive_argument = tokens->size() == 1 && tokens->front().kind == Token::kWord &&
                                    (tokens->front().text == "core-dir" || tokens->front().text == "core-limit");
    if (directive_argument) {
      // The argument of core-dir and core-limit, a path or a size ("512M"),
      // is one word up to the next blank; the parser checks it.
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
      t.kind = Token::kRaw;
      t.text = line.substr(i, j - i);
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      // A word; '-' joins words into one (core-dir).
      size_t j = i;
      const auto word_char = [&](size_t k) {
        return std::isalnum(static_cast<unsigned char>(line[k])) || line[k] == '_' ||
               (line[k] == '-' && k + 1 < line.size() && std::isalpha(static_cast<unsigned char>(line[k + 1])));
      };
      while (j < line.size() && word_char(j)) ++j;
      t.kind = Token::kWord;
      t.text = line.substr(i, j - i);
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < line.size() && std::isdigit(static_cast<unsigned char>(line[i + 1])))) {
      size_t j = i + (c == '-' ? 1 : 0);
      int base = 10;
      if (line.compare(j, 2, "0x") == 0 || line.compare(j, 2, "0X") == 0) {
        base = 16;
        j += 2;
      }
      const size_t digits_start = j;
      uint64_t value = 0;
      bool overflow = false;
      while (j < line.size() && std::isxdigit(static_cast<unsigned char>(line[j]))) {
        const char d = static_cast<char>(std::tolower(static_cast<unsigned char>(line[j])));
        const int v = std::isdigit(static_cast<unsigned char>(d)) ? d - '0' : d - 'a' + 10;
        if (v >= base) break;
        if (value > (~0ULL - static_cast<uint64_t>(v)) / static_cast<uint64_t>(base)) overflow = true;
        value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(v);
        ++j;
      }
      if (j == digits_start || overflow ||
          (j < line.size() && (std::isalnum(static_cast<unsigned char>(line[j])) || line[j] == '_'))) {
        *bad_column = column;
        *why = overflow ? "number does not fit 64 bits" : "malformed number";
        return false;
      }
      t.kind = Token::kNumber;
      t.number = c == '-' ? ~value + 1 : value;  // negative numbers: two's complement, as the kernel sees them
      t.text = line.substr(i, j - i);
      i = j;
    } else if (c == '"') {
      const size_t end = line.find('"', i + 1);
      if (end == std::string::npos) {
        *bad_column = column;
        *why = "unterminated string";
        return false;
      }
      t.kind = Token::kString;
      t.text = line.substr(i + 1, end - i - 1);
      i = end + 1;
    } else if (c == '/') {
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      t.kind = Token::kPath;
      t.text = line.substr(i, j - i);
      i = j;
    } else {
      static const char* const kPunct[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">", "&", "|", "(", ")", ":", ","};
      bool found = false;
      for (const char* p : kPunct) {
        if (line.compare(i, std::strlen(p), p) == 0) {
          t.kind = Token::kPunct;
          t.text = p;
          i += std::strlen(p);
          found = true;
          break;
        }
      }
      if (!found) {
        *bad_column = column;
        *why = c == '=' ? "'=' is not a comparison: write '=='" : std::string("unexpected character '") + c + "'";
        return false;
      }
    }
    tokens->push_back(t);
  }
  Token end;
  end.column = static_cast<int>(line.size()) + 1;
  tokens->push_back(end);
  return true;
}

struct ParseFailure {
  int column;
  std::string message;
};

// The parser of one statement, on one line's tokens.
class LineParser {
 public:
  explicit LineParser(const std::vector<Token>& tokens) : tokens_(tokens) {}

  const Token& peek() const { return tokens_[pos_]; }
  const Token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool at_punct(const char* p) const { return peek().kind == Token::kPunct && peek().text == p; }
  bool at_word(const char* w) const { return peek().kind == Token::kWord && peek().text == w; }
  [[noreturn]] void fail(const Token& at, const std::string& message) const { throw ParseFailure{at.column, message}; }
  void expect_punct(const char* p, const char* what) {
    if (!at_punct(p)) fail(peek(), std::string("expected ") + what);
    next();
  }
  void expect_end() {
    if (peek().kind != Token::kEnd) fail(peek(), "unexpected '" + peek().text + "' after the end of the statement");
  }

  Action action() {
    const Token& t = next();
    if (t.kind != Token::kWord) fail(t, "expected an action: allow, errno(NAME), kill, trap, broker or log");
    if (t.text == "allow") return {ActionKind::kAllow, 0};
    if (t.text == "kill") return {ActionKind::kKill, 0};
    if (t.text == "trap") return {ActionKind::kTrap, 0};
    if (t.text == "broker") return {ActionKind::kBroker, 0};
    if (t.text == "log") return {ActionKind::kLog, 0};
    if (t.text == "errno") {
      expect_punct("(", "'(' after errno");
      const Token& e = next();
      int value = -1;
      if (e.kind == Token::kWord) {
        const auto n = errno_number(e.text);
        if (!n) fail(e, "unknown errno name '" + e.text + "'");
        value = *n;
      } else if (e.kind == Token::kNumber && e.number <= 4095) {  // 0: the call does nothing and answers 0
        value = static_cast<int>(e.number);
      } else {
        fail(e, "expected an errno name or a number from 0 to 4095");
      }
      expect_punct(")", "')'");
      return {ActionKind::kErrno, value};
    }
    fail(t, "unknown action '" + t.text + "' (expected allow, errno(NAME), kill, trap, broker or log)");
  }

  // value := term ('|' term)*; term := NUMBER | CONSTANT
  uint64_t value() {
    uint64_t v = term();
    while (at_punct("|")) {
      next();
      v |= term();
    }
    return v;
  }
  uint64_t term() {
    const Token& t = next();
    if (t.kind == Token::kNumber) return t.number;
    if (t.kind == Token::kWord) {
      if (const auto c = named_constant(t.text)) return *c;
      fail(t, "unknown constant '" + t.text + "'");
    }
    fail(t, "expected a number or a named constant");
  }

  // condition := conj ('||' conj)*
  Dnf condition() {
    Dnf d = conjunction();
    while (at_punct("||")) {
      next();
      Dnf more = conjunction();
      d.insert(d.end(), more.begin(), more.end());
    }
    return d;
  }
  Dnf conjunction() {
    Dnf d = comparison();
    while (at_punct("&&")) {
      next();
      d = conjoin(d, comparison());
    }
    if (d.size() > 256) fail(peek(), "condition too complex (more than 256 alternatives)");
    return d;
  }
  // comparison := '(' condition ')' | argN ['&' value] OP value
  Dnf comparison() {
    if (at_punct("(")) {
      next();
      Dnf d = condition();
      expect_punct(")", "')'");
      return d;
    }
    const Token& a = next();
    if (a.kind != Token::kWord || a.text.size() != 4 || a.text.compare(0, 3, "arg") != 0 || a.text[3] < '0' ||
        a.text[3] > '5')
      fail(a, "expected an argument, arg0 to arg5");
    const int arg = a.text[3] - '0';
    bool masked = false;
    uint64_t mask = ~0ULL;
    if (at_punct("&")) {
      next();
      masked = true;
      mask = value();
    }
    const Token& op_token = next();
    static const std::pair<const char*, Op> kOps[] = {{"==", Op::kEq}, {"!=", Op::kNe}, {"<", Op::kLt},
                                                      {"<=", Op::kLe}, {">", Op::kGt},  {">=", Op::kGe}};
    const auto op_it = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& p) {
      return op_token.kind == Token::kPunct && op_token.text == p.first;
    });
    if (op_it == std::end(kOps)) fail(op_token, "expected a comparison: ==, !=, <, <=, > or >=");
    const Token& value_token = peek();
    const uint64_t v = value();
    if (!masked) return {{Atom{arg, op_it->second, v, ~0ULL}}};
    if (op_it->second != Op::kEq && op_it->second != Op::kNe)
      fail(op_token, "a masked argument can only be compared with == or !=");
    if ((v & ~mask) != 0) fail(value_token, "the value has bits outside the mask: the comparison could never hold");
    if (op_it->second == Op::kEq) return {{Atom{arg, Op::kMaskedEq, v, mask}}};
    // (arg & mask) != v: some bit of the mask differs from v's.
    Dnf d;
    for (uint64_t rest = mask; rest != 0; rest &= rest - 1) {
      const uint64_t bit = rest & (~rest + 1);
      d.push_back({Atom{arg, Op::kMaskedEq, (v & bit) ^ bit, bit}});
    }
    return d;
  }

 private:
  const std::vector<Token>& tokens_;
  size_t pos_ = 0;
};

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

void parse_include(State& st, LineParser& p, const std::string& file, const Location& where) {
  const Token& target = p.next();
  std::string name;
  std::string body;
  if (target.kind == Token::kWord && target.text == "builtin" && p.at_punct(":")) {
    p.next();
    const Token& b = p.next();
    if (b.kind != Token::kWord) p.fail(b, "expected the name of a built-in policy after 'builtin:'");
    const char* text = builtin_policy(b.text);
    if (text == nullptr) p.fail(b, "no built-in policy named '" + b.text + "'");
    name = "builtin:" + b.text;
    body = text;
  } else if (target.kind == Token::kString) {
    name = target.text.empty() || target.text[0] == '/' ? target.text : directory_of(file) + "/" + target.text;
    if (!st.reader(name, &body)) p.fail(target, "cannot read included file '" + name + "'");
  } else {
    p.fail(target, "expected \"FILE\" or builtin:NAME after include");
  }
  p.expect_end();
  if (std::find(st.include_stack.begin(), st.include_stack.end(), name) != st.include_stack.end())
    p.fail(target, "'" + name + "' includes itself (through " + file + ")");
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
}

// A directive says one thing once per file; it overrides the included
// files' (include.cc).
template <typename T>
void set_once(LineParser& p, const Token& first, Setting<T>& setting, SettingLine<T> line) {
  if (setting.own)
    p.fail(first, first.text + " already set at " + setting.own->where.file + ":" +
                      std::to_string(setting.own->where.line));
  setting.own = std::move(line);
}

// SIZE: decimal digits, then optionally K, M or G (powers of 1024).
uint64_t parse_size(LineParser& p, const Token& size) {
  std::string why;
  const auto bytes = size_in_bytes(size.text, &why);
  if (!bytes) p.fail(size, why);
  return *bytes;
}

void parse_statement(State& st, LineParser& p, const std::string& file, int line_no) {
  const Token& first = p.next();
  const Location where{file, line_no, first.column};
  if (first.kind != Token::kWord)
    p.fail(first, "expected a statement: a system call rule, default, include, path, core-dir or core-limit");

  if (p.at_punct(":")) {  // SYSCALL: ACTION [if CONDITION]
    const int nr = syscall_number(first.text);
    if (nr < 0) p.fail(first, "unknown system call '" + first.text + "' (x86-64 names, as in syscalls(2))");
    p.next();
    Clause clause;
    clause.where = where;
    clause.action = p.action();
    clause.condition = {{}};
    if (p.at_word("if")) {
      p.next();
      clause.condition = p.condition();
    }
    p.expect_end();
    clause.file = st.file_numbers.back();
    lines_for(st.lines.back(), first.text, nr).own.push_back(std::move(clause));
    return;
  }
  if (first.text == "default") {
    const Action action = p.action();
    p.expect_end();
    if (action.kind == ActionKind::kBroker) p.fail(first, "the default cannot be broker: name the calls to broker");
    // One per file; it overrides those of the files it includes (include.cc).
    auto& own = st.lines.back().own_default;
    if (own) p.fail(first, "default already set at " + own->where.file + ":" + std::to_string(own->where.line));
    own = DefaultLine{action, where};
    return;
  }
  if (first.text == "include") {
    parse_include(st, p, file, where);
    return;
  }
  if (first.text == "core-dir") {
    const Token& dir = p.next();
    if (dir.kind != Token::kRaw) p.fail(dir, "expected the directory for core files after core-dir");
    std::string why;
    if (!valid_core_dir(dir.text, &why)) p.fail(dir, "core-dir: " + why);
    p.expect_end();
    set_once(p, first, st.lines.back().core_dir, SettingLine<std::string>{dir.text, where});
    return;
  }
  if (first.text == "core-limit") {
    const Token& size = p.next();
    if (size.kind != Token::kRaw) p.fail(size, "expected a size after core-limit: bytes, or a number and K, M or G");
    const uint64_t bytes = parse_size(p, size);
    p.expect_end();
    set_once(p, first, st.lines.back().core_limit, SettingLine<uint64_t>{bytes, where});
    return;
  }
  if (first.text == "path") {
    PathRule rule;
    rule.where = where;
    for (;;) {
      const Token& perm = p.next();
      if (perm.kind == Token::kWord && perm.text == "read") rule.permissions |= kPathRead;
      else if (perm.kind == Token::kWord && perm.text == "write") rule.permissions |= kPathWrite;
      else if (perm.kind == Token::kWord && perm.text == "create") rule.permissions |= kPathCreate;
      else p.fail(perm, "expected a permission: read, write or create");
      if (!p.at_punct(",")) break;
      p.next();
    }
    const Token& path = p.next();
    if (path.kind != Token::kPath) p.fail(path, "expected an absolute path after the permissions");
    std::string why;
    if (!valid_pattern(path.text, &why)) p.fail(path, why);
    rule.pattern = path.text;
    p.expect_end();
    st.policy.paths.push_back(rule);
    return;
  }
  p.fail(first, "expected ':' after the system call name '" + first.text +
                    "' (or default, include, path, core-dir, core-limit)");
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
    LineParser p(tokens);
    try {
      parse_statement(st, p, file, line_no);
    } catch (const ParseFailure& f) {
      st.errors.push_back({{file, line_no, f.column}, f.message});
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
    if (builtin == nullptr) return {std::nullopt, {{{path, 0, 0}, "no built-in policy named '" + path.substr(8) + "'"}}};
    return parse(builtin, path);
  }
  if (!read_file(path, &text)) return {std::nullopt, {{{path, 0, 0}, "cannot read the policy file"}}};
  return parse(text, path);
}

// --- meaning -----------------------------------------------------------------

bool holds(const Atom& a, const uint64_t args[6]) {
  const uint64_t x = args[a.arg];
  switch (a.op) {
    case Op::kEq: return x == a.value;
    case Op::kNe: return x != a.value;
    case Op::kLt: return x < a.value;
    case Op::kLe: return x <= a.value;
    case Op::kGt: return x > a.value;
    case Op::kGe: return x >= a.value;
    case Op::kMaskedEq: return (x & a.mask) == a.value;
  }
  return false;
}

Dnf conjoin(const Dnf& a, const Dnf& b) {
  Dnf out;
  for (const auto& x : a)
    for (const auto& y : b) {
      Conjunction c = x;
      c.insert(c.end(), y.begin(), y.end());
      out.push_back(std::move(c));
    }
  return out;
}

bool holds(const Dnf& condition, const uint64_t args[6]) {
  return std::any_of(condition.begin(), condition.end(), [&](const Conjunction& c) {
    return std::all_of(c.begin(), c.end(), [&](const Atom& a) { return holds(a, args); });
  });
}

Action evaluate(const Policy& policy, int nr, const uint64_t args[6]) {
  for (const auto& rule : policy.rules) {
    if (rule.nr != nr) continue;
    for (const auto& clause : rule.clauses)
      if (holds(clause.condition, args)) return clause.action;
  }
  return policy.default_action;
}

std::string to_string(const Action& a) {
  switch (a.kind) {
    case ActionKind::kAllow: return "allow";
    case ActionKind::kKill: return "kill";
    case ActionKind::kTrap: return "trap";
    case ActionKind::kBroker: return "broker";
    case ActionKind::kLog: return "log";
    case ActionKind::kErrno: {
      const char* name = strerrorname_np(a.errno_value);
      return "errno(" + (name ? std::string(name) : std::to_string(a.errno_value)) + ")";
    }
  }
  return "?";
}

std::string to_string(const Atom& a) {
  std::ostringstream out;
  out << "arg" << a.arg;
  if (a.op == Op::kMaskedEq) {
    out << " & 0x" << std::hex << a.mask << " == 0x" << a.value;
    return out.str();
  }
  static const char* const kNames[] = {"==", "!=", "<", "<=", ">", ">="};
  out << " " << kNames[static_cast<int>(a.op)] << " 0x" << std::hex << a.value;
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
