"""The escape suite: each attack a real attacker would try against a chroot +
PID/network namespace sandbox, run as uid 65534 against a setuid helper,
with the host side checked too (the victim still alive, nothing accepted,
nothing typed into the terminal, nothing left running).

usage: suite.py --helper PATH [--attack NAME]...   (as root)
Prints one line per attack, "held NAME: detail" or "ESCAPED NAME: detail",
and exits 0 only if every attack run was held. --json prints the results as
JSON instead. Used by the test suite (against sbx-helper, one attack per
test) and by report.py (against sbx-helper and Chromium's chrome-sandbox,
for docs/SECURITY.md).
"""
import argparse
import fcntl
import json
import os
import pty
import random
import shutil
import signal
import socket
import subprocess
import sys
import termios
import time
import tty

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from sbxtest import NOBODY, as_nobody, base_env, find_program, private_dir, processes_with_arg  # noqa: E402

PYTHON = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 30


class Run:
    """Where one helper is attacked from: a work directory uid 65534 can read."""

    def __init__(self, helper, label):
        self.helper = helper
        self.work = private_dir(f"adversarial-{label}")
        self.attack = os.path.join(self.work, "attack.py")
        shutil.copyfile(os.path.join(HERE, "attack.py"), self.attack)
        os.chmod(self.attack, 0o644)

    def argv(self, *args):
        return as_nobody([self.helper, PYTHON, self.attack, *args])

    def launch(self, *args, pass_fds=(), **kw):
        """Run the attack in the sandbox and wait for it."""
        with dummy_fd7():
            return subprocess.run(self.argv(*args), env=base_env(SBX_CHROME_API_RQ="1"), timeout=TIMEOUT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  pass_fds=(7, *pass_fds), **kw)

    def start_sleeper(self, marker):
        """Start "HELPER /bin/sleep MARKER" in the background; return the
        waiter's Popen and the sandboxed sleep's pid (None if it never ran)."""
        with dummy_fd7():
            waiter = subprocess.Popen(as_nobody([self.helper, "/bin/sleep", marker]),
                                      env=base_env(SBX_CHROME_API_RQ="1"), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(7,))
        return waiter, find_program(marker, "sleep", timeout=3)


class dummy_fd7:
    """fd 7 a dummy pipe for the duration, as Chromium gives its zygote:
    chrome-sandbox refuses to start without it (sbx-helper does not care)."""

    def __enter__(self):
        r, w = os.pipe()
        os.close(w)
        if r != 7:
            os.dup2(r, 7)
            os.close(r)

    def __exit__(self, *exc):
        os.close(7)


def verdict(proc):
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            v = json.loads(line)
            return v["held"], v["detail"]
    return None, f"the attack did not run (exit {proc.returncode}): {proc.stderr.strip()[:200]}"


def in_sandbox(name):
    def scenario(run):
        return verdict(run.launch(name))
    return scenario


def inherited_directory(run):
    fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        proc = run.launch("inherited-directory", str(fd), pass_fds=(fd,))
    finally:
        os.close(fd)
    if proc.returncode == 87:
        return True, "refused to start: " + proc.stderr.strip()
    return verdict(proc)


def against_server(family, address, attack, argument_of):
    """A server of the host's listens; the attack tries to connect to it.
    Held only if the attack fails and the server accepted nothing."""
    def scenario(run):
        server = socket.socket(family, socket.SOCK_STREAM)
        server.bind(address())
        server.listen(1)
        server.setblocking(False)
        try:
            held, detail = verdict(run.launch(attack, argument_of(server)))
            try:
                server.accept()
                return False, detail + "; the host accepted a connection"
            except BlockingIOError:
                return held, detail
        finally:
            server.close()
    return scenario


ABSTRACT_NAME = f"sbx-adversarial-{random.randint(0, 1 << 30)}"
tcp_loopback = against_server(socket.AF_INET, lambda: ("127.0.0.1", 0), "tcp-loopback",
                              lambda s: str(s.getsockname()[1]))
abstract_unix = against_server(socket.AF_UNIX, lambda: "\0" + ABSTRACT_NAME, "abstract-unix-socket",
                               lambda s: ABSTRACT_NAME)


def against_victim(attack):
    def scenario(run):
        victim = subprocess.Popen(as_nobody(["/bin/sleep", "60"]))
        try:
            time.sleep(0.1)
            held, detail = verdict(run.launch(attack, str(victim.pid)))
            time.sleep(0.1)
            if victim.poll() is not None:
                return False, detail + "; the host's process was killed"
            return held, detail
        finally:
            victim.kill()
            victim.wait()
    return scenario


def setuid_exec(run):
    show_ids = os.path.join(run.work, "show_ids")
    shutil.copyfile(os.environ["SBX_SHOW_IDS"], show_ids)
    os.chown(show_ids, 0, 0)
    os.chmod(show_ids, 0o4755)
    proc = run.launch("setuid-exec", show_ids)
    if "euid=0" in proc.stdout:
        return False, "a setuid-root program run through a descriptor after the chroot: " + proc.stdout.strip()
    if "euid=" in proc.stdout:
        return True, "a setuid-root program run through a descriptor after the chroot: " + proc.stdout.strip()
    return verdict(proc)


def terminal_injection(run):
    knob = "/proc/sys/dev/tty/legacy_tiocsti"
    saved = open(knob).read() if os.path.exists(knob) else None
    master, slave = pty.openpty()
    try:
        if saved is not None:
            with open(knob, "w") as f:
                f.write("1")  # the kernel's own defence off: the sandbox must hold alone
        os.chown(os.ttyname(slave), NOBODY, -1)
        tty.setraw(slave)

        def controlling_terminal():
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        held, detail = verdict(run.launch("terminal-injection", stdin=slave, preexec_fn=controlling_terminal))
        fcntl.fcntl(slave, fcntl.F_SETFL, os.O_NONBLOCK)
        try:
            typed = os.read(slave, 100)
        except BlockingIOError:
            typed = b""
        if typed:
            return False, detail + f"; the caller's terminal received {typed!r}"
        return held, detail
    finally:
        os.close(master)
        os.close(slave)
        if saved is not None:
            with open(knob, "w") as f:
                f.write(saved)


def alive(pid):
    """Running, not a zombie. (A program whose waiter was killed is
    reparented to init; a zombie there is dead, waiting for init to reap it.)"""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop(waiter, marker):
    """Whatever the scenario found, leave nothing running."""
    waiter.kill()
    waiter.wait()
    for pid in processes_with_arg(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # ended between the listing and the kill


def with_sleeper(number, judge):
    """A scenario around a sandboxed "sleep NUMBER.RANDOM": judge(waiter,
    program) attacks and says what held; whatever it finds, nothing is left
    running."""
    def scenario(run):
        marker = f"{number}.{random.randint(1000, 9999)}"
        waiter, program = run.start_sleeper(marker)
        try:
            if program is None:
                return None, "the program did not start"
            return judge(waiter, program)
        finally:
            stop(waiter, marker)
    return scenario


def outlives_helper(sig):
    def judge(waiter, program):
        waiter.send_signal(sig)
        waiter.wait(timeout=10)
        time.sleep(0.5)
        name = signal.Signals(sig).name
        if alive(program):
            return False, f"{name} to the helper: the program goes on running unsupervised"
        return True, f"{name} to the helper: the program ended with it"
    return with_sleeper(50 + sig, judge)


def kill_chroot_helper(waiter, program):
    """The user signals the privileged chroot helper (before the handshake).
    In user-namespace mode the helper is the user's own process, in the
    user's own namespace: the user may kill it (docs/protocol.md), and what
    must hold is that it has nothing to lose, CAP_SYS_CHROOT of that
    namespace alone, not dumpable."""
    helpers = [int(c) for c in open(f"/proc/{program}/task/{program}/children").read().split()]
    if not helpers:
        return None, "no chroot helper found"
    pid = helpers[0]
    # It becomes root (or sheds its capabilities) beside the program's start:
    # look once it waits for the request in read(2) (system call 0 on
    # x86_64). Before that, in setuid mode, its real uid is still the user's,
    # who may then end it: that only denies the chroot to its own client.
    deadline = time.monotonic() + 10
    while open(f"/proc/{pid}/syscall").read().split()[0] != "0" and time.monotonic() < deadline:
        time.sleep(0.005)
    if os.environ.get("SBX_TEST_MODE") == "userns":
        status = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status").read().splitlines())
        caps = {k: int(status[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
        chroot_only = 1 << 18  # CAP_SYS_CHROOT
        uids = status["Uid"].split()
        proc = subprocess.run(as_nobody(["kill", "-KILL", str(pid)]), capture_output=True, text=True)
        time.sleep(0.1)
        plain = (caps == {"CapInh": 0, "CapPrm": chroot_only, "CapEff": chroot_only, "CapBnd": chroot_only,
                          "CapAmb": 0} and uids == [str(NOBODY)] * 4)
        return plain and not alive(pid), (f"user-namespace mode: the chroot helper is uid {uids[0]} with "
                                          f"CapEff {caps['CapEff']:#x} CapBnd {caps['CapBnd']:#x}; the user's kill "
                                          f"{'ended it' if not alive(pid) else 'did not end it'} (documented)")
    proc = subprocess.run(as_nobody(["kill", "-KILL", str(pid)]), capture_output=True, text=True)
    time.sleep(0.1)
    if proc.returncode == 0 or not alive(pid):
        return False, "the user killed the privileged chroot helper"
    return True, "kill -KILL of the chroot helper by the user: " + (proc.stderr.strip().split(": ")[-1] or "refused")


signal_chroot_helper = with_sleeper(66, kill_chroot_helper)

def nested_user_namespace(run):
    # In user-namespace mode (SBX_TEST_MODE=userns: a helper that is not
    # setuid root) the program may not make one even before the chroot; in
    # setuid mode only the chroot forbids it (the kernel refuses
    # CLONE_NEWUSER to a chrooted process).
    return verdict(run.launch("nested-user-namespace",
                              "strict" if os.environ.get("SBX_TEST_MODE") == "userns" else ""))


SCENARIOS = {
    "read-host-file-absolute": ("read a host file by absolute path after the chroot", in_sandbox("read-host-file-absolute")),
    "read-host-file-relative": ("climb out of the chroot with .. and relative paths", in_sandbox("read-host-file-relative")),
    "proc-after-chroot": ("reach the host through /proc after the chroot", in_sandbox("proc-after-chroot")),
    "write-new-root": ("create files in the new root", in_sandbox("write-new-root")),
    "inherited-directory": ("leave the chroot through a directory descriptor the caller leaked", inherited_directory),
    "tcp-loopback": ("connect to a TCP server on the host's loopback", tcp_loopback),
    "abstract-unix-socket": ("connect to a host abstract unix socket", abstract_unix),
    "interfaces": ("see any network interface but lo", in_sandbox("interfaces")),
    "signal-outside": ("kill a process of the same user outside the sandbox", against_victim("signal-outside")),
    "ptrace-outside": ("ptrace a process of the same user outside the sandbox", against_victim("ptrace-outside")),
    "setuid-exec": ("gain root through a setuid-root program (via a descriptor)", setuid_exec),
    "terminal-injection": ("push input into the caller's terminal (TIOCSTI)", terminal_injection),
    "outlives-helper-sigkill": ("keep running after the helper is killed (SIGKILL)", outlives_helper(signal.SIGKILL)),
    "outlives-helper-sigterm": ("keep running after the helper is told to stop (SIGTERM)", outlives_helper(signal.SIGTERM)),
    "signal-chroot-helper": ("kill the privileged chroot helper as the user", signal_chroot_helper),
    "chroot-helper-access": ("trace the chroot helper, or reach its memory, descriptors or root", in_sandbox("chroot-helper-access")),
    "nested-user-namespace": ("make a user namespace for capabilities in it", nested_user_namespace),
    "user-namespace-maps": ("rewrite the user namespace's uid_map, gid_map or setgroups", in_sandbox("user-namespace-maps")),
}


def run_attacks(helper, label, names):
    run = Run(helper, label)
    results = {}
    for name in names:
        try:
            held, detail = SCENARIOS[name][1](run)
        except subprocess.TimeoutExpired:
            held, detail = False, "timed out"
        results[name] = {"held": held, "detail": detail}
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--helper", required=True)
    parser.add_argument("--label", default="sbx-helper")
    parser.add_argument("--attack", action="append", choices=sorted(SCENARIOS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run_attacks(args.helper, args.label, args.attack or list(SCENARIOS))
    if args.json:
        print(json.dumps(results))
    else:
        for name, r in results.items():
            print(f"{WORDS[r['held']]} {name}: {r['detail']}")
    return 0 if all(r["held"] is True for r in results.values()) else 1


WORDS = {True: "held", False: "ESCAPED", None: "DID-NOT-RUN"}


if __name__ == "__main__":
    sys.exit(main())
