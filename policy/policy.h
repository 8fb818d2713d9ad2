// sbx policies: the language (docs/policy.md), its parser, the compiler to a
// seccomp-bpf program through libseccomp, the compiled format, a reference
// evaluator of the policy text, and a classic-BPF interpreter and
// disassembler for what the kernel will run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

struct sock_filter;

namespace sbx::policy {

struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

struct Error {
  Location where;
  std::string message;
};
// "FILE:LINE:COLUMN: error: MESSAGE"
std::string format(const Error& error);

enum class ActionKind { kAllow, kErrno, kKill, kTrap, kBroker, kLog };
struct Action {
  ActionKind kind = ActionKind::kKill;
  int errno_value = 0;  // for kErrno
  bool operator==(const Action&) const = default;
};
std::string to_string(const Action& action);

// One comparison of a system call argument (0-5) with a constant, on the full
// 64-bit value the kernel sees. kMaskedEq is (arg & mask) == value.
enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kMaskedEq };
struct Atom {
  int arg = 0;
  Op op = Op::kEq;
  uint64_t value = 0;
  uint64_t mask = ~0ULL;  // kMaskedEq only
  bool operator==(const Atom&) const = default;
};
std::string to_string(const Atom& atom);
bool holds(const Atom& atom, const uint64_t args[6]);

// A condition in disjunctive normal form: any of the conjunctions holds.
// {} is false; {{}} (one empty conjunction) is true.
using Conjunction = std::vector<Atom>;
using Dnf = std::vector<Conjunction>;
bool holds(const Dnf& condition, const uint64_t args[6]);
// left && right, in disjunctive normal form (every pair of conjunctions joined).
Dnf conjoin(const Dnf& left, const Dnf& right);
std::string to_string(const Dnf& condition);

struct Clause {
  Action action;
  Dnf condition;  // {{}} when the clause has no "if"
  Location where;
  int file = 0;  // the file it was written in: an index into Policy::includer
};

// All clauses for one system call, in the order they are tried (docs/policy.md,
// "Includes"): the first whose condition holds decides; if none does, the
// policy's default applies.
struct SyscallRule {
  std::string name;
  int nr = -1;
  std::vector<Clause> clauses;
};

enum PathPermission : unsigned { kPathRead = 1, kPathWrite = 2, kPathCreate = 4 };
struct PathRule {
  unsigned permissions = 0;
  std::string pattern;  // absolute; a final "/**" means the directory and everything below
  Location where;
};
// Whether pattern is one a rule may have: absolute, normalised, no control
// characters, '**' only as the whole last component.
bool valid_pattern(const std::string& pattern, std::string* why);
// Whether rules grant every permission in `wanted` on the absolute, normalised path.
bool path_allowed(const std::vector<PathRule>& rules, const std::string& path, unsigned wanted);
// Whether path is a directory on the way to something a rule grants ("/",
// "/usr" for "/usr/lib/**"): its metadata may be read (stat, readlink), so
// that realpath() works; nothing more.
bool path_on_the_way(const std::vector<PathRule>& rules, const std::string& path);
// The file or directory a rule's pattern starts at, its root: DIR for
// "DIR/**" ("/" for "/**"), the path itself for an exact rule.
std::string rule_root(const std::string& pattern);
// Whether path (absolute, normalised) is a rule's root or a directory on the
// way to one: the names the rules hang on. The program may not remove,
// rename, replace, or change the mode or owner of such a path from inside
// (the trusted process refuses it), so that the same options name the same
// files on the next run: an --allow-write DIR replaced by a symlink, or a
// directory above an --allow-read FILE renamed and replaced by one, would
// grant its target.
bool path_anchors_rule(const std::vector<PathRule>& rules, const std::string& path);
// The absolute, lexically normalised form of `path` (relative to `base`, an
// absolute path): no "", "." or ".." components, no "//", no final "/";
// ".." above "/" stays at "/". "" if there is none (empty, PATH_MAX or longer).
std::string normalize_path(const std::string& base, const std::string& path);

// A system call (or the default) for which a file's lines take precedence
// over lines of the files it includes and change what they decide
// (docs/policy.md, "Includes"), for sbx policy check to show.
struct Override {
  std::string name;                  // the system call, or "default"
  Location line;                     // the including file's first line for it
  size_t lines = 1;                  // how many lines it has for it
  std::vector<Location> overridden;  // the included lines, in the order they are tried
  bool replaces = true;              // an unconditional line: the included lines never apply
};
// "u.policy:2: clone: this file's rule overrides the ones from builtin:default (lines 84, 85) and builtin:stdio (line 68)"
std::string format(const Override& said);

// Crash dumps of the sandboxed program (docs/policy.md, "Crash dumps"): the
// directory the trusted process writes a core file to, and the most bytes
// one core may have. Off unless a policy (or sbx run) names the directory.
struct CoreDumps {
  std::string dir;                // "" : no core dumps
  std::optional<uint64_t> limit;  // bytes; 0 = no limit; nullopt = not said
  bool operator==(const CoreDumps&) const = default;
};
// A size as core-limit and sbx run --core-limit take it: decimal bytes, or
// a number with K, M or G (powers of 1024); nullopt, with a sentence in
// *why, if it is not one or does not fit 64 bits.
std::optional<uint64_t> size_in_bytes(const std::string& text, std::string* why);
// Whether dir may be a core-dir: valid_pattern's rules, without "**".
bool valid_core_dir(const std::string& dir, std::string* why);

struct Policy {
  Action default_action;
  bool has_default = false;
  std::vector<SyscallRule> rules;
  std::vector<PathRule> paths;
  // The files it was read from, numbered as their reading started: file 0 is
  // the top one; includer[i] is the file that included file i (-1 for file 0).
  std::vector<int> includer;
  std::vector<Override> overrides;
  CoreDumps core;
  // deny-write-execute (docs/policy.md, "Memory: write or execute"): the
  // program's process runs under PR_SET_MDWE (PR_MDWE_REFUSE_EXEC_GAIN).
  bool deny_write_execute = false;
};
// Whether file includer included file included, directly or through others.
bool includes(const Policy& policy, int includer, int included);

// How the parser puts a file's lines and those of the files it includes
// together (include.cc): for each system call, the file's own lines first,
// in the order written, then the included files' lines. A file's default
// overrides the included files' defaults.
struct DefaultLine {
  Action action;
  Location where;
};
// A directive said once per file (core-dir, core-limit, deny-write-execute) and where.
template <typename T>
struct SettingLine {
  T value;
  Location where;
};
template <typename T>
struct Setting {  // one file's own line for a directive, and its included files'
  std::optional<SettingLine<T>> own;
  std::vector<SettingLine<T>> included;  // each included file's, in order
};
struct CallLines {  // one file's lines for one system call
  std::string name;
  int nr = -1;
  std::vector<Clause> own;       // the file's own, in the order written
  std::vector<Clause> included;  // the included files' (each already arranged), in the order of the includes
};
struct FileLines {               // what one file says, its includes already arranged
  std::vector<CallLines> calls;  // in the order each call first appears, included files in place
  std::optional<DefaultLine> own_default;
  std::vector<DefaultLine> included_defaults;  // each included file's, in order
  Setting<std::string> core_dir;
  Setting<uint64_t> core_limit;
  Setting<bool> deny_write_execute;
};
CallLines& lines_for(FileLines& lines, const std::string& name, int nr);
struct Arranged {
  std::vector<SyscallRule> rules;
  std::optional<DefaultLine> default_line;
  std::optional<SettingLine<std::string>> core_dir;
  std::optional<SettingLine<uint64_t>> core_limit;
  std::optional<SettingLine<bool>> deny_write_execute;
};
// The file's rules in the order they are tried, its default and its
// directives; the overrides it makes go to *overrides, a conflict between
// included defaults or directives to *errors.
Arranged arrange(const FileLines& lines, const std::string& file, std::vector<Override>* overrides,
                 std::vector<Error>* errors);

// Built-in policies by name ("stdio", "default" for programs; "trusted-process",
// "sandbox-init" for sbx's own processes): their text, or nullptr. They are
// policy/builtin/NAME.policy, embedded at build time (embed_builtins.py).
const char* builtin_policy(const std::string& name);
std::vector<std::string> builtin_policy_names();

// Reads an included file; returns false if it cannot.
using FileReader = std::function<bool(const std::string& path, std::string* text)>;
bool read_file(const std::string& path, std::string* text);

struct ParseResult {
  std::optional<Policy> policy;  // set when there are no errors
  std::vector<Error> errors;
};
ParseResult parse(const std::string& text, const std::string& file_name, const FileReader& reader = read_file);
ParseResult parse_file(const std::string& path);

// What the policy text says happens to a call (the reference the compiled
// program is tested against).
Action evaluate(const Policy& policy, int nr, const uint64_t args[6]);

// The compiled policy: the seccomp-bpf program and the path rules.
struct KernelRule {  // one rule as libseccomp receives it: one comparison per argument
  std::string syscall;
  int nr = -1;
  Action action;
  Conjunction atoms;
};
struct Compiled {
  Action default_action;
  std::vector<KernelRule> kernel_rules;
  std::vector<PathRule> paths;
  std::vector<uint64_t> bpf;  // sock_filter instructions, 8 bytes each
  bool uses_broker = false;
  CoreDumps core;
  bool deny_write_execute = false;  // Policy::deny_write_execute
  // Clauses that never apply because lines of a file that includes theirs
  // decide every call they match (not kept in the compiled format).
  std::vector<Location> overridden;
};
struct CompileResult {
  std::optional<Compiled> compiled;
  std::vector<Error> errors;
};
struct CompileOptions {
  bool binary_tree = true;  // libseccomp's binary-tree syscall search
};
CompileResult compile(const Policy& policy, const CompileOptions& options = {});

// The compiled format ("SBXPOLICY 1"), documented in docs/policy.md.
// Empty if a path pattern is not valid_pattern, or the core directory not
// valid_core_dir (it could not be one line).
std::string serialize(const Compiled& compiled);
std::optional<Compiled> deserialize(const std::string& bytes, std::string* why);
// The compiled policy in a memfd sealed against writing and resizing (sbx
// run makes it; the first stage and the trusted process read it), or
// nullopt with why.
std::optional<Compiled> read_sealed(int fd, std::string* why);

// Classic BPF, as seccomp runs it. run_bpf returns the SECCOMP_RET_* value
// for the call, or nullopt (with why) for a program the kernel would refuse.
struct SeccompData {
  int nr = 0;
  uint32_t arch = 0xc000003e;  // AUDIT_ARCH_X86_64
  uint64_t instruction_pointer = 0;
  uint64_t args[6] = {};
};
std::optional<uint32_t> run_bpf(const std::vector<uint64_t>& program, const SeccompData& data, std::string* why);
std::vector<std::string> disassemble(const std::vector<uint64_t>& program);
// The action a SECCOMP_RET_* value stands for.
Action action_of_seccomp_return(uint32_t ret);

// Names: system calls (x86-64) and constants (O_*, PROT_*, errno names...).
int syscall_number(const std::string& name);  // -1 if unknown
std::string syscall_name(int nr);
std::optional<uint64_t> named_constant(const std::string& name);
std::optional<int> errno_number(const std::string& name);

}  // namespace sbx::policy
