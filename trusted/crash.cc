// Crash dumps: the shim's request for a core (its marked tgkill, sandbox.h's
// CrashReport) and the core written here, outside the sandbox.
//
// The request is checked first: it must name the calling thread and a
// signal whose default action dumps core, or it fails (EPERM, EINVAL) and
// nothing is written or sent. A good request is then let go on
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE) whether or not a core is written, so
// the process dies of its signal as it would have. This is the one call we
// let continue: its arguments are registers, which the program cannot
// change while it waits, not memory, and they have been checked to name
// the caller itself.
//
// The core: at most one per process and kMaxCores per sandbox; written
// only into the core-dir opened at start (before the program existed), as
// a new file (O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600) under a name we
// choose (crash_report.h), so a link the program planted there is never
// followed. Its content is the crashing process's own: its memory, read
// through /proc/HOST/mem of the calling thread, its /proc files (smaps,
// auxv, cmdline, status), the
// registers of the crashing thread from its report, and those of its other
// threads from a ptrace stop (PTRACE_SEIZE, PTRACE_INTERRUPT, GETREGS,
// GETFPREGS, DETACH; our filter allows no other ptrace request), which also
// keeps them from changing the memory while it is written. Nothing else of
// any process is read.
#include "crash.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "caller.h"
#include "core_file.h"
#include "crash_report.h"
#include "message.h"
#include "paths.h"
#include "sandbox.h"

namespace sbx::trusted {

namespace {

constexpr int kMaxCores = 16;              // per sandbox
constexpr size_t kMaxProcFile = 64 << 20;  // smaps of 65536 mappings fit
constexpr int kStopWaitMs = 500;           // for the other threads' ptrace stops, all together

int g_core_dir = -1;
std::string g_core_dir_path;
uint64_t g_core_limit = 0;

std::mutex g_cores_lock;
std::set<pid_t> g_dumped;  // processes (as the sandbox names them) with a core

// A whole /proc file of the caller, up to kMaxProcFile bytes.
std::string read_whole(const std::string& path) {
  std::string text;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0 || text.size() + static_cast<size_t>(n) > kMaxProcFile) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

// The first line of a /proc file without its newline, e.g. comm.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The first number of a status line such as "Uid:\t1000\t1000\t1000\t1000".
long first_number(const std::string& text, const char* key) {
  const size_t at = text.find(std::string("\n") + key);
  if (at == std::string::npos) return -1;
  return std::strtol(text.c_str() + at + 1 + std::strlen(key), nullptr, 10);
}

// The other threads of the process, stopped for us: their ids as the
// sandbox names them (ptrace takes those: we are in its PID namespace) and
// their registers. Each stays stopped until `release`.
struct Stopped {
  std::vector<CoreThread> threads;
  std::vector<pid_t> seized;
};

Stopped stop_other_threads(const std::string& task_dir, pid_t crashed) {
  Stopped s;
  DIR* dir = opendir(task_dir.c_str());
  if (dir == nullptr) return s;
  std::vector<pid_t> ids;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const long id = last_number(read_text(task_dir + "/" + e->d_name + "/status"), "NSpid:");
    if (id > 0 && id != crashed && ids.size() < 4096) ids.push_back(static_cast<pid_t>(id));
  }
  closedir(dir);
  for (const pid_t id : ids) {
    if (ptrace(PTRACE_SEIZE, id, 0, 0) != 0) continue;
    s.seized.push_back(id);
    ptrace(PTRACE_INTERRUPT, id, 0, 0);
  }
  int waited = 0;  // in ms, for all of them together
  for (const pid_t id : s.seized) {
    int status = 0;
    bool stopped = false;
    for (;;) {
      const pid_t got = waitpid(id, &status, __WALL | WNOHANG);
      if (got == id) stopped = WIFSTOPPED(status);
      if (got != 0 || waited >= kStopWaitMs) break;  // stopped, ended, gone, or too slow
      usleep(1000);
      ++waited;
    }
    if (!stopped) continue;
    CoreThread t;
    t.tid = id;
    if (ptrace(PTRACE_GETREGS, id, 0, &t.regs) != 0) continue;
    t.has_fpregs = ptrace(PTRACE_GETFPREGS, id, 0, &t.fpregs) == 0;
    s.threads.push_back(t);
  }
  return s;
}

// Lets the stopped threads go. A thread that did not stop, or ended while
// we held it (another thread's fault ended the process), cannot be
// detached: it stays ours until we reap it, and its parent would wait for
// its process forever. A thread of ours reaps those as they end (10 s at
// most: by then the process has ended, killed by its signal).
void release(const Stopped& s) {
  std::vector<pid_t> left;
  for (const pid_t id : s.seized)
    if (ptrace(PTRACE_DETACH, id, 0, 0) != 0) left.push_back(id);
  if (left.empty()) return;
  std::thread([left]() mutable {
    for (int round = 0; round < 1000 && !left.empty(); ++round) {
      for (size_t i = 0; i < left.size();) {
        int status = 0;
        const pid_t got = waitpid(left[i], &status, __WALL | WNOHANG);
        if (got == left[i] && WIFSTOPPED(status) && ptrace(PTRACE_DETACH, left[i], 0, 0) != 0) {
          ++i;  // stopped, but not ours to detach yet: wait on
          continue;
        }
        if (got != 0) {
          left[i] = left.back();  // reaped, detached, or not ours (ECHILD)
          left.pop_back();
          continue;
        }
        ++i;
      }
      usleep(10 * 1000);
    }
  }).detach();
}

// The lowest mapping at a file's start whose path is `path` (or, for a
// relative path, whose file name is its file name); 0 if none.
uint64_t mapped_at(const std::vector<CoreMapping>& mappings, const std::string& path) {
  std::string wanted = path;
  char real[PATH_MAX];
  if (!path.empty() && path[0] == '/' && realpath(path.c_str(), real) != nullptr) wanted = real;
  const bool by_name = wanted.empty() || wanted[0] != '/';
  const std::string name = wanted.substr(wanted.rfind('/') + 1);
  for (const CoreMapping& m : mappings) {
    if (m.offset != 0 || m.path.empty() || m.path[0] != '/') continue;
    if (by_name ? m.path.substr(m.path.rfind('/') + 1) == name : m.path == wanted) return m.start;
  }
  return 0;
}

// The auxv of the kernel's copy, with the program's entries where the
// loader's are (crash_report.h says why).
std::string as_native(const std::string& auxv, const std::string& maps, const std::string& program, int mem) {
  std::vector<CoreMapping> mappings;
  if (program.empty() || !parse_maps(maps, &mappings)) return auxv;
  const uint64_t base = mapped_at(mappings, program);
  const uint64_t loader_base = mapped_at(mappings, kSystemLoader);
  unsigned char header[64];
  if (base == 0 || pread(mem, header, sizeof(header), static_cast<off_t>(base)) != sizeof(header)) return auxv;
  return auxv_as_native(auxv, header, sizeof(header), base, loader_base);
}

// A new file in the core-dir, never one that was there (nor a link).
int create_core(const std::string& name, std::string* created) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    *created = attempt == 0 ? name : name + "." + std::to_string(attempt);
    const int fd = openat(g_core_dir, created->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

// Writes the core of the calling thread's process; says where on stderr.
void write_core_of(const seccomp_notif& r, pid_t process, int signal, const CrashReport& report) {
  CoreProcess p;
  CoreThread crashed;
  crashed.tid = static_cast<pid_t>(r.pid);
  if (!thread_from_report(report, signal, &crashed, &p.info)) return;
  const std::string status_path = caller_proc(r, "status");
  if (status_path.empty()) return;
  const std::string proc_dir = status_path.substr(0, status_path.size() - std::strlen("status"));
  const std::string status = read_text(proc_dir + "status");
  const long host_process = first_number(status, "Tgid:");
  p.pid = process;
  p.pgrp = static_cast<pid_t>(last_number(status, "NSpgid:"));
  p.sid = static_cast<pid_t>(last_number(status, "NSsid:"));
  const long host_parent = first_number(status, "PPid:");
  p.ppid = static_cast<pid_t>(
      host_parent > 0 ? last_number(read_text("/proc/" + std::to_string(host_parent) + "/status"), "NStgid:") : 0);
  p.uid = static_cast<uid_t>(first_number(status, "Uid:"));
  p.gid = static_cast<gid_t>(first_number(status, "Gid:"));
  std::string program;
  program_words(read_whole(proc_dir + "cmdline"), &program, &p.args);
  p.name = program.empty() ? first_line(read_text(proc_dir + "comm")) : program.substr(program.rfind('/') + 1);
  p.auxv = read_whole(proc_dir + "auxv");
  const int mem = open((proc_dir + "mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (mem < 0) return;
  // The other threads stop before the memory is read, and go on after.
  const Stopped others = stop_other_threads(proc_dir + "task", crashed.tid);
  // smaps, not maps: which mappings were written to, hold nothing yet or
  // are marked not to be dumped (core_file.h).
  p.maps = read_whole(proc_dir + "smaps");
  p.auxv = as_native(p.auxv, p.maps, program, mem);
  p.threads.push_back(crashed);
  p.threads.insert(p.threads.end(), others.threads.begin(), others.threads.end());
  std::string name;
  const int out = create_core(core_name(p.name, process, static_cast<pid_t>(host_process), std::time(nullptr)), &name);
  std::string why;
  if (out < 0) {
    why = std::strerror(errno);
  } else if (!write_core(out, mem, p, g_core_limit, &why)) {
    if (why.empty()) why = "write failed";
  }
  release(others);
  close(mem);
  if (out >= 0) close(out);
  char line[1024];
  if (why.empty())
    std::snprintf(line, sizeof(line), "sbx: %s (pid %d) crashed; its core is %s/%s\n", p.name.c_str(), process,
                  g_core_dir_path.c_str(), name.c_str());
  else
    std::snprintf(line, sizeof(line), "sbx: %s (pid %d) crashed; no core: %s\n", p.name.c_str(), process, why.c_str());
  const ssize_t ignored = write(STDERR_FILENO, line, std::strlen(line));
  (void)ignored;
}

}  // namespace

void set_core_dumps(int dir, const std::string& path, uint64_t limit) {
  g_core_dir = dir;
  g_core_dir_path = path;
  g_core_limit = limit;
}

Answer do_crash(const seccomp_notif& r) {
  const auto& a = r.data.args;
  const int signal = static_cast<int>(a[2]);
  if (a[2] > 64 || !dumps_core(signal)) return fail(EINVAL);
  const pid_t process = caller_process(r);
  if (process <= 0 || static_cast<pid_t>(a[0]) != process || static_cast<pid_t>(a[1]) != static_cast<pid_t>(r.pid) ||
      a[0] > 0x7fffffff || a[1] > 0x7fffffff)
    return fail(EPERM);  // only a thread's request about itself
  Answer go_on;
  go_on.let_continue = true;
  if (g_core_dir < 0 || a[5] != sizeof(CrashReport)) return go_on;
  {
    std::lock_guard<std::mutex> hold(g_cores_lock);
    if (g_dumped.size() >= kMaxCores || !g_dumped.insert(process).second) return go_on;
  }
  CrashReport report;
  if (!read_memory(static_cast<pid_t>(r.pid), a[4], &report, sizeof(report)) || !still_valid(r)) return go_on;
  write_core_of(r, process, signal, report);
  return go_on;
}

}  // namespace sbx::trusted
