// Classic BPF as seccomp runs it: an interpreter (for "sbx policy test": the
// answer comes from the very program the kernel will run; and for the
// trusted process, which asks the filter what it traps: trusted/patch_site.cc).
// Part of the policy runtime; the disassembler is bpf.cc.
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstring>

#include "policy.h"

namespace sbx::policy {
namespace {

sock_filter decode(uint64_t word) {
  sock_filter f;
  static_assert(sizeof(f) == 8);
  std::memcpy(&f, &word, 8);
  return f;
}

// The 32-bit word at offset k of struct seccomp_data (little-endian).
bool load_word(const SeccompData& d, uint32_t k, uint32_t* out) {
  unsigned char bytes[64];
  std::memset(bytes, 0, sizeof(bytes));
  const uint32_t nr = static_cast<uint32_t>(d.nr);
  std::memcpy(bytes + 0, &nr, 4);
  std::memcpy(bytes + 4, &d.arch, 4);
  std::memcpy(bytes + 8, &d.instruction_pointer, 8);
  std::memcpy(bytes + 16, d.args, 48);
  if (k % 4 != 0 || k + 4 > sizeof(bytes)) return false;
  std::memcpy(out, bytes + k, 4);
  return true;
}

}  // namespace

std::optional<uint32_t> run_bpf(const std::vector<uint64_t>& program, const SeccompData& data, std::string* why) {
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter f = decode(program[pc]);
    const uint16_t cls = BPF_CLASS(f.code);
    if (cls == BPF_LD || cls == BPF_LDX) {
      uint32_t v = 0;
      if (BPF_MODE(f.code) == BPF_ABS && BPF_SIZE(f.code) == BPF_W && cls == BPF_LD) {
        if (!load_word(data, f.k, &v))
          return (*why = "load outside seccomp_data at " + std::to_string(pc)), std::nullopt;
      } else if (BPF_MODE(f.code) == BPF_IMM) {
        v = f.k;
      } else if (BPF_MODE(f.code) == BPF_MEM && f.k < BPF_MEMWORDS) {
        v = mem[f.k];
      } else if (BPF_MODE(f.code) == BPF_LEN) {
        v = 64;
      } else {
        return (*why = "unsupported load at " + std::to_string(pc)), std::nullopt;
      }
      (cls == BPF_LD ? a : x) = v;
    } else if (cls == BPF_ST || cls == BPF_STX) {
      if (f.k >= BPF_MEMWORDS) return (*why = "store outside scratch memory"), std::nullopt;
      mem[f.k] = cls == BPF_ST ? a : x;
    } else if (cls == BPF_ALU) {
      const uint32_t s = BPF_SRC(f.code) == BPF_X ? x : f.k;
      switch (BPF_OP(f.code)) {
        case BPF_ADD: a += s; break;
        case BPF_SUB: a -= s; break;
        case BPF_MUL: a *= s; break;
        case BPF_DIV:
          if (s == 0) return 0u;
          a /= s;
          break;  // the kernel returns 0 (kill)
        case BPF_OR: a |= s; break;
        case BPF_AND: a &= s; break;
        case BPF_LSH: a = s < 32 ? a << s : 0; break;
        case BPF_RSH: a = s < 32 ? a >> s : 0; break;
        case BPF_NEG: a = -a; break;
        case BPF_XOR: a ^= s; break;
        default: return (*why = "unsupported ALU op at " + std::to_string(pc)), std::nullopt;
      }
    } else if (cls == BPF_JMP) {
      const uint32_t s = BPF_SRC(f.code) == BPF_X ? x : f.k;
      size_t offset;
      switch (BPF_OP(f.code)) {
        case BPF_JA: offset = f.k; break;
        case BPF_JEQ: offset = a == s ? f.jt : f.jf; break;
        case BPF_JGT: offset = a > s ? f.jt : f.jf; break;
        case BPF_JGE: offset = a >= s ? f.jt : f.jf; break;
        case BPF_JSET: offset = (a & s) ? f.jt : f.jf; break;
        default: return (*why = "unsupported jump at " + std::to_string(pc)), std::nullopt;
      }
      pc += offset;
      if (pc + 1 >= program.size() + 1) return (*why = "jump past the end"), std::nullopt;
    } else if (cls == BPF_RET) {
      return BPF_RVAL(f.code) == BPF_A ? a : f.k;
    } else if (cls == BPF_MISC) {
      if (BPF_MISCOP(f.code) == BPF_TAX) x = a;
      else a = x;
    }
  }
  *why = "the program falls off its end";
  return std::nullopt;
}

Action action_of_seccomp_return(uint32_t ret) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW: return {ActionKind::kAllow, 0};
    case SECCOMP_RET_ERRNO: return {ActionKind::kErrno, static_cast<int>(ret & SECCOMP_RET_DATA)};
    case SECCOMP_RET_TRAP: return {ActionKind::kTrap, 0};
    case SECCOMP_RET_USER_NOTIF: return {ActionKind::kBroker, 0};
    case SECCOMP_RET_LOG: return {ActionKind::kLog, 0};
    default: return {ActionKind::kKill, 0};  // KILL_PROCESS, KILL_THREAD, TRACE without a tracer is not used
  }
}

}  // namespace sbx::policy
