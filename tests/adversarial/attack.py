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
}

if __name__ == "__main__":
    chroot_first, fn = ATTACKS[sys.argv[1]]
    if chroot_first and not chroot_me():
        result(False, "the chroot handshake failed")
    fn(*sys.argv[2:])
