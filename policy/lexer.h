// The policy language's lexer: one line (its comment already cut) into
// tokens (lexer.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sbx::policy {

struct Token {
  enum Kind { kWord, kNumber, kString, kPath, kRaw, kPunct, kEnd } kind = kEnd;
  std::string text;
  uint64_t number = 0;
  int column = 0;
};

// Splits one line into tokens, ending with a kEnd token; on a mistake,
// false with the column and why.
bool tokenize(const std::string& line, std::vector<Token>* tokens, int* bad_column, std::string* why);

}  // namespace sbx::policy
