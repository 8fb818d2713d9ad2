// The compiler: a parsed policy to a seccomp-bpf program through libseccomp.
//
// The language says "the first clause that holds decides". libseccomp does
// not promise an order between overlapping rules of one system call, so the
// compiler makes them exclusive: clause i becomes
//     condition_i && !(condition_j) for every earlier clause j with another action,
// in disjunctive normal form. Then no two rules with different actions can
// match the same call, rules whose action is the default can be left out
// (libseccomp refuses them), and the kernel does exactly what the text says.
// A clause no call can reach is an error, unless what shadows it are lines of
// a file that includes its file: then it is overridden (include.cc).
// libseccomp compares each argument at most once per rule: a conjunction that
// needs several comparisons on one argument becomes several rules, each with
// one comparison (intervals split into aligned blocks, each a masked
// comparison), which together match exactly the same calls.
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <sstream>

#include "policy.h"

namespace sbx::policy {
namespace {

struct CompileError {
  std::string message;
};

constexpr uint64_t kMax = ~0ULL;

Dnf negate(const Atom& a) {
  switch (a.op) {
    case Op::kEq: return {{Atom{a.arg, Op::kNe, a.value, kMax}}};
    case Op::kNe: return {{Atom{a.arg, Op::kEq, a.value, kMax}}};
    case Op::kLt: return {{Atom{a.arg, Op::kGe, a.value, kMax}}};
    case Op::kLe: return {{Atom{a.arg, Op::kGt, a.value, kMax}}};
    case Op::kGt: return {{Atom{a.arg, Op::kLe, a.value, kMax}}};
    case Op::kGe: return {{Atom{a.arg, Op::kLt, a.value, kMax}}};
    case Op::kMaskedEq: {
      // (x & m) != v: some bit of the mask differs from v's.
      Dnf d;
      for (uint64_t bits = a.mask; bits != 0; bits &= bits - 1) {
        const uint64_t bit = bits & (~bits + 1);
        d.push_back({Atom{a.arg, Op::kMaskedEq, (a.value & bit) ^ bit, bit}});
      }
      return d;
    }
  }
  return {};
}

// policy::conjoin, bounded: a condition that would need more than 4096
// alternatives is refused before it is built.
Dnf conjoin_bounded(const Dnf& a, const Dnf& b) {
  if (a.size() * b.size() > 4096) throw CompileError{"condition too complex (more than 4096 alternatives)"};
  return conjoin(a, b);
}

Dnf negate(const Dnf& d) {
  Dnf out = {{}};  // true
  for (const auto& c : d) {
    Dnf not_c;  // !(a && b) = !a || !b
    for (const auto& a : c) {
      Dnf n = negate(a);
      not_c.insert(not_c.end(), n.begin(), n.end());
    }
    out = conjoin_bounded(out, not_c);
  }
  return out;
}

Dnf reduce(const Conjunction& c);

// The calls clause i of rule decides: its condition, less those of the
// earlier clauses with another action that `counts` accepts, as rules with
// one comparison per argument. Empty if it decides none.
template <typename Counts>
Dnf decided_by(const SyscallRule& rule, size_t i, Counts counts) {
  const Clause& clause = rule.clauses[i];
  Dnf effective = clause.condition;
  for (size_t j = 0; j < i; ++j)
    if (!(rule.clauses[j].action == clause.action) && counts(rule.clauses[j]))
      effective = conjoin_bounded(effective, negate(rule.clauses[j].condition));
  Dnf reduced;
  for (const auto& c : effective) {
    Dnf r = reduce(c);
    reduced.insert(reduced.end(), r.begin(), r.end());
  }
  return reduced;
}

// The set of values that satisfy all `atoms` on one argument, as a union of
// single comparisons (alternatives). An empty result means none; a result
// holding one nullopt means every value. Ranges minus points become
// intervals, and an interval that no single comparison describes becomes
// aligned power-of-two blocks, each one masked comparison.
using Alternatives = std::vector<std::optional<Atom>>;

void add_interval(int arg, uint64_t lo, uint64_t hi, uint64_t mask, uint64_t bits, Alternatives* out) {
  auto push = [&](Atom a) {
    if (mask == 0) return out->push_back(a);
    // Meet with the mask constraint: only a block (masked atom) or a point can.
    if (a.op == Op::kEq) {
      if ((a.value & mask) == bits) out->push_back(a);
      return;
    }
    if (((a.value ^ bits) & a.mask & mask) != 0) return;
    const uint64_t m = a.mask | mask;
    out->push_back(m == kMax ? Atom{arg, Op::kEq, (a.value & a.mask) | bits, kMax}
                             : Atom{arg, Op::kMaskedEq, (a.value & a.mask) | bits, m});
  };
  if (mask == 0) {
    if (lo == 0 && hi == kMax) return out->push_back(std::nullopt);
    if (lo == hi) return push(Atom{arg, Op::kEq, lo, kMax});
    if (lo == 0) return push(Atom{arg, Op::kLe, hi, kMax});
    if (hi == kMax) return push(Atom{arg, Op::kGe, lo, kMax});
  } else if (lo == 0 && hi == kMax) {
    return out->push_back(mask == kMax ? Atom{arg, Op::kEq, bits, kMax} : Atom{arg, Op::kMaskedEq, bits, mask});
  }
  for (uint64_t x = lo;;) {  // aligned blocks [x, x + size - 1]
    uint64_t size = x == 0 ? (1ULL << 63) : (x & (~x + 1));
    while (size > 1 && (size - 1 > hi - x)) size >>= 1;
    push(size == 1 ? Atom{arg, Op::kEq, x, kMax} : Atom{arg, Op::kMaskedEq, x, ~(size - 1)});
    if (size - 1 >= hi - x) break;
    x += size;
    if (out->size() > 4096) throw CompileError{"condition too complex (more than 4096 comparisons)"};
  }
}

Alternatives reduce_argument(int arg, const std::vector<Atom>& atoms) {
  if (atoms.size() == 1) return {atoms[0]};
  uint64_t args[6] = {};
  for (const auto& a : atoms) {  // an equality decides everything
    if (a.op != Op::kEq) continue;
    args[arg] = a.value;
    if (!std::all_of(atoms.begin(), atoms.end(), [&](const Atom& b) { return holds(b, args); })) return {};
    return {a};
  }
  uint64_t lo = 0, hi = kMax, mask = 0, bits = 0;
  std::vector<uint64_t> excluded;
  for (const auto& a : atoms) {
    switch (a.op) {
      case Op::kLt:
        if (a.value == 0) return {};
        hi = std::min(hi, a.value - 1);
        break;
      case Op::kLe: hi = std::min(hi, a.value); break;
      case Op::kGt:
        if (a.value == kMax) return {};
        lo = std::max(lo, a.value + 1);
        break;
      case Op::kGe: lo = std::max(lo, a.value); break;
      case Op::kNe: excluded.push_back(a.value); break;
      case Op::kMaskedEq:
        if (((bits ^ a.value) & mask & a.mask) != 0) return {};  // contradicting bits
        mask |= a.mask;
        bits |= a.value;
        break;
      case Op::kEq: break;
    }
  }
  if (lo > hi) return {};
  std::sort(excluded.begin(), excluded.end());
  excluded.erase(std::unique(excluded.begin(), excluded.end()), excluded.end());
  Alternatives out;
  uint64_t start = lo;
  bool open = true;
  for (const uint64_t e : excluded) {
    if (e < lo || e > hi) continue;
    if (e > start) add_interval(arg, start, e - 1, mask, bits, &out);
    if (e == hi) {
      open = false;
      break;
    }
    start = e + 1;
  }
  if (open) add_interval(arg, start, hi, mask, bits, &out);
  return out;
}

// The conjunction as a union of rules with one comparison per argument.
Dnf reduce(const Conjunction& c) {
  std::map<int, std::vector<Atom>> by_arg;
  for (const auto& a : c) {
    auto& v = by_arg[a.arg];
    if (std::find(v.begin(), v.end(), a) == v.end()) v.push_back(a);
  }
  Dnf out = {{}};
  for (const auto& [arg, atoms] : by_arg) {
    Dnf next;
    for (const auto& alternative : reduce_argument(arg, atoms))
      for (const auto& partial : out) {
        Conjunction c2 = partial;
        if (alternative) c2.push_back(*alternative);
        next.push_back(std::move(c2));
        if (next.size() > 4096) throw CompileError{"condition too complex (more than 4096 rules)"};
      }
    out = std::move(next);
  }
  return out;
}

uint32_t to_scmp(const Action& a) {
  switch (a.kind) {
    case ActionKind::kAllow: return SCMP_ACT_ALLOW;
    case ActionKind::kErrno: return SCMP_ACT_ERRNO(static_cast<uint16_t>(a.errno_value));
    case ActionKind::kKill: return SCMP_ACT_KILL_PROCESS;
    case ActionKind::kTrap: return SCMP_ACT_TRAP;
    case ActionKind::kBroker: return SCMP_ACT_NOTIFY;
    case ActionKind::kLog: return SCMP_ACT_LOG;
  }
  return SCMP_ACT_KILL_PROCESS;
}

scmp_arg_cmp to_scmp(const Atom& a) {
  static const scmp_compare kOps[] = {SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT,       SCMP_CMP_LE,
                                      SCMP_CMP_GT, SCMP_CMP_GE, SCMP_CMP_MASKED_EQ};
  scmp_arg_cmp c{};
  c.arg = static_cast<unsigned>(a.arg);
  c.op = kOps[static_cast<int>(a.op)];
  if (a.op == Op::kMaskedEq) {
    c.datum_a = a.mask;
    c.datum_b = a.value;
  } else {
    c.datum_a = a.value;
  }
  return c;
}

// libseccomp's seccomp_export_bpf writes to a descriptor: read it back.
std::vector<uint64_t> export_bpf(scmp_filter_ctx ctx) {
  const int fd = memfd_create("sbx-policy-bpf", MFD_CLOEXEC);
  if (fd < 0) throw CompileError{std::string("memfd_create: ") + std::strerror(errno)};
  std::string bytes;
  if (const int rc = seccomp_export_bpf(ctx, fd); rc != 0) {
    close(fd);
    throw CompileError{std::string("libseccomp could not generate the program: ") + std::strerror(-rc)};
  }
  lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) bytes.append(buf, static_cast<size_t>(n));
  close(fd);
  if (bytes.size() % 8 != 0) throw CompileError{"libseccomp produced a program of odd size"};
  std::vector<uint64_t> program(bytes.size() / 8);
  std::memcpy(program.data(), bytes.data(), bytes.size());
  if (program.size() > BPF_MAXINSNS) throw CompileError{"the program has more than 4096 instructions"};
  return program;
}

}  // namespace

CompileResult compile(const Policy& policy, const CompileOptions& options) {
  CompileResult result;
  if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
    result.errors.push_back({{"", 0, 0}, "sbx policies are for x86-64 only; this machine is another architecture"});
    return result;
  }
  Compiled compiled;
  compiled.default_action = policy.default_action;
  compiled.paths = policy.paths;
  compiled.core = policy.core;
  compiled.deny_write_execute = policy.deny_write_execute;

  for (const auto& rule : policy.rules) {
    for (size_t i = 0; i < rule.clauses.size(); ++i) {
      const Clause& clause = rule.clauses[i];
      try {
        // After an unconditional line of a file that includes this clause's
        // file, the clause is never reached, whatever its action.
        const auto by_includer = [&](const Clause& c) { return includes(policy, c.file, clause.file); };
        const bool unreached = std::any_of(rule.clauses.begin(), rule.clauses.begin() + static_cast<long>(i),
                                           [&](const Clause& c) { return by_includer(c) && c.condition == Dnf{{}}; });
        Dnf reduced = unreached ? Dnf{} : decided_by(rule, i, [](const Clause&) { return true; });
        if (reduced.empty()) {
          // Dead. Without the lines of the files that include this clause's
          // file, would it decide something? Then they override it.
          if (!decided_by(rule, i, [&](const Clause& c) { return !by_includer(c); }).empty()) {
            compiled.overridden.push_back(clause.where);
            continue;
          }
          throw CompileError{"this clause for " + rule.name +
                             " can never apply: earlier clauses decide every call "
                             "it matches"};
        }
        if (clause.action.kind == ActionKind::kBroker) compiled.uses_broker = true;
        if (clause.action == policy.default_action) continue;  // the default does it
        for (auto& c : reduced) compiled.kernel_rules.push_back({rule.name, rule.nr, clause.action, std::move(c)});
      } catch (const CompileError& e) {
        result.errors.push_back({clause.where, e.message});
      }
    }
  }
  if (!result.errors.empty()) return result;

  scmp_filter_ctx ctx = seccomp_init(to_scmp(policy.default_action));
  if (ctx == nullptr) {
    result.errors.push_back({{"", 0, 0}, "libseccomp: seccomp_init failed"});
    return result;
  }
  try {
    // A call from another architecture (i386, x32) is refused outright.
    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, options.binary_tree ? 2 : 1);
    for (const auto& r : compiled.kernel_rules) {
      std::vector<scmp_arg_cmp> cmps;
      for (const auto& a : r.atoms) cmps.push_back(to_scmp(a));
      const int rc =
          seccomp_rule_add_exact_array(ctx, to_scmp(r.action), r.nr, static_cast<unsigned>(cmps.size()), cmps.data());
      if (rc != 0) {
        throw CompileError{"libseccomp refused the rule " + r.syscall + ": " + to_string(r.action) + " if " +
                           to_string(Dnf{r.atoms}) + ": " + std::strerror(-rc)};
      }
    }
    compiled.bpf = export_bpf(ctx);
  } catch (const CompileError& e) {
    result.errors.push_back({{"", 0, 0}, e.message});
  }
  seccomp_release(ctx);
  if (result.errors.empty()) result.compiled = std::move(compiled);
  return result;
}

}  // namespace sbx::policy
