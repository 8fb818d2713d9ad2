"""An attacker inside the sandbox. Run as the sandboxed program (through a
setuid helper): it first behaves (asks for the chroot, as Chromium's zygote
does before running untrusted code), then tries one way out and prints one
JSON line: {"held": true|false, "detail": "..."}.

usage: attack.py ATTACK [ARG...]
Everything is imported and prepared before the chroot: after it, nothing
can be loaded.
"""
import ctypes
import errno
import fcntl
import json
import os
import socket
import sys
import termios

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH = 16
PTRACE_SEIZE = 0x4206
CLONE_NEWUSER = 0x10000000
SYS_pidfd_open = 434  # x86_64
SYS_pidfd_getfd = 438
AT_EMPTY_PATH = 0x1000


def chroot_me():
    sock = int(os.environ["SBX_D"])
    os.write(sock, b"C")
    os.waitpid(int(os.environ["SBX_HELPER_PID"]), 0)
    return os.read(sock, 1) == b"O"


def result(held, detail):
    print(json.dumps({"held": held, "detail": detail}), flush=True)
    sys.exit(0)


def attempt(fn):
    """(True, value) if fn succeeded, (False, errno name) if it raised OSError."""
    try:
        return True, fn()
    except OSError as e:
        return False, errno.errorcode.get(e.errno, str(e.errno))


def read_host_file_absolute():
    ok, v = attempt(lambda: open("/etc/passwd").read(20))
    return result(not ok, f"open /etc/passwd: {'read ' + repr(v) if ok else v}")


def read_host_file_relative():
    for _ in range(20):
        try:
            os.chdir("..")
        except OSError:
            break
    ok, v = attempt(lambda: open("../../../../etc/passwd").read(20))
    ok2, v2 = attempt(lambda: open("etc/passwd").read(20))
    held = not ok and not ok2
    return result(held, f"../../../../etc/passwd: {v if not ok else 'read'}; chdir .. x20 then etc/passwd: "
                        f"{v2 if not ok2 else 'read'}")


def proc_after_chroot():
    tries = {}
    for path in ("/proc/1/root/etc/passwd", "/proc/self/root/etc/passwd", "/proc/self/cwd"):
        ok, v = attempt(lambda p=path: os.stat(p))
        tries[path] = "reachable" if ok else v
    return result(all(v != "reachable" for v in tries.values()), json.dumps(tries))


def write_new_root():
    ok, v = attempt(lambda: os.mkdir("/evil"))
    ok2, v2 = attempt(lambda: os.close(os.open("/evil-file", os.O_CREAT | os.O_WRONLY, 0o600)))
    return result(not ok and not ok2, f"mkdir /evil: {'made' if ok else v}; create /evil-file: "
                                      f"{'made' if ok2 else v2}")


def inherited_directory(fd_text):
    fd = int(fd_text)
    ok, v = attempt(lambda: os.read(os.open("etc/passwd", os.O_RDONLY, dir_fd=fd), 20))
    return result(not ok, f"openat(inherited fd {fd}, etc/passwd): {'read ' + repr(v) if ok else v}")


def tcp_loopback(port_text):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    ok, v = attempt(lambda: s.connect(("127.0.0.1", int(port_text))))
    return result(not ok, f"connect 127.0.0.1:{port_text}: {'connected to the host' if ok else v}")


def abstract_unix(name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    ok, v = attempt(lambda: s.connect("\0" + name))
    return result(not ok, f"connect @{name}: {'connected to the host' if ok else v}")


def interfaces():
    names = [n for _, n in socket.if_nameindex()]
    return result(names == ["lo"], f"interfaces: {names}")


def signal_outside(pid_text):
    pid = int(pid_text)
    ok, v = attempt(lambda: os.kill(pid, 9))
    ok2, v2 = attempt(lambda: os.kill(-1, 9))  # everything this uid may signal
    return result(not ok, f"kill({pid}, SIGKILL): {'delivered' if ok else v}; kill(-1, SIGKILL): "
                          f"{'sent' if ok2 else v2} (the host checks that its process survived)")


def ptrace_outside(pid_text):
    pid = int(pid_text)
    rc = libc.ptrace(PTRACE_ATTACH, pid, None, None)
    err = ctypes.get_errno()
    return result(rc != 0, f"ptrace(ATTACH, {pid}): {'attached' if rc == 0 else errno.errorcode.get(err)}")


def setuid_exec(path):
    # Opened before the chroot, executed after it: a setuid-root program
    # reached through a descriptor (execveat with AT_EMPTY_PATH).
    fd = os.open(path, os.O_RDONLY)
    if not chroot_me():
        return result(True, "no chroot")
    sys.stdout.flush()
    libc.execveat(fd, b"", (ctypes.c_char_p * 2)(b"show_ids", None), (ctypes.c_char_p * 1)(None), AT_EMPTY_PATH)
    return result(True, f"execveat failed: {errno.errorcode.get(ctypes.get_errno())}")


def terminal_injection():
    ok, v = attempt(lambda: fcntl.ioctl(0, termios.TIOCSTI, b"X"))
    return result(not ok, f"ioctl(0, TIOCSTI): {'injected' if ok else v} (the host checks its terminal)")


def chroot_helper_access():
    """Before the handshake, while the chroot helper still holds what it
    chroots with (root, or CAP_SYS_CHROOT of the user namespace) and shares
    the program's root and working directory: trace it, read its memory, take
    its descriptors, follow its root. Then the handshake must still work."""
    pid = int(os.environ["SBX_HELPER_PID"])
    got = []

    def note(what, fn):
        ok, v = attempt(fn)
        got.append(f"{what}: {'GOT ' + str(v)[:40] if ok else v}")
        return ok

    def ptrace(request):
        if libc.ptrace(request, pid, None, None) != 0:
            raise OSError(ctypes.get_errno(), "ptrace")
        return "attached"

    def pidfd_getfd():
        pidfd = libc.syscall(SYS_pidfd_open, pid, 0)
        if pidfd < 0:
            raise OSError(ctypes.get_errno(), "pidfd_open")
        fd = libc.syscall(SYS_pidfd_getfd, pidfd, 2, 0)
        os.close(pidfd)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "pidfd_getfd")
        return f"fd {fd}"

    escaped = [note("ptrace(ATTACH)", lambda: ptrace(PTRACE_ATTACH)),
               note("ptrace(SEIZE)", lambda: ptrace(PTRACE_SEIZE)),
               note("/proc/PID/mem", lambda: open(f"/proc/{pid}/mem", "rb").read(1)),
               note("/proc/PID/root", lambda: os.listdir(f"/proc/{pid}/root")),
               note("/proc/PID/cwd", lambda: os.readlink(f"/proc/{pid}/cwd")),
               note("/proc/PID/fd", lambda: os.listdir(f"/proc/{pid}/fd")),
               note("/proc/PID/environ", lambda: open(f"/proc/{pid}/environ", "rb").read(1)),
               note("pidfd_getfd", pidfd_getfd)]
    # The waiter (outside the PID namespace, but in the host's /proc, which
    # is still mounted before the chroot) shares the chroot helper's memory.
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ok, cmdline = attempt(lambda: open(f"/proc/{entry}/cmdline", "rb").read())
            if ok and cmdline.split(b"\0")[0].endswith(b"sbx-helper") and int(entry) != os.getpid():
                escaped.append(note(f"waiter {entry} /proc/PID/mem", lambda: open(f"/proc/{entry}/mem", "rb").read(1)))
    if len(escaped) == 8:
        return result(None, "no waiter found in /proc")
    if not chroot_me():
        return result(False, "the chroot handshake failed after the attempts; " + "; ".join(got))
    return result(not any(escaped), f"chroot helper (pid {pid}): " + "; ".join(got))


def nested_user_namespace(mode=""):
    """A user namespace of its own, for capabilities in it: before the chroot
    (where only the user-namespace mode forbids it: "strict") and after."""
    def unshare():
        if libc.unshare(CLONE_NEWUSER) != 0:
            raise OSError(ctypes.get_errno(), "unshare")
        return "created"
    pid = os.fork()
    if pid == 0:  # in a child: a success must not change the attacker itself
        os._exit(0 if attempt(unshare)[0] else 1)
    before = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    if not chroot_me():
        return result(False, "the chroot handshake failed")
    ok, v = attempt(unshare)
    held = not ok and not (mode == "strict" and before)
    return result(held, f"unshare(CLONE_NEWUSER) before the chroot: {'created' if before else 'refused'}; "
                        f"after: {'created' if ok else v}")


def user_namespace_maps():
    """Rewrite the maps of its user namespace (to reach ids beyond its own),
    allow setgroups, or raise the namespace's user.max_user_namespaces (to
    make one after all), before the chroot."""
    got = []
    held = True
    for name, text in (("self/uid_map", "0 0 1"), ("self/gid_map", "0 0 1"), ("self/setgroups", "allow"),
                       ("sys/user/max_user_namespaces", "100")):
        ok, v = attempt(lambda: os.write(os.open(f"/proc/{name}", os.O_WRONLY), text.encode()))
        held = held and not ok
        got.append(f"{name}: {'WRITTEN' if ok else v}")
    maps = open("/proc/self/uid_map").read().split()
    if not chroot_me():
        return result(False, "the chroot handshake failed")
    return result(held, "; ".join(got) + f"; uid_map is {' '.join(maps)}")


ATTACKS = {
    "read-host-file-absolute": (True, read_host_file_absolute),
    "read-host-file-relative": (True, read_host_file_relative),
    "proc-after-chroot": (True, proc_after_chroot),
    "write-new-root": (True, write_new_root),
    "inherited-directory": (True, inherited_directory),
    "tcp-loopback": (True, tcp_loopback),
    "abstract-unix-socket": (True, abstract_unix),
    "interfaces": (True, interfaces),
    "signal-outside": (True, signal_outside),
    "ptrace-outside": (True, ptrace_outside),
    "setuid-exec": (False, setuid_exec),  # does its own handshake, in between
    "terminal-injection": (True, terminal_injection),
    "chroot-helper-access": (False, chroot_helper_access),  # before the handshake, then it
    "nested-user-namespace": (False, nested_user_namespace),
    "user-namespace-maps": (False, user_namespace_maps),
}

if __name__ == "__main__":
    chroot_first, fn = ATTACKS[sys.argv[1]]
    if chroot_first and not chroot_me():
        result(False, "the chroot handshake failed")
    fn(*sys.argv[2:])
