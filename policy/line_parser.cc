// The grammar of a statement's parts (docs/policy.md, "The language"):
// actions, values, conditions (into disjunctive normal form) and sizes.
// Every mistake fails at the token it is found at.
#include "line_parser.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include "words.h"

namespace sbx::policy {

namespace {
// "allow, errno(NAME), kill, trap, broker or log", from the table.
std::string action_list() {
  std::string out;
  const size_t count = std::size(kActionWords);
  for (size_t i = 0; i < count; ++i) {
    out += i == 0 ? "" : i + 1 == count ? " or " : ", ";
    out += kActionWords[i].word;
    if (kActionWords[i].kind == ActionKind::kErrno) out += "(NAME)";
  }
  return out;
}
}  // namespace

void LineParser::expect_punct(const char* punct, const char* what) {
  if (!at_punct(punct)) fail(peek(), std::string("expected ") + what);
  next();
}

void LineParser::expect_end() {
  if (peek().kind != Token::kEnd) fail(peek(), "unexpected '" + peek().text + "' after the end of the statement");
}

Action LineParser::action() {
  const Token& word = next();
  if (word.kind != Token::kWord) fail(word, "expected an action: " + action_list());
  const auto kind = action_kind(word.text);
  if (!kind) fail(word, "unknown action '" + word.text + "' (expected " + action_list() + ")");
  if (*kind != ActionKind::kErrno) return {*kind, 0};
  expect_punct("(", "'(' after errno");
  const Token& error = next();
  int value = -1;
  if (error.kind == Token::kWord) {
    const auto number = errno_number(error.text);
    if (!number) fail(error, "unknown errno name '" + error.text + "'");
    value = *number;
  } else if (error.kind == Token::kNumber && error.number <= 4095) {  // 0: the call does nothing and answers 0
    value = static_cast<int>(error.number);
  } else {
    fail(error, "expected an errno name or a number from 0 to 4095");
  }
  expect_punct(")", "')'");
  return {ActionKind::kErrno, value};
}

uint64_t LineParser::value() {
  uint64_t bits = term();
  while (at_punct("|")) {
    next();
    bits |= term();
  }
  return bits;
}

uint64_t LineParser::term() {
  const Token& token = next();
  if (token.kind == Token::kNumber) return token.number;
  if (token.kind == Token::kWord) {
    if (const auto constant = named_constant(token.text)) return *constant;
    fail(token, "unknown constant '" + token.text + "'");
  }
  fail(token, "expected a number or a named constant");
}

Dnf LineParser::condition() {
  Dnf any = conjunction();
  while (at_punct("||")) {
    next();
    Dnf more = conjunction();
    any.insert(any.end(), more.begin(), more.end());
  }
  return any;
}

Dnf LineParser::conjunction() {
  Dnf all = comparison();
  while (at_punct("&&")) {
    next();
    all = conjoin(all, comparison());
  }
  if (all.size() > 256) fail(peek(), "condition too complex (more than 256 alternatives)");
  return all;
}

// comparison := '(' condition ')' | argN ['&' value] OP value
Dnf LineParser::comparison() {
  if (at_punct("(")) {
    next();
    Dnf inner = condition();
    expect_punct(")", "')'");
    return inner;
  }
  const Token& argument = next();
  if (argument.kind != Token::kWord || argument.text.size() != 4 || argument.text.compare(0, 3, "arg") != 0 ||
      argument.text[3] < '0' || argument.text[3] > '5')
    fail(argument, "expected an argument, arg0 to arg5");
  const int arg = argument.text[3] - '0';
  bool masked = false;
  uint64_t mask = ~0ULL;
  if (at_punct("&")) {
    next();
    masked = true;
    mask = value();
  }
  const Token& op_token = next();
  const auto op_it = std::find_if(std::begin(kComparisons), std::end(kComparisons), [&](const OpWord& entry) {
    return op_token.kind == Token::kPunct && op_token.text == entry.word;
  });
  if (op_it == std::end(kComparisons)) fail(op_token, "expected a comparison: ==, !=, <, <=, > or >=");
  const Op op = op_it->op;
  const Token& value_token = peek();
  const uint64_t compared = value();
  if (!masked) return {{Atom{arg, op, compared, ~0ULL}}};
  if (op != Op::kEq && op != Op::kNe) fail(op_token, "a masked argument can only be compared with == or !=");
  if ((compared & ~mask) != 0)
    fail(value_token, "the value has bits outside the mask: the comparison could never hold");
  if (op == Op::kEq) return {{Atom{arg, Op::kMaskedEq, compared, mask}}};
  // (arg & mask) != compared: some bit of the mask differs from compared's.
  Dnf any;
  for (uint64_t rest = mask; rest != 0; rest &= rest - 1) {
    const uint64_t bit = rest & (~rest + 1);
    any.push_back({Atom{arg, Op::kMaskedEq, (compared & bit) ^ bit, bit}});
  }
  return any;
}

uint64_t LineParser::size(const Token& size_token) const {
  std::string why;
  const auto bytes = size_in_bytes(size_token.text, &why);  // runtime.cc: sbx run --core-limit reads sizes the same way
  if (!bytes) fail(size_token, why);
  return *bytes;
}

}  // namespace sbx::policy
