"""Integration tests of sbx-helper's UID-range mode (issue 15): with a
`uid-range FIRST-LAST` in its configuration file, each sandbox runs as a UID
of the range that no process has. Run as uid 65534 against a setuid-root copy
of `sbx-helper-conftest`, a test-only build of the helper whose configuration
file is build/tests/uidrange-etc/helper.conf instead of /etc/sbx/helper.conf,
so that /etc is never touched and no other test's helper changes. The cases
take a lock on that directory: one at a time, while other suites run.

usage: uidrange_cases.py CASE   (meson runs one case per test)
"""
import ctypes
import fcntl
import json
import os
import shutil
import signal
import subprocess
import time

from sbxtest import (NOBODY, Sandbox, as_nobody, assert_no_leftovers, base_env, check, describe, install_file, main,
                     private_dir, require_root, run)

CONF_DIR = os.path.join(os.environ["SBX_BUILD_DIR"], "tests", "uidrange-etc")
CONF = os.path.join(CONF_DIR, "helper.conf")
PYTHON = "/usr/bin/python3"
# UIDs no account uses; each case its own, so a leftover of one case cannot
# change another's result.
BASE = {"concurrent": 3100000, "isolation": 3100100, "leftover-skipped": 3100200, "exhausted": 3100300,
        "config-refused": 3100400, "files-belong-to-caller": 3100500,
        "range-uid-stays-inside": 3100600}
API = {"SBX_CHROME_API_RQ": "1"}

# Run inside the sandbox (as the range UID) or as the caller: tries to signal
# and to ptrace-attach a process, prints {"kill": errno or 0, "ptrace": ...}.
REACH = r"""
import ctypes, json, os, sys
pid = int(sys.argv[1])
out = {}
try:
    os.kill(pid, 0); out["kill"] = 0
except OSError as e:
    out["kill"] = e.errno
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
if libc.ptrace(PTRACE_ATTACH, pid, None, None) == 0:
    out["ptrace"] = 0
    os.waitpid(pid, 0)
    libc.ptrace(PTRACE_DETACH, pid, None, None)
else:
    out["ptrace"] = ctypes.get_errno()
print(json.dumps(out))
"""


class Config:
    """The test helper's configuration directory and file, root's, held
    under a lock for the whole case; the file is removed at the end."""

    def __enter__(self):
        os.makedirs(CONF_DIR, exist_ok=True)
        os.chown(CONF_DIR, 0, 0)
        os.chmod(CONF_DIR, 0o755)
        self.lock = open(CONF_DIR + ".lock", "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        return self

    def write(self, text, mode=0o644, owner=0):
        self.remove()
        with open(CONF, "w") as f:
            f.write(text)
        os.chown(CONF, owner, owner)
        os.chmod(CONF, mode)

    def remove(self):
        if os.path.islink(CONF) or os.path.exists(CONF):
            os.unlink(CONF)

    def __exit__(self, *exc):
        self.remove()
        os.chmod(CONF_DIR, 0o755)
        self.lock.close()


def test_helper(name):
    """A setuid-root copy of the test build of the helper, in this case's
    private directory."""
    require_root()
    dst = os.path.join(private_dir(name), "sbx-helper")
    shutil.copyfile(os.environ["SBX_HELPER_CONFTEST"], dst)
    os.chown(dst, 0, 0)
    os.chmod(dst, 0o4755)
    return dst


def ids(pid):
    """(real, effective, saved, fs) uids and gids of pid, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
    return [int(x) for x in fields["Uid"].split()], [int(x) for x in fields["Gid"].split()]


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def program_of(waiter, exe="/usr/bin/sleep", timeout=10.0):
    """The target of the helper whose waiter is `waiter` (a process started
    as setpriv, which execs the helper), once it has exec'd the program."""
    deadline = time.monotonic() + timeout
    exe = os.path.realpath(exe)
    while time.monotonic() < deadline:
        for child in children(waiter):
            try:
                if os.readlink(f"/proc/{child}/exe") == exe:
                    return child
            except OSError:
                pass
        time.sleep(0.02)
    return None


def hold_uid(uid):
    """A leftover process with real uid (and gid) `uid`, started as root."""
    return subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", "sleep", "300"],
                            stdin=subprocess.DEVNULL)


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()


def case_concurrent(name):
    """20 sandboxes at once get 20 different UIDs of the range, each with the
    matching GID, seen from outside in /proc/PID/status; the waiter keeps the
    caller's real uid and passes a signal on to the program."""
    first = BASE[name]
    last = first + 29
    helper = test_helper(name)
    with Config() as conf:
        conf.write(f"# test range\nuid-range {first}-{last}\n")
        waiters = [subprocess.Popen(as_nobody([helper, "/bin/sleep", "60"]), env=base_env(**API),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(20)]
        try:
            programs = []
            for w in waiters:
                program = program_of(w.pid)
                check(program is not None, "every sandbox starts its program", describe_popen(w))
                programs.append(program)
            seen = []
            for w, program in zip(waiters, programs):
                uids, gids = ids(program)
                check(len(set(uids)) == 1 and first <= uids[0] <= last,
                      f"the program runs as one UID of the range {first}-{last} in all four slots", str(uids))
                check(gids == [uids[0]] * 4, "and as the matching GID", str(gids))
                wuids, wgids = ids(w.pid)
                check(wuids == [NOBODY, uids[0], uids[0], uids[0]] and wgids == [NOBODY] * 4,
                      "the waiter: the caller's real uid and gid, the sandbox's UID effective", str(wuids), str(wgids))
                seen.append(uids[0])
            check(len(set(seen)) == 20, "20 concurrent sandboxes never share a UID", str(sorted(seen)))
        finally:
            for w in waiters:
                if w.poll() is None:
                    w.send_signal(signal.SIGTERM)
            statuses = [w.wait(timeout=30) for w in waiters]
        check(all(s == 128 + signal.SIGTERM for s in statuses),
              "SIGTERM to each waiter reaches its program (exit 143): the waiter may signal the range UID",
              str(statuses), waiters[0].stderr.read())
    assert_no_leftovers(helper)


def describe_popen(p):
    if p.poll() is None:
        return f"pid {p.pid} still running"
    return f"exit {p.returncode}\nstdout:\n{p.stdout.read()}\nstderr:\n{p.stderr.read()}"


def reach(argv_prefix, target, user):
    """REACH run as `user` (NOBODY for the caller) or inside a sandbox."""
    proc = run([*argv_prefix, PYTHON, "-c", REACH, str(target)], env=base_env(**API), user=user)
    check(proc.returncode == 0, "the reach probe ran", describe(proc))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def case_isolation(name):
    """A process of the caller can neither signal nor ptrace a sandbox in
    UID-range mode, and the sandbox can neither signal nor ptrace the
    caller's processes (tested without a PID namespace, where it could name
    them; without the range both succeed, so the test can fail)."""
    first = BASE[name]
    helper = test_helper(name)
    deny = os.environ["SBX_DENY_CLONE_FLAGS"]
    with Config() as conf:
        conf.write(f"uid-range {first}-{first + 9}\n")
        sandbox = subprocess.Popen(as_nobody([helper, "/bin/sleep", "60"]), env=base_env(**API),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        caller_sleep = subprocess.Popen(as_nobody(["sleep", "60"]), stdin=subprocess.DEVNULL)
        try:
            program = program_of(sandbox.pid)
            check(program is not None, "the sandbox starts")
            check(ids(program)[0][0] >= first, "the program runs as a range UID", str(ids(program)))
            out = reach([], program, NOBODY)
            check(out == {"kill": 1, "ptrace": 1}, "the caller's process gets EPERM for kill and ptrace", str(out))

            # From inside: no PID namespace (simulated kernel), so the
            # program can name the caller's sleep.
            proc = subprocess.run([deny, "pid", *as_nobody([helper, PYTHON, "-c", REACH, str(caller_sleep.pid)])],
                                  env=base_env(**API), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=30)
            check(proc.returncode == 0, "the in-sandbox reach probe ran", describe(proc))
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            check(out == {"kill": 1, "ptrace": 1}, "the sandbox gets EPERM for kill and ptrace of the caller's process",
                  str(out), describe(proc))

            # Nor can the program become the caller: setresuid and
            # setfsuid to the caller's uid are refused (not one of its ids).
            become = ("import ctypes, os\n"
                      "libc = ctypes.CDLL(None, use_errno=True)\n"
                      "try:\n    os.setresuid(65534, 65534, 65534); print('setresuid: done')\n"
                      "except OSError as e:\n    print('setresuid:', e.errno)\n"
                      "libc.setfsuid(65534)\n"
                      "print('fsuid:', open('/proc/self/status').read().split('Uid:')[1].split()[3])\n")
            proc = run([helper, PYTHON, "-c", become], env=base_env(**API))
            fsuid = [l.split()[1] for l in proc.stdout.splitlines() if l.startswith("fsuid:")]
            check(proc.returncode == 0 and "setresuid: 1" in proc.stdout and fsuid
                  and first <= int(fsuid[0]) <= first + 9, "the program cannot take the caller's uid, real or fs",
                  describe(proc))

            # The same without the range: the program is the caller's uid.
            conf.remove()
            proc = subprocess.run([deny, "pid", *as_nobody([helper, PYTHON, "-c", REACH, str(caller_sleep.pid)])],
                                  env=base_env(**API), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=30)
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            check(out["kill"] == 0, "control: without a range the program may signal the caller's process",
                  str(out), describe(proc))
        finally:
            stop([caller_sleep])
            sandbox.send_signal(signal.SIGTERM)
            sandbox.wait(timeout=30)
    assert_no_leftovers(helper)


def run_id(helper, *argv_prefix):
    return run([*argv_prefix, helper, "/usr/bin/id", "-u"], env=base_env(**API))


def case_leftover_skipped(name):
    """A UID that a leftover process has (started by root, not by a sandbox)
    is skipped, and so is the next; once they are gone, the first is used."""
    first = BASE[name]
    helper = test_helper(name)
    with Config() as conf:
        conf.write(f"uid-range {first}-{first + 4}\n")
        proc = run_id(helper)
        check(proc.returncode == 0 and proc.stdout.strip() == str(first), "a free range: its first UID",
              describe(proc))
        leftovers = [hold_uid(first), hold_uid(first + 1)]
        try:
            time.sleep(0.2)
            proc = run_id(helper)
            check(proc.returncode == 0 and proc.stdout.strip() == str(first + 2),
                  f"UIDs {first} and {first + 1} are in use: the sandbox gets {first + 2}", describe(proc))
        finally:
            stop(leftovers)
        proc = run_id(helper)
        check(proc.returncode == 0 and proc.stdout.strip() == str(first), "the leftovers gone, the first UID again",
              describe(proc))
    assert_no_leftovers(helper)


def case_exhausted(name):
    """Every UID of the range in use: the documented error (exit 90), one
    line naming the range and the file, and nothing runs."""
    first = BASE[name]
    helper = test_helper(name)
    marker = os.path.join(os.path.dirname(helper), "ran")
    with Config() as conf:
        conf.write(f"uid-range {first}-{first + 1}\n")
        leftovers = [hold_uid(first), hold_uid(first + 1)]
        try:
            time.sleep(0.2)
            proc = run([helper, "/usr/bin/touch", marker], env=base_env(**API))
        finally:
            stop(leftovers)
        expected = (f"sbx-helper: uid-range {first}-{first + 1} ({CONF}): every UID of the range is in use by some "
                    "process; wait for sandboxes to end, or widen the range\n")
        check(proc.returncode == 90, "an exhausted range exits 90", describe(proc))
        check(proc.stderr == expected, "one line naming the range", describe(proc), expected)
        check(not os.path.exists(marker), "nothing ran")
        # The waiter and the target are gone; the range is free again.
        proc = run_id(helper)
        check(proc.returncode == 0 and proc.stdout.strip() == str(first), "free again once the holders are gone",
              describe(proc))
    assert_no_leftovers(helper)


def case_config_refused(name):
    """A configuration file that someone other than root could have written
    is refused (exit 89, one line), as are a link, a bad directory and a bad
    line; without a file the helper behaves as always (the caller's uid)."""
    first = BASE[name]
    helper = test_helper(name)
    good = f"uid-range {first}-{first + 9}\n"
    with Config() as conf:
        proc = run_id(helper)
        check(proc.returncode == 0 and proc.stdout.strip() == str(NOBODY),
              "no configuration file: the program runs as the caller, as before", describe(proc))
        conf.write(good)
        proc = run_id(helper)
        check(proc.returncode == 0 and proc.stdout.strip() == str(first), "the root-owned file is read",
              describe(proc))

        def refused(why, expected_line):
            proc = run_id(helper)
            check(proc.returncode == 89, f"{why}: refused with exit 89", describe(proc))
            check(proc.stdout == "" and proc.stderr == expected_line, f"{why}: one line, nothing ran", describe(proc),
                  expected_line)

        for mode in (0o646, 0o664):
            conf.write(good, mode=mode)
            refused(f"mode {mode:o}", f"sbx-helper: {CONF}: must belong to root and not be writable by group or "
                    "others (chown root; chmod go-w)\n")
        conf.write(good, owner=NOBODY)
        refused("owned by uid 65534", f"sbx-helper: {CONF}: must belong to root and not be writable by group or "
                "others (chown root; chmod go-w)\n")
        conf.write(good)
        os.chmod(CONF_DIR, 0o775)
        refused("a group-writable directory", f"sbx-helper: {CONF_DIR}: the configuration file's directory is not "
                "root's alone: every directory above it must belong to root and not be writable by group or others\n")
        # Whoever may write the directory may remove the file: without it,
        # the helper must not quietly run without the range.
        conf.remove()
        refused("a group-writable directory and no file", f"sbx-helper: {CONF_DIR}: the configuration file's "
                "directory is not root's alone: every directory above it must belong to root and not be writable "
                "by group or others\n")
        conf.write(good)
        os.chmod(CONF_DIR, 0o755)
        target = os.path.join(private_dir(name + "-link"), "real.conf")
        with open(target, "w") as f:
            f.write(good)
        conf.remove()
        os.symlink(target, CONF)
        refused("a symbolic link", f"sbx-helper: {CONF}: a symbolic link; it must be a regular file\n")
        conf.write("# comment\nuid-range 10-5\n")
        refused("a bad line", f"sbx-helper: {CONF} line 2: the range is empty (LAST is below FIRST)\n")
        conf.write("uid-range 1-10\nuser nobody\n")
        refused("an unknown directive",
                f"sbx-helper: {CONF} line 2: unknown directive (the only one is 'uid-range FIRST-LAST')\n")
    assert_no_leftovers(helper)


def case_files_belong_to_caller(name):
    """sbx run in UID-range mode: the program runs as the range UID, but
    what it creates through the trusted process belongs to the caller, and
    the caller's permissions apply (a directory and a file only the caller
    may use), a crash's core too; its own /proc, TMPDIR and the process
    tree are as designed."""
    first = BASE[name]
    require_root()
    os.environ["SBX_HELPER"] = os.environ["SBX_HELPER_CONFTEST"]  # Sandbox copies this one, setuid
    sb = Sandbox(name)
    mine = os.path.join(sb.data, "mine")
    os.makedirs(mine)
    os.chown(mine, NOBODY, NOBODY)
    os.chmod(mine, 0o700)
    secret = os.path.join(mine, "secret")
    with open(secret, "w") as f:
        f.write("only the caller's\n")
    os.chown(secret, NOBODY, NOBODY)
    os.chmod(secret, 0o600)
    script = ("id -u; id -g; cat mine/secret; echo made > mine/new; mkdir mine/dir; "
              "pwd; echo \"tmp=$TMPDIR\"; grep ^Uid: /proc/self/status")
    with Config() as conf:
        conf.write(f"uid-range {first}-{first + 9}\n")
        proc = subprocess.run(as_nobody([sb.sbx, "run", "--allow-write", mine, "--", "/bin/sh", "-c", script]),
                              env=sb.env(TMPDIR="/tmp/from-caller"), capture_output=True, text=True, timeout=60,
                              cwd=sb.data)
        check(proc.returncode == 0, "sbx run works in UID-range mode", describe(proc))
        lines = proc.stdout.splitlines()
        check(lines[:2] == [str(first), str(first)], "the program runs as the range UID and GID", describe(proc))
        check("only the caller's" in lines, "it reads a file only the caller may read (through the trusted process)",
              describe(proc))
        check(lines[3] == sb.data and "tmp=/tmp/from-caller" in lines, "its working directory and TMPDIR are right",
              describe(proc))
        check(any(l.split()[1:] == [str(first)] * 4 for l in lines if l.startswith("Uid:")),
              "its /proc/self/status (through the trusted process) says the range UID", describe(proc))
        for made in ("new", "dir"):
            st = os.lstat(os.path.join(mine, made))
            check((st.st_uid, st.st_gid) == (NOBODY, NOBODY),
                  f"mine/{made}, made by the sandboxed program, belongs to the caller, not to the range UID",
                  f"{st.st_uid}:{st.st_gid}")

        # A crash: the trusted process reads the program's /proc and memory
        # as the range UID and writes the core as the caller.
        proc = subprocess.run(as_nobody([sb.sbx, "run", "--core-dir", mine, "--", PYTHON, "-c",
                                         "import ctypes; ctypes.string_at(0)"]),
                              env=sb.env(), capture_output=True, text=True, timeout=60, cwd=sb.data)
        cores = [f for f in os.listdir(mine) if f.startswith("core.")]
        check(proc.returncode == 128 + signal.SIGSEGV and len(cores) == 1, "a crash leaves one core", describe(proc))
        st = os.lstat(os.path.join(mine, cores[0]))
        check((st.st_uid, st.st_gid) == (NOBODY, NOBODY) and st.st_size > 0, "the core belongs to the caller",
              f"{st.st_uid}:{st.st_gid} {st.st_size} bytes")

        # While it runs: the trusted process has the range UID as real uid
        # and the caller's as effective; the first stage (init) the range UID alone.
        waiter = subprocess.Popen(as_nobody([sb.sbx, "run", "--", "/bin/sleep", "30"]), env=sb.env(),
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  cwd=sb.data)
        try:
            deadline = time.monotonic() + 10
            trusted = init = None
            while time.monotonic() < deadline and (trusted is None or init is None):
                for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
                    try:
                        exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
                    except OSError:
                        continue
                    if exe == "sbx-trusted" and os.readlink(f"/proc/{pid}/exe").startswith(sb.dir):
                        trusted = pid
                    elif exe == "sbx-zygote" and os.readlink(f"/proc/{pid}/exe").startswith(sb.dir):
                        init = pid
                time.sleep(0.05)
            check(trusted is not None and init is not None, "the trusted process and init are found")
            uids, gids = ids(trusted)
            check(uids[0] >= first and uids[1:] == [NOBODY] * 3 and gids[0] == uids[0] and gids[1:] == [NOBODY] * 3,
                  "the trusted process: real ids the range UID's, effective/saved/fs ids the caller's",
                  str(uids), str(gids))
            uids, gids = ids(init)
            check(uids == [uids[0]] * 4 and uids[0] >= first and gids == [uids[0]] * 4,
                  "the first stage (init) keeps the range UID alone", str(uids), str(gids))
        finally:
            waiter.send_signal(signal.SIGTERM)
            waiter.wait(timeout=30)


# Run by the helper with SBX_FILES_AS_CALLER in place of sbx's first stage,
# so with real uid R and effective uid the caller's: tries to keep R where
# the kernel's per-real-uid count does not see it, prints what worked.
HIDE_RANGE_UID = r"""
import ctypes, json, os, sys, time
r, e, s = os.getresuid()
rg, eg, sg = os.getresgid()
out = {"start": [r, e, s]}
try:
    os.setresgid(eg, rg, rg)
    os.setresuid(e, r, r)
    out["setresuid"] = 0
except OSError as err:
    out["setresuid"] = err.errno
try:
    os.setreuid(e, r)
    out["setreuid"] = 0
except OSError as err:
    out["setreuid"] = err.errno
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000
out["userns"] = 0 if libc.unshare(CLONE_NEWUSER) == 0 else ctypes.get_errno()
out["now"] = list(os.getresuid())
print(json.dumps(out), flush=True)
time.sleep(float(sys.argv[1]))
"""


ADD_KEY = ("import ctypes; libc = ctypes.CDLL(None); "
           "print(\"add_key\", libc.syscall(248, b\"user\", b\"planted\", b\"secret\", 6, ctypes.c_int(-4)))")


def case_range_uid_stays_inside(name):
    """The range UID must not outlive its sandbox where the count of step
    10a cannot see it, or the next sandbox (of any user) that gets it could
    be signalled and read by whoever kept it. (1) A program run as R cannot
    make a set-user-ID or set-group-ID file (owned by R, anyone running it
    later would have R as effective uid, uncounted), nor leave SysV IPC
    objects or keys for the next sandbox of R. (2) SBX_FILES_AS_CALLER
    (real uid R, effective the caller's) is refused to any program but sbx's
    first stage and trusted process: the caller's own program could move R
    out of its real uid (setresuid(caller, R, R)), into a user namespace
    counted under the caller, or into a set-user-ID file made with openat2,
    and R would be given to the next sandbox while it keeps it."""
    first = BASE[name]
    helper = test_helper(name)
    drop = os.path.join(os.path.dirname(helper), "drop")
    shutil.rmtree(drop, ignore_errors=True)
    os.makedirs(drop)
    os.chmod(drop, 0o1777)
    with Config() as conf:
        conf.write(f"uid-range {first}-{first + 4}\n")
        plant = (f"cp /usr/bin/id {drop}/by-chmod; chmod 6755 {drop}/by-chmod; chmod u+s {drop}/by-chmod; "
                 f"install -m 4755 /usr/bin/id {drop}/by-install; "
                 f"{PYTHON} -c 'import os; os.close(os.open(\"{drop}/by-open\", os.O_CREAT | os.O_WRONLY, 0o4755))'; "
                 f"{PYTHON} -c 'import os; os.mknod(\"{drop}/by-mknod\", 0o102755)'; "
                 "ipcmk -Q -p 0600; ipcmk -M 4096 -p 0600; "
                 f"{PYTHON} -c '{ADD_KEY}'; true")
        proc = run([helper, "/bin/sh", "-c", plant], env=base_env(**API))
        check(proc.returncode == 0, "the planting program ran", describe(proc))
        planted = []
        for entry in sorted(os.listdir(drop)):
            st = os.lstat(os.path.join(drop, entry))
            check(first <= st.st_uid <= first + 4, f"{entry} belongs to a UID of the range", str(st.st_uid))
            if st.st_mode & 0o6000:
                planted.append(f"{entry} {oct(st.st_mode)}")
        check(planted == [], "no file owned by the range UID has a set-user-ID or set-group-ID bit",
              "\n".join(planted), describe(proc))
        # What the kernel keeps for a UID beyond its processes: SysV IPC objects
        # (and POSIX queues) stay in the sandbox's own IPC namespace, and the
        # UID's user keyring is out of reach, so the next sandbox that gets
        # the UID, of any user, finds nothing of this one.
        left = []
        for table in ("msg", "shm"):
            with open(f"/proc/sysvipc/{table}") as f:
                head, *rows = [line.split() for line in f.read().splitlines()]
            uid_col = head.index("uid")
            left += [f"{table} {' '.join(r)}" for r in rows if first <= int(r[uid_col]) <= first + 4]
        check(left == [], "no SysV IPC object of the range UID is left in the caller's IPC namespace",
              "\n".join(left), describe(proc))
        check("add_key -1" in proc.stdout, "the UID's user keyring cannot be given a key", describe(proc))

        # Only sbx run's own first stage and trusted process beside the helper
        # may start with the caller's euid beside R: any other program asking
        # is refused before anything runs, even one that names the real
        # first stage with another "trusted" program.
        helper_dir = os.path.dirname(helper)
        zygote = install_file(os.environ["SBX_ZYGOTE_BUILT"], "sbx-zygote", helper_dir)
        install_file(os.environ["SBX_TRUSTED_BUILT"], "sbx-trusted", helper_dir)
        expected = ("sbx-helper: SBX_FILES_AS_CALLER: only sbx run's first stage may ask: PROGRAM must be the "
                    "sbx-zygote and its first argument the sbx-trusted installed beside sbx-helper, in directories "
                    "of root's\n")
        for argv in ([PYTHON, "-c", HIDE_RANGE_UID, "10"], [zygote, PYTHON, "/dev/null", "/bin/true", "true"]):
            proc = run([helper, *argv], env=base_env(SBX_FILES_AS_CALLER="1", **API))
            check(proc.returncode == 85 and proc.stdout == "" and proc.stderr == expected,
                  f"SBX_FILES_AS_CALLER for {argv[0]} {argv[1]}: refused with exit 85, one line, nothing ran",
                  describe(proc), expected)


if __name__ == "__main__":
    main({"concurrent": case_concurrent, "isolation": case_isolation, "leftover-skipped": case_leftover_skipped,
          "exhausted": case_exhausted, "config-refused": case_config_refused,
          "files-belong-to-caller": case_files_belong_to_caller,
          "range-uid-stays-inside": case_range_uid_stays_inside})
