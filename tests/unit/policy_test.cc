// Unit tests of the policy language: every parser error with its message,
// the compiler's reductions, the compiled format, the BPF interpreter and
// disassembler, path rules.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/seccomp.h>
#include <map>
#include <random>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <climits>

#include "policy.h"
#include "precompiled.h"

using namespace sbx::policy;

namespace {
// The first error for a policy text (with "default kill" prepended unless asked).
std::string first_error(const std::string& text, bool add_default = true) {
  const ParseResult r = parse((add_default ? "default kill\n" : "") + text, "t.policy");
  if (r.errors.empty()) {
    if (!r.policy) return "no policy";
    const CompileResult c = compile(*r.policy);
    return c.errors.empty() ? "ok" : format(c.errors[0]);
  }
  return format(r.errors[0]);
}

Policy parsed(const std::string& text) {
  ParseResult r = parse(text, "t.policy");
  for (const auto& e : r.errors) FAIL(format(e));
  return *r.policy;
}

Action kernel_says(const Compiled& c, int nr, const uint64_t args[6]) {
  SeccompData d;
  d.nr = nr;
  for (int i = 0; i < 6; ++i) d.args[i] = args[i];
  std::string why;
  const auto ret = run_bpf(c.bpf, d, &why);
  REQUIRE(ret.has_value());
  return action_of_seccomp_return(*ret);
}
}  // namespace

TEST_CASE("every parse error names its line, column and what was expected", "[policy][errors]") {
  const std::pair<const char*, const char*> cases[] = {
      {"read: allow if arg0 == 12ab", "t.policy:2:24: error: malformed number"},
      {"read: allow if arg0 == 0x1ffffffffffffffff", "t.policy:2:24: error: number does not fit 64 bits"},
      {"include \"x", "t.policy:2:9: error: unterminated string"},
      {"read: allow $", "t.policy:2:13: error: unexpected character '$'"},
      {"42",
       "t.policy:2:1: error: expected a statement: a system call rule, default, include, path, core-dir, core-limit or "
       "deny-write-execute"},
      {"reed: allow", "t.policy:2:1: error: unknown system call 'reed' (x86-64 names, as in syscalls(2))"},
      {"read allow",
       "t.policy:2:1: error: expected ':' after the system call name 'read' (or default, include, path, core-dir, core-limit, "
       "deny-write-execute)"},
      {"read: 7", "t.policy:2:7: error: expected an action: allow, errno(NAME), kill, trap, broker or log"},
      {"read: permit",
       "t.policy:2:7: error: unknown action 'permit' (expected allow, errno(NAME), kill, trap, broker or log)"},
      {"read: errno EPERM", "t.policy:2:13: error: expected '(' after errno"},
      {"read: errno(ENOPE)", "t.policy:2:13: error: unknown errno name 'ENOPE'"},
      {"read: errno(-1)", "t.policy:2:13: error: expected an errno name or a number from 0 to 4095"},
      {"read: errno(4096)", "t.policy:2:13: error: expected an errno name or a number from 0 to 4095"},
      {"read: errno(EPERM", "t.policy:2:18: error: expected ')'"},
      {"read: allow if arg0 == O_NOPE", "t.policy:2:24: error: unknown constant 'O_NOPE'"},
      {"read: allow if arg0 == (", "t.policy:2:24: error: expected a number or a named constant"},
      {"read: allow if arg6 == 1", "t.policy:2:16: error: expected an argument, arg0 to arg5"},
      {"read: allow if fd == 1", "t.policy:2:16: error: expected an argument, arg0 to arg5"},
      {"read: allow if arg0 = 1", "t.policy:2:21: error: '=' is not a comparison: write '=='"},
      {"read: allow if arg0 1", "t.policy:2:21: error: expected a comparison: ==, !=, <, <=, > or >="},
      {"read: allow if arg0 & 3 < 1", "t.policy:2:25: error: a masked argument can only be compared with == or !="},
      {"read: allow if arg0 & 3 == 4",
       "t.policy:2:28: error: the value has bits outside the mask: the comparison could never hold"},
      {"read: allow if (arg0 == 1", "t.policy:2:26: error: expected ')'"},
      {"read: allow if arg0 == 1 arg1", "t.policy:2:26: error: unexpected 'arg1' after the end of the statement"},
      {"default broker", "t.policy:2:1: error: the default cannot be broker: name the calls to broker"},
      {"default allow", "t.policy:2:1: error: default already set at t.policy:1"},
      {"include \"/nonexistent.policy\"", "t.policy:2:9: error: cannot read included file '/nonexistent.policy'"},
      {"include builtin:nothing", "t.policy:2:17: error: no built-in policy named 'nothing'"},
      {"include 7", "t.policy:2:9: error: expected \"FILE\" or builtin:NAME after include"},
      {"path execute /usr", "t.policy:2:6: error: expected a permission: read, write or create"},
      {"path read usr/lib", "t.policy:2:11: error: expected an absolute path after the permissions"},
      {"path read /usr//lib", "t.policy:2:11: error: empty path component ('//')"},
      {"path read /usr/../etc", "t.policy:2:11: error: '.' and '..' are not allowed in paths"},
      {"path read /usr/*.so",
       "t.policy:2:11: error: '**' is allowed only as the last component (a whole subtree); no other wildcards"},
      {"path read /usr/**/lib",
       "t.policy:2:11: error: '**' is allowed only as the last component (a whole subtree); no other wildcards"},
      {"path read /usr/", "t.policy:2:11: error: a path must not end with '/'"},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    CHECK(first_error(text) == expected);
  }
  CHECK(first_error("read: allow", false) ==
        "t.policy:1:1: error: no default action: add a line such as 'default kill'");
}

TEST_CASE("every mistake is reported, not only the first", "[policy][errors]") {
  const ParseResult r = parse("default kill\nreed: allow\nread: permit\nwrite: allow\nclose: errno(X)\n", "t.policy");
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].where.line == 2);
  CHECK(r.errors[1].where.line == 3);
  CHECK(r.errors[2].where.line == 5);
}

TEST_CASE("includes: files relative to the includer, built-ins, cycles, defaults", "[policy][include]") {
  std::map<std::string, std::string> files = {
      {"/p/top.policy", "include \"sub/a.policy\"\ndefault errno(EPERM)\nwrite: allow\n"},
      {"/p/sub/a.policy", "default kill\nread: allow\n"},
      {"/p/loop.policy", "default kill\ninclude \"loop.policy\"\n"},
  };
  FileReader reader = [&](const std::string& path, std::string* text) {
    auto it = files.find(path);
    if (it == files.end()) return false;
    *text = it->second;
    return true;
  };
  ParseResult r = parse(files["/p/top.policy"], "/p/top.policy", reader);
  REQUIRE(r.errors.empty());
  CHECK(r.policy->default_action == Action{ActionKind::kErrno, EPERM});  // the top level's default wins
  CHECK(r.policy->rules.size() == 2);
  r = parse(files["/p/loop.policy"], "/p/loop.policy", reader);
  REQUIRE(r.errors.size() == 1);
  CHECK(format(r.errors[0]) == "/p/loop.policy:2:9: error: '/p/loop.policy' includes itself (through /p/loop.policy)");
  r = parse("include builtin:default\ndefault log\n", "v.policy");  // nested: each level overrides the one below
  REQUIRE(r.errors.empty());
  CHECK(r.policy->default_action.kind == ActionKind::kLog);
  r = parse("include builtin:stdio\n", "u.policy");
  REQUIRE(r.errors.empty());
  CHECK(r.policy->default_action.kind == ActionKind::kKill);  // an included default applies when the top has none
}

namespace {
// A policy read from in-memory files ("/p/NAME"), compiled; every call it is
// asked about is decided by the compiled program and by the text, which
// must agree.
struct Included {
  std::map<std::string, std::string> files;
  ParseResult parsed;
  CompileResult compiled;

  Included(std::map<std::string, std::string> f, const std::string& top) : files(std::move(f)) {
    FileReader reader = [this](const std::string& path, std::string* text) {
      auto it = files.find(path);
      if (it == files.end()) return false;
      *text = it->second;
      return true;
    };
    parsed = parse(files.at(top), top, reader);
    if (parsed.policy) compiled = compile(*parsed.policy);
  }
  // The first error, or "ok".
  std::string error() const {
    if (!parsed.errors.empty()) return format(parsed.errors[0]);
    return compiled.errors.empty() ? "ok" : format(compiled.errors[0]);
  }
  Action says(const char* call, uint64_t arg0 = 0, uint64_t arg1 = 0) const {
    REQUIRE(error() == "ok");
    const uint64_t args[6] = {arg0, arg1, 0, 0, 0, 0};
    const Action text = evaluate(*parsed.policy, syscall_number(call), args);
    CHECK(kernel_says(*compiled.compiled, syscall_number(call), args) == text);
    return text;
  }
  // The overrides the in-memory files make (not default's over stdio's).
  std::vector<std::string> overrides() const {
    std::vector<std::string> out;
    for (const auto& o : parsed.policy->overrides)
      if (o.line.file.rfind("builtin:", 0) != 0) out.push_back(format(o));
    return out;
  }
  bool overridden(const std::string& file, int line) const {
    for (const auto& w : compiled.compiled->overridden)
      if (w.file == file && w.line == line) return true;
    return false;
  }
};
const Action kAllow{ActionKind::kAllow, 0};
Action fails(int e) { return {ActionKind::kErrno, e}; }
}  // namespace

TEST_CASE("includes: the including file's rule for a call overrides the included unconditional one",
          "[policy][include]") {
  // The built-in refuses clone unless it makes no namespaces; a user relaxes it.
  Included allow({{"/p/u.policy", "include builtin:default\nclone: allow\n"}}, "/p/u.policy");
  CHECK(allow.says("clone", CLONE_NEWNET) == kAllow);
  CHECK(allow.says("clone", 0) == kAllow);
  REQUIRE(allow.overrides().size() == 1);
  CHECK(allow.overrides()[0].rfind(
            "/p/u.policy:2: clone: this file's rule overrides the ones from builtin:default (line", 0) == 0);
  // Every included clone line is overridden: none reaches the kernel.
  for (const auto& rule : allow.parsed.policy->rules)
    if (rule.name == "clone")
      for (const auto& c : rule.clauses)
        CHECK((c.where.file == "/p/u.policy") != allow.overridden(c.where.file, c.where.line));

  // ... or refuses it with another error, threads included.
  Included refuse({{"/p/v.policy", "include builtin:default\nclone: errno(EACCES)\n"}}, "/p/v.policy");
  CHECK(refuse.says("clone", CLONE_NEWNET) == fails(EACCES));
  CHECK(refuse.says("clone", CLONE_VM | CLONE_THREAD | CLONE_SIGHAND) == fails(EACCES));

  // The same with an in-memory base, to read every word of the report.
  Included base({{"/p/base.policy", "default kill\nsocket: errno(EACCES)\n"},
                 {"/p/top.policy", "include \"base.policy\"\nsocket: errno(EPERM)\n"}},
                "/p/top.policy");
  CHECK(base.says("socket", AF_INET) == fails(EPERM));
  CHECK(base.overrides() ==
        std::vector<std::string>{
            "/p/top.policy:2: socket: this file's rule overrides the one from /p/base.policy (line 2)"});
  CHECK(base.overridden("/p/base.policy", 2));
  // Where the include line is does not matter: the file's own lines go first.
  Included after({{"/p/base.policy", "default kill\nsocket: errno(EACCES)\n"},
                  {"/p/top.policy", "socket: allow\ninclude \"base.policy\"\n"}},
                 "/p/top.policy");
  CHECK(after.says("socket", AF_INET) == kAllow);
}

TEST_CASE("includes: a conditional rule goes before the included ones, which still decide the rest",
          "[policy][include]") {
  Included fionbio({{"/p/u.policy", "include builtin:stdio\nioctl: allow if arg1 == FIONBIO\n"}}, "/p/u.policy");
  CHECK(fionbio.says("ioctl", 0, FIONBIO) == kAllow);         // this file's
  CHECK(fionbio.says("ioctl", 0, TCGETS) == kAllow);          // stdio's conditional line
  CHECK(fionbio.says("ioctl", 0, TIOCSTI) == fails(ENOTTY));  // stdio's unconditional one, after
  // The report names stdio's ioctl lines, wherever they are in the built-in.
  std::string stdio_lines;
  for (const auto& rule : fionbio.parsed.policy->rules)
    if (rule.name == "ioctl")
      for (const auto& c : rule.clauses)
        if (c.where.file == "builtin:stdio") {
          stdio_lines += (stdio_lines.empty() ? "" : ", ") + std::to_string(c.where.line);
          CHECK_FALSE(fionbio.overridden(c.where.file, c.where.line));
        }
  CHECK(fionbio.overrides() ==
        std::vector<std::string>{
            "/p/u.policy:2: ioctl: this file's rule is tried before the ones from builtin:stdio (lines " + stdio_lines +
            ")"});

  // A conditional line can also take away what the included file allows.
  Included narrower(
      {{"/p/base.policy", "default kill\nioctl: allow if arg1 == TCGETS || arg1 == FIONBIO\nioctl: errno(ENOTTY)\n"},
       {"/p/top.policy", "include \"base.policy\"\nioctl: errno(EPERM) if arg1 == FIONBIO\n"}},
      "/p/top.policy");
  CHECK(narrower.says("ioctl", 0, FIONBIO) == fails(EPERM));
  CHECK(narrower.says("ioctl", 0, TCGETS) == kAllow);
  CHECK(narrower.says("ioctl", 0, TIOCSTI) == fails(ENOTTY));
  CHECK(narrower.overrides() ==
        std::vector<std::string>{
            "/p/top.policy:2: ioctl: this file's rule is tried before the ones from /p/base.policy (lines 2, 3)"});
  // Lines of the same action change nothing: no report.
  Included same({{"/p/base.policy", "default kill\nfcntl: allow if arg1 == F_GETFD\n"},
                 {"/p/top.policy", "include \"base.policy\"\nfcntl: allow if arg1 == F_SETFD\n"}},
                "/p/top.policy");
  CHECK(same.says("fcntl", 0, F_GETFD) == kAllow);
  CHECK(same.says("fcntl", 0, F_SETFD) == kAllow);
  CHECK(same.overrides().empty());
}

TEST_CASE("includes: precedence applies at every level", "[policy][include]") {
  const std::map<std::string, std::string> files = {
      {"/p/base.policy", "default kill\nclone: allow if arg0 & CLONE_THREAD == CLONE_THREAD\nclone: errno(EPERM)\n"
                         "read: allow\n"},
      {"/p/mid.policy", "include \"base.policy\"\ndefault errno(ENOSYS)\nclone: errno(EACCES)\n"},
      {"/p/top.policy", "include \"mid.policy\"\nclone: allow if arg0 == 0\ndefault log\n"},
  };
  Included mid(files, "/p/mid.policy");
  CHECK(mid.says("clone", CLONE_THREAD) == fails(EACCES));  // mid overrides base, threads included
  CHECK(mid.parsed.policy->default_action == fails(ENOSYS));
  Included top(files, "/p/top.policy");
  CHECK(top.says("clone", 0) == kAllow);                    // top's
  CHECK(top.says("clone", CLONE_THREAD) == fails(EACCES));  // mid's, which overrides base's
  CHECK(top.says("read") == kAllow);                        // base's, untouched
  CHECK(top.says("getpid").kind == ActionKind::kLog);       // top's default
  CHECK(top.overridden("/p/base.policy", 2));
  CHECK(top.overridden("/p/base.policy", 3));
  CHECK(top.overrides() ==
        std::vector<std::string>{
            "/p/mid.policy:2: default: this file's default overrides the one from /p/base.policy (line 1)",
            "/p/mid.policy:3: clone: this file's rule overrides the ones from /p/base.policy (lines 2, 3)",
            "/p/top.policy:2: clone: this file's rule is tried before the ones from /p/mid.policy (line 3) "
            "and /p/base.policy (lines 2, 3)",
            "/p/top.policy:3: default: this file's default overrides the one from /p/mid.policy (line 2)",
        });
}

TEST_CASE("includes: the including file's default overrides; two included ones conflict", "[policy][include]") {
  Included over({{"/p/u.policy", "include builtin:default\ndefault kill\n"}}, "/p/u.policy");
  CHECK(over.says("getpid").kind == ActionKind::kAllow);
  CHECK(over.says("mount").kind == ActionKind::kKill);
  const std::map<std::string, std::string> files = {
      {"/p/a.policy", "default kill\n"},
      {"/p/b.policy", "default allow\n"},
      {"/p/both.policy", "include \"a.policy\"\ninclude \"b.policy\"\n"},
      {"/p/chooses.policy", "include \"a.policy\"\ninclude \"b.policy\"\ndefault errno(EPERM)\n"},
  };
  CHECK(Included(files, "/p/both.policy").error() ==
        "/p/b.policy:1:1: error: default already set at /p/a.policy:1 (both included by /p/both.policy, which sets "
        "none of its own to choose)");
  Included chooses(files, "/p/chooses.policy");
  CHECK(chooses.says("getpid") == fails(EPERM));
}

TEST_CASE("includes: a clause dead within its own file is still an error", "[policy][include][errors]") {
  const std::map<std::string, std::string> files = {
      {"/p/dead.policy", "include builtin:default\nclone: allow\nclone: errno(EPERM) if arg0 == 3\n"},
      {"/p/base.policy", "default kill\nsocket: errno(EACCES)\nsocket: allow if arg0 == AF_UNIX\n"},
      {"/p/top.policy", "include \"base.policy\"\nsocket: allow\n"},
      {"/p/a.policy", "default kill\nsocket: errno(EACCES)\n"},
      {"/p/b.policy", "socket: allow if arg0 == AF_UNIX\n"},
      {"/p/siblings.policy", "include \"a.policy\"\ninclude \"b.policy\"\n"},
  };
  const std::string dead =
      ": error: this clause for socket can never apply: earlier clauses decide every call it matches";
  CHECK(
      Included(files, "/p/dead.policy").error() ==
      "/p/dead.policy:3:1: error: this clause for clone can never apply: earlier clauses decide every call it matches");
  // Dead in the included file itself: overriding the call does not hide it.
  CHECK(Included(files, "/p/top.policy").error() == "/p/base.policy:3:1" + dead);
  // Two included files, neither including the other: in the order of the
  // includes, as before; a line of the second the first leaves nothing to
  // decide is an error.
  CHECK(Included(files, "/p/siblings.policy").error() == "/p/b.policy:1:1" + dead);
}

TEST_CASE("compile errors: a clause that can never apply", "[policy][errors]") {
  CHECK(first_error("read: allow\nread: errno(EPERM) if arg0 == 3") ==
        "t.policy:3:1: error: this clause for read can never apply: earlier clauses decide every call it matches");
  CHECK(first_error("read: errno(EPERM) if arg0 == 3\nread: allow if arg0 == 3") ==
        "t.policy:3:1: error: this clause for read can never apply: earlier clauses decide every call it matches");
}

TEST_CASE("the compiled program does what the text says, on random calls", "[policy][compiler]") {
  const char* texts[] = {
      "default errno(EPERM)\nioctl: allow if arg1 == TCGETS || arg1 == TIOCGWINSZ || arg1 == FIONREAD\nioctl: errno(ENOTTY)\n",
      "default kill\nmmap: allow if arg2 & PROT_EXEC == 0\nmprotect: trap if arg2 & PROT_EXEC != 0\nmprotect: allow\n",
      "default allow\nwrite: errno(EBADF) if arg0 > 2 && arg0 < 10\nwrite: kill if arg0 == 42\nread: log if arg0 != 0 && arg0 != 7\n",
      "default kill\nopenat: errno(EACCES) if arg2 & O_ACCMODE != O_RDONLY\nopenat: broker\nclose: allow\n",
      "default trap\nfcntl: allow if (arg1 == F_GETFL || arg1 == F_SETFL) && arg2 < 0x1000\nfcntl: errno(EINVAL) if arg1 >= 1024\n",
  };
  std::mt19937_64 rng(42);
  for (const char* text : texts) {
    INFO(text);
    const Policy p = parsed(text);
    const CompileResult c = compile(p);
    for (const auto& e : c.errors) FAIL(format(e));
    REQUIRE(c.compiled);
    for (const auto& rule : p.rules) {
      std::vector<uint64_t> interesting = {0, 1, 2, 3, 7, 9, 10, 41, 42, 43, ~0ULL, 1ULL << 32};
      for (const auto& clause : rule.clauses)
        for (const auto& conj : clause.condition)
          for (const auto& a : conj)
            for (uint64_t d : {a.value - 1, a.value, a.value + 1, a.value | ~a.mask, a.value ^ 1})
              interesting.push_back(d);
      for (int i = 0; i < 3000; ++i) {
        uint64_t args[6];
        for (auto& x : args) x = rng() % 3 ? interesting[rng() % interesting.size()] : rng();
        CHECK(kernel_says(*c.compiled, rule.nr, args) == evaluate(p, rule.nr, args));
      }
    }
    uint64_t none[6] = {};
    CHECK(kernel_says(*c.compiled, syscall_number("getpid"), none) == evaluate(p, syscall_number("getpid"), none));
  }
}

TEST_CASE("other architectures and x32 are refused by the program itself", "[policy][compiler]") {
  const Policy p = parsed("default allow\n");
  const Compiled c = *compile(p).compiled;
  SeccompData d;
  std::string why;
  d.nr = 39;  // getpid
  CHECK(action_of_seccomp_return(*run_bpf(c.bpf, d, &why)).kind == ActionKind::kAllow);
  d.arch = 0x40000003;  // AUDIT_ARCH_I386
  CHECK(action_of_seccomp_return(*run_bpf(c.bpf, d, &why)).kind == ActionKind::kKill);
  d.arch = 0xc000003e;
  d.nr = 39 | 0x40000000;  // the x32 ABI
  CHECK(action_of_seccomp_return(*run_bpf(c.bpf, d, &why)).kind == ActionKind::kKill);
}

TEST_CASE("compiled format: round trip and refusal of damaged input", "[policy][format]") {
  const Policy p =
      parsed("default errno(EPERM)\nread: allow\nopenat: broker\npath read,create /tmp/x/**\npath write /dev/null\n");
  const Compiled c = *compile(p).compiled;
  const std::string bytes = serialize(c);
  std::string why;
  const auto back = deserialize(bytes, &why);
  REQUIRE(back);
  CHECK(back->bpf == c.bpf);
  CHECK(back->default_action == c.default_action);
  CHECK(back->uses_broker);
  REQUIRE(back->paths.size() == 2);
  CHECK(back->paths[0].permissions == (kPathRead | kPathCreate));
  CHECK(back->paths[1].pattern == "/dev/null");
  CHECK_FALSE(deserialize("SBXPOLICY 2\n", &why));
  CHECK(why == "not a compiled sbx policy (version 1)");
  CHECK_FALSE(deserialize(bytes.substr(0, bytes.size() - 1), &why));
  CHECK(why == "program size does not match its count");
  CHECK_FALSE(deserialize(bytes + "x", &why));
  std::string bad = bytes;
  bad.replace(bad.find("default errno:1"), 15, "default errno:x");
  CHECK_FALSE(deserialize(bad, &why));
}

TEST_CASE("the disassembler names what it loads and returns", "[policy][bpf]") {
  const Compiled c = *compile(parsed("default kill\nread: allow if arg0 == 3\n")).compiled;
  const auto lines = disassemble(c.bpf);
  REQUIRE(lines.size() == c.bpf.size());
  CHECK(lines[0] == "0000: ld  [4]    ; arch");
  bool saw_arg = false, saw_allow = false;
  for (const auto& l : lines) {
    saw_arg |= l.find("; arg0 low 32 bits") != std::string::npos;
    saw_allow |= l.find("ret allow") != std::string::npos;
  }
  CHECK(saw_arg);
  CHECK(saw_allow);
}

TEST_CASE("path rules: exact files and whole subtrees, all permissions wanted", "[policy][paths]") {
  const Policy p = parsed("default kill\npath read /usr/lib/**\npath read,write /tmp/out/**\npath create /tmp/out/new\n"
                          "path read /etc/ld.so.cache\n");
  CHECK(path_allowed(p.paths, "/usr/lib", kPathRead));
  CHECK(path_allowed(p.paths, "/usr/lib/x86_64-linux-gnu/libc.so.6", kPathRead));
  CHECK_FALSE(path_allowed(p.paths, "/usr/lib64/x", kPathRead));
  CHECK_FALSE(path_allowed(p.paths, "/usr/libexec", kPathRead));
  CHECK_FALSE(path_allowed(p.paths, "/usr/lib/x", kPathWrite));
  CHECK(path_allowed(p.paths, "/etc/ld.so.cache", kPathRead));
  CHECK_FALSE(path_allowed(p.paths, "/etc/ld.so.cache2", kPathRead));
  CHECK(path_allowed(p.paths, "/tmp/out/a", kPathRead | kPathWrite));
  CHECK_FALSE(path_allowed(p.paths, "/tmp/out/a", kPathWrite | kPathCreate));
  CHECK(path_allowed(p.paths, "/tmp/out/new", kPathWrite | kPathCreate));
  CHECK_FALSE(path_allowed(p.paths, "/etc/passwd", 0));
  CHECK(path_on_the_way(p.paths, "/"));
  CHECK(path_on_the_way(p.paths, "/usr"));
  CHECK(path_on_the_way(p.paths, "/tmp/out"));
  CHECK_FALSE(path_on_the_way(p.paths, "/us"));
  CHECK_FALSE(path_on_the_way(p.paths, "/etc/ld.so.cache"));  // the file itself, not on the way
  CHECK_FALSE(path_on_the_way(p.paths, "/var"));
}

TEST_CASE("rule roots: the names the rules hang on are the program's to keep", "[policy][paths]") {
  CHECK(rule_root("/tmp/out/**") == "/tmp/out");
  CHECK(rule_root("/**") == "/");
  CHECK(rule_root("/etc/ld.so.cache") == "/etc/ld.so.cache");
  const Policy p = parsed("default kill\npath read,write,create /home/u/out/**\npath read /home/u/out/in/data.csv\n"
                          "path read /etc/ld.so.cache\n");
  // The roots themselves: DIR of DIR/**, an exact rule's file.
  CHECK(path_anchors_rule(p.paths, "/home/u/out"));
  CHECK(path_anchors_rule(p.paths, "/home/u/out/in/data.csv"));
  CHECK(path_anchors_rule(p.paths, "/etc/ld.so.cache"));
  // The directories on the way to a root: renaming one replaces the root.
  CHECK(path_anchors_rule(p.paths, "/home/u/out/in"));
  CHECK(path_anchors_rule(p.paths, "/home/u"));
  CHECK(path_anchors_rule(p.paths, "/etc"));
  CHECK(path_anchors_rule(p.paths, "/"));
  // Anything else below a root is the program's to change, as the rules say.
  CHECK_FALSE(path_anchors_rule(p.paths, "/home/u/out/a"));
  CHECK_FALSE(path_anchors_rule(p.paths, "/home/u/out/in/other.csv"));
  CHECK_FALSE(path_anchors_rule(p.paths, "/home/u/out/in/data.csv/x"));
  CHECK_FALSE(path_anchors_rule(p.paths, "/home/u/outside"));  // a prefix, not a component
  CHECK_FALSE(path_anchors_rule(p.paths, "/home/u/ou"));
  CHECK_FALSE(path_anchors_rule(p.paths, "/etc/ld.so.cache2"));
  CHECK_FALSE(path_anchors_rule(p.paths, "/var"));
  const Policy tree = parsed("default kill\npath read,write /**\n");
  CHECK(path_anchors_rule(tree.paths, "/"));
  CHECK_FALSE(path_anchors_rule(tree.paths, "/tmp"));
  CHECK_FALSE(path_anchors_rule({}, "/"));
}

TEST_CASE("names: system calls, constants, errno", "[policy][names]") {
  CHECK(syscall_number("read") == 0);
  CHECK(syscall_number("openat") == 257);
  CHECK(syscall_number("socketcall") == -1);  // not an x86-64 call
  CHECK(syscall_number("nonsense") == -1);
  CHECK(syscall_name(257) == "openat");
  CHECK(named_constant("O_ACCMODE") == 3u);
  CHECK(named_constant("AT_FDCWD") == static_cast<uint64_t>(-100));
  CHECK(named_constant("TCGETS") == static_cast<uint64_t>(TCGETS));
  CHECK(named_constant("EACCES") == static_cast<uint64_t>(EACCES));
  CHECK_FALSE(named_constant("O_EVERYTHING"));
  CHECK(errno_number("ENOSYS") == ENOSYS);
  CHECK(to_string(Action{ActionKind::kErrno, EACCES}) == "errno(EACCES)");
}

TEST_CASE("the built-in policies parse and compile", "[policy][builtin]") {
  for (const auto& name : builtin_policy_names()) {
    INFO(name);
    const ParseResult r = parse_file("builtin:" + name);
    for (const auto& e : r.errors) FAIL(format(e));
    REQUIRE(r.policy);
    CHECK(compile(*r.policy).compiled.has_value());
  }
}

TEST_CASE("path rules: the whole tree", "[policy][paths]") {
  const Policy p = parsed("default kill\npath read /**\n");
  CHECK(path_allowed(p.paths, "/", kPathRead));
  CHECK(path_allowed(p.paths, "/etc/shadow", kPathRead));
  CHECK_FALSE(path_allowed(p.paths, "/etc/shadow", kPathWrite));
  CHECK_FALSE(path_allowed(p.paths, "relative", kPathRead));
}

TEST_CASE("paths are normalised lexically before any rule sees them", "[policy][paths]") {
  CHECK(normalize_path("/home/u", "a.txt") == "/home/u/a.txt");
  CHECK(normalize_path("/home/u", "/etc//passwd/") == "/etc/passwd");
  CHECK(normalize_path("/home/u", "./a/./b") == "/home/u/a/b");
  CHECK(normalize_path("/home/u", "../../../../etc/passwd") == "/etc/passwd");
  CHECK(normalize_path("/", "..") == "/");
  CHECK(normalize_path("/", "/..") == "/");
  CHECK(normalize_path("/usr/lib", "/usr/lib/../libexec/x") == "/usr/libexec/x");
  CHECK(normalize_path("/usr", "lib/..") == "/usr");
  CHECK(normalize_path("/x", "...") == "/x/...");
  CHECK(normalize_path("/x", "..a/b..") == "/x/..a/b..");
  CHECK(normalize_path("/x", "") == "");
  CHECK(normalize_path("/x", std::string(PATH_MAX, 'a')) == "");
  CHECK(normalize_path("/x", "/" + std::string(PATH_MAX - 2, 'a')) == "/" + std::string(PATH_MAX - 2, 'a'));
}

TEST_CASE("precompiled built-ins are what compiling them now gives", "[precompiled]") {
  for (const std::string name : {"default", "stdio"}) {
    const std::string source = "builtin:" + name;
    const auto parsed = parse_file(source);
    REQUIRE(parsed.policy);
    const auto compiled = compile(*parsed.policy);
    REQUIRE(compiled.compiled);
    const std::string* pre = precompiled_builtin(source);
    REQUIRE(pre != nullptr);
    CHECK(*pre == serialize(*compiled.compiled));
  }
  CHECK(precompiled_builtin("builtin:trusted-process") == nullptr);
  CHECK(precompiled_builtin("default") == nullptr);
}

TEST_CASE("crash dumps: core-dir and core-limit, off unless said", "[policy][core]") {
  CHECK(parsed("default kill\n").core == CoreDumps{});
  CHECK(parsed("default kill\n").core.limit == std::nullopt);
  const Policy p = parsed("default kill\ncore-dir /var/crash/sbx   # where\ncore-limit 512M\n");
  CHECK(p.core.dir == "/var/crash/sbx");
  CHECK(p.core.limit == 512ULL << 20);
  CHECK(parsed("default kill\ncore-limit 0\n").core.limit == 0ULL);  // no limit
  CHECK(parsed("default kill\ncore-limit 4096\n").core.limit == 4096ULL);
  CHECK(parsed("default kill\ncore-limit 3K\n").core.limit == 3072ULL);
  CHECK(parsed("default kill\ncore-limit 2G\n").core.limit == 2ULL << 30);
  CHECK(parsed("default kill\ncore-limit 17179869183G\n").core.limit == 17179869183ULL << 30);
  CHECK(parsed("default kill\ncore-dir /\n").core.dir == "/");
  CHECK(compile(p).compiled->core == p.core);
}

TEST_CASE("crash dumps: every mistake named at its line and column", "[policy][core][errors]") {
  const std::pair<const char*, const char*> cases[] = {
      {"core-dir cores", "t.policy:2:10: error: core-dir: a path must be absolute"},
      {"core-dir ./cores", "t.policy:2:10: error: core-dir: a path must be absolute"},
      {"core-dir /var/crash/", "t.policy:2:10: error: core-dir: a path must not end with '/'"},
      {"core-dir /var/../crash", "t.policy:2:10: error: core-dir: '.' and '..' are not allowed in paths"},
      {"core-dir /var//crash", "t.policy:2:10: error: core-dir: empty path component ('//')"},
      {"core-dir /var/crash/**", "t.policy:2:10: error: core-dir: a core directory is one directory: no '**'"},
      {"core-dir", "t.policy:2:9: error: expected the directory for core files after core-dir"},
      {"core-dir /a /b", "t.policy:2:13: error: unexpected '/b' after the end of the statement"},
      {"core-limit", "t.policy:2:11: error: expected a size after core-limit: bytes, or a number and K, M or G"},
      {"core-limit M", "t.policy:2:12: error: bad size 'M': expected bytes, or a number and K, M or G"},
      {"core-limit -1", "t.policy:2:12: error: bad size '-1': expected bytes, or a number and K, M or G"},
      {"core-limit 1.5M", "t.policy:2:12: error: unknown size suffix '.5M' in '1.5M' (K, M or G)"},
      {"core-limit 5k", "t.policy:2:12: error: unknown size suffix 'k' in '5k' (K, M or G)"},
      {"core-limit 5T", "t.policy:2:12: error: unknown size suffix 'T' in '5T' (K, M or G)"},
      {"core-limit 18446744073709551616", "t.policy:2:12: error: size '18446744073709551616' does not fit 64 bits"},
      {"core-limit 17179869184G", "t.policy:2:12: error: size '17179869184G' does not fit 64 bits"},
      {"core-dir /a\ncore-dir /b", "t.policy:3:1: error: core-dir already set at t.policy:2"},
      {"core-limit 1\ncore-limit 1", "t.policy:3:1: error: core-limit already set at t.policy:2"},
  };
  for (const auto& [text, error] : cases) {
    INFO(text);
    CHECK(first_error(text) == error);
  }
  CHECK(first_error("core-limit 18446744073709551615") == "ok");
}

TEST_CASE("crash dumps: a file's own directive overrides an included file's", "[policy][core][include]") {
  Included own({{"/p/top.policy", "include \"a.policy\"\ncore-dir /mine\n"},
                {"/p/a.policy", "default kill\ncore-dir /theirs\ncore-limit 1K\n"}},
               "/p/top.policy");
  REQUIRE(own.error() == "ok");
  CHECK(own.parsed.policy->core == CoreDumps{"/mine", 1024});  // the limit comes from the included file
  Included nested({{"/p/top.policy", "include \"mid.policy\"\n"},
                   {"/p/mid.policy", "include \"a.policy\"\ncore-limit 0\n"},
                   {"/p/a.policy", "default kill\ncore-dir /a\ncore-limit 1K\n"}},
                  "/p/top.policy");
  REQUIRE(nested.error() == "ok");
  CHECK(nested.parsed.policy->core == CoreDumps{"/a", 0});
  Included both({{"/p/top.policy", "include \"a.policy\"\ninclude \"b.policy\"\n"},
                 {"/p/a.policy", "default kill\ncore-dir /a\n"},
                 {"/p/b.policy", "core-dir /b\n"}},
                "/p/top.policy");
  CHECK(both.error() ==
        "/p/b.policy:1:1: error: core-dir already set at /p/a.policy:2 (both included by /p/top.policy, which sets "
        "none of its own to choose)");
  Included chosen({{"/p/top.policy", "include \"a.policy\"\ninclude \"b.policy\"\ncore-dir /top\n"},
                   {"/p/a.policy", "default kill\ncore-dir /a\n"},
                   {"/p/b.policy", "core-dir /b\n"}},
                  "/p/top.policy");
  REQUIRE(chosen.error() == "ok");
  CHECK(chosen.parsed.policy->core.dir == "/top");
}

TEST_CASE("crash dumps: the compiled format carries them, and refuses bad lines", "[policy][core][format]") {
  const auto round_trip = [](const std::string& text) {
    const Compiled c = *compile(parsed(text)).compiled;
    std::string why;
    const auto back = deserialize(serialize(c), &why);
    INFO(why);
    REQUIRE(back);
    CHECK(back->core == c.core);
    CHECK(back->bpf == c.bpf);
    return serialize(c);
  };
  const std::string both = round_trip("default kill\ncore-dir /var/crash\ncore-limit 1M\npath read /usr/**\n");
  CHECK(both.find("broker 0\ncore-dir /var/crash\ncore-limit 1048576\npath r /usr/**\nbpf ") != std::string::npos);
  CHECK(round_trip("default kill\ncore-limit 0\n").find("broker 0\ncore-limit 0\nbpf ") != std::string::npos);
  CHECK(round_trip("default kill\ncore-dir /c\n").find("broker 0\ncore-dir /c\nbpf ") != std::string::npos);
  const std::string none = round_trip("default kill\n");  // version 1 without the lines
  CHECK(none.find("core") == std::string::npos);

  std::string why;
  const auto refused = [&](const std::string& from, const std::string& to) {
    std::string bad = both;
    REQUIRE(bad.find(from) != std::string::npos);
    bad.replace(bad.find(from), from.size(), to);
    why.clear();
    return !deserialize(bad, &why);
  };
  CHECK(refused("core-dir /var/crash", "core-dir var/crash"));
  CHECK(why == "bad core-dir (a path must be absolute)");
  CHECK(refused("core-dir /var/crash", "core-dir /var/crash/**"));
  CHECK(refused("core-dir /var/crash", "core-dir /var/../crash"));
  CHECK(refused("core-dir /var/crash", "core-dir /var/cr\tash"));
  CHECK(refused("core-dir /var/crash", "core-dir "));
  CHECK(refused("core-limit 1048576", "core-limit 1M"));
  CHECK(why == "bad core-limit");
  CHECK(refused("core-limit 1048576", "core-limit -1"));
  CHECK(refused("core-limit 1048576", "core-limit 18446744073709551616"));
  CHECK(refused("core-limit 1048576", "core-limit "));
  // In their place: after broker, core-dir before core-limit, before the paths.
  CHECK(refused("core-dir /var/crash\ncore-limit 1048576", "core-limit 1048576\ncore-dir /var/crash"));
  CHECK(refused("core-limit 1048576\npath r /usr/**", "path r /usr/**\ncore-limit 1048576"));

  Compiled bad_dir = *compile(parsed("default kill\n")).compiled;
  bad_dir.core.dir = "/a\n/b";
  CHECK(serialize(bad_dir).empty());  // it could not be one line
}

TEST_CASE("deny-write-execute: on, off, off unless said", "[policy][mdwe]") {
  CHECK_FALSE(parsed("default kill\n").deny_write_execute);
  CHECK(parsed("default kill\ndeny-write-execute on   # PR_SET_MDWE\n").deny_write_execute);
  CHECK_FALSE(parsed("default kill\ndeny-write-execute off\n").deny_write_execute);
  CHECK(compile(parsed("default kill\ndeny-write-execute on\n")).compiled->deny_write_execute);
  CHECK_FALSE(compile(parsed("default kill\ndeny-write-execute off\n")).compiled->deny_write_execute);
  // The built-ins: stdio on; default, which includes it, off (JITs).
  CHECK(parse_file("builtin:stdio").policy->deny_write_execute);
  CHECK_FALSE(parse_file("builtin:default").policy->deny_write_execute);
  const Policy mine = parsed("include builtin:default\ndeny-write-execute on\n");
  CHECK(mine.deny_write_execute);
  CHECK(mine.default_action == Action{ActionKind::kErrno, EPERM});
  const Policy stdio_off = parsed("include builtin:stdio\ndeny-write-execute off\n");
  CHECK_FALSE(stdio_off.deny_write_execute);
}

TEST_CASE("deny-write-execute: every mistake named at its line and column", "[policy][mdwe][errors]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"deny-write-execute", "t.policy:2:19: error: expected on or off after deny-write-execute"},
      {"deny-write-execute yes", "t.policy:2:20: error: expected on or off after deny-write-execute"},
      {"deny-write-execute 1", "t.policy:2:20: error: expected on or off after deny-write-execute"},
      {"deny-write-execute on off", "t.policy:2:23: error: unexpected 'off' after the end of the statement"},
      {"deny-write-execute on\ndeny-write-execute off",
       "t.policy:3:1: error: deny-write-execute already set at t.policy:2"},
      {"deny-write-execute: allow",
       "t.policy:2:1: error: unknown system call 'deny-write-execute' (x86-64 names, as in syscalls(2))"},
  };
  for (const auto& [text, error] : cases) {
    INFO(text);
    CHECK(first_error(text) == error);
  }
}

TEST_CASE("deny-write-execute: a file's own line overrides an included file's", "[policy][mdwe][include]") {
  Included both({{"/p/top.policy", "include \"a.policy\"\ninclude \"b.policy\"\n"},
                 {"/p/a.policy", "default kill\ndeny-write-execute on\n"},
                 {"/p/b.policy", "deny-write-execute off\n"}},
                "/p/top.policy");
  CHECK(both.error() ==
        "/p/b.policy:1:1: error: deny-write-execute already set at /p/a.policy:2 (both included by /p/top.policy, "
        "which sets none of its own to choose)");
  Included chosen({{"/p/top.policy", "include \"a.policy\"\ninclude \"b.policy\"\ndeny-write-execute on\n"},
                   {"/p/a.policy", "default kill\ndeny-write-execute off\n"},
                   {"/p/b.policy", "deny-write-execute off\n"}},
                  "/p/top.policy");
  REQUIRE(chosen.error() == "ok");
  CHECK(chosen.parsed.policy->deny_write_execute);
  Included nested({{"/p/top.policy", "include \"mid.policy\"\n"},
                   {"/p/mid.policy", "include \"a.policy\"\n"},
                   {"/p/a.policy", "default kill\ndeny-write-execute on\n"}},
                  "/p/top.policy");
  REQUIRE(nested.error() == "ok");
  CHECK(nested.parsed.policy->deny_write_execute);
}

TEST_CASE("deny-write-execute: the compiled format carries it, only when on", "[policy][mdwe][format]") {
  const Compiled on =
      *compile(parsed("default kill\ncore-limit 1K\ndeny-write-execute on\npath read /usr/**\n")).compiled;
  const std::string bytes = serialize(on);
  CHECK(bytes.find("broker 0\ncore-limit 1024\ndeny-write-execute 1\npath r /usr/**\nbpf ") != std::string::npos);
  std::string why;
  const auto back = deserialize(bytes, &why);
  INFO(why);
  REQUIRE(back);
  CHECK(back->deny_write_execute);
  CHECK(back->bpf == on.bpf);
  const Compiled off = *compile(parsed("default kill\ndeny-write-execute off\n")).compiled;
  CHECK(serialize(off).find("deny-write-execute") == std::string::npos);
  CHECK_FALSE(deserialize(serialize(off), &why)->deny_write_execute);
  // Only "1", and only in its place: after core-limit, before the paths.
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string bad = bytes;
    REQUIRE(bad.find(from) != std::string::npos);
    bad.replace(bad.find(from), from.size(), to);
    return deserialize(bad, &why);
  };
  CHECK_FALSE(with("deny-write-execute 1", "deny-write-execute 0"));
  CHECK_FALSE(with("deny-write-execute 1", "deny-write-execute on"));
  CHECK_FALSE(with("core-limit 1024\ndeny-write-execute 1", "deny-write-execute 1\ncore-limit 1024"));
  CHECK_FALSE(with("deny-write-execute 1\npath r /usr/**", "path r /usr/**\ndeny-write-execute 1"));
}
