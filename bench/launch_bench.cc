// launch_bench: times the launch of a program through several setuid helpers
// side by side. Rounds are interleaved (every round runs each helper once, in
// a rotating order) so that machine noise hits all of them alike; the report
// is the median of each and its ratio to the first (the named peer).
//
// usage: launch_bench ROUNDS NAME=HELPER [NAME=HELPER...] -- PROGRAM [ARGS...]
//        launch_bench --rss NAME=HELPER [NAME=HELPER...]
//
// Each launch gets what Chromium gives its zygote: a dummy pipe on fd 7 and
// SBX_CHROME_API_RQ=1. --rss (run as root: it compares address spaces with
// kcmp) starts "HELPER /bin/sleep 2" as uid 65534 and reports the resident
// memory of the waiting process and of the chroot helper, whether the two
// share one address space, and the memory of their distinct address spaces.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <grp.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct Candidate {
  std::string name;
  std::string path;
  std::vector<double> micros;
};

double now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

pid_t spawn(const std::string& helper, const std::vector<std::string>& program, bool as_nobody = false) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(helper.c_str()));
  for (const auto& a : program) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = as_nobody ? fork() : vfork();
  if (pid == 0) {
    if (as_nobody &&
        (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0))
      _exit(126);
    execv(helper.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_status(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return status;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<Candidate> parse_candidates(char** begin, char** end) {
  std::vector<Candidate> out;
  for (char** p = begin; p != end; ++p) {
    const char* eq = std::strchr(*p, '=');
    if (eq == nullptr) {
      std::fprintf(stderr, "launch_bench: expected NAME=HELPER, got %s\n", *p);
      std::exit(2);
    }
    out.push_back({std::string(*p, static_cast<size_t>(eq - *p)), std::string(eq + 1), {}});
  }
  return out;
}

long rss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

std::vector<pid_t> children(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  pid_t child;
  while (f >> child) out.push_back(child);
  return out;
}

int report_rss(std::vector<Candidate>& candidates) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "launch_bench --rss: run as root (it compares address spaces with kcmp)\n");
    return 2;
  }
  std::printf("%-16s %10s %18s %14s %14s\n", "helper", "waiter kB", "chroot helper kB", "shared memory", "together kB");
  for (auto& c : candidates) {
    const pid_t waiter = spawn(c.path, {"/bin/sleep", "2"}, true);
    usleep(500 * 1000);
    pid_t helper = -1;
    const auto targets = children(waiter);
    if (targets.size() == 1) {
      const auto helpers = children(targets[0]);
      if (helpers.size() == 1) helper = helpers[0];
    }
    const long waiter_kb = rss_kb(waiter);
    const long helper_kb = helper > 0 ? rss_kb(helper) : -1;
    const bool shared = helper > 0 && syscall(SYS_kcmp, waiter, helper, KCMP_VM, 0, 0) == 0;
    std::printf("%-16s %10ld %18ld %14s %14ld\n", c.name.c_str(), waiter_kb, helper_kb,
                shared ? "yes (CLONE_VM)" : "no", shared ? waiter_kb : waiter_kb + helper_kb);
    wait_status(waiter);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // What Chromium hands its zygote: the read end of a closed pipe on fd 7.
  int fds[2];
  if (pipe(fds) != 0 || dup2(fds[0], 7) != 7) {
    std::perror("launch_bench: fd 7");
    return 2;
  }
  close(fds[1]);
  if (fds[0] != 7) close(fds[0]);
  setenv("SBX_CHROME_API_RQ", "1", 1);

  if (argc >= 3 && std::strcmp(argv[1], "--rss") == 0) {
    auto candidates = parse_candidates(argv + 2, argv + argc);
    return report_rss(candidates);
  }
  char** sep = std::find_if(argv, argv + argc, [](const char* a) { return std::strcmp(a, "--") == 0; });
  if (argc < 5 || sep == argv + argc || sep + 1 == argv + argc) {
    std::fprintf(stderr, "usage: launch_bench ROUNDS NAME=HELPER... -- PROGRAM [ARGS...]\n");
    return 2;
  }
  const int rounds = std::atoi(argv[1]);
  auto candidates = parse_candidates(argv + 2, sep);
  const std::vector<std::string> program(sep + 1, argv + argc);

  const size_t n = candidates.size();
  for (int round = -rounds / 10; round < rounds; ++round) {  // the first tenth warms up
    for (size_t k = 0; k < n; ++k) {
      Candidate& c = candidates[(k + static_cast<size_t>(round + rounds)) % n];
      const double start = now_us();
      const int status = wait_status(spawn(c.path, program));
      const double took = now_us() - start;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "launch_bench: %s failed (status 0x%x)\n", c.name.c_str(), status);
        return 1;
      }
      if (round >= 0) c.micros.push_back(took);
    }
  }
  const double peer = median(candidates[0].micros);
  std::printf("%-16s %12s %10s   (%d interleaved rounds)\n", "helper", "median us", "ratio", rounds);
  for (const auto& c : candidates)
    std::printf("%-16s %12.0f %10.3f\n", c.name.c_str(), median(c.micros), median(c.micros) / peer);
  return 0;
}
