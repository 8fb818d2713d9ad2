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
#include <pthread.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <set>
#include <string>
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

// A whole file of the caller's /proc directory `dir`, up to kMaxProcFile
// bytes; "" if it cannot be read (the thread has ended: the directory
// descriptor never names another process).
std::string read_whole(int dir, const char* name) {
  std::string text;
  const int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
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

// The registers /proc/PID/task/TID/syscall shows of a thread blocked in a
// call: "NR ARG1 .. ARG6 SP PC" (hex but NR); false if it is not blocked in
// one ("running", or -1 for no call).
bool blocked_registers(const std::string& text, user_regs_struct* regs) {
  unsigned long long v[9];
  if (std::sscanf(text.c_str(), "%llu %llx %llx %llx %llx %llx %llx %llx %llx", &v[0], &v[1], &v[2], &v[3], &v[4],
                  &v[5], &v[6], &v[7], &v[8]) != 9)
    return false;
  *regs = user_regs_struct{};
  regs->orig_rax = v[0];
  regs->rax = static_cast<unsigned long long>(-ENOSYS);
  regs->rdi = v[1], regs->rsi = v[2], regs->rdx = v[3], regs->r10 = v[4], regs->r8 = v[5], regs->r9 = v[6];
  regs->rsp = v[7], regs->rip = v[8];
  regs->cs = 0x33, regs->ss = 0x2b;  // __USER_CS, __USER_DS
  return true;
}

Stopped stop_other_threads(int proc_dir, pid_t crashed) {
  Stopped s;
  const int task = openat(proc_dir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = task >= 0 ? fdopendir(task) : nullptr;
  if (dir == nullptr) {
    if (task >= 0) close(task);
    return s;
  }
  // Each thread as the sandbox names it (for ptrace), with a descriptor of
  // its directory here: a thread we stopped whose directory is still there
  // is the one listed, not another that took its id after it ended.
  std::vector<std::pair<pid_t, int>> ids;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const int thread = openat(dirfd(dir), e->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
    const long id = thread >= 0 ? last_number(read_whole(thread, "status"), "NSpid:") : -1;
    if (id > 0 && id != crashed && ids.size() < 4096) ids.push_back({static_cast<pid_t>(id), thread});
    else if (thread >= 0) close(thread);
  }
  closedir(dir);
  std::vector<std::pair<pid_t, int>> listed;
  for (const auto& [id, thread] : ids) {
    if (ptrace(PTRACE_SEIZE, id, 0, 0) != 0) {
      close(thread);
      continue;
    }
    s.seized.push_back(id);
    listed.push_back({id, thread});
    ptrace(PTRACE_INTERRUPT, id, 0, 0);
  }
  int waited = 0;  // in ms, for all of them together
  for (const auto& [id, thread] : listed) {
    int status = 0;
    bool stopped = false;
    for (;;) {
      const pid_t got = waitpid(id, &status, __WALL | WNOHANG);
      if (got == id) stopped = WIFSTOPPED(status);
      if (got != 0 || waited >= kStopWaitMs) break;  // stopped, ended, gone, or too slow
      usleep(1000);
      ++waited;
    }
    CoreThread t;
    t.tid = id;
    if (!stopped) {
      // A thread that cannot stop: one blocked in a brokered call the
      // trusted process has taken, which only a fatal signal interrupts
      // (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV). The kernel still shows
      // where it waits, /proc/.../syscall: its call, the six argument
      // registers, its stack pointer and pc; enough for an unwinder
      // (libc's code and the shim's fast route describe their frames from
      // the stack pointer at a `syscall`). Its other registers are left 0.
      const bool blocked = blocked_registers(read_whole(thread, "syscall"), &t.regs);
      close(thread);
      if (blocked) s.threads.push_back(t);
      continue;
    }
    const bool still_listed = !read_whole(thread, "status").empty();
    close(thread);
    if (!still_listed) continue;
    if (ptrace(PTRACE_GETREGS, id, 0, &t.regs) != 0) continue;
    t.has_fpregs = ptrace(PTRACE_GETFPREGS, id, 0, &t.fpregs) == 0;
    s.threads.push_back(t);
  }
  return s;
}

// Reaps (or detaches) the threads in `left` as they end or stop, trying
// every 10 ms, `rounds` times.
void reap_left(std::vector<pid_t>* left, int rounds) {
  for (int round = 0; round < rounds && !left->empty(); ++round) {
    for (size_t i = 0; i < left->size();) {
      int status = 0;
      const pid_t id = (*left)[i];
      const pid_t got = waitpid(id, &status, __WALL | WNOHANG);
      if (got == 0 || (got == id && WIFSTOPPED(status) && ptrace(PTRACE_DETACH, id, 0, 0) != 0)) {
        ++i;  // running, or stopped but not ours to detach yet: wait on
        continue;
      }
      (*left)[i] = left->back();  // reaped, detached, or not ours (ECHILD)
      left->pop_back();
    }
    usleep(10 * 1000);
  }
}

void* reap_left_thread(void* left) {
  auto* ids = static_cast<std::vector<pid_t>*>(left);
  reap_left(ids, 1000);  // 10 s: by then their process has ended, killed by its signal
  delete ids;
  return nullptr;
}

// Lets the stopped threads go. A thread that did not stop, or ended while
// we held it (another thread's fault ended the process), cannot be
// detached: it stays ours until we reap it, and its parent would wait for
// its process forever. A thread of ours reaps those as they end, after we
// have answered (their process ends then); if no thread can be started,
// this one waits for them a little (the answer comes later: the process is
// already dying).
void release(const Stopped& s) {
  auto* left = new std::vector<pid_t>;
  for (const pid_t id : s.seized)
    if (ptrace(PTRACE_DETACH, id, 0, 0) != 0) left->push_back(id);
  pthread_t reaper;
  if (left->empty() || pthread_create(&reaper, nullptr, reap_left_thread, left) != 0) {
    reap_left(left, 10);
    delete left;
    return;
  }
  pthread_detach(reaper);
}

// The lowest mapping at a file's start whose path is `path`, or else whose
// file name is `path`'s; 0 if none. Compared as text, never resolved: the
// path is the program's word (its command line), and a symlink it planted
// must not be followed (nor tell it what exists beyond the rules).
uint64_t mapped_at(const std::vector<CoreMapping>& mappings, const std::string& path) {
  const std::string name = path.substr(path.rfind('/') + 1);
  uint64_t by_name = 0;
  for (const CoreMapping& m : mappings) {
    if (m.offset != 0 || m.path.empty() || m.path[0] != '/') continue;
    if (m.path == path) return m.start;
    if (by_name == 0 && m.path.substr(m.path.rfind('/') + 1) == name) by_name = m.start;
  }
  return by_name;
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
  // Everything is read through one descriptor of the calling thread's
  // /proc directory, taken while its call is pending (so it is that
  // thread's), and the memory through a descriptor checked the same way:
  // if the thread ends, they fail rather than name whatever takes its id.
  // UID-range mode: the program's /proc entries as the program's uid, the
  // core itself as the caller (caller.h).
  auto as_program = std::make_unique<AsProgram>();
  const std::string proc_path = caller_proc(r, "");
  const int proc_dir = proc_path.empty() ? -1 : open(proc_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_dir < 0) return;
  const int mem = openat(proc_dir, "mem", O_RDONLY | O_CLOEXEC);
  if (mem < 0 || !still_valid(r)) {
    const int err = errno;
    if (mem >= 0) close(mem);
    close(proc_dir);
    char line[256];
    std::snprintf(line, sizeof(line), "sbx: pid %d crashed; no core: its memory cannot be read: %s\n", process,
                  mem < 0 ? std::strerror(err) : "it ended");
    const ssize_t ignored = write(STDERR_FILENO, line, std::strlen(line));
    (void)ignored;
    return;
  }
  const std::string status = read_whole(proc_dir, "status");
  const long host_process = first_number(status, "Tgid:");
  p.pid = process;
  p.ppid = 0;  // the parent's id in the sandbox is not in our /proc's status (its PPid is the host's)
  p.pgrp = static_cast<pid_t>(last_number(status, "NSpgid:"));
  p.sid = static_cast<pid_t>(last_number(status, "NSsid:"));
  p.uid = static_cast<uid_t>(first_number(status, "Uid:"));
  p.gid = static_cast<gid_t>(first_number(status, "Gid:"));
  std::string program;
  program_words(read_whole(proc_dir, "cmdline"), &program, &p.args);
  p.name = program.empty() ? first_line(read_whole(proc_dir, "comm")) : program.substr(program.rfind('/') + 1);
  p.auxv = read_whole(proc_dir, "auxv");
  // The other threads stop before the memory is read, and go on after.
  const Stopped others = stop_other_threads(proc_dir, crashed.tid);
  // smaps, not maps: which mappings were written to, hold nothing yet or
  // are marked not to be dumped (core_file.h).
  p.maps = read_whole(proc_dir, "smaps");
  p.auxv = as_native(p.auxv, p.maps, program, mem);
  p.threads.push_back(crashed);
  p.threads.insert(p.threads.end(), others.threads.begin(), others.threads.end());
  std::string name;
  as_program.reset();
  const int out = create_core(core_name(p.name, process, static_cast<pid_t>(host_process), std::time(nullptr)), &name);
  std::string why;
  if (out < 0) {
    why = std::strerror(errno);
  } else if (!write_core(out, mem, p, g_core_limit, &why)) {
    if (why.empty()) why = "write failed";
  }
  release(others);
  close(mem);
  close(proc_dir);
  if (out >= 0) close(out);
  char line[1024];
  const std::string shown = printable(p.name, 64);
  if (why.empty())
    std::snprintf(line, sizeof(line), "sbx: %s (pid %d) crashed; its core is %s/%s\n", shown.c_str(), process,
                  printable(g_core_dir_path, 512).c_str(), name.c_str());
  else
    std::snprintf(line, sizeof(line), "sbx: %s (pid %d) crashed; no core: %s\n", shown.c_str(), process,
                  printable(why, 256).c_str());
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
