// Classic BPF as seccomp runs it: a disassembler (for "sbx policy explain");
// the interpreter is bpf_run.cc.
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstring>
#include <sstream>

#include "policy.h"

namespace sbx::policy {
namespace {

sock_filter decode(uint64_t word) {
  sock_filter f;
  static_assert(sizeof(f) == 8);
  std::memcpy(&f, &word, 8);
  return f;
}

}  // namespace

std::vector<std::string> disassemble(const std::vector<uint64_t>& program) {
  std::vector<std::string> lines;
  static const char* const kFields[] = {"nr", "arch", "ip.lo", "ip.hi"};
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter f = decode(program[pc]);
    std::ostringstream out;
    out.width(4);
    out.fill('0');
    out << pc << ": ";
    const uint16_t cls = BPF_CLASS(f.code);
    auto target = [&](size_t off) { return std::to_string(pc + 1 + off); };
    if (cls == BPF_LD && BPF_MODE(f.code) == BPF_ABS) {
      out << "ld  [" << f.k << "]";
      if (f.k < 16) out << "    ; " << kFields[f.k / 4];
      else out << "    ; arg" << (f.k - 16) / 8 << ((f.k - 16) % 8 ? " high" : " low") << " 32 bits";
    } else if (cls == BPF_LD && BPF_MODE(f.code) == BPF_MEM) {
      out << "ld  M[" << f.k << "]";
    } else if (cls == BPF_LDX) {
      out << "ldx M[" << f.k << "]";
    } else if (cls == BPF_ST || cls == BPF_STX) {
      out << (cls == BPF_ST ? "st  M[" : "stx M[") << f.k << "]";
    } else if (cls == BPF_ALU) {
      static const char* const kAlu[] = {"add", "sub", "mul", "div", "or", "and", "lsh", "rsh", "neg", "mod", "xor"};
      const unsigned op = BPF_OP(f.code) >> 4;
      out << (op < 11 ? kAlu[op] : "alu?") << " #0x" << std::hex << f.k;
    } else if (cls == BPF_JMP) {
      if (BPF_OP(f.code) == BPF_JA) {
        out << "ja  " << target(f.k);
      } else {
        const char* name = BPF_OP(f.code) == BPF_JEQ   ? "jeq"
                           : BPF_OP(f.code) == BPF_JGT ? "jgt"
                           : BPF_OP(f.code) == BPF_JGE ? "jge"
                                                       : "jset";
        out << name << " #0x" << std::hex << f.k << std::dec << " ? " << target(f.jt) << " : " << target(f.jf);
      }
    } else if (cls == BPF_RET) {
      out << "ret " << to_string(action_of_seccomp_return(f.k));
      if ((f.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_KILL_THREAD) out << " (thread)";
    } else {
      out << "code 0x" << std::hex << f.code;
    }
    lines.push_back(out.str());
  }
  return lines;
}

}  // namespace sbx::policy
