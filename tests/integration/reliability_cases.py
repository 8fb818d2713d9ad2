"""sbx run as a whole under load and faults (issue 17): many at once, kills
of each of its processes at random moments, exhausted limits, a soak. Run as
uid 65534 against a setuid copy of the helper (sbxtest.Sandbox).

Every case fails if anything is left behind or ran unsandboxed. "Of the
test" means: a process whose executable is one of the test's own copies
(sbx, sbx-helper, sbx-zygote, sbx-trusted, under its private directory),
or whose working directory or command line names that directory (every
run starts there, and the programs' paths lie there). After a case, within a
few seconds, no such process may remain (so no memfd or descriptor of
theirs either: those live only in processes), the test's own descriptors
are those it had, no new mount appeared, and no new file of uid 65534 is in
/dev/shm (sbx makes no temporary file; see Tracker.tmp_entries).

The long versions (1,000 kill trials, 10 minutes of soak) are
bench/reliability.py, which calls the functions here and writes
docs/RELIABILITY.md.

usage: reliability_cases.py CASE
"""
import errno
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

import sbxtest
from sbxtest import NOBODY, Failure, as_nobody, check, describe, main

PYTHON = "/usr/bin/python3"
HOST_ROOT = (os.stat("/").st_dev, os.stat("/").st_ino)


def proc_read(pid, name, binary=False):
    with open(f"/proc/{pid}/{name}", "rb") as f:
        data = f.read()
    return data if binary else data.decode(errors="replace")


def status_fields(pid):
    return dict(line.split(":", 1) for line in proc_read(pid, "status").splitlines() if ":" in line)


def all_pids():
    return [int(e) for e in os.listdir("/proc") if e.isdigit()]


class Tracker:
    """Finds the processes of one Sandbox and checks what they leave."""

    def __init__(self, sb):
        self.sb = sb
        self.dir = os.path.realpath(sb.dir)
        self.copies = {os.path.realpath(p): n for n, p in (("sbx", sb.sbx), ("helper", sb.helper),
                                                            ("zygote", sb.pieces["SBX_ZYGOTE"]),
                                                            ("trusted", sb.pieces["SBX_TRUSTED"]))}
        self.mine = {os.getpid()}
        self.before_mounts = self.mounts()
        self.before_fds = self.own_fds()
        self.before_tmp = self.tmp_entries()

    @staticmethod
    def mounts():
        with open("/proc/self/mountinfo") as f:
            return {" ".join(line.split()[3:]) for line in f}

    @staticmethod
    def own_fds():
        return set(os.listdir("/proc/self/fd"))

    @staticmethod
    def tmp_entries():
        """sbx itself makes no temporary file (the sandbox's /dev/shm is the
        trusted process's memfds) and no program here may write to /tmp: so
        the entries of uid 65534 in /dev/shm, where a shared memory object
        that escaped the sandbox would be. (/tmp and /var/tmp hold other
        work's files of uid 65534, made beside these tests.)"""
        found = set()
        for n in os.listdir("/dev/shm"):
            try:
                if os.lstat(os.path.join("/dev/shm", n)).st_uid == NOBODY:
                    found.add(os.path.join("/dev/shm", n))
            except OSError:
                pass
        return found

    def role(self, pid):
        """'sbx', 'helper', 'zygote', 'trusted' for the test's copies, 'other'
        for a process that names the test's directory, None if not of the test."""
        if pid in self.mine:
            return None
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            exe = ""
        if exe in self.copies:
            return self.copies[exe]
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        if cwd == self.dir or cwd.startswith(self.dir + "/"):
            return "other"
        try:
            if self.dir.encode() in proc_read(pid, "cmdline", binary=True):
                return "other"
        except OSError:
            pass
        return None

    def processes(self):
        """{pid: role} of the live (non-zombie) processes of the test."""
        found = {}
        for pid in all_pids():
            r = self.role(pid)
            if r is not None and sbxtest.process_state(pid) not in ("Z", "gone"):
                found[pid] = r
        return found

    def describe_pids(self, pids):
        lines = []
        for pid in pids:
            try:
                args = proc_read(pid, "cmdline", binary=True).replace(b"\0", b" ").decode(errors="replace")
                exe = os.readlink(f"/proc/{pid}/exe")
                st = status_fields(pid)
                lines.append(f"pid {pid} ({st.get('State', '?').strip()}, ppid {st.get('PPid', '?').strip()}, "
                             f"uid {st.get('Uid', '?').split()[0]}) exe {exe}: {args}")
            except OSError:
                lines.append(f"pid {pid}: gone")
        return "\n".join(lines)

    def assert_clean(self, grace=5.0, what="the runs"):
        """Within grace seconds: no process, descriptor, mount or temporary
        file of the test's remains."""
        deadline = time.monotonic() + grace
        while True:
            left = self.processes()
            if not left:
                break
            if time.monotonic() > deadline:
                raise Failure(f"processes left behind by {what} after {grace:.0f} s:\n" + self.describe_pids(left))
            time.sleep(0.05)
        fds = self.own_fds() - self.before_fds
        open_fds = {}
        for fd in fds:
            try:
                open_fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                pass  # the descriptor that listed the directory
        check(not open_fds, f"descriptors left open in the test by {what}",
              "\n".join(f"{fd} -> {target}" for fd, target in open_fds.items()))
        new_mounts = self.mounts() - self.before_mounts
        # Other work on the machine (another tree's tests) may mount under
        # its own directory: only mounts outside any other /work tree count.
        top = self.dir.split("/")[:3]
        new_mounts = {m for m in new_mounts
                      if not (m.split()[1].startswith("/work/") and m.split()[1].split("/")[:3] != top)}
        check(not new_mounts, f"new mounts after {what}", "\n".join(sorted(new_mounts)))
        new_tmp = self.tmp_entries() - self.before_tmp
        if new_tmp:  # another test's may be there for a moment
            time.sleep(grace)
            new_tmp &= self.tmp_entries()
        check(not new_tmp, f"temporary files left by {what}", "\n".join(sorted(new_tmp)))


def sandboxed(pid):
    """For a program process seen from outside: (Seccomp mode, whether its
    root is the host's), or None if it is gone."""
    try:
        mode = status_fields(pid)["Seccomp"].strip()
        st = os.stat(f"/proc/{pid}/root")
        return mode, (st.st_dev, st.st_ino) == HOST_ROOT
    except (OSError, KeyError):
        return None


def nobody_dir(path):
    os.makedirs(path, exist_ok=True)
    os.chown(path, NOBODY, NOBODY)
    os.chmod(path, 0o755)
    return path


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def popen(sb, args, cwd=None, prefix=(), **kw):
    """sbx run ARGS as uid 65534 (after a root-run prefix such as prlimit),
    started in cwd (default: the data directory), not waited for."""
    return subprocess.Popen(list(prefix) + as_nobody([sb.sbx, "run", *args]), env=sb.env(), cwd=cwd or sb.data,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="replace", **kw)


def finish(proc, timeout):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise Failure(f"sbx run did not end within {timeout} s (a hang)\nstdout:\n{out}\nstderr:\n{err}")
    proc.stdout_text, proc.stderr_text = out, sbxtest.without_sanitizer_notes(err)
    return proc


def pdesc(proc):
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout_text}\nstderr:\n{proc.stderr_text}"


# ---------------------------------------------------------------- concurrent

CONCURRENT_PROGRAM = r"""
import os, subprocess, sys, time
i, inp, out = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(inp).read().strip()
status = open('/proc/self/status').read()
seccomp = [l.split(':')[1].strip() for l in status.splitlines() if l.startswith('Seccomp:')][0]
with open(os.path.join(out, 'result'), 'w') as f:
    f.write(f'{i} {data} seccomp={seccomp}\n')
while not os.path.exists(sys.argv[4]):  # all sandboxes alive at once
    time.sleep(0.1)
child = subprocess.run(['/bin/echo', 'child', i], capture_output=True, text=True, check=True).stdout.strip()
print(f'run {i} read {data} child {child}')
"""


def concurrent(name, n):
    """n sbx run at once, each a python3 program that reads an allowed file,
    writes into its own --allow-write directory and starts a child: all
    succeed with the right output and file; nothing of theirs remains. Each
    program waits, after writing its file, for a gate file to appear, which
    the test creates once all n have written theirs: all n sandboxes are
    alive at the same moment. Returns the figures."""
    raise_nofile()
    sb = sbxtest.Sandbox(name)
    inp = sb.file("input.txt", "hello\n")
    outs = nobody_dir(os.path.join(sb.data, "out"))
    dirs = [nobody_dir(os.path.join(outs, str(i))) for i in range(n)]
    gate = os.path.join(sb.data, "go")
    tracker = Tracker(sb)
    at_once = {"sandboxes": 0, "seconds": None}
    peak = {"processes": 0, "unsandboxed": []}
    stop = threading.Event()

    def watch():
        # Samples the processes of the test while the runs go: the peak, and
        # any program process (python3 or its child) seen outside its filter.
        while not stop.is_set():
            procs = tracker.processes()
            peak["processes"] = max(peak["processes"], len(procs))
            for pid, role in procs.items():
                if role != "other":
                    continue
                try:
                    exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
                except OSError:
                    continue
                if exe.startswith("ld-linux") or exe in ("python3.11", "echo"):
                    s = sandboxed(pid)
                    if s is not None and (s[0] != "2" or s[1]):
                        peak["unsandboxed"].append((pid, exe, s))
            stop.wait(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    start = time.monotonic()
    try:
        procs = [popen(sb, ["--allow-read", inp, "--allow-read", gate, "--allow-write", d, PYTHON, "-c",
                            CONCURRENT_PROGRAM, str(i), inp, d, gate]) for i, d in enumerate(dirs)]
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and any(p.poll() is None for p in procs):
            if all(os.path.exists(os.path.join(d, "result")) for d in dirs):
                at_once["sandboxes"] = sum(1 for r in tracker.processes().values() if r == "trusted")
                break
            time.sleep(0.5)
        at_once["seconds"] = round(time.monotonic() - start, 1)
        with open(gate, "w"):
            pass
        for p in procs:
            finish(p, timeout=900)
    finally:
        stop.set()
        watcher.join()
    elapsed = time.monotonic() - start
    failed = []
    for i, (p, d) in enumerate(zip(procs, dirs)):
        expected = f"run {i} read hello child child {i}\n"
        try:
            result = open(os.path.join(d, "result")).read()
        except OSError as e:
            result = f"(no result file: {e})"
        files = sorted(os.listdir(d))
        if p.returncode != 0 or p.stdout_text != expected or result != f"{i} hello seccomp=2\n" or files != ["result"]:
            failed.append(f"run {i}: {pdesc(p)}\nresult file: {result!r}, files {files}")
    check(not failed, f"{len(failed)} of {n} concurrent runs failed or gave the wrong output", *failed[:5])
    check(not peak["unsandboxed"], "a program process was seen without its filter or chroot",
          repr(peak["unsandboxed"][:10]))
    tracker.assert_clean(grace=10, what=f"{n} concurrent runs")
    figures = {"runs": n, "succeeded": n - len(failed), "seconds": round(elapsed, 1),
               "trusted_processes_at_once": at_once["sandboxes"], "seconds_until_all_up": at_once["seconds"],
               "peak_processes": peak["processes"]}
    check(at_once["sandboxes"] == n, f"all {n} sandboxes were alive at once", repr(figures))
    print("concurrent:", json.dumps(figures))
    return figures


def case_concurrent(name):
    concurrent(name, int(os.environ.get("SBX_RELIABILITY_N", "200")))


# ---------------------------------------------------------------- kills

TARGETS = ("sbx", "zygote", "trusted", "program")
SIGNALS = (signal.SIGKILL, signal.SIGTERM)
PROBE_STATUS = 7


def find_target(tracker, proc, target, probe):
    """PIDs (and the role each plays now) that `target` names in the trial
    whose sbx run is proc."""
    if target == "sbx":
        try:
            exe = os.readlink(f"/proc/{proc.pid}/exe")
        except OSError:
            return []
        return [(proc.pid, {"sbx": "sbx", "helper": "waiter"}.get(tracker.copies.get(exe), "setpriv"))]
    found = []
    for pid, role in tracker.processes().items():
        if pid == proc.pid:
            continue  # setpriv, before it execs sbx
        if target in ("zygote", "trusted") and role == target:
            found.append((pid, role))
        elif target == "program" and role == "other":
            try:
                if probe.encode() in proc_read(pid, "cmdline", binary=True):
                    parent = int(status_fields(pid)["PPid"])
                    first = tracker.role(parent) == "zygote"  # init's child: the program, not its child
                    found.append((pid, "program" if first else "program's child"))
            except OSError:
                pass
    return found


def kill_trials(name, trials, seed=17, late_share=0.2):
    """`trials` launches of the probe, each sent SIGKILL or SIGTERM at a
    random moment (uniform over 0 to 150 ms, a share later, after the
    program started) to sbx (the helper's waiter once sbx has exec'd it),
    the first stage (sbx-zygote, then init), the trusted process or the
    program. After each: nothing of the trial left within a few seconds;
    the status is 128+N (or the waiter's own death by N), 125/126 with one
    sentence, or the program's own; every record the program wrote, and
    every program process seen from outside, shows its filter and chroot.
    Returns the counts."""
    sb = sbxtest.Sandbox(name)
    probe = sb.compile("reliability_probe.c")
    rng = random.Random(seed)
    tracker = Tracker(sb)
    counts = {}
    roles = {}
    failures = []
    observed = records = 0
    kinds = {}

    def failed(kind, text):
        kinds[kind] = kinds.get(kind, 0) + 1
        failures.append(text)

    for trial in range(trials):
        target = TARGETS[trial % len(TARGETS)]
        sig = rng.choice(SIGNALS)
        delay = rng.uniform(0.0, 0.15) if rng.random() > late_share else rng.uniform(0.15, 0.4)
        out = nobody_dir(os.path.join(sb.data, f"t{trial}"))
        seen_bad = []
        start = time.monotonic()
        proc = popen(sb, ["--allow-write", out, probe, out, "150", str(PROBE_STATUS)])
        killed_role = "gone"
        while time.monotonic() - start < delay:
            time.sleep(0.002)
        # The target at that moment, or as soon as it appears.
        while proc.poll() is None:
            found = find_target(tracker, proc, target, probe)
            if found:
                pid, killed_role = rng.choice(found)
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    killed_role = "gone"
                break
            if time.monotonic() - start > 10:
                break
            time.sleep(0.001)
        # Watch every program process until the run ends.
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            for pid, role in tracker.processes().items():
                if role == "other" and pid != proc.pid:
                    try:
                        if probe.encode() not in proc_read(pid, "cmdline", binary=True):
                            continue
                    except OSError:
                        continue
                    s = sandboxed(pid)
                    if s is not None:
                        observed += 1
                        if s[0] != "2" or s[1]:
                            seen_bad.append((pid, s))
            time.sleep(0.005)
        try:
            finish(proc, timeout=max(1, deadline - time.monotonic()))
        except Failure as f:
            failed("hang", f"trial {trial} ({target} {killed_role} {sig.name} at {delay * 1000:.0f} ms): {f}")
            tracker.assert_clean(grace=10, what=f"trial {trial}")
            continue
        rc, err = proc.returncode, proc.stderr_text
        lines = err.splitlines()
        if rc == -sig and target == "sbx":
            outcome = f"killed by {sig.name}"
        elif rc == 128 + sig:
            outcome = f"128+{sig.name}"
        elif rc in (125, 126) and len([l for l in lines if l.startswith("sbx")]) == 1:
            # One sentence of sbx's; any other line is the program's own (the
            # loader saying its opens failed once the trusted process was gone).
            outcome = f"{rc} ({[l for l in lines if l.startswith('sbx')][0]})"
        elif rc == PROBE_STATUS and proc.stdout_text == "probe done\n" and not err:
            outcome = "program's own status"
        else:
            outcome = f"unexpected {rc}"
            failed("status", f"trial {trial} ({target} {killed_role} {sig.name} at {delay * 1000:.0f} ms): "
                   f"an exit status that does not say what happened\n{pdesc(proc)}")
        for rec in sorted(os.listdir(out)):
            records += 1
            text = open(os.path.join(out, rec)).read()
            # The root the program sees is the host's by design (the trusted
            # process answers stat("/") in the host's view): only Seccomp: 2
            # is checked here; the chroot is checked from outside (seen_bad).
            if not text.startswith("seccomp=2 "):
                failed("unsandboxed", f"trial {trial} ({target} {killed_role} {sig.name}): the program ran "
                       f"without its sandbox: {rec}: {text!r}")
        if seen_bad:
            failed("unsandboxed", f"trial {trial} ({target} {killed_role} {sig.name}): program processes seen "
                   f"without filter or chroot: {seen_bad[:5]}")
        try:
            tracker.assert_clean(grace=5, what=f"trial {trial} ({target} {killed_role} {sig.name} at "
                                 f"{delay * 1000:.0f} ms, exit {rc})")
        except Failure as f:
            failed("left behind", str(f))
            tracker.assert_clean(grace=30, what=f"trial {trial}, waiting longer")
        key = f"{target}/{sig.name}"
        counts.setdefault(key, {})
        counts[key][outcome] = counts[key].get(outcome, 0) + 1
        roles.setdefault(target, {})
        roles[target][killed_role] = roles[target].get(killed_role, 0) + 1
        shutil.rmtree(out, ignore_errors=True)
    figures = {"trials": trials, "outcomes": counts, "roles_at_kill": roles, "failures": len(failures),
               "failure_kinds": kinds,
               "records_checked": records, "program_processes_checked": observed,
               "failure_samples": failures[:20]}
    print("kills:", json.dumps({k: v for k, v in figures.items() if k != "failure_samples"}, indent=1,
                               sort_keys=True))
    return figures


def case_kills_short(name):
    figures = kill_trials(name, int(os.environ.get("SBX_RELIABILITY_TRIALS", "60")))
    check(not figures["failures"], f"{figures['failures']} of {figures['trials']} kill trials failed",
          *figures["failure_samples"])


# ---------------------------------------------------------------- nproc

NPROC_WRAPPER = r"""
import os, resource, sys
def tasks_of(uid):
    n = 0
    for e in os.listdir('/proc'):
        if not e.isdigit():
            continue
        try:
            f = dict(l.split(':', 1) for l in open(f'/proc/{e}/status').read().splitlines() if ':' in l)
        except OSError:
            continue
        if int(f['Uid'].split()[0]) == uid:
            n += int(f.get('Threads', '1'))
    return n
for attempt in range(20):
    n = tasks_of(os.getuid())
    resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
    try:
        pid = os.fork()
    except BlockingIOError:
        break
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # someone's process ended meanwhile: count again
else:
    print('a native fork never failed at the limit', file=sys.stderr)
    sys.exit(99)
sys.stderr.write(f'limit {n}\n')
sys.stderr.flush()
os.execv(sys.argv[1], sys.argv[1:])
"""


def case_nproc(name):
    """A caller at its RLIMIT_NPROC (a native fork fails with EAGAIN): sbx
    run refuses with one sentence naming the process limit and exit 88, and
    leaves nothing. (The helper clones with CAP_SYS_ADMIN, which the kernel
    exempts from the limit: before the fix it starts the program anyway.)"""
    sb = sbxtest.Sandbox(name)
    tracker = Tracker(sb)
    proc = subprocess.run(as_nobody([PYTHON, "-c", NPROC_WRAPPER, sb.sbx, "run", "/bin/true"]), env=sb.env(),
                          cwd=sb.data, capture_output=True, text=True, timeout=120)
    check(proc.returncode != 99, "the test could not bring uid 65534 to its limit", describe(proc))
    lines = proc.stderr.splitlines()
    check(lines and lines[0].startswith("limit "), "the wrapper set the limit", describe(proc))
    err = "\n".join(lines[1:])
    check(proc.returncode == 88 and "process limit" in err and len(lines) == 2,
          "at the caller's RLIMIT_NPROC, sbx run refuses: exit 88, one sentence naming the process limit",
          describe(proc))
    tracker.assert_clean()


# ---------------------------------------------------------------- limits

EMFILE_PROGRAM = r"""
import errno, os, sys
fds = []
while True:
    try:
        fds.append(os.open(sys.argv[1], os.O_RDONLY))
    except OSError as e:
        print('stopped', errno.errorcode.get(e.errno, e.errno), flush=True)
        break
    if len(fds) > 100000:
        print('no limit', flush=True)
        break
for fd in fds:
    os.close(fd)
print('after', len(open(sys.argv[1]).read()))
"""

FULL_PROGRAM = r"""
import errno, os, sys
d = sys.argv[1]
try:
    with open(os.path.join(d, 'big'), 'wb') as f:
        while True:
            f.write(b'x' * 65536)
            f.flush()
except OSError as e:
    print('write failed:', errno.errorcode.get(e.errno, e.errno), flush=True)
os.unlink(os.path.join(d, 'big'))
with open(os.path.join(d, 'after'), 'w') as f:
    f.write('written after freeing space\n')
print('after:', open(os.path.join(d, 'after')).read().strip())
"""

BOMB_PROGRAM = r"""
import os, time
end = time.monotonic() + float(os.environ.get('BOMB_SECONDS', '4'))
first = os.getpid()
forks = eagain = 0
while time.monotonic() < end:
    try:
        pid = os.fork()
    except BlockingIOError:
        eagain += 1
        time.sleep(0.01)
        continue
    if pid == 0:
        forks = eagain = 0
        continue  # the child forks too
    forks += 1
if os.getpid() == first:
    print('bounded', 'eagain' if eagain else 'no-eagain', flush=True)
    os._exit(0)
while True:
    time.sleep(1)
"""

MEMORY_PROGRAM = r"""
chunks = []
try:
    while True:
        chunks.append(bytearray(16 << 20))
except MemoryError:
    print('MemoryError after', len(chunks) * 16, 'MiB', flush=True)
del chunks
print('still running')
"""


def tasks_of(uid):
    n = 0
    for pid in all_pids():
        try:
            f = status_fields(pid)
        except OSError:
            continue
        if int(f["Uid"].split()[0]) == uid:
            n += int(f.get("Threads", "1"))
    return n


def case_limits(name):
    """Exhausted limits: each gets the kernel's error or one clear
    sentence, never a hang, and nothing is left."""
    sb = sbxtest.Sandbox(name)
    tracker = Tracker(sb)
    data = sb.file("data.txt", "some data\n")

    # RLIMIT_NOFILE 16 on sbx run: a correct run or one clear sentence.
    proc = finish(popen(sb, [PYTHON, "-c", "print('ran')"], prefix=["prlimit", "--nofile=16:16"]), timeout=120)
    lines = proc.stderr_text.splitlines()
    clear = (proc.returncode in (125, 126) or proc.returncode in range(80, 90)) and len(lines) == 1
    check((proc.returncode == 0 and proc.stdout_text == "ran\n") or clear,
          "RLIMIT_NOFILE 16: a correct run or one clear sentence", pdesc(proc))
    print(f"nofile 16: exit {proc.returncode} {proc.stdout_text.strip()!r} {proc.stderr_text.strip()!r}")
    tracker.assert_clean(what="the RLIMIT_NOFILE 16 run")
    # The trusted process keeps a pidfd per thread it has served (about 256
    # before it sweeps): under the same limit, 300 processes one after the
    # other, each a brokered open, are still served (or one clear sentence).
    loop = 'i=0; while [ $i -lt 300 ]; do cat "$1" > /dev/null || exit 3; i=$((i + 1)); done; echo served $i'
    proc = finish(popen(sb, ["--allow-read", data, "/bin/sh", "-c", loop, "sh", data],
                        prefix=["prlimit", "--nofile=16:16"]), timeout=300)
    lines = proc.stderr_text.splitlines()
    clear = (proc.returncode in (125, 126) or proc.returncode in range(80, 90)) and len(lines) == 1
    check((proc.returncode == 0 and proc.stdout_text == "served 300\n") or clear,
          "RLIMIT_NOFILE 16, 300 processes each opening a file: all served, or one clear sentence", pdesc(proc))
    tracker.assert_clean(what="the RLIMIT_NOFILE 16 loop")

    # A program that opens descriptors (brokered) until EMFILE, then goes on.
    proc = finish(popen(sb, ["--allow-read", data, PYTHON, "-c", EMFILE_PROGRAM, data],
                        prefix=["prlimit", "--nofile=256:256"]), timeout=180)
    check(proc.returncode == 0 and proc.stdout_text == "stopped EMFILE\nafter 10\n",
          "opening until EMFILE: the program gets EMFILE, and opens again after closing", pdesc(proc))
    tracker.assert_clean(what="the EMFILE run")

    # An --allow-write directory on a full tmpfs: ENOSPC reaches the program,
    # and the trusted process serves it on (a later write in the same run).
    full = nobody_dir(os.path.join(sb.data, "full"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755,uid=65534,gid=65534", "sbx-reliability", full],
                   check=True)
    try:
        proc = finish(popen(sb, ["--allow-write", full, PYTHON, "-c", FULL_PROGRAM, full]), timeout=120)
        check(proc.returncode == 0 and proc.stdout_text == "write failed: ENOSPC\nafter: written after freeing space\n",
              "a full --allow-write directory: ENOSPC reaches the program, and it writes again after freeing space",
              pdesc(proc))
    finally:
        subprocess.run(["umount", full], check=True)
    tracker.assert_clean(what="the full tmpfs run")

    # A fork bomb under the default policy, bounded by RLIMIT_NPROC (the
    # caller's count + 50): it ends, and the caller's other process lives.
    sentinel = subprocess.Popen(as_nobody(["/bin/sleep", "600"]), stdin=subprocess.DEVNULL)
    try:
        time.sleep(0.2)
        limit = tasks_of(NOBODY) + 50
        peak = [0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], tasks_of(NOBODY))
                stop.wait(0.1)
        t = threading.Thread(target=sample)
        t.start()
        try:
            proc = finish(popen(sb, [PYTHON, "-c", BOMB_PROGRAM], prefix=["prlimit", f"--nproc={limit}:{limit}"]),
                          timeout=300)
        finally:
            stop.set()
            t.join()
        check(proc.returncode == 0 and proc.stdout_text == "bounded eagain\n",
              "a fork bomb meets EAGAIN and its first program ends normally", pdesc(proc))
        print(f"fork bomb: RLIMIT_NPROC {limit}, peak tasks of uid 65534 {peak[0]}")
        tracker.assert_clean(grace=10, what="the fork bomb")
        check(sentinel.poll() is None, "the caller's other process survived the fork bomb")
        check(subprocess.run(as_nobody(["/bin/true"])).returncode == 0, "the caller can start processes again")
    finally:
        sentinel.kill()
        sentinel.wait()

    # Memory: a program that allocates until it fails, under RLIMIT_AS 1 GiB.
    proc = finish(popen(sb, [PYTHON, "-c", MEMORY_PROGRAM], prefix=["prlimit", f"--as={1 << 30}"]), timeout=300)
    check(proc.returncode == 0 and proc.stdout_text.startswith("MemoryError after ")
          and proc.stdout_text.endswith("\nstill running\n"),
          "allocating until it fails: MemoryError reaches the program, which goes on", pdesc(proc))
    print("memory:", proc.stdout_text.splitlines()[0])
    tracker.assert_clean(what="the memory run")


# ---------------------------------------------------------------- soak

SOAK_SCRIPT = r"""
w=$1; probe=$2; data=$3; seconds=$4
end=$(( $(date +%s) + seconds ))
i=0
while [ "$(date +%s)" -lt "$end" ]; do
  python3 -c 'import sys; open(sys.argv[1] + "/py", "w").write(open(sys.argv[2]).read() * 100)' "$w" "$data"
  printf 'b\na\nc\n' | sort -r | tr a-z A-Z | head -2 > "$w/pipe"
  "$probe" "$w" 0 0 > /dev/null
  cat "$w/py" "$w/pipe" | wc -c > "$w/count"
  sh -c 'ls "$1" | grep -c record' sh "$w" > "$w/records"
  rm -f "$w"/record.* "$w/py" "$w/records"
  i=$((i + 1))
done
echo "iterations $i"
"""


def soak(name, seconds, warmup=5):
    """One long sbx run of a shell script that loops over mixed workloads
    for `seconds`; the trusted process's VmRSS and descriptor count sampled
    every second stay flat after warm-up. Returns the figures."""
    sb = sbxtest.Sandbox(name)
    probe = sb.compile("reliability_probe.c")
    data = sb.file("data.txt", "some data\n")
    work = nobody_dir(os.path.join(sb.data, "soak"))
    tracker = Tracker(sb)
    proc = popen(sb, ["--allow-write", work, "--allow-read", data, "--allow-read", probe, "/bin/sh", "-c", SOAK_SCRIPT,
                      "sh", work, probe, data, str(seconds)])
    samples = []
    trusted = None
    start = time.monotonic()
    while proc.poll() is None:
        if trusted is None:
            found = [p for p, r in tracker.processes().items() if r == "trusted"]
            trusted = found[0] if found else None
        if trusted is not None:
            try:
                rss = int(status_fields(trusted)["VmRSS"].split()[0])
                fds = len(os.listdir(f"/proc/{trusted}/fd"))
                threads = int(status_fields(trusted)["Threads"])
                samples.append((round(time.monotonic() - start, 1), rss, fds, threads))
            except (OSError, KeyError):
                pass
        time.sleep(1)
    finish(proc, timeout=seconds + 120)
    check(proc.returncode == 0 and proc.stdout_text.startswith("iterations ") and not proc.stderr_text,
          "the soak script ran to its end", pdesc(proc))
    iterations = int(proc.stdout_text.split()[1])
    tracker.assert_clean(what="the soak")
    steady = samples[warmup:]
    check(len(steady) >= 20, "enough samples of the trusted process", repr(samples))
    first, last = steady[:10], steady[-10:]
    rss_first = sum(s[1] for s in first) / len(first)
    rss_last = sum(s[1] for s in last) / len(last)
    fds_first, fds_last = max(s[2] for s in first), max(s[2] for s in last)
    figures = {"seconds": seconds, "iterations": iterations, "samples": len(samples),
               "rss_kib_first10": round(rss_first), "rss_kib_last10": round(rss_last),
               "rss_kib_max": max(s[1] for s in steady), "fds_max_first10": fds_first, "fds_max_last10": fds_last,
               "threads_max": max(s[3] for s in steady)}
    print("soak:", json.dumps(figures))
    check(rss_last <= rss_first * 1.10, "the trusted process's memory stays flat (last 10 samples within +10% of the "
          "first 10 after warm-up)", repr(samples))
    # Its descriptors are a sawtooth, not a line: a cache of pidfds of the
    # callers' threads, swept when it reaches 256 entries (trusted/
    # host_ids.cc), rising about 100 a second here. Where the once-a-second
    # samples fall in it decides both the highest and the lowest of any ten
    # (CI saw the lowest go from 8 to 57 with nothing leaking), so every
    # sample is held to the sweep's bound instead: a leak of one descriptor
    # per 5 commands run here would break it within the 30 s. (The
    # 10-minute soak, bench/reliability.py, finds slower ones.)
    check(max(s[2] for s in steady) <= 256 + 64,
          "the trusted process's descriptors do not grow (at most the pidfd cache's 256 and 64 more)", repr(samples))
    return figures


def case_soak_short(name):
    soak(name, int(os.environ.get("SBX_RELIABILITY_SOAK_SECONDS", "30")))


CASES = {
    "concurrent": case_concurrent,
    "kills-short": case_kills_short,
    "nproc": case_nproc,
    "limits": case_limits,
    "soak-short": case_soak_short,
}

if __name__ == "__main__":
    main(CASES)
