// Conformance of compiled policies with their text, in the kernel. It does
// not trust the compiler: for each call the expected outcome comes from the
// reference evaluator of the policy text, the observed one from the kernel
// running the compiled program in a forked child.
//
// An allowed call must not really run (it could be kill or reboot), so the
// child first installs a filter F0 that acts on the call under test only,
// under the policy's program F1. The kernel takes the most severe action of
// all filters (KILL > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW), and
// among equals the newest filter's data. Each call runs twice:
//   A: F0 returns ERRNO(kMagicAllowed)   B: F0 returns TRACE (no tracer: ENOSYS)
//   policy says     A sees                B sees
//   allow, log      kMagicAllowed         ENOSYS
//   broker          kMagicAllowed         kMagicBrokered (a helper thread answers the notification)
//   errno(e)        e                     e
//   trap            SIGSYS handler        SIGSYS handler
//   kill            killed by SIGSYS      killed by SIGSYS
// so every outcome is told apart and nothing allowed is executed.
//
// usage: conformance POLICY...   (a file or builtin:NAME; exit 0 if every call conforms)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "policy.h"

using namespace sbx::policy;

namespace {

constexpr int kMagicAllowed = 4001;
constexpr int kMagicBrokered = 4002;

struct Shared {
  std::atomic<int> listener{-1};
  std::atomic<int> done{0};
  long ret = 0;
  int err = 0;
  int sigsys = 0;
};
Shared* g_shared;

void on_sigsys(int, siginfo_t*, void*) {
  g_shared->sigsys = 1;
  g_shared->done.store(1);
  for (;;) __builtin_ia32_pause();  // no system call: the helper thread reports and exits
}

void* service(void*) {
  // Unfiltered (filters are installed later, on the main thread only).
  while (g_shared->listener.load() < 0 && !g_shared->done.load()) usleep(100);
  const int fd = g_shared->listener.load();
  while (!g_shared->done.load()) {
    if (fd < 0) {
      usleep(100);
      continue;
    }
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 5) <= 0) continue;
    seccomp_notif req{};
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
    seccomp_notif_resp resp{};
    resp.id = req.id;
    resp.error = -kMagicBrokered;
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  return nullptr;
}

int install(const std::vector<sock_filter>& prog, unsigned flags) {
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())};
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog));
}

// F0: the call under test gets `action`, everything else is allowed.
std::vector<sock_filter> under_filter(int nr, uint32_t action) {
  return {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1),
          BPF_STMT(BPF_RET | BPF_K, action), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
}

struct Observed {
  enum Kind { kReturned, kTrapped, kKilled, kBroken } kind;
  long ret;
  int err;
  std::string detail;
};

Observed run_once(const Compiled& c, int nr, const uint64_t args[6], uint32_t f0_action) {
  auto* shared =
      static_cast<Shared*>(mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (shared) Shared();
  std::vector<sock_filter> f1(c.bpf.size());
  std::memcpy(f1.data(), c.bpf.data(), c.bpf.size() * 8);
  const pid_t pid = fork();
  if (pid == 0) {
    g_shared = shared;
    struct sigaction sa {};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, nullptr);
    pthread_t t;
    pthread_create(&t, nullptr, service, nullptr);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (install(under_filter(nr, f0_action), 0) != 0) _exit(90);
    const int listener = install(f1, c.uses_broker ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
    if (listener < 0) _exit(91);
    shared->listener.store(c.uses_broker ? listener : -2);
    // From here the main thread makes the call under test and nothing else.
    const long r = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
    shared->ret = r;
    shared->err = r < 0 ? errno : 0;
    shared->done.store(1);
    for (;;) __builtin_ia32_pause();
  }
  // The child's main thread never makes another call; watch its memory.
  for (int i = 0; i < 20000 && !shared->done.load(); ++i) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      munmap(shared, sizeof(Shared));
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) return {Observed::kKilled, 0, 0, ""};
      return {Observed::kBroken, 0, 0, "child exited " + std::to_string(status)};
    }
    usleep(50);
  }
  Observed o{Observed::kBroken, 0, 0, "timed out"};
  if (shared->done.load()) {
    if (shared->sigsys) o = {Observed::kTrapped, 0, 0, ""};
    else o = {Observed::kReturned, shared->ret, shared->err, ""};
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  munmap(shared, sizeof(Shared));
  return o;
}

// The outcome in the policy's terms, from the two runs.
std::string classify(const Observed& a, const Observed& b) {
  if (a.kind == Observed::kBroken || b.kind == Observed::kBroken) return "broken (" + a.detail + b.detail + ")";
  if (a.kind == Observed::kKilled && b.kind == Observed::kKilled) return "kill";
  if (a.kind == Observed::kTrapped && b.kind == Observed::kTrapped) return "trap";
  if (a.kind != Observed::kReturned || b.kind != Observed::kReturned) return "inconsistent";
  if (a.err == kMagicAllowed && b.err == ENOSYS) return "allow";
  if (a.err == kMagicAllowed && b.err == kMagicBrokered) return "broker";
  // errno(0): the call did nothing and answered 0 (an allowed one would
  // have reached the filter below and answered its magic errno).
  if (a.err == 0 && b.err == 0 && a.ret == 0 && b.ret == 0) return "errno(0)";
  if (a.err == b.err && a.err != 0) {
    const char* name = strerrorname_np(a.err);
    return "errno(" + (name ? std::string(name) : std::to_string(a.err)) + ")";
  }
  return "inconsistent (A errno " + std::to_string(a.err) + ", B errno " + std::to_string(b.err) + ")";
}

std::string expected_word(const Action& a) { return a.kind == ActionKind::kLog ? "allow" : to_string(a); }

// Argument vectors on both sides of every comparison in the rule, plus random mixes.
std::vector<std::vector<uint64_t>> vectors_for(const SyscallRule* rule, std::mt19937_64& rng) {
  std::vector<std::vector<uint64_t>> out = {{0, 0, 0, 0, 0, 0}, {~0ULL, 1, 2, 3, 4, 5}};
  if (rule == nullptr) return out;
  std::vector<std::pair<int, uint64_t>> interesting;
  for (const auto& clause : rule->clauses)
    for (const auto& conj : clause.condition) {
      std::vector<uint64_t> satisfying(6, 0);
      for (const auto& a : conj) {
        for (const uint64_t v :
             {a.value - 1, a.value, a.value + 1, a.value | (~a.mask & 0xff), a.value ^ (a.mask & (~a.mask + 1))})
          interesting.push_back({a.arg, v});
        satisfying[a.arg] = a.op == Op::kLt || a.op == Op::kNe ? a.value - 1 : a.op == Op::kGt ? a.value + 1 : a.value;
      }
      out.push_back(satisfying);
      for (const auto& a : conj) {  // the same with one comparison pushed to its other side
        auto v = satisfying;
        v[a.arg] = a.op == Op::kMaskedEq ? a.value ^ (a.mask & (~a.mask + 1)) : v[a.arg] ^ 1;
        out.push_back(v);
      }
    }
  for (const auto& [arg, value] : interesting) {
    std::vector<uint64_t> v(6, 0);
    v[arg] = value;
    out.push_back(v);
  }
  for (int i = 0; i < 8 && !interesting.empty(); ++i) {
    std::vector<uint64_t> v(6, 0);
    for (int k = 0; k < 3; ++k) {
      const auto& [arg, value] = interesting[rng() % interesting.size()];
      v[arg] = value;
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: conformance POLICY...\n");
    return 2;
  }
  std::mt19937_64 rng(7);
  int failures = 0, checked = 0;
  for (int i = 1; i < argc; ++i) {
    ParseResult parsed = parse_file(argv[i]);
    for (const auto& e : parsed.errors) std::fprintf(stderr, "%s\n", format(e).c_str());
    if (!parsed.policy) return 1;
    CompileResult compiled = compile(*parsed.policy);
    for (const auto& e : compiled.errors) std::fprintf(stderr, "%s\n", format(e).c_str());
    if (!compiled.compiled) return 1;
    const Policy& policy = *parsed.policy;
    // Every call the policy names, and calls it does not name (the default).
    std::set<int> calls;
    for (const auto& r : policy.rules) calls.insert(r.nr);
    for (const char* extra : {"getpid", "uname", "socket", "kill", "reboot", "ptrace", "mount", "openat", "execve",
                              "chroot", "setuid", "bpf", "unshare", "memfd_create", "io_uring_setup"})
      calls.insert(syscall_number(extra));
    calls.erase(syscall_number("seccomp"));  // the harness needs it to install the program
    int policy_checked = 0;
    std::map<std::string, int> seen;
    for (const int nr : calls) {
      const SyscallRule* rule = nullptr;
      for (const auto& r : policy.rules)
        if (r.nr == nr) rule = &r;
      for (const auto& v : vectors_for(rule, rng)) {
        const uint64_t* args = v.data();
        const std::string expected = expected_word(evaluate(policy, nr, args));
        const Observed a = run_once(*compiled.compiled, nr, args, SECCOMP_RET_ERRNO | kMagicAllowed);
        const Observed b = run_once(*compiled.compiled, nr, args, SECCOMP_RET_TRACE);
        const std::string observed = classify(a, b);
        ++seen[observed.substr(0, observed.find('('))];
        ++checked;
        ++policy_checked;
        if (observed != expected) {
          ++failures;
          std::printf("MISMATCH %s: %s(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx): text says %s, kernel did %s\n",
                      argv[i], syscall_name(nr).c_str(), (unsigned long long)args[0], (unsigned long long)args[1],
                      (unsigned long long)args[2], (unsigned long long)args[3], (unsigned long long)args[4],
                      (unsigned long long)args[5], expected.c_str(), observed.c_str());
        }
      }
    }
    // A call of the x32 ABI (getpid's number with the x32 bit) must kill.
    const uint64_t none[6] = {};
    const Observed x32 = run_once(*compiled.compiled, 39 | 0x40000000, none, SECCOMP_RET_ERRNO | kMagicAllowed);
    ++checked;
    if (x32.kind != Observed::kKilled) {
      ++failures;
      std::printf("MISMATCH %s: an x32 call was not killed\n", argv[i]);
    }
    std::string outcomes;
    for (const auto& [kind, n] : seen) outcomes += " " + kind + ":" + std::to_string(n);
    std::printf("%s: %d calls checked in the kernel (%zu system calls); outcomes%s\n", argv[i], policy_checked + 1,
                calls.size(), outcomes.c_str());
  }
  std::printf("%d calls checked, %d mismatches\n", checked, failures);
  return failures == 0 ? 0 : 1;
}
