// The words of the policy language that more than one part spells: the
// actions (the parser reads them, the printers and the compiled format
// write them, the compiled format reads them back) and the comparison
// operators (the parser, the printers). One table each, here.
#pragma once

#include <optional>
#include <string_view>

#include "policy.h"

namespace sbx::policy {

struct ActionWord {
  ActionKind kind;
  const char* word;  // errno's takes a value: errno(NAME) in the text, errno:N in the compiled format
};
inline constexpr ActionWord kActionWords[] = {
    {ActionKind::kAllow, "allow"}, {ActionKind::kErrno, "errno"},   {ActionKind::kKill, "kill"},
    {ActionKind::kTrap, "trap"},   {ActionKind::kBroker, "broker"}, {ActionKind::kLog, "log"},
};

inline const char* action_word(ActionKind kind) {
  for (const auto& entry : kActionWords)
    if (entry.kind == kind) return entry.word;
  return "?";
}
inline std::optional<ActionKind> action_kind(std::string_view word) {
  for (const auto& entry : kActionWords)
    if (word == entry.word) return entry.kind;
  return std::nullopt;
}

struct OpWord {
  Op op;
  const char* word;
};
// kMaskedEq is written "argN & MASK == VALUE": "==" after a mask.
inline constexpr OpWord kComparisons[] = {{Op::kEq, "=="}, {Op::kNe, "!="}, {Op::kLt, "<"},
                                          {Op::kLe, "<="}, {Op::kGt, ">"},  {Op::kGe, ">="}};

inline const char* op_word(Op op) {
  for (const auto& entry : kComparisons)
    if (entry.op == op) return entry.word;
  return "==";  // kMaskedEq
}

}  // namespace sbx::policy
