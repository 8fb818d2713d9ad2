"""Integration tests of sbx-helper's hardening around the program's life:
signals, set-up races, the terminal, inherited directories, hostile starts
and the binary's own hardening. Run as uid 65534 against a setuid copy.

usage: lifecycle_cases.py CASE
"""
import errno
import fcntl
import os
import pty
import random
import signal
import subprocess
import termios
import time
import tty

from sbxtest import (NOBODY, SANITIZED, USERNS, Failure, as_nobody, assert_gone, assert_no_leftovers, base_env, check,
                     describe, find_program, main, require_root, run, setuid_copy)

PYTHON = "/usr/bin/python3"
API = {"SBX_CHROME_API_RQ": "1"}


def popen(argv, **kw):
    return subprocess.Popen(as_nobody(argv), env=base_env(**API), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, **kw)


def wait_ready(proc):
    line = proc.stdout.readline()
    check(line == "ready\n", "the program started", f"got {line!r}", proc.stderr.read() if not line else "")


def wait_for_exe(marker, exe):
    pid = find_program(marker, exe)
    if pid is None:
        raise Failure(f"no {exe} with argument {marker} started")
    return pid


def case_signals(name):
    require_root()
    helper = setuid_copy(name)

    # A program that catches SIGTERM gets it from the waiter and decides.
    # (Short sleeps: CPython runs a handler for a signal that lands just
    # before a sleep begins only when that sleep ends.)
    catcher = ("import os, signal, time\n"
               "signal.signal(signal.SIGTERM, lambda s, f: (os.write(1, b'got %d\\n' % s), os._exit(3)))\n"
               "print('ready', flush=True)\nfor _ in range(600): time.sleep(0.05)\n")
    proc = popen([helper, PYTHON, "-c", catcher])
    wait_ready(proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    check(proc.returncode == 3 and "got 15" in out, "a caught SIGTERM reaches the program",
          f"exit {proc.returncode}\n{out}\n{err}")

    # A program that does not catch it (PID 1 would never see it) is ended
    # as the default action would, and the signal is reported: 128 + N.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        marker = f"{40 + sig}.{random.randint(100, 999)}"
        proc = popen([helper, "/bin/sh", "-c", f"echo ready; exec /bin/sleep {marker}"])
        wait_ready(proc)
        wait_for_exe(marker, "sleep")  # signal the running program, not the shell before its exec
        start = time.monotonic()
        proc.send_signal(sig)
        proc.communicate(timeout=10)
        check(proc.returncode == 128 + sig, f"{sig.name} to sbx-helper ends an uncatching program: exit {128 + sig}",
              f"exit {proc.returncode}")
        check(time.monotonic() - start < 2, f"{sig.name} acts at once")
        assert_gone(marker)

    # Killed outright, the waiter takes the whole namespace with it.
    marker = f"77.{random.randint(100, 999)}"
    proc = popen([helper, "/bin/sh", "-c", f"echo ready; /bin/sleep {marker} & exec /bin/sleep {marker}"])
    wait_ready(proc)
    proc.kill()
    proc.communicate(timeout=10)
    assert_gone(marker)
    assert_no_leftovers(helper)


def case_setup_race(name):
    """Signals landing at any moment of set-up leave nothing behind."""
    require_root()
    helper = setuid_copy(name)
    marker = f"88.{random.randint(100, 999)}"
    rng = random.Random(1234)
    outcomes = {}
    for _ in range(200):
        proc = popen([helper, "/bin/sleep", marker])
        time.sleep(rng.uniform(0, 0.004))
        sig = rng.choice([signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
        proc.send_signal(sig)
        proc.communicate(timeout=10)
        outcomes[proc.returncode] = outcomes.get(proc.returncode, 0) + 1
        check(proc.returncode != 0, "a signalled launch is never reported as success", f"{sig.name}")
    assert_gone(marker, grace=5)
    assert_no_leftovers(helper, grace=5)
    print(f"exit statuses after 200 signalled launches: {outcomes}")


def case_terminal(name):
    """The program cannot push input into the caller's terminal (TIOCSTI)."""
    require_root()
    helper = setuid_copy(name)
    knob = "/proc/sys/dev/tty/legacy_tiocsti"
    saved = open(knob).read() if os.path.exists(knob) else None
    attack = ("import fcntl, termios\n"
              "try:\n    fcntl.ioctl(0, termios.TIOCSTI, b'X')\n    print('injected')\n"
              "except OSError as e:\n    print('refused', e.errno)\n")
    try:
        if saved is not None:
            with open(knob, "w") as f:
                f.write("1")  # the kernel's own defence off: ours must hold alone

        def attempt(argv):
            master, slave = pty.openpty()
            os.chown(os.ttyname(slave), NOBODY, -1)
            tty.setraw(slave)  # an injected byte is readable at once, no newline needed

            def controlling_terminal():
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            proc = subprocess.run(as_nobody(argv), stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=base_env(**API), preexec_fn=controlling_terminal, timeout=30)
            fcntl.fcntl(slave, fcntl.F_SETFL, os.O_NONBLOCK)
            try:
                pending = os.read(slave, 100)
            except BlockingIOError:
                pending = b""
            os.close(master)
            os.close(slave)
            return proc, pending

        control, pending = attempt([PYTHON, "-c", attack])
        check(control.stdout.strip() == "injected" and b"X" in pending,
              "control: without the sandbox the injection works (else this test proves nothing)", describe(control))
        proc, pending = attempt([helper, PYTHON, "-c", attack])
        check(proc.stdout.strip() == f"refused {errno.EPERM}", "TIOCSTI is refused in the sandbox", describe(proc))
        check(pending == b"", "nothing reached the caller's terminal", repr(pending))
    finally:
        if saved is not None:
            with open(knob, "w") as f:
                f.write(saved)
    assert_no_leftovers(helper)


def case_directory_descriptor(name):
    require_root()
    helper = setuid_copy(name)
    for flags in (os.O_RDONLY | os.O_DIRECTORY, os.O_PATH | os.O_DIRECTORY):
        fd = os.open("/", flags)
        try:
            proc = run([helper, "/bin/sh", "-c", "echo ran"], env=base_env(**API), pass_fds=(fd,))
        finally:
            os.close(fd)
        check(proc.returncode == 87 and "ran" not in proc.stdout, "an inherited directory: exit 87, nothing runs",
              describe(proc))
        check(proc.stderr == f"sbx-helper: inherited descriptor {fd}: is a directory, which leads out of any "
              "chroot; close it before starting sbx-helper\n", "the message names the descriptor", describe(proc))
    fd = os.open("/etc/hostname", os.O_RDONLY)
    try:
        proc = run([helper, "/bin/sh", "-c", "echo ran"], env=base_env(**API), pass_fds=(fd,))
    finally:
        os.close(fd)
    check(proc.returncode == 0 and proc.stdout == "ran\n", "a file descriptor is fine", describe(proc))
    assert_no_leftovers(helper)


def case_hostile_start(name):
    require_root()
    helper = setuid_copy(name)
    work = os.path.dirname(helper)
    out = os.path.join(work, "out")

    # fds 0-2 closed: glibc gives a setuid program /dev/null there, so the
    # handshake socket can never be mistaken for stdout or stderr.
    open(out, "w").close()
    os.chown(out, NOBODY, NOBODY)
    inner = os.path.join(work, "inner.sh")
    with open(inner, "w") as f:
        f.write(f'exec 9>>{out}\necho sbxd=$SBX_D >&9\nprintf C >&$SBX_D\nread x <&$SBX_D\necho reply=$x >&9\n')
    outer = os.path.join(work, "outer.sh")
    with open(outer, "w") as f:
        f.write(f"exec 0<&- 1>&- 2>&-\nexec {helper} /bin/sh {inner}\n")
    for script in (inner, outer):
        os.chmod(script, 0o644)
    proc = run(["/bin/sh", outer], env=base_env(**API))
    text = open(out).read()
    sbxd = int(text.split("sbxd=")[1].split()[0]) if "sbxd=" in text else -1
    check(proc.returncode == 0 and sbxd > 2 and "reply=O" in text,
          "with fds 0-2 closed the handshake still works on a descriptor above 2", text, describe(proc))

    # Odd limits: a clear error or a correct run, never a crash.
    # With 3 descriptors the dynamic loader itself cannot open libc: its own
    # clear error, before any of our code runs. With 4, ours.
    proc = run(["prlimit", "--nofile=3:3", helper, "/bin/sh", "-c", "echo ran"], env=base_env(**API))
    check(proc.returncode == 127 and "error while loading shared libraries" in proc.stderr
          and "ran" not in proc.stdout, "3 descriptors: the loader refuses, nothing runs", describe(proc))
    proc = run(["prlimit", "--nofile=4:4", helper, "/bin/sh", "-c", "echo ran"], env=base_env(**API))
    check(proc.returncode == 83 and proc.stderr == "sbx-helper: socketpair: Too many open files\n"
          and "ran" not in proc.stdout, "no descriptor to spare: a clear error (83), nothing runs", describe(proc))
    for limit in ("--as=16000000", "--stack=65536", "--core=0", "--nproc=1", "--fsize=0"):
        proc = run(["prlimit", limit, helper, "/bin/true"], env=base_env(**API))
        ours = proc.returncode in range(80, 90) and proc.stderr.startswith("sbx-helper: ")
        loaders = proc.returncode == 127 and "error while loading shared libraries" in proc.stderr
        check(proc.returncode == 0 or ours or loaders, f"prlimit {limit}: a correct run or a clear error",
              describe(proc))

    # A huge environment and argument list.
    env = base_env(**API)
    for i in range(12):
        env[f"BIG{i}"] = "x" * 100_000
    args = ["y" * 1000] * 200
    proc = run([helper, "/bin/sh", "-c", 'echo "$# ${#BIG11}"', "sh", *args], env=env)
    check(proc.returncode == 0 and proc.stdout.strip() == "200 100000", "a 1.4 MB environment passes through",
          describe(proc))

    # Every unsecure loader variable set, unsaved: the loader drops them for
    # the setuid helper and none reaches the program.
    # (Set by env(1) just before the exec, so that no other loader sees them.)
    loader_vars = ["LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "LD_DEBUG", "LD_DEBUG_OUTPUT", "LD_PROFILE",
                   "GCONV_PATH", "MALLOC_TRACE", "TMPDIR", "TZDIR", "LOCPATH", "NLSPATH", "HOSTALIASES"]
    evil = os.path.join(work, "evil.so")
    proc = run(["/usr/bin/env", *(f"{v}={evil}" for v in loader_vars), helper, "/usr/bin/env"],
               env=base_env(**API))
    seen = dict(line.split("=", 1) for line in proc.stdout.splitlines())
    check(proc.returncode == 0 and not any(v in seen for v in loader_vars),
          "unsaved loader variables never reach the program", describe(proc))
    if USERNS:
        # Not setuid, the helper is loaded as any program of the caller's:
        # the loader honours the variables in it (the caller's own code in
        # the caller's own process, before any namespace), and the helper
        # removes them before the program starts (docs/protocol.md).
        check("from LD_PRELOAD cannot be preloaded" in proc.stderr,
              "user-namespace mode: the loader honours the caller's variables in the helper", describe(proc))
    else:
        check("preload" not in proc.stderr and "audit" not in proc.stderr,
              "nothing was preloaded or audited into the setuid helper", describe(proc))
    assert_no_leftovers(helper)


def case_hardening(name):
    """The built helper: PIE, full RELRO, BIND_NOW, stack protector,
    fortify, no exceptions machinery, libc (and libcap) only. No root needed."""
    binary = os.environ["SBX_HELPER"]
    dyn = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True).stdout
    seg = subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True).stdout
    syms = subprocess.run(["readelf", "--dyn-syms", "-W", binary], capture_output=True, text=True).stdout
    needed = sorted(line.split("[")[1].rstrip("]") for line in dyn.splitlines() if "(NEEDED)" in line)
    allowed = {"libc.so.6", "libcap.so.2"} | ({"libasan.so.8", "libubsan.so.1"} if SANITIZED else set())
    check(set(needed) <= allowed and "libc.so.6" in needed, "needs libc and at most libcap", needed)
    check("Flags: NOW PIE" in dyn and "BIND_NOW" in dyn, "PIE with BIND_NOW", dyn)
    check("GNU_RELRO" in seg, "RELRO", seg)
    stack = [line for line in seg.splitlines() if "GNU_STACK" in line]
    check(stack and "RWE" not in stack[0], "non-executable stack", stack)
    check("__stack_chk_fail" in syms, "stack protector", syms)
    check("_chk@" in syms.replace("__stack_chk_fail", ""), "_FORTIFY_SOURCE checked functions", syms)
    for forbidden in ("__cxa_throw", "_Unwind_Resume", "__cxa_begin_catch"):
        check(forbidden not in syms, f"no exceptions machinery ({forbidden})", syms)


main({name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")})
