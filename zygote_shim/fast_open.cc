// The fast route for brokered opens (docs/ARCHITECTURE.md, "Syscall
// rewriting"): a rewritten openat (or open) site of libc or the loader
// jumps here, and its descriptor comes back on a socket of this process
// instead of through SECCOMP_IOCTL_NOTIF_ADDFD, which costs two cross-CPU
// wake-ups per call.
//
// The call itself is still made, here, with `syscall`: the kernel's filter
// sees it as before and the trusted process decides it as before. It only
// carries marks in two registers openat does not use (sandbox.h,
// kFastOpenMark): this process's route socket, as the trusted process gave
// it, and a token. When the trusted process gives a descriptor and finds
// that the caller's descriptor of that number is its socket's peer (kcmp),
// it sends the descriptor there and answers kFastOpenSent, a value no open
// returns; we take it off the socket (the message with our token; any
// other is an interrupted call's, closed) before returning to libc. The
// first call of a process gets its socket as well (its number in the
// answer). A program that forges any of this only receives descriptors it
// asked for.
//
// Per process (not per image: a forked child must not read its parent's
// socket), the state lives in a MADV_WIPEONFORK page, zero in a forked
// child, which asks for its own socket on its first call; a vfork child
// shares the page and the lock, and so the socket, with its parent. One
// thread at a time uses the socket: a thread that finds it taken (another
// thread's call, which may block for ever on a FIFO, or a signal handler's
// call inside one) goes the ordinary way, through the `syscall` at the
// site and ADDFD.
//
// Unwinding: the trampoline does not `call` us (that would leave a return
// address in code without unwind information); it pushes the address just
// after the site's `syscall` 128 bytes below the stack pointer (past the
// red zone) and jumps, so that to an unwinder (gdb, a core's backtrace) a
// thread blocked in the call is in sbx_shim_open_entry, called from libc's
// open right after its `syscall`. Every register but %rax, %rcx and %r11
// is as after a `syscall`; the flags are kept.
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cerrno>

#include "raw_syscall.h"
#include "rewrite.h"
#include "sandbox.h"

namespace sbx::shim {

namespace {

struct FastState {
  int lock;        // 1: a thread of this process is on the route
  int have;        // 1: sock (and entry, once known) name this process's socket
  int sock;        // the socket's descriptor number
  unsigned entry;  // the trusted process's name for it (0: not known)
  unsigned token;  // the last call's
  int sockets;     // how many this process was given: at kMaxSockets, the route is off
};
constexpr int kMaxSockets = 8;  // a process given that many keeps losing them: the ordinary way

FastState* g_fast;  // in a MADV_WIPEONFORK page; nullptr: no route

// The descriptor the call whose token is `token` was given, off the
// socket; -EIO if it is not there (the program took it).
__attribute__((target("general-regs-only"))) long receive(FastState* s, unsigned token, bool cloexec) {
  if (!s->have) return -EIO;
  for (int tries = 0; tries < 64; ++tries) {
    FastOpenMessage m{0, 0};
    iovec iov{&m, sizeof(m)};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const long rc = raw_syscall(SYS_recvmsg, s->sock, reinterpret_cast<long>(&msg),
                                MSG_DONTWAIT | (cloexec ? MSG_CMSG_CLOEXEC : 0));
    if (rc < 0) return -EIO;
    int fd = -1;
    const cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (c != nullptr && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int)))
      __builtin_memcpy(&fd, CMSG_DATA(c), sizeof(int));
    if (rc == sizeof(m) && m.token == token && fd >= 0) {
      if (m.entry != 0) s->entry = m.entry;
      return fd;
    }
    if (fd >= 0) raw_syscall(SYS_close, fd);  // an interrupted call's
  }
  return -EIO;
}

}  // namespace

bool fast_open_start() {
  const long page = raw_syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page < 0) return false;
  if (raw_syscall(SYS_madvise, page, 4096, MADV_WIPEONFORK) != 0) {
    raw_syscall(SYS_munmap, page, 4096);
    return false;
  }
  g_fast = reinterpret_cast<FastState*>(page);
  return true;
}

}  // namespace sbx::shim

using sbx::shim::FastState;
using sbx::shim::g_fast;

// regs, as sbx_shim_open_entry keeps them: {rax (the number; then the
// result), rdi, rsi, rdx, r10, r8, r9, the route's r8, the route's r9}.
// Whether to make the call on the route (the lock taken, the marks set).
extern "C" __attribute__((used, visibility("hidden"), target("general-regs-only"))) long sbx_shim_fast_begin(
    long* regs) {
  FastState* s = g_fast;
  if (s == nullptr || __atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE) != 0) return 0;
  if (s->sockets >= sbx::shim::kMaxSockets) {
    __atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
    return 0;
  }
  const unsigned token = ++s->token;
  const unsigned long entry = s->have ? s->entry : 0;
  const unsigned sock = s->have ? static_cast<unsigned>(s->sock) : ~0u;
  regs[7] = static_cast<long>(static_cast<unsigned long>(sbx::kFastOpenMark) << 32 | entry);
  regs[8] = static_cast<long>(static_cast<unsigned long>(token) << 32 | sock);
  return 1;
}

// The call's result, as libc expects it; releases the lock.
extern "C" __attribute__((used, visibility("hidden"), target("general-regs-only"))) long sbx_shim_fast_end(
    const long* regs) {
  FastState* s = g_fast;
  long rax = regs[0];
  const unsigned long value = static_cast<unsigned long>(rax);
  if ((value & ~0xffffffffull) == sbx::kFastOpenSent) {
    const unsigned low = static_cast<unsigned>(value);
    if ((low & 0x7fffffffu) != 0) {  // a new socket, installed for us
      s->sock = static_cast<int>((low & 0x7fffffffu) - 1);
      s->have = 1;
      s->entry = 0;
      ++s->sockets;
    }
    rax = sbx::shim::receive(s, static_cast<unsigned>(static_cast<unsigned long>(regs[8]) >> 32), (low >> 31) != 0);
  }
  __atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
  return rax;
}

// The entry (raw_syscall.h). At entry: %eax the call's number, its
// arguments in %rdi, %rsi, %rdx, %r10; (%rsp) the address after the site's
// `syscall`, and 128 bytes above that the site's own stack pointer. The
// call is made at sbx_shim_fast_syscall (where a thread blocked in it is);
// the ordinary way jumps back to the site's `syscall` with the registers
// as they came.
__asm__(".text\n.globl sbx_shim_open_entry\n.hidden sbx_shim_open_entry\n"
        ".type sbx_shim_open_entry,@function\nsbx_shim_open_entry:\n"
        "  .cfi_startproc simple\n"
        "  .cfi_def_cfa %rsp, 136\n"
        "  .cfi_offset %rip, -136\n"
        "  endbr64\n"  // reached by an indirect jump (the shim is built -fcf-protection)
        "  push %rbp\n"
        "  .cfi_def_cfa_offset 144\n"
        "  .cfi_offset %rbp, -144\n"
        "  mov %rsp, %rbp\n"
        "  .cfi_def_cfa_register %rbp\n"
        "  pushfq\n"
        "  sub $72, %rsp\n"
        "  mov %rax, -80(%rbp)\n  mov %rdi, -72(%rbp)\n  mov %rsi, -64(%rbp)\n  mov %rdx, -56(%rbp)\n"
        "  mov %r10, -48(%rbp)\n  mov %r8, -40(%rbp)\n  mov %r9, -32(%rbp)\n"
        "  lea -80(%rbp), %rdi\n"
        "  and $-16, %rsp\n"
        "  call sbx_shim_fast_begin\n"
        "  test %rax, %rax\n"
        "  jz 1f\n"
        "  mov -80(%rbp), %rax\n  mov -72(%rbp), %rdi\n  mov -64(%rbp), %rsi\n  mov -56(%rbp), %rdx\n"
        "  mov -48(%rbp), %r10\n  mov -24(%rbp), %r8\n  mov -16(%rbp), %r9\n"
        // At the call the frame is described from the stack pointer alone:
        // a thread blocked there shows only that and its pc in a core
        // (trusted/crash.cc).
        "  lea -80(%rbp), %rsp\n"
        "  .cfi_def_cfa %rsp, 224\n"
        ".globl sbx_shim_fast_syscall\n.hidden sbx_shim_fast_syscall\nsbx_shim_fast_syscall:\n"
        "  syscall\n"
        "  mov %rax, -80(%rbp)\n"
        "  lea -80(%rbp), %rdi\n"
        "  .cfi_def_cfa %rbp, 144\n"
        "  and $-16, %rsp\n"
        "  call sbx_shim_fast_end\n"
        "  mov -72(%rbp), %rdi\n  mov -64(%rbp), %rsi\n  mov -56(%rbp), %rdx\n"
        "  mov -48(%rbp), %r10\n  mov -40(%rbp), %r8\n  mov -32(%rbp), %r9\n"
        "  lea -8(%rbp), %rsp\n"
        "  popfq\n"
        "  pop %rbp\n"
        "  .cfi_remember_state\n"
        "  .cfi_def_cfa %rsp, 136\n"
        "  .cfi_restore %rbp\n"
        "  mov (%rsp), %r11\n"
        "  .cfi_register %rip, %r11\n"
        "  lea 136(%rsp), %rsp\n"
        "  .cfi_def_cfa_offset 0\n"
        "  jmp *%r11\n"
        "  .cfi_restore_state\n"
        // The ordinary way: the registers as they came, to the site's `syscall`.
        "1:\n"
        "  mov -80(%rbp), %rax\n  mov -72(%rbp), %rdi\n  mov -64(%rbp), %rsi\n  mov -56(%rbp), %rdx\n"
        "  mov -48(%rbp), %r10\n  mov -40(%rbp), %r8\n  mov -32(%rbp), %r9\n"
        "  lea -8(%rbp), %rsp\n"
        "  popfq\n"
        "  pop %rbp\n"
        "  .cfi_def_cfa %rsp, 136\n"
        "  .cfi_restore %rbp\n"
        "  mov (%rsp), %r11\n"
        "  .cfi_register %rip, %r11\n"
        "  lea -2(%r11), %r11\n"
        "  lea 136(%rsp), %rsp\n"
        "  .cfi_def_cfa_offset 0\n"
        "  jmp *%r11\n"
        "  .cfi_endproc\n"
        ".size sbx_shim_open_entry, .-sbx_shim_open_entry\n");
