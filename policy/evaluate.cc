// What a policy's text means for a call: the reference evaluator the
// compiled program is tested against (sbx policy test, the unit and
// conformance tests), and the conditions it and the compiler share.
#include <algorithm>

#include "policy.h"

namespace sbx::policy {

bool holds(const Atom& atom, const uint64_t args[6]) {
  const uint64_t value = args[atom.arg];
  switch (atom.op) {
    case Op::kEq: return value == atom.value;
    case Op::kNe: return value != atom.value;
    case Op::kLt: return value < atom.value;
    case Op::kLe: return value <= atom.value;
    case Op::kGt: return value > atom.value;
    case Op::kGe: return value >= atom.value;
    case Op::kMaskedEq: return (value & atom.mask) == atom.value;
  }
  return false;
}

Dnf conjoin(const Dnf& left, const Dnf& right) {
  Dnf out;
  for (const auto& mine : left)
    for (const auto& theirs : right) {
      Conjunction both = mine;
      both.insert(both.end(), theirs.begin(), theirs.end());
      out.push_back(std::move(both));
    }
  return out;
}

bool holds(const Dnf& condition, const uint64_t args[6]) {
  return std::any_of(condition.begin(), condition.end(), [&](const Conjunction& conjunction) {
    return std::all_of(conjunction.begin(), conjunction.end(), [&](const Atom& atom) { return holds(atom, args); });
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

}  // namespace sbx::policy
