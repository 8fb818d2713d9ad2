"""Crash dumps from inside the sandbox (sbx run --core-dir): programs that
crash under `sbx run` as uid 65534, and what a user then has: the exit status
a native run gives, and a core in the core-dir that gdb reads with the right
backtrace. The hostile cases plant links, crash in a loop, forge requests and
corrupt the in-process layer; none may write anything outside the core-dir.
The C programs are tests/crash/*.c, built at test time.

usage: crash_cases.py CASE
"""
import os
import shutil
import signal
import stat
import subprocess
import time

import sbxtest
from sbxtest import NOBODY, as_nobody, check, describe, main, skip

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = os.path.normpath(os.path.join(HERE, "..", "crash"))


class Crash:
    """A Sandbox with a core-dir of uid 65534's and the crash programs."""

    def __init__(self, name):
        self.sb = sbxtest.Sandbox(name)
        self.dir = self.sb.dir
        self.cores = self.owned_dir("cores")
        self.cc = shutil.which("cc") or shutil.which("gcc")
        if self.cc is None:
            skip("no C compiler (cc): the crash programs are built at test time")
        if shutil.which("gdb") is None:
            skip("no gdb: the cores are read with gdb")

    def owned_dir(self, name, mode=0o755):
        path = os.path.join(self.dir, name)
        os.makedirs(path)
        os.chown(path, NOBODY, NOBODY)
        os.chmod(path, mode)
        return path

    def compile(self, source, *flags):
        out = os.path.join(self.dir, os.path.splitext(source)[0])
        argv = [self.cc, "-O1", "-g", "-Wall", "-o", out, os.path.join(SOURCES, source), *flags]
        proc = subprocess.run(argv, capture_output=True, text=True)
        check(proc.returncode == 0, f"compiling {source}", " ".join(argv), proc.stderr)
        os.chmod(out, 0o755)
        return out

    def native(self, *argv, timeout=60):
        """The program run natively as uid 65534: its status as a shell gives it."""
        proc = subprocess.run(as_nobody(argv), env=sbxtest.base_env(), capture_output=True, text=True,
                              timeout=timeout, cwd=self.sb.data)
        return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode

    def run(self, *args, timeout=60):
        return self.sb.run(*args, timeout=timeout)

    def core_files(self):
        return sorted(os.listdir(self.cores))

    def only_cores(self):
        """Everything in the core-dir is a core: a regular file of uid 65534,
        mode 0600, named core.*; returns their paths."""
        found = []
        for name in self.core_files():
            path = os.path.join(self.cores, name)
            st = os.lstat(path)
            check(stat.S_ISREG(st.st_mode), f"{name} in the core-dir is not a regular file")
            check(name.startswith("core."), f"{name} in the core-dir is not a core's name")
            check(stat.S_IMODE(st.st_mode) == 0o600, f"{name} has mode {oct(stat.S_IMODE(st.st_mode))}, not 0600")
            check(st.st_uid == NOBODY, f"{name} belongs to uid {st.st_uid}, not the caller")
            found.append(path)
        return found

    def one_core(self, proc):
        cores = self.only_cores()
        check(len(cores) == 1, f"expected one core, found {self.core_files()}", describe(proc))
        return cores[0]


def gdb_backtrace(program, core):
    proc = subprocess.run(["gdb", "-batch", "-nx", "-ex", "info threads", "-ex", "thread apply all bt", program, core],
                          capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def expect_in(text, words, what):
    for word in words:
        check(word in text, f"{what}: {word!r} not found", text)


def null_deref(name):
    c = Crash(name)
    program = c.compile("null_deref.c")
    native = c.native(program)
    check(native == 139, f"natively the program should die of SIGSEGV (139), got {native}")
    proc = c.run("--core-dir", c.cores, "--", program)
    check(proc.returncode == native, f"exit status {proc.returncode}, natively {native}", describe(proc))
    check("about to crash" in proc.stdout, "the program's output is lost", describe(proc))
    core = c.one_core(proc)
    check(os.path.basename(core) in proc.stderr, "sbx does not say where the core is", describe(proc))
    bt = gdb_backtrace(program, core)
    expect_in(bt, ["crash_here", "main", "SIGSEGV"], "gdb's backtrace of the core")
    # The crashing frame is crash_here's, called from main.
    frames = [l for l in bt.splitlines() if l.startswith("#")]
    check(frames and "crash_here" in frames[0] and any("main" in f for f in frames[1:3]),
          "the innermost frames are not crash_here then main", bt)
    # The shared libraries are there (NT_FILE / the loader's list).
    libs = subprocess.run(["gdb", "-batch", "-nx", "-ex", "info sharedlibrary", program, core],
                          capture_output=True, text=True, timeout=120).stdout
    expect_in(libs, ["libc.so.6"], "gdb's shared libraries of the core")


def thread_abort(name):
    c = Crash(name)
    program = c.compile("thread_abort.c", "-pthread")
    native = c.native(program)
    check(native == 134, f"natively the program should die of SIGABRT (134), got {native}")
    proc = c.run("--core-dir", c.cores, "--", program)
    check(proc.returncode == native, f"exit status {proc.returncode}, natively {native}", describe(proc))
    bt = gdb_backtrace(program, c.one_core(proc))
    expect_in(bt, ["abort_in_thread_three", "wait_here", "SIGABRT", "thread_main"], "gdb's backtrace of the core")
    threads = [l for l in bt.splitlines() if l.startswith("Thread ")]
    check(len(threads) >= 5, f"{len(threads)} threads in the core, the program has 5", bt)
    check(bt.count("wait_here") >= 3, "the waiting threads' stacks are not all there", bt)


def blocked_open(name):
    """A thread blocked in a brokered open (of a FIFO nobody writes) when the
    process crashes: the trusted process has taken its call, so only a fatal
    signal interrupts it and ptrace cannot stop it; the core still holds it,
    with the registers /proc shows of a thread blocked in a call, and gdb's
    backtrace of it reaches libc's open and the thread's own function. On the
    fast route of brokered opens (SBX_REWRITE=open-route) the innermost
    frame is the shim's entry, whose unwind information leads into libc's
    open as if libc had called it; the ordinary way, libc's open itself."""
    c = Crash(name)
    program = c.compile("blocked_open.c", "-pthread")
    fifo = os.path.join(c.sb.data, "fifo")
    os.mkfifo(fifo, 0o644)
    plain = c.sb.file("plain", "x")
    for rewrite, first in (("open-route", "sbx_shim_open_entry"), ("0", "open")):
        for core in c.core_files():
            os.unlink(os.path.join(c.cores, core))
        os.environ["SBX_TEST_REWRITE"] = rewrite
        proc = c.run("--core-dir", c.cores, "--allow-read", c.sb.data, "--", program, fifo, plain)
        check(proc.returncode == 134, f"SBX_REWRITE={rewrite}: exit status {proc.returncode}, natively 134 (SIGABRT)",
              describe(proc))
        bt = gdb_backtrace(program, c.one_core(proc))
        expect_in(bt, ["abort_in_main", "open_fifo_here", "fifo_thread", "SIGABRT"],
                  f"SBX_REWRITE={rewrite}: gdb's backtrace of the core")
        blocked = [t for t in bt.split("\nThread ") if "open_fifo_here" in t]
        check(len(blocked) == 1, f"SBX_REWRITE={rewrite}: one thread blocked in open_fifo_here", bt)
        frames = [l for l in blocked[0].splitlines() if l.startswith("#")]
        at = next((i for i, f in enumerate(frames) if "open_fifo_here" in f), -1)
        check(at >= 1 and first in frames[0] and "open" in frames[at - 1].replace("open_fifo_here", "") and
              "fifo_thread" in frames[at + 1], f"SBX_REWRITE={rewrite}: the blocked thread's frames: {first}, "
              "libc's open, open_fifo_here, fifo_thread", "\n".join(frames), bt)
        if rewrite != "0":
            check(at == 2 and "libsbx-shim.so" in frames[0], "the shim's entry, then libc's open", "\n".join(frames))


def python_ctypes(name):
    c = Crash(name)
    script = "import ctypes\nprint('crashing', flush=True)\nctypes.string_at(0)\n"
    native = c.native("python3", "-c", script)
    check(native == 139, f"natively python3 should die of SIGSEGV (139), got {native}")
    proc = c.run("--core-dir", c.cores, "--", "python3", "-c", script)
    check(proc.returncode == native, f"exit status {proc.returncode}, natively {native}", describe(proc))
    python = os.path.realpath(shutil.which("python3", path=sbxtest.base_env()["PATH"]))
    bt = gdb_backtrace(python, c.one_core(proc))
    # A frame of the interpreter (libpython is linked into Debian's python3).
    expect_in(bt, ["_PyEval_EvalFrameDefault", "SIGSEGV"], "gdb's backtrace of python3's core")


def own_handler(name):
    c = Crash(name)
    program = c.compile("own_handler.c")
    proc = c.run("--core-dir", c.cores, "--", program)
    check(proc.returncode == 0 and "recovered" in proc.stdout, "the program's own handler did not recover",
          describe(proc))
    check(c.core_files() == [], f"a core was written for a crash the program handled: {c.core_files()}")


def nothing_without_option(name):
    c = Crash(name)
    program = c.compile("segv_disposition.c")
    proc = c.run("--", program)
    check(proc.returncode == 0 and proc.stdout.strip() == "default noenv",
          "without --core-dir the program must find SIGSEGV at its default and no variable of ours", describe(proc))
    proc = c.run("--core-dir", c.cores, "--", program)
    check(proc.returncode == 0 and proc.stdout.strip() == "caught noenv",
          "with --core-dir the shim catches SIGSEGV and its variable is gone", describe(proc))
    crash = c.compile("null_deref.c")
    proc = c.run("--", crash)
    check(proc.returncode == 139 and "core" not in proc.stderr, "without --core-dir a crash is as before", describe(proc))
    check(c.core_files() == [], "a core without --core-dir")


def limit_and_refusals(name):
    c = Crash(name)
    program = c.compile("null_deref.c")
    proc = c.run("--core-dir", c.cores, "--core-limit", "8K", "--", program)
    check(proc.returncode == 139, "exit status with --core-limit", describe(proc))
    core = c.one_core(proc)
    check(os.path.getsize(core) <= 8192, f"the core is {os.path.getsize(core)} bytes, over --core-limit 8K")
    for args, words in ((["--core-dir", os.path.join(c.dir, "missing")], "No such file"),
                        (["--core-dir", program], "not a directory"),
                        (["--core-dir", c.cores, "--core-limit", "lots"], "not a size"),
                        (["--core-limit", "1M"], "needs --core-dir")):
        proc = c.run(*args, "--", program)
        check(proc.returncode == 126 and words in proc.stderr and "about to crash" not in proc.stdout,
              f"sbx run {' '.join(args)} must refuse (126) saying {words!r}", describe(proc))
    root_owned = os.path.join(c.dir, "root-owned")
    os.makedirs(root_owned)
    proc = c.run("--core-dir", root_owned, "--", program)
    check(proc.returncode == 126 and "cannot make files" in proc.stderr, "a core-dir the user cannot write",
          describe(proc))


def planted_links(name):
    """Links planted in the core-dir under the names the core would get: the
    core goes to another name, the links' target is untouched."""
    c = Crash(name)
    program = c.compile("wait_then_crash.c")
    victim_dir = c.owned_dir("victim")
    victim = os.path.join(victim_dir, "precious")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.chown(victim, NOBODY, NOBODY)
    argv = as_nobody([c.sb.sbx, "run", "--core-dir", c.cores, "--allow-write", c.cores, "--", program, c.cores])
    proc = subprocess.Popen(argv, env=c.sb.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=c.sb.data)
    try:
        first = proc.stdout.readline()
        check(first.startswith("pid "), f"the program did not start: {first!r}")
        inside = int(first.split()[1])
        host = sbxtest.find_program(c.cores, "wait_then_crash")
        check(host is not None, "the program's process was not found")
        now = int(time.time())
        planted = []
        for seconds in range(now - 2, now + 30):
            link = os.path.join(c.cores, f"core.wait_then_crash.{inside}.{host}.{seconds}")
            os.symlink(victim, link)
            os.lchown(link, NOBODY, NOBODY)
            planted.append(link)
        with open(os.path.join(c.cores, "go"), "w"):
            pass
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    check(proc.returncode == 139, f"exit status {proc.returncode}", err)
    with open(victim) as f:
        check(f.read() == "precious\n", "the planted link's target was written")
    for link in planted:
        check(os.path.islink(link), f"{link} is no longer the planted link")
    cores = [n for n in c.core_files() if not os.path.islink(os.path.join(c.cores, n)) and n != "go"]
    check(len(cores) == 1, f"expected one core beside the links, found {cores}", err)
    st = os.lstat(os.path.join(c.cores, cores[0]))
    check(stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, "the core is not a new 0600 file")
    expect_in(gdb_backtrace(program, os.path.join(c.cores, cores[0])), ["crash_here"], "gdb's backtrace")


def crash_loop(name):
    c = Crash(name)
    program = c.compile("crash_loop.c", "-pthread")
    proc = c.run("--core-dir", c.cores, "--", program, timeout=300)
    check(proc.returncode == 0 and proc.stdout.strip() == "40 killed", "the children did not all die of SIGSEGV",
          describe(proc))
    cores = c.only_cores()
    check(1 <= len(cores) <= 16, f"{len(cores)} cores for 40 crashing processes: one each at most, 16 in all",
          describe(proc))
    pids = [os.path.basename(p).split(".")[2] for p in cores]
    check(len(set(pids)) == len(pids), f"two cores of one process: {pids}")
    check("trusted process ended" not in proc.stderr, "the trusted process failed", describe(proc))


def forged_requests(name):
    c = Crash(name)
    program = c.compile("forged_requests.c")
    proc = c.run("--core-dir", c.cores, "--", program)
    check(proc.returncode == 0 and proc.stdout.rstrip().endswith("alive"), "a forged request did harm",
          describe(proc))
    lines = proc.stdout.splitlines()
    for line in lines[:-1]:
        check(line.endswith("EPERM") or line.endswith("EINVAL"), f"a forged request was not refused: {line}",
              describe(proc))
    check(c.core_files() == [], f"a forged request wrote a core: {c.core_files()}")


def corrupt_layer(name):
    c = Crash(name)
    program = c.compile("corrupt_layer.c")
    canary_dir = c.owned_dir("elsewhere")
    before = sorted(os.listdir(c.dir))
    proc = c.run("--core-dir", c.cores, "--", program)
    check("corrupted" in proc.stdout, "the program did not reach the shim's code", describe(proc))
    check(proc.returncode > 128, f"the program should die of a signal, exit {proc.returncode}", describe(proc))
    check("sbx-trusted" not in proc.stderr and "trusted process ended" not in proc.stderr,
          "the trusted process failed", describe(proc))
    c.only_cores()
    check(sorted(os.listdir(c.dir)) == before and os.listdir(canary_dir) == [], "a file appeared outside the core-dir")


main({"null-deref": null_deref, "thread-abort": thread_abort, "blocked-open": blocked_open, "python-ctypes": python_ctypes,
      "own-handler": own_handler, "nothing-without-option": nothing_without_option,
      "limit-and-refusals": limit_and_refusals, "planted-links": planted_links, "crash-loop": crash_loop,
      "forged-requests": forged_requests, "corrupt-layer": corrupt_layer})
