"""Integration tests of `sbx run`: real, unmodified programs behind
sbx-helper, the trusted process and a seccomp policy, run as uid 65534.

usage: run_cases.py CASE
"""
import os
import subprocess

from sbxtest import (NOBODY, as_nobody, assert_no_leftovers, check, describe, install_file, main, require_root,
                     setuid_copy, without_sanitizer_notes)

PYTHON = "/usr/bin/python3"  # Debian's: PATH may hold another


class Sandbox:
    """A work directory uid 65534 can reach, holding sbx, the shim and a
    setuid copy of the helper."""

    def __init__(self, name):
        require_root()
        self.helper = setuid_copy(name)
        self.dir = os.path.dirname(self.helper)
        self.sbx = install_file(os.environ["SBX_CLI"], "sbx", self.dir)
        self.shim = install_file(os.environ["SBX_SHIM_BUILT"], "libsbx-shim.so", self.dir)
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        os.chmod(self.data, 0o755)

    def file(self, name, text, owner=0, mode=0o644):
        path = os.path.join(self.data, name)
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, owner, owner)
        os.chmod(path, mode)
        return path

    def env(self, **extra):
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "SBX_HELPER": self.helper, "SBX_SHIM": self.shim}
        env.update(extra)
        return env

    def run(self, *args, stdin_text=None, timeout=60):
        proc = subprocess.run(as_nobody([self.sbx, "run", *args]), env=self.env(), input=stdin_text, capture_output=True,
                              text=True, timeout=timeout, cwd=self.data)
        proc.stderr = without_sanitizer_notes(proc.stderr)
        return proc


def case_python_files(name):
    sb = Sandbox(name)
    allowed = sb.file("allowed.txt", "hello from an allowed file\n")
    secret = sb.file("secret.txt", "SECRET\n")
    script = (f"print(open({allowed!r}).read().strip())\n"
              f"try:\n    open({secret!r})\nexcept PermissionError as e:\n    print('EACCES', e.errno)\n"
              "import json, os\nprint(json.dumps({'cwd': os.getcwd()}))\n")
    proc = sb.run("--allow-read", allowed, PYTHON, "-c", script)
    check(proc.returncode == 0, "python3 runs under the default policy", describe(proc))
    lines = proc.stdout.splitlines()
    check(lines[0] == "hello from an allowed file", "the allowed file is read", describe(proc))
    check(lines[1] == "EACCES 13", "the other file fails with EACCES", describe(proc))
    check("SECRET" not in proc.stdout, "nothing of the secret file is seen", describe(proc))
    # Relative paths start where sbx run was started.
    proc = sb.run("--allow-read", allowed, PYTHON, "-c", "print(open('allowed.txt').read().strip())")
    check(proc.returncode == 0 and proc.stdout.strip() == "hello from an allowed file",
          "a relative path is resolved from the caller's directory", describe(proc))
    # A symlink inside an allowed directory pointing outside it is re-checked.
    os.symlink(secret, os.path.join(sb.data, "link.txt"))
    proc = sb.run("--allow-read", sb.data + "/link.txt", "--allow-read", allowed, PYTHON, "-c",
                  "open('link.txt')")
    check(proc.returncode != 0 and "PermissionError" in proc.stderr, "a symlink out of the rules is refused",
          describe(proc))
    for escape in ("/proc/self/root/etc/passwd", "/proc/1/cwd/secret.txt", sb.data + "/../data/secret.txt",
                   "/etc/shadow", "/etc/passwd/../shadow"):
        proc = sb.run("--allow-read", allowed, PYTHON, "-c", f"open({escape!r})")
        check(proc.returncode != 0 and ("PermissionError" in proc.stderr or "FileNotFoundError" in proc.stderr),
              f"{escape} is refused", describe(proc))
    assert_no_leftovers(sb.helper)


def case_stdio_programs(name):
    sb = Sandbox(name)
    proc = sb.run("--policy", "stdio", "sort", stdin_text="pear\napple\nfig\n")
    check(proc.returncode == 0 and proc.stdout == "apple\nfig\npear\n", "sort runs under stdio", describe(proc))
    proc = subprocess.run(as_nobody([sb.sbx, "run", "--policy", "stdio", "gzip", "-c"]), env=sb.env(), input=b"x" * 10000,
                          capture_output=True, timeout=60)
    check(proc.returncode == 0 and subprocess.run(["gunzip"], input=proc.stdout, capture_output=True).stdout ==
          b"x" * 10000 and len(proc.stdout) < 200, "gzip compresses stdin to stdout under stdio", proc.stderr)
    # Under stdio, opening a file by name kills the program (SIGSYS).
    secret = sb.file("secret.txt", "SECRET\n")
    proc = sb.run("--policy", "stdio", "cat", secret)
    check(proc.returncode == 128 + 31 and "SECRET" not in proc.stdout, "cat FILE is killed under stdio (159)",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_sqlite_write(name):
    sb = Sandbox(name)
    db_dir = os.path.join(sb.data, "db")
    os.makedirs(db_dir)
    os.chown(db_dir, NOBODY, NOBODY)
    db = os.path.join(db_dir, "t.db")
    proc = sb.run("--allow-write", db_dir, "sqlite3", db,
                  "create table t(x); insert into t values (42); select x * 2 from t;")
    check(proc.returncode == 0 and proc.stdout.strip() == "84", "sqlite3 writes a database in --allow-write",
          describe(proc))
    check(os.path.getsize(db) > 0 and not os.path.exists(db + "-journal"), "the database is on disk, journal gone")
    other = os.path.join(sb.data, "other.db")
    proc = sb.run("--allow-write", db_dir, "sqlite3", other, "create table t(x);")
    check(proc.returncode != 0 and not os.path.exists(other), "outside --allow-write nothing is created",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_no_network(name):
    sb = Sandbox(name)
    proc = sb.run(PYTHON, "-c", "import socket\ntry:\n socket.create_connection(('127.0.0.1', 80), timeout=2)\n"
                  "except OSError as e:\n print('refused', e.errno)\n")
    check(proc.returncode == 0 and proc.stdout.strip() == "refused 13", "a python socket fails with EACCES",
          describe(proc))
    proc = sb.run("curl", "-sS", "--max-time", "5", "http://127.0.0.1/")
    check(proc.returncode != 0 and proc.stdout == "", "curl reaches nothing", describe(proc))
    assert_no_leftovers(sb.helper)


def case_threads(name):
    """Brokered opens from 8 threads at once, each checking what it read."""
    sb = Sandbox(name)
    for i in range(8):
        sb.file(f"f{i}.txt", f"content {i}\n")
    script = ("import threading\nright = []\n"
              "def work(i):\n"
              "    for _ in range(200):\n"
              f"        with open('{sb.data}/f%d.txt' % i) as f:\n"
              "            if f.read() == 'content %d\\n' % i: right.append(i)\n"
              "ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n"
              "[t.start() for t in ts]\n[t.join() for t in ts]\n"
              "print('right', len(right))\n")
    proc = sb.run("--allow-read", sb.data, PYTHON, "-c", script, timeout=120)
    check(proc.returncode == 0 and proc.stdout.strip() == "right 1600" and proc.stderr == "",
          "1,600 brokered opens from 8 threads, every one right", describe(proc))
    assert_no_leftovers(sb.helper)


def case_race(name):
    """A thread flips the path buffer between an allowed and a forbidden file
    while others open it: the forbidden file is never opened."""
    sb = Sandbox(name)
    race = install_file(os.environ["SBX_RACE_OPEN"], "race_open", sb.dir)
    allowed_dir = os.path.join(sb.data, "ok")
    denied_dir = os.path.join(sb.data, "no")
    for d in (allowed_dir, denied_dir):
        os.makedirs(d)
        os.chmod(d, 0o755)
    allowed = os.path.join(allowed_dir, "file")
    forbidden = os.path.join(denied_dir, "file")
    for path, text in ((allowed, "allowed\n"), (forbidden, "FORBIDDEN\n")):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
    proc = sb.run("--allow-read", allowed_dir, race, allowed, forbidden, "100000", timeout=170)
    check(proc.returncode == 0 and proc.stdout.startswith("held "), "100,000 racing opens never reach the forbidden file",
          describe(proc))
    opened = int(proc.stdout.split()[1].split("-")[0])
    check(opened > 1000, "and many opens of the allowed file succeeded (the race was real)", describe(proc))
    print(proc.stdout.strip())
    assert_no_leftovers(sb.helper)


def case_corrupted_shim(name):
    sb = Sandbox(name)
    tool = install_file(os.environ["SBX_CORRUPT_SHIM"], "corrupt_shim", sb.dir)
    secret = sb.file("secret.txt", "SECRET\n")
    proc = sb.run(tool, secret)
    check(proc.returncode == 0, "the corrupting program ran", describe(proc))
    for attempt in ("socket", "open-forbidden", "execve", "ptrace", "chroot", "seccomp-off"):
        check(f"{attempt} refused" in proc.stdout, f"{attempt} is refused by the kernel's filter", describe(proc))
    check("ALLOWED" not in proc.stdout, "nothing was allowed", describe(proc))
    check("open-fds:\n" in proc.stdout, "no descriptor of the sandbox (listener, SBX_D, policy) is left in the program",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_refusals(name):
    sb = Sandbox(name)
    static = install_file(os.environ["SBX_SHOW_IDS"], "static_program", sb.dir)
    proc = sb.run(static)
    check(proc.returncode == 126 and "statically linked" in proc.stderr and "uid=" not in proc.stdout,
          "a static program is refused, not run", describe(proc))
    proc = sb.run("/nonexistent/program")
    check(proc.returncode == 126 and "no such program" in proc.stderr, "a missing program", describe(proc))
    os.chmod(sb.helper, 0o755)  # the setuid bit gone
    proc = sb.run("/bin/echo", "ran")
    check(proc.returncode == 126 and "is not setuid root" in proc.stderr and "ran" not in proc.stdout,
          "a helper that is not setuid root is named, nothing runs", describe(proc))
    os.chmod(sb.helper, 0o4755)
    bad = sb.file("bad.policy", "default kill\nreed: allow\n")
    proc = sb.run("--policy", bad, "/bin/echo", "ran")
    check(proc.returncode == 126 and "bad.policy:2:1: error: unknown system call 'reed'" in proc.stderr
          and "ran" not in proc.stdout, "a policy with errors: its line, nothing runs", describe(proc))
    env = sb.env()
    env["SBX_HELPER"] = "/nonexistent/sbx-helper"
    proc = subprocess.run(as_nobody([sb.sbx, "run", "/bin/echo", "ran"]), env=env, capture_output=True, text=True)
    check(proc.returncode == 126 and "sbx-helper not found" in proc.stderr, "a missing helper", describe(proc))
    # The shim refuses to let a program run outside sbx run.
    proc = subprocess.run(as_nobody(["/bin/echo", "ran"]), env={"PATH": "/usr/bin:/bin", "LD_PRELOAD": sb.shim}, capture_output=True, text=True)
    check(proc.returncode == 125 and "ran" not in proc.stdout and "start programs with 'sbx run'" in proc.stderr,
          "the shim alone never runs a program unsandboxed", describe(proc))
    assert_no_leftovers(sb.helper)


def case_help(name):
    sb = Sandbox(name)
    for argv in (["--help"], ["run", "--help"], ["doctor", "--help"], ["policy", "--help"], ["policy", "check", "--help"]):
        proc = subprocess.run([sb.sbx, *argv], capture_output=True, text=True)
        check(proc.returncode == 0 and proc.stdout.startswith("usage: sbx run") and proc.stderr == "",
              f"sbx {' '.join(argv)} prints the usage", describe(proc))
    proc = subprocess.run([sb.sbx, "--version"], capture_output=True, text=True)
    check(proc.returncode == 0 and proc.stdout.startswith("sbx "), "sbx --version", describe(proc))
    proc = subprocess.run([sb.sbx, "frobnicate"], capture_output=True, text=True)
    check(proc.returncode == 2 and proc.stderr.startswith("sbx: unknown command 'frobnicate'"),
          "an unknown command says so, with the usage, exit 2", describe(proc))


def case_exit_status(name):
    sb = Sandbox(name)
    proc = sb.run(PYTHON, "-c", "import sys; sys.exit(7)")
    check(proc.returncode == 7, "the program's exit status is sbx run's", describe(proc))
    proc = sb.run(PYTHON, "-c", "import ctypes; ctypes.string_at(0)")
    check(proc.returncode == 128 + 11, "a program that dies of SIGSEGV: 139, never a success", describe(proc))
    assert_no_leftovers(sb.helper)


main({name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")})
