// The program's own /proc. There is no /proc in the sandbox, but programs
// read a few entries about themselves: glibc's pthread_getattr_np reads
// /proc/self/maps (Rust, the JVM and node's V8 call it for the main
// thread's stack), libuv, Go and Rust read /proc/self/exe for their own
// path, libuv /proc/self/stat for the resident size, closefrom and Python's
// subprocess list /proc/self/fd when close_range is not there, ttyname reads
// /proc/self/fd/N, realpath and `readlink -f` walk /proc/self's links, tools
// read their Name:, Umask: or limits in /proc/self/status. So a path that
// names the calling process's own /proc is answered from its entry in our
// /proc (the host's), found by the calling thread's host id
// (caller_proc): the host's /proc names it so, and nothing the program
// chose picks which process's entry is read.
//
// The view (self is /proc/self, /proc/<its own PID>, and for the thread
// entries /proc/thread-self and /proc/self/task/<its own TID>):
//   status, stat, statm, comm, cmdline, maps   opened read-only from the host
//                                              entry (stat, access, open for
//                                              reading; writing is EACCES)
//   fd/                                        listed (a read-only directory)
//   fd/N                                       the caller's descriptor N (calls.cc)
//   exe                                        the file the process runs: the
//                                              system's loader for a dynamic
//                                              program (the kernel's answer), or a
//                                              static program; held to the rules
//   cwd, cwd/NAME...                           the working directory's path, and
//                                              <cwd>/NAME..., held to the rules
//   root, root/NAME...                         "/", and /NAME..., held to the rules
//   fd/N/NAME...                               <the path of N>/NAME..., held to the rules
//   self, thread-self (not followed)           links to "PID" and "PID/task/TID"
//   the directory itself                       stat only (EACCES to open it)
// Any other name under it looks absent (ENOENT), as it would under a view
// that does not have it: environ, mem, mountinfo, cgroup (the host's
// cgroup names), and /proc/PID of every other process.
//
// Why this gives nothing of the host:
// - Every entry opened is /proc/HOST/NAME with HOST the calling thread's
//   host id (or its thread group's, read from that thread's status) and NAME
//   one of the fixed names above; the notification is checked again after
//   the open, so the thread was in its call all along, and its id (and its
//   group's, which stays allocated while any of its threads lives) named it.
// - The magic links are never followed to a directory for the program:
//   cwd and root become their paths, and the path checked by the rules
//   (as relative paths from that directory are); exe is checked by the
//   rules on its real path, as a descriptor's file is. So /proc/self/root
//   and /proc/self/cwd reach no more than "/" and the working directory's
//   path do, by the rules.
// - What the entries show is the program's own: its memory map (the files
//   it mapped, which the rules gave it), its arguments, its limits, its
//   state. They show host process ids, though: status (Pid, PPid, Tgid,
//   NSpid's first number) and stat (pid, ppid, pgrp, session) come from our
//   /proc, which is the host's, so they give the host ids of the process,
//   its parent, group and session, all of them processes of the sandbox.
//   NSpid's last number is the id inside. Not rewritten: the numbers tell
//   no more than how many processes the host has started.
// - A name that is not in the view answers ENOENT without looking at
//   anything, and another process's /proc/PID is an ordinary path that no
//   rule shows (ENOENT): the program learns nothing of what runs outside.
// Paths reach the view only as the program names them (after the lexical
// normalisation of calls.cc, so /proc/self/cwd/.. is /proc/self): a symlink
// whose text leads into /proc is resolved by resolve.cc in our /proc, where
// no rule shows /proc/self, and answers ENOENT.
#include "proc_view.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "caller.h"
#include "decisions.h"  // proc_number
#include "resolve.h"

namespace sbx::trusted {

ProcView::ProcView(ProcView&& other) noexcept
    : kind(other.kind), fd(other.fd), openable(other.openable), text(std::move(other.text)), error(other.error) {
  other.fd = -1;
}

ProcView& ProcView::operator=(ProcView&& other) noexcept {
  if (this != &other) {
    if (fd >= 0) close(fd);
    kind = other.kind;
    fd = other.fd;
    openable = other.openable;
    text = std::move(other.text);
    error = other.error;
    other.fd = -1;
  }
  return *this;
}

ProcView::~ProcView() {
  if (fd >= 0) close(fd);
}

int ProcView::take() {
  const int mine = fd;
  fd = -1;
  return mine;
}

namespace {

// The files of the view, read-only.
constexpr std::string_view kFiles[] = {"status", "stat", "statm", "comm", "cmdline", "maps"};

// At most this many rewrites (/proc/self/root/proc/self/root/...): the kernel's MAXSYMLINKS.
constexpr int kMaxRewrites = 40;

ProcView refused(int error) {
  ProcView v;
  v.kind = ProcView::kRefused;
  v.error = error;
  return v;
}

std::vector<std::string_view> names_of(std::string_view path) {
  std::vector<std::string_view> names;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) names.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

// "/" + the names from `from` on, joined ("" if none).
std::string rest_of(const std::vector<std::string_view>& names, size_t from) {
  std::string out;
  for (size_t i = from; i < names.size(); ++i) {
    out += '/';
    out += names[i];
  }
  return out;
}

// The host id whose /proc entries a scope reads: the calling thread's, or
// its thread group's ("Tgid:" of the thread's status, a host id too), or -1.
pid_t host_id(const seccomp_notif& r, bool thread) {
  const pid_t tid = host_thread(r);
  if (tid <= 0 || thread) return tid;
  const std::string status = caller_proc(r, "status");
  const int fd = status.empty() ? -1 : open(status.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char text[1024];
  const ssize_t n = read(fd, text, sizeof(text) - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  const char* line = std::strstr(text, "\nTgid:");
  const long id = line != nullptr ? std::strtol(line + 6, nullptr, 10) : -1;
  return id > 0 ? static_cast<pid_t>(id) : -1;
}

// Our descriptor of /proc/HOST/NAME ("" for the directory itself), opened
// with flags, for the calling thread r; checked after: r was still in its
// call, so HOST was still its own (or its group's). -1 with errno set.
int open_entry(const seccomp_notif& r, bool thread, const std::string& name, int flags) {
  const pid_t host = host_id(r, thread);
  if (host <= 0) return (errno = ESRCH), -1;
  const std::string path = "/proc/" + std::to_string(host) + (name.empty() ? "" : "/" + name);
  int fd;
  {
    const AsProgram as_program;  // the program's /proc entries: checks on our fsuid
    fd = open(path.c_str(), flags | O_CLOEXEC);
  }
  if (fd >= 0 && !still_valid(r)) {
    close(fd);
    errno = ESRCH;
    return -1;
  }
  return fd;
}

ProcView entry(const seccomp_notif& r, bool thread, const std::string& name, int flags, bool openable) {
  ProcView v;
  v.fd = open_entry(r, thread, name, flags);
  if (v.fd < 0) return refused(errno);
  v.kind = ProcView::kEntry;
  v.openable = openable;
  return v;
}

// A magic link itself (lstat, readlink): our O_PATH descriptor of the
// caller's own link in our /proc, and the text readlink answers.
ProcView link(const seccomp_notif& r, bool thread, const std::string& name, std::string text) {
  ProcView v;
  v.fd = name.empty() ? open(thread ? "/proc/thread-self" : "/proc/self", O_PATH | O_NOFOLLOW | O_CLOEXEC)
                      : open_entry(r, thread, name, O_PATH | O_NOFOLLOW);
  if (v.fd < 0) return refused(errno);
  v.kind = ProcView::kLink;
  v.text = std::move(text);
  return v;
}

}  // namespace

ProcView proc_view(const seccomp_notif& r, std::string* path, Look look) {
  const bool follow = look == Look::kFollow;
  for (int round = 0; round < kMaxRewrites; ++round) {
    static constexpr std::string_view kProc = "/proc/";
    if (path->compare(0, kProc.size(), kProc) != 0) return {};
    const std::vector<std::string_view> names = names_of(std::string_view(*path).substr(kProc.size()));
    if (names.empty()) return {};
    // Whose entries: the process's (self, its own PID) or the thread's
    // (thread-self, the process's task/<its own TID>).
    bool thread = false;
    bool named_link = false;  // "self" or "thread-self": a link to the numbered directory
    if (names[0] == "self") {
      named_link = true;
    } else if (names[0] == "thread-self") {
      thread = named_link = true;
    } else {
      const long n = proc_number(names[0]);
      if (n < 0 || n != caller_process(r)) return {};  // not the caller's: an ordinary path
    }
    size_t at = 1;
    if (!thread && names.size() > 2 && names[1] == "task") {
      const long tid = proc_number(names[2]);
      if (tid < 0 || tid != static_cast<long>(r.pid)) return refused(ENOENT);  // another thread's
      thread = true;
      at = 3;
    } else if (names.size() > 1 && names[1] == "task") {
      return refused(ENOENT);  // the list of threads, or thread-self/task
    }
    const std::string prefix = thread ? "/proc/thread-self" : "/proc/self";
    if (at == names.size()) {
      // The directory itself, or the link that names it.
      if (named_link && !follow && at == 1) {
        const pid_t pid = caller_process(r);
        if (pid <= 0) return refused(ESRCH);
        return link(r, thread, "",
                    thread ? std::to_string(pid) + "/task/" + std::to_string(r.pid) : std::to_string(pid));
      }
      return entry(r, thread, "", O_PATH | O_DIRECTORY, false);
    }
    const std::string_view name = names[at];
    const bool last = at + 1 == names.size();
    const std::string more = rest_of(names, at + 1);
    if (name == "root") {
      if (last && look != Look::kFollow) return link(r, thread, "root", "/");
      *path = more.empty() ? "/" : policy::normalize_path("/", more);
    } else if (name == "cwd") {
      std::string cwd;
      if (!current_cwd(r, &cwd)) return refused(errno);
      if (last && look != Look::kFollow) return link(r, thread, "cwd", cwd);
      *path = policy::normalize_path("/", cwd + more);
    } else if (name == "exe") {
      if (!last) return refused(ENOTDIR);
      const int exe = open_entry(r, thread, "exe", O_PATH);
      if (exe < 0) return refused(errno);
      ProcView v;
      v.fd = exe;
      if (look == Look::kFollow) {
        v.kind = ProcView::kFile;
        return v;
      }
      // Its text is the file's real path, which the rules must show (the
      // loader, or a static program the rules let it read, are).
      const std::string real = real_path(exe);
      if (!is_file_path(real) || !rules_show(real)) return refused(EACCES);
      return link(r, thread, "exe", real);
    } else if (name == "fd") {
      if (last) return entry(r, thread, "fd", O_RDONLY | O_DIRECTORY, true);
      const long n = proc_number(names[at + 1]);
      if (n < 0) return refused(ENOENT);
      if (at + 2 == names.size()) {
        // The caller's descriptor N: calls.cc takes it (followed, or read
        // by readlink) from the calling thread's table; lstat and
        // O_NOFOLLOW see the link.
        *path = prefix + "/fd/" + std::to_string(n);
        if (look != Look::kNoFollow) return {};
        return link(r, thread, "fd/" + std::to_string(n), "");
      }
      // A name below it: in the directory the descriptor is, by its path.
      const int fd = base_fd(r, n);
      if (fd < 0) return refused(ENOENT);
      const std::string real = real_path(fd);
      close(fd);
      if (!is_file_path(real)) return refused(ENOTDIR);
      *path = policy::normalize_path("/", real + rest_of(names, at + 2));
    } else {
      for (const std::string_view file : kFiles) {
        if (name != file) continue;
        if (!last) return refused(ENOTDIR);
        return entry(r, thread, std::string(name), O_RDONLY, true);
      }
      return refused(ENOENT);
    }
    if (path->empty()) return refused(ENAMETOOLONG);
  }
  return refused(ELOOP);
}

std::string own_proc_name(const seccomp_notif& r, const std::string& real) {
  static constexpr std::string_view kProc = "/proc/";
  if (real.compare(0, kProc.size(), kProc) != 0) return "";
  const std::vector<std::string_view> names = names_of(std::string_view(real).substr(kProc.size()));
  const long host = names.empty() ? -1 : proc_number(names[0]);
  if (host <= 0) return "";
  const pid_t pid = caller_process(r);
  if (pid <= 0) return "";
  if (host == host_id(r, false)) return "/proc/" + std::to_string(pid) + rest_of(names, 1);
  if (host == host_id(r, true))
    return "/proc/" + std::to_string(pid) + "/task/" + std::to_string(r.pid) + rest_of(names, 1);
  return "";
}

int open_view(ProcView* view, uint64_t flags) {
  if (view->kind == ProcView::kLink) return (errno = (flags & O_PATH) ? EACCES : ELOOP), -1;
  if (view->kind != ProcView::kEntry || !view->openable) return (errno = EACCES), -1;
  struct stat st;
  if ((flags & O_DIRECTORY) && (fstat(view->fd, &st) != 0 || !S_ISDIR(st.st_mode))) return (errno = ENOTDIR), -1;
  return view->take();
}

}  // namespace sbx::trusted
