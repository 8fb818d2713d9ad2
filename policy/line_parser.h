// The parts of one statement, on one line's tokens (line_parser.cc): the
// grammar of actions, values, conditions and sizes. The statements
// themselves, and the files they are in, are parser.cc's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lexer.h"
#include "policy.h"

namespace sbx::policy {

// Thrown by LineParser::fail; parser.cc turns it into the line's Error.
struct ParseFailure {
  int column;
  std::string message;
};

class LineParser {
 public:
  explicit LineParser(const std::vector<Token>& tokens) : tokens_(tokens) {}

  const Token& peek() const { return tokens_[pos_]; }
  const Token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool at_punct(const char* punct) const { return peek().kind == Token::kPunct && peek().text == punct; }
  bool at_word(const char* word) const { return peek().kind == Token::kWord && peek().text == word; }
  [[noreturn]] void fail(const Token& at, const std::string& message) const { throw ParseFailure{at.column, message}; }
  void expect_punct(const char* punct, const char* what);
  void expect_end();

  // ACTION: one of kActionWords (words.h); errno takes (NAME) or (N).
  Action action();
  // value := term ('|' term)*; term := NUMBER | CONSTANT
  uint64_t value();
  // condition := conjunction ('||' conjunction)*, in disjunctive normal form
  Dnf condition();
  // SIZE, a kRaw token: decimal digits, then optionally K, M or G (powers of 1024).
  uint64_t size(const Token& size_token) const;

 private:
  uint64_t term();
  Dnf conjunction();
  Dnf comparison();

  const std::vector<Token>& tokens_;
  size_t pos_ = 0;
};

}  // namespace sbx::policy
