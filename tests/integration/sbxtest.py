"""Shared harness for the integration tests: a setuid-root copy of the helper
in the build directory, run as the unprivileged user 65534 through setpriv.

Exit codes follow meson: 0 pass, 1 fail, 77 skip. Under CI=true a test that
would be skipped fails instead, so that CI can never pass by skipping.
"""

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time

NOBODY = 65534
SKIP = 77


class Failure(Exception):
    pass


def skip(reason):
    if os.environ.get("CI") == "true":
        print(f"FAIL (would skip, but CI=true): {reason}")
        sys.exit(1)
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def check(condition, message, *details):
    if not condition:
        raise Failure(message + "".join(f"\n--- {d}" for d in details))


def require_root():
    if os.geteuid() != 0:
        skip("setuid tests need root to install a setuid-root copy of sbx-helper; "
             "run the test command as root")


def reachable_by_nobody(path):
    """True when uid 65534 can traverse every directory down to path."""
    path = os.path.abspath(path)
    while True:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode) and not st.st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def private_dir(name):
    """A directory for this test that uid 65534 can reach: under the build
    directory when possible (the usual case), else under /var/tmp."""
    build = os.environ["SBX_BUILD_DIR"]
    base = os.path.join(build, "tests", "run")
    if not reachable_by_nobody(build):
        base = os.path.join("/var/tmp", "sbx-tests-" + hashlib.sha1(build.encode()).hexdigest()[:12])
    # Named by the suite's script too: run/o-path and hostile/o-path may run
    # side by side.
    suite = os.path.basename(sys.argv[0]).removesuffix(".py").removesuffix("_cases")
    if os.environ.get("SBX_TEST_MODE") == "userns":
        suite = "userns-" + suite  # beside the same case in setuid mode
    path = os.path.join(base, f"{suite}.{name}")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, mode=0o755)
    for d in (base, path):
        os.chmod(d, 0o755)
    return path


# The helper's mode the suites run in: "setuid" (the default: a setuid-root
# copy), or "userns" (SBX_TEST_MODE=userns: the same suites with a copy that
# is not setuid, so that sbx-helper and sbx run take the user-namespace mode).
USERNS = os.environ.get("SBX_TEST_MODE") == "userns"


def setuid_copy(name, setuid=True):
    """Copy the built helper to <private dir>/sbx-helper, root-owned, 4755
    (0755 when not setuid, or in the user-namespace mode's runs)."""
    src = os.environ["SBX_HELPER"]
    dst = os.path.join(private_dir(name), "sbx-helper")
    shutil.copyfile(src, dst)
    os.chown(dst, 0, 0)
    os.chmod(dst, 0o4755 if setuid and not USERNS else 0o755)
    return dst


def run_with_user_namespaces_off(argv, env, timeout=60):
    """Run argv (as given: wrap it in as_nobody) where the kernel refuses
    user namespaces: in a user namespace of root's (ids 0 to 65535 mapped to
    themselves) whose own user.max_user_namespaces is 0, so that neither the
    host's switch nor a concurrent test is touched. An unprivileged
    process there sees user.max_user_namespaces = 0 and its unshare of
    CLONE_NEWUSER fails (ENOSPC), as on a host with the switch at 0.
    Returns a CompletedProcess."""
    import ctypes
    import tempfile
    libc = ctypes.CDLL(None, use_errno=True)
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ready_r)
            os.close(go_w)
            if libc.unshare(0x10000000) != 0:
                os._exit(120)
            os.write(ready_w, b"u")
            os.read(go_r, 1)  # root outside has written our maps
            with open("/proc/sys/user/max_user_namespaces", "w") as f:
                f.write("0")
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(121)
    os.close(ready_w)
    os.close(go_r)
    try:
        check(os.read(ready_r, 1) == b"u", "making the user namespace without user namespaces in it")
        for name, text in (("setgroups", "allow"), ("uid_map", "0 0 65536"), ("gid_map", "0 0 65536")):
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write(text)
        os.write(go_w, b"g")
    finally:
        os.close(go_w)
        os.close(ready_r)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise Failure(f"timed out: {argv}")
        time.sleep(0.02)
    out.seek(0)
    err.seek(0)
    proc = subprocess.CompletedProcess(argv, os.waitstatus_to_exitcode(status), out.read().decode(errors="replace"),
                                       without_sanitizer_notes(err.read().decode(errors="replace")))
    check(proc.returncode not in (120, 121), "running in a user namespace without user namespaces", describe(proc))
    return proc


def install_file(src, name, dest_dir):
    """Copy a test file where uid 65534 can read it."""
    dst = os.path.join(dest_dir, name)
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o755)
    return dst


def install_pieces(dest_dir):
    """The pieces sbx run starts (the first stage, the trusted process, the
    shim), copied where uid 65534 can reach them: the environment that names
    them to sbx."""
    return {"SBX_SHIM": install_file(os.environ["SBX_SHIM_BUILT"], "libsbx-shim.so", dest_dir),
            "SBX_ZYGOTE": install_file(os.environ["SBX_ZYGOTE_BUILT"], "sbx-zygote", dest_dir),
            "SBX_TRUSTED": install_file(os.environ["SBX_TRUSTED_BUILT"], "sbx-trusted", dest_dir)}


def base_env(**extra):
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def as_nobody(argv):
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"] + list(argv)


def run(argv, env=None, timeout=30, pass_fds=(), stdin=subprocess.DEVNULL, user=NOBODY, prefix=()):
    """Run argv (as uid 65534 by default, after the root-run command prefix)
    and return the CompletedProcess."""
    if user == NOBODY:
        argv = as_nobody(argv)
    argv = list(prefix) + list(argv)
    proc = subprocess.run(argv, env=env if env is not None else base_env(), timeout=timeout,
                          stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          pass_fds=pass_fds, text=True, errors="replace")
    proc.stderr = without_sanitizer_notes(proc.stderr)
    return proc


# In a sanitized build (meson -Db_sanitize=...), ASan warns once per process
# when a noreturn call runs on a stack it did not allocate: sbx-helper's
# target and chroot helper run on stacks of their own by design. Only that
# warning is dropped; any sanitizer report still fails the test.
SANITIZED = os.environ.get("SBX_SANITIZED", "none") != "none"
_ASAN_STACK_WARNING = ("WARNING: ASan is ignoring requested __asan_handle_no_return",
                       "False positive error reports may follow",
                       "For details see https://github.com/google/sanitizers/issues/189")


def without_sanitizer_notes(text):
    if not SANITIZED or text is None:
        return text
    return "".join(l for l in text.splitlines(keepends=True) if not any(w in l for w in _ASAN_STACK_WARNING))


def describe(proc):
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


def process_state(pid):
    """The state letter of /proc/PID/stat (R, S, T, Z, ...); "gone" if there
    is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def processes_running(exe_path):
    """PIDs of live (non-zombie) processes whose executable is exe_path."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/exe") != exe_path:
                continue
        except OSError:
            continue
        if process_state(entry) not in ("Z", "gone"):
            found.append(int(entry))
    return found


def processes_with_arg(marker):
    """PIDs of live processes with marker as one of their arguments."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if marker.encode() in args:
            found.append(int(entry))
    return found


def running(pid, exe):
    """Whether process pid runs executable `exe` (a basename): itself, or,
    under sbx run, through the system's loader, which the first stage
    executes with the program's path among its arguments."""
    path = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    if path == exe:
        return True
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        args = f.read().split(b"\0")
    return path.startswith("ld-linux") and any(os.path.basename(a.decode(errors="replace")) == exe for a in args)


def find_program(marker, exe, timeout=5.0):
    """The pid of the process running executable `exe` (a basename) with
    marker among its arguments, waiting up to timeout for it; None if none."""
    deadline = time.monotonic() + timeout
    while True:
        for pid in processes_with_arg(marker):
            try:
                if running(pid, exe):
                    return pid
            except OSError:
                pass
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


def assert_gone(marker, grace=3.0):
    """No process with marker among its arguments survives (after grace)."""
    deadline = time.monotonic() + grace
    while processes_with_arg(marker):
        if time.monotonic() > deadline:
            raise Failure(f"processes with argument {marker} left behind: {processes_with_arg(marker)}")
        time.sleep(0.05)


def assert_no_leftovers(exe_path, grace=2.0):
    """Nothing started from exe_path may outlive the run."""
    deadline = time.monotonic() + grace
    while True:
        left = processes_running(exe_path)
        if not left:
            return
        if time.monotonic() > deadline:
            raise Failure(f"processes left behind by {exe_path}: {left}")
        time.sleep(0.05)


def main(cases):
    """Run the case named in argv[1] from the dict `cases`."""
    if len(sys.argv) != 2 or sys.argv[1] not in cases:
        print(f"usage: {sys.argv[0]} CASE; cases: {' '.join(sorted(cases))}")
        sys.exit(2)
    name = sys.argv[1]
    try:
        cases[name](name)
    except Failure as failure:
        print(f"FAIL {name}: {failure}")
        sys.exit(1)
    except subprocess.TimeoutExpired as timeout:
        print(f"FAIL {name}: timed out: {timeout}")
        sys.exit(1)
    print(f"ok {name}")
    sys.exit(0)


TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools")


class Sandbox:
    """A work directory uid 65534 can reach, holding sbx, the shim and a
    setuid copy of the helper."""

    def __init__(self, name):
        require_root()
        self.helper = setuid_copy(name)
        self.dir = os.path.dirname(self.helper)
        self.sbx = install_file(os.environ["SBX_CLI"], "sbx", self.dir)
        self.pieces = install_pieces(self.dir)
        self.shim = self.pieces["SBX_SHIM"]
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

    def directory(self, path, files=(), owner=0):
        """A directory uid 65534 can enter, holding (name, text) files it can read."""
        os.makedirs(path)
        os.chown(path, owner, owner)
        os.chmod(path, 0o755)
        for name, text in files:
            with open(os.path.join(path, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(path, name), 0o644)
        return path

    def env(self, **extra):
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "SBX_HELPER": self.helper, **self.pieces}
        # SBX_TEST_REWRITE=all runs a suite with every syscall site rewritten
        # (docs/ARCHITECTURE.md, "Syscall rewriting"); =0 with none.
        if "SBX_TEST_REWRITE" in os.environ:
            env["SBX_REWRITE"] = os.environ["SBX_TEST_REWRITE"]
        env.update(extra)
        return env

    def compile(self, source):
        """tests/tools/SOURCE (C), built now with cc into the work directory,
        where uid 65534 can run it."""
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            skip("no C compiler (cc): the test's program is built at test time")
        out = os.path.join(self.dir, os.path.splitext(source)[0])
        argv = [cc, "-O2", "-Wall", "-o", out, os.path.join(TOOLS, source)]
        proc = subprocess.run(argv, capture_output=True, text=True)
        check(proc.returncode == 0, f"compiling {source}", " ".join(argv), proc.stderr)
        os.chmod(out, 0o755)
        return out

    def run(self, *args, stdin_text=None, timeout=60, cwd=None, umask=None):
        """sbx run ARGS as uid 65534, started in cwd (default: the data
        directory), with umask if given."""
        proc = subprocess.run(as_nobody([self.sbx, "run", *args]), env=self.env(), input=stdin_text, capture_output=True,
                              text=True, timeout=timeout, cwd=cwd or self.data,
                              preexec_fn=None if umask is None else lambda: os.umask(umask))
        proc.stderr = without_sanitizer_notes(proc.stderr)
        return proc
