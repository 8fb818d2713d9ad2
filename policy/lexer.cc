// The policy language's lexer (docs/policy.md, "The language"): words,
// numbers (decimal, 0x hex, negative as two's complement), "strings",
// /paths, the argument of core-dir and core-limit, and punctuation.
#include "lexer.h"

#include <cctype>
#include <cstring>

namespace sbx::policy {

bool tokenize(const std::string& line, std::vector<Token>* tokens, int* bad_column, std::string* why) {
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    const int column = static_cast<int>(i) + 1;
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    Token token;
    token.column = column;
    const bool directive_argument = tokens->size() == 1 && tokens->front().kind == Token::kWord &&
                                    (tokens->front().text == "core-dir" || tokens->front().text == "core-limit");
    if (directive_argument) {
      // The argument of core-dir and core-limit, a path or a size ("512M"),
      // is one word up to the next blank; the parser checks it.
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
      token.kind = Token::kRaw;
      token.text = line.substr(i, j - i);
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      // A word; '-' joins words into one (core-dir).
      size_t j = i;
      const auto word_char = [&](size_t k) {
        return std::isalnum(static_cast<unsigned char>(line[k])) || line[k] == '_' ||
               (line[k] == '-' && k + 1 < line.size() && std::isalpha(static_cast<unsigned char>(line[k + 1])));
      };
      while (j < line.size() && word_char(j)) ++j;
      token.kind = Token::kWord;
      token.text = line.substr(i, j - i);
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
      token.kind = Token::kNumber;
      token.number = c == '-' ? ~value + 1 : value;  // negative numbers: two's complement, as the kernel sees them
      token.text = line.substr(i, j - i);
      i = j;
    } else if (c == '"') {
      const size_t end = line.find('"', i + 1);
      if (end == std::string::npos) {
        *bad_column = column;
        *why = "unterminated string";
        return false;
      }
      token.kind = Token::kString;
      token.text = line.substr(i + 1, end - i - 1);
      i = end + 1;
    } else if (c == '/') {
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      token.kind = Token::kPath;
      token.text = line.substr(i, j - i);
      i = j;
    } else {
      static const char* const kPunct[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">", "&", "|", "(", ")", ":", ","};
      bool found = false;
      for (const char* punct : kPunct) {
        if (line.compare(i, std::strlen(punct), punct) == 0) {
          token.kind = Token::kPunct;
          token.text = punct;
          i += std::strlen(punct);
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
    tokens->push_back(token);
  }
  Token end;
  end.column = static_cast<int>(line.size()) + 1;
  tokens->push_back(end);
  return true;
}

}  // namespace sbx::policy
