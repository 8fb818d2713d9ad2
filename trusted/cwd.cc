// chdir and getcwd (handlers.h): the working directory is the calling
// process's own, in the kernel; we check and hand over the directory, and
// read its path.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "caller.h"
#include "handlers.h"
#include "paths.h"

namespace sbx::trusted {

namespace {

// chdir, for the shim (its call carries SBX_SHIM_CALL; the program's own is
// trapped, and the shim makes this one). The working directory is the
// process's own, in the kernel; we check the directory as chdir would be
// checked: one the rules show (readable, or on the way to a rule, as stat
// shows it: mkdir -p climbs through those with chdir) and the caller could
// enter (search permission). It goes back as an O_PATH descriptor, which
// reads nothing (a directory only on the way must not be listed); the
// kernel's ADDFD passes no O_PATH descriptor, so it travels in SCM_RIGHTS
// over a socket pair whose other end is the call's answer. The shim takes
// it and calls fchdir on it.
// A descriptor sent on a socket and not yet received is "in flight", and
// the kernel counts those per user (the caller's uid) against the
// sender's descriptor limit: a program that never reads its answers would
// make descriptor passing fail (ETOOMANYREFS) for the user's processes
// outside the sandbox. So we keep a copy of the receiving end of the
// newest answers (kMaxAnswers, fewer under a low descriptor limit:
// set_answer_limit), and drain and close the oldest when one more comes:
// no more than that many are ever in flight. The shim reads its answer as
// soon as the call returns (each thread has at most one unread); only a
// thread held off the CPU while 64 newer answers are made finds its socket
// empty (it does not wait: MSG_DONTWAIT), and its chdir fails with EIO.
constexpr int kMaxAnswers = 64;
std::mutex g_answers_lock;
int g_answers[kMaxAnswers];
int g_answer_limit = kMaxAnswers, g_next_answer = 0, g_kept = 0;

void drain(int sock) {
  for (;;) {
    char byte;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0) break;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
          int fd;
          std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
          close(fd);
        }
  }
  close(sock);
}

// Keeps `receiving`, our copy of an answer's receiving end; the oldest
// kept goes, drained.
void keep_answer(int receiving) {
  int oldest = -1;
  {
    const std::lock_guard<std::mutex> hold(g_answers_lock);
    if (g_kept == g_answer_limit) oldest = g_answers[g_next_answer];
    else ++g_kept;
    g_answers[g_next_answer] = receiving;
    g_next_answer = (g_next_answer + 1) % g_answer_limit;
  }
  if (oldest >= 0) drain(oldest);
}

Answer chdir_descriptor(int dir) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) return close(dir), fail(errno);
  const char byte = 0;
  const bool sent = send_descriptor(sv[0], dir, &byte, 1, 0);
  const int err = errno;
  close(dir);
  close(sv[0]);
  if (!sent) return close(sv[1]), fail(err);
  const int ours = fcntl(sv[1], F_DUPFD_CLOEXEC, 0);
  if (ours < 0) return drain(sv[1]), fail(EMFILE);
  keep_answer(ours);
  return {0, 0, sv[1], O_CLOEXEC};
}

}  // namespace

void set_answer_limit(rlim_t descriptor_limit) {
  const rlim_t n = descriptor_limit / 16;  // 64 at the usual 1024
  g_answer_limit = n < 1 ? 1 : n > kMaxAnswers ? kMaxAnswers : static_cast<int>(n);
}

Answer do_chdir(const seccomp_notif& r, uint64_t path_address) {
  std::string path;
  Answer refusal;
  int dir = -1;
  if (!take_path(r, AT_FDCWD, path_address, kPathRead, &path, &refusal, true, ProcFd::kChecked, &dir)) return refusal;
  if (dir < 0) dir = open_checked(path, true, kPathRead, true);
  if (dir < 0) return fail(errno);
  struct stat st;
  const std::string real = real_path(dir);
  int error = 0;
  if (fstat(dir, &st) != 0) error = errno;
  else if (!S_ISDIR(st.st_mode)) error = ENOTDIR;
  else if (!is_file_path(real) || !allowed(real, kPathRead, true)) error = EACCES;
  else if (faccessat(AT_FDCWD, fd_path(dir).c_str(), X_OK, 0) != 0) error = errno;
  if (error != 0) return close(dir), fail(error);
  return chdir_descriptor(dir);
}

// getcwd: the path of the calling process's own working directory, or
// ENOENT once it was removed.
Answer do_getcwd(const seccomp_notif& r, uint64_t buf, uint64_t size) {
  std::string cwd;
  if (!current_cwd(r, &cwd)) return fail(errno);
  if (size < cwd.size() + 1) return fail(ERANGE);
  if (!write_to_caller(r, buf, cwd.c_str(), cwd.size() + 1)) return fail(EFAULT);
  return {0, static_cast<int64_t>(cwd.size() + 1), -1, 0};
}

}  // namespace sbx::trusted
