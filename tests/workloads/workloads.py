"""Real workloads, each run three ways and compared by what it produced.

Every folder of tests/workloads/ with a workload.toml is one workload: a
small script or program and its inputs. Each is run as uid 65534, in a
fresh copy of its folder (the work directory W, the same path every time),
three ways:

  native   the command itself
  sbx      sbx run --allow-read /usr --allow-read /etc --allow-write W [the
           workload's own --allow-read/--allow-write paths] COMMAND, under the
           default policy (builtin:default), no policy of its own
  bwrap    bwrap --unshare-all --die-with-parent, /usr and /etc read-only,
           --dev /dev, --proc /proc, W read-write (the same view of the host)

and what each run produced is compared with the native run's: the exit
status, standard output, and the files left in W (type, mode, owner,
content; symlinks' targets), after the workload's own normalisations, each
with its reason (workload.toml). Standard error is not compared; it is
shown when a run differs.

  workloads.py NAME            one workload, as a meson test (suite
                               'workloads'): passes iff sbx's result equals the
                               native one; bwrap's is printed, for information
  workloads.py --report [BUILDDIR]
                               every workload (natively twice, to check the
                               harness), then writes docs/COMPATIBILITY.md
  workloads.py --list          the workloads' names
  workloads.py --registered NAME...
                               fails unless NAME... are exactly the workloads
                               (tests/meson.build lists them)

A workload folder holds workload.toml (what to run, what it needs, what is
normalised and why), its inputs (everything else but `reason`), and,
where a run differs from the native one, `reason`: one line per sandbox,
`sbx: WHY` or `bwrap: WHY`, which docs/COMPATIBILITY.md shows beside the
difference.

workload.toml:
  description = "what it exercises"            (one line, for the report)
  command = ["bash", "main.sh"]                (run in W; PATH=/usr/bin:/bin)
  requires = ["bash"]                          (programs; missing: skip)
  stdin = "input.txt"                          (a file of W; default /dev/null)
  status = 0                                   (the native exit status)
  allow_read = ["/some/path"]                  (sbx: more --allow-read)
  allow_write = ["/dev/shm"]                   (sbx: more --allow-write)
  env = {NAME = "value"}                       (more environment)
  timeout = 120                                (seconds per run)
  ignore = ["tmp/*"]                           (files not compared; fnmatch,
  ignore_why = "..."                            `*` crosses `/`; why)
  [[normalise]]                                (re.sub on stdout and on the
  pattern = '...'                               text of files, for each run)
  replace = '...'
  why = '...'

Every run gets the environment PATH=/usr/bin:/bin LC_ALL=C HOME=W
TMPDIR=W/tmp TZ=UTC and umask 022.
"""
import datetime
import difflib
import fnmatch
import hashlib
import os
import platform
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))
INTEGRATION = os.path.join(SOURCE, "tests", "integration")
sys.path.insert(0, INTEGRATION)

import sbxtest  # noqa: E402
from sbxtest import NOBODY, as_nobody, check, skip  # noqa: E402

METADATA = ("workload.toml", "reason")
SBX_READ = ["/usr", "/etc"]  # the host view bwrap gets too
MODES = ("native", "sbx", "bwrap")
VERDICTS = {"same": "gives the native result", "differs": "differs from the native run (same exit status)",
            "fails": "fails: another exit status than the native run's"}


def bwrap_argv(work):
    return ["bwrap", "--unshare-all", "--die-with-parent",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin", "--ro-bind", "/etc", "/etc",
            "--dev", "/dev", "--proc", "/proc", "--bind", work, work, "--chdir", work, "--"]


# ---------------------------------------------------------------- workloads

class Workload:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(HERE, name)
        with open(os.path.join(self.dir, "workload.toml"), "rb") as f:
            spec = tomllib.load(f)
        known = {"description", "command", "requires", "stdin", "status", "allow_read", "allow_write", "env",
                 "timeout", "ignore", "ignore_why", "normalise"}
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"{name}/workload.toml: unknown keys {sorted(unknown)}")
        self.description = spec.get("description", "")
        self.command = spec["command"]
        self.requires = spec.get("requires", [self.command[0]])
        self.stdin = spec.get("stdin")
        self.status = spec.get("status", 0)
        self.allow_read = spec.get("allow_read", [])
        self.allow_write = spec.get("allow_write", [])
        self.env = spec.get("env", {})
        self.timeout = spec.get("timeout", 120)
        self.ignore = spec.get("ignore", [])
        self.ignore_why = spec.get("ignore_why", "")
        if self.ignore and not self.ignore_why:
            raise ValueError(f"{name}/workload.toml: ignore without ignore_why")
        self.normalise = []
        for rule in spec.get("normalise", []):
            if not rule.get("why"):
                raise ValueError(f"{name}/workload.toml: a normalise rule without why")
            self.normalise.append((re.compile(rule["pattern"], re.M), rule["replace"], rule["why"]))
        self.reasons = {}
        path = os.path.join(self.dir, "reason")
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    line = line.strip()
                    if not line or line.startswith("#"):
                        continue
                    mode, _, why = line.partition(":")
                    if mode not in ("sbx", "bwrap") or not why.strip():
                        raise ValueError(f"{name}/reason: lines are 'sbx: WHY' or 'bwrap: WHY': {line!r}")
                    self.reasons[mode] = (self.reasons.get(mode, "") + " " + why.strip()).strip()

    def normalised(self, text):
        for pattern, replace, _ in self.normalise:
            text = pattern.sub(replace, text)
        return text

    def ignored(self, relpath):
        return any(fnmatch.fnmatchcase(relpath, g) for g in self.ignore)

    def missing(self):
        return [p for p in self.requires if shutil.which(p, path="/usr/bin:/bin") is None]


def all_workloads():
    return sorted(d for d in os.listdir(HERE) if os.path.isfile(os.path.join(HERE, d, "workload.toml")))


# ---------------------------------------------------------------- runs

class Result:
    """One run: exit status, output, and the files it left."""

    def __init__(self, mode, status, stdout, stderr, files, seconds, timed_out=False):
        self.mode, self.status, self.stdout, self.stderr = mode, status, stdout, stderr
        self.files, self.seconds, self.timed_out = files, seconds, timed_out

    def describe_status(self):
        return "timed out" if self.timed_out else f"exit {self.status}"


def prepare(wl, work):
    """W: a fresh copy of the workload's inputs, owned by uid 65534, with tmp/."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(wl.dir, work, symlinks=True, ignore=lambda d, names: [n for n in names if
                    d == wl.dir and n in METADATA or n == "__pycache__"])
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    for root, dirs, files in os.walk(work):
        for n in [root] + [os.path.join(root, x) for x in dirs + files]:
            os.lchown(n, NOBODY, NOBODY)
            if not os.path.islink(n) and os.path.isdir(n):
                os.chmod(n, 0o755)
    os.chmod(os.path.dirname(work), 0o755)


def entry_of(wl, path):
    st = os.lstat(path)
    owner = f"{st.st_uid}:{st.st_gid}"
    perm = f"{stat.S_IMODE(st.st_mode):04o}"
    if stat.S_ISLNK(st.st_mode):
        return ("symlink", owner, os.readlink(path), None, None)
    if stat.S_ISDIR(st.st_mode):
        return ("directory", owner, perm, None, None)
    if not stat.S_ISREG(st.st_mode):
        return ("special", owner, perm, None, None)
    with open(path, "rb") as f:
        data = f.read()
    text = None
    if b"\0" not in data[:8192]:
        try:
            text = wl.normalised(data.decode())
            data = text.encode()
        except UnicodeDecodeError:
            pass
    return ("file", owner, perm, f"{len(data)} bytes sha256 {hashlib.sha256(data).hexdigest()[:16]}", text)


def snapshot(wl, work):
    """relative path -> (kind, owner, mode or target, content summary, text)."""
    files = {}
    for root, dirs, names in os.walk(work):
        dirs.sort()
        for n in sorted(dirs + names):
            path = os.path.join(root, n)
            rel = os.path.relpath(path, work)
            if not wl.ignored(rel):
                files[rel] = entry_of(wl, path)
    return files


def run_mode(wl, mode, work, results, sb=None):
    """Run the workload one way in a fresh W; keep W as results/MODE."""
    prepare(wl, work)
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": work, "TMPDIR": os.path.join(work, "tmp"), "TZ": "UTC",
           **wl.env}
    argv = list(wl.command)
    if mode == "sbx":
        options = []
        for p in SBX_READ + wl.allow_read:
            options += ["--allow-read", p]
        for p in [work] + wl.allow_write:
            options += ["--allow-write", p]
        argv = [sb.sbx, "run", *options, *argv]
        env = {**sb.env(), **env}
    elif mode == "bwrap":
        argv = bwrap_argv(work) + argv
    stdin = open(os.path.join(work, wl.stdin), "rb") if wl.stdin else subprocess.DEVNULL
    start = time.monotonic()
    proc = subprocess.Popen(as_nobody(argv), env=env, cwd=work, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, preexec_fn=lambda: os.umask(0o022))
    timed_out = False
    try:
        out, err = proc.communicate(timeout=wl.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    seconds = time.monotonic() - start
    if wl.stdin:
        stdin.close()
    stdout = wl.normalised(out.decode(errors="replace"))
    stderr = sbxtest.without_sanitizer_notes(err.decode(errors="replace"))
    result = Result(mode, proc.returncode, stdout, stderr, snapshot(wl, work), seconds, timed_out)
    kept = os.path.join(results, mode)
    shutil.rmtree(kept, ignore_errors=True)
    os.rename(work, kept)
    for name, text in (("stdout", out.decode(errors="replace")), ("stderr", stderr)):
        with open(os.path.join(results, f"{mode}.{name}"), "w") as f:
            f.write(text)
    return result


# ---------------------------------------------------------------- comparing

def compare(wl, native, other):
    """('same' | 'differs' | 'fails', the differences as text, one line of evidence)."""
    lines = []
    evidence = ""
    verdict = "same"
    if other.timed_out or other.status != native.status:
        verdict = "fails"
        evidence = f"{other.describe_status()} (native: exit {native.status})"
        lines.append(f"exit status: native exit {native.status}, {other.mode} {other.describe_status()}")
    if other.stdout != native.stdout:
        verdict = "fails" if verdict == "fails" else "differs"
        diff = list(difflib.unified_diff(native.stdout.splitlines(), other.stdout.splitlines(), "native stdout",
                                         f"{other.mode} stdout", lineterm="", n=2))
        lines.append("stdout:")
        lines += ["  " + l for l in diff[:80]]
        if len(diff) > 80:
            lines.append(f"  ... ({len(diff) - 80} more lines of diff)")
        if not evidence:
            first = next((l for l in diff[2:] if l[:1] in "+-"), "")
            evidence = f"stdout: `{first[:100]}`"
    file_lines = []
    for rel in sorted(set(native.files) | set(other.files)):
        a, b = native.files.get(rel), other.files.get(rel)
        if a == b:
            continue
        if a is None:
            file_lines.append(f"  only under {other.mode}: {rel} ({b[0]})")
        elif b is None:
            file_lines.append(f"  missing under {other.mode}: {rel} ({a[0]})")
        else:
            file_lines.append(f"  {rel}: native {' '.join(str(x) for x in a[:4] if x is not None)}; {other.mode} {' '.join(str(x) for x in b[:4] if x is not None)}")
            if a[0] == b[0] == "file" and a[4] is not None and b[4] is not None and a[4] != b[4]:
                diff = list(difflib.unified_diff(a[4].splitlines(), b[4].splitlines(), "native", other.mode,
                                                 lineterm="", n=1))
                file_lines += ["    " + l for l in diff[:30]]
    if file_lines:
        verdict = "fails" if verdict == "fails" else "differs"
        lines.append(f"files of W ({len(file_lines)} lines):")
        lines += file_lines[:120]
        if len(file_lines) > 120:
            lines.append(f"  ... ({len(file_lines) - 120} more)")
        if not evidence:
            evidence = "files: " + file_lines[0].strip()[:120]
    if verdict != "same":
        err = [l for l in other.stderr.splitlines() if l.strip()]
        if err:
            lines.append(f"{other.mode} stderr (last {min(len(err), 15)} of {len(err)} lines):")
            lines += ["  " + l for l in err[-15:]]
            if verdict == "fails":
                # A Python traceback ends with what went wrong; a script's
                # first complaint is usually the cause.
                line = err[-1] if err[0].startswith("Traceback") else err[0]
                evidence += f"; stderr: `{line[:120]}`"
    return verdict, "\n".join(lines), evidence


def run_workload(name, modes=MODES, twice=False):
    """Every run of one workload: {mode: Result} (and 'native-again')."""
    wl = Workload(name)
    Sandbox = sbxtest.Sandbox
    sb = Sandbox(name)
    work = os.path.join(sb.dir, "work")
    results = os.path.join(sb.dir, "results")
    os.makedirs(results, exist_ok=True)
    runs = {}
    for mode in modes:
        if mode == "bwrap" and shutil.which("bwrap") is None:
            continue
        runs[mode] = run_mode(wl, mode, work, results, sb)
    if twice:
        runs["native-again"] = run_mode(wl, "native", work, results, sb)
        runs["native-again"].mode = "native-again"
    return wl, runs, results


# ---------------------------------------------------------------- the meson test

def test(name):
    if name not in all_workloads():
        print(f"unknown workload {name}; workloads: {' '.join(all_workloads())}")
        sys.exit(2)
    wl = Workload(name)
    sbxtest.require_root()
    missing = wl.missing()
    if missing:
        skip(f"{name} needs {', '.join(missing)} (tests/debian-packages lists the Debian packages)")
    wl, runs, results = run_workload(name)
    native = runs["native"]
    print(f"{name}: {wl.description}")
    print(f"command: {' '.join(wl.command)}   (results kept in {results})")
    for mode, r in runs.items():
        print(f"  {mode:7} {r.describe_status():10} {r.seconds:6.2f} s")
    try:
        check(not native.timed_out and native.status == wl.status,
              f"the native run gives {native.describe_status()}, not {wl.status}: the workload itself is broken "
              "here", native.stderr[-3000:])
        if "bwrap" in runs:
            verdict, diff, _ = compare(wl, native, runs["bwrap"])
            note = f" ({wl.reasons['bwrap']})" if "bwrap" in wl.reasons else ""
            print(f"bwrap (for information): {verdict}{note}")
            if verdict != "same":
                print("\n".join("  " + l for l in diff.splitlines()[:40]))
        else:
            print("bwrap (for information): not installed")
        verdict, diff, _ = compare(wl, native, runs["sbx"])
        recorded = wl.reasons.get("sbx")
        if verdict == "same" and recorded:
            print(f"note: {name}/reason still gives a reason for a difference under sbx, and there is none now: "
                  f"remove it ({recorded})")
        check(verdict == "same", f"under sbx run the workload {VERDICTS[verdict]}\n{diff}" +
              (f"\nthe reason recorded in {name}/reason: {recorded}" if recorded else ""))
    except sbxtest.Failure as failure:
        print(f"FAIL {name}: {failure}")
        sys.exit(1)
    print(f"ok {name}: sbx's result is the native one")
    sys.exit(0)


# ---------------------------------------------------------------- the report

def git_head():
    """The commit the report is of, and whether the tree had changes of its own."""
    proc = subprocess.run(["git", "-C", SOURCE, "log", "-1", "--format=%h"], capture_output=True, text=True)
    head = proc.stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", SOURCE, "diff", "--quiet", "HEAD", "--", ".", ":!docs/COMPATIBILITY.md"])
    return head + (" (with uncommitted changes)" if dirty.returncode == 1 else "")


def shown(argv):
    """A command line for the report: a long inline script is only named."""
    return " ".join(f"'<a script of {a.count(chr(10)) + 1} lines>'" if "\n" in a or len(a) > 80 else shlex.quote(a)
                    for a in argv)


def md(text):
    return text.replace("|", "\\|").replace("\n", " ")


def report(build):
    if os.geteuid() != 0:
        sys.exit("workloads.py --report: run as root (it installs a setuid copy of the helper and runs as uid 65534)")
    subprocess.run(["meson", "compile", "-C", build], check=True, stdout=subprocess.DEVNULL)
    os.environ.update({
        "SBX_BUILD_DIR": build, "SBX_HELPER": f"{build}/launcher/sbx-helper", "SBX_CLI": f"{build}/cli/sbx",
        "SBX_SHIM_BUILT": f"{build}/zygote_shim/libsbx-shim.so",
        "SBX_ZYGOTE_BUILT": f"{build}/zygote_shim/sbx-zygote", "SBX_TRUSTED_BUILT": f"{build}/trusted/sbx-trusted"})
    rows, notes = [], []
    counts = {"sbx": 0, "bwrap": 0}
    names = all_workloads()
    harness_problems = []
    for name in names:
        wl = Workload(name)
        missing = wl.missing()
        if missing:
            rows.append(f"| `{name}` | {md(wl.description)} | not run: needs {', '.join(missing)} | | |")
            print(f"{name}: not run, needs {missing}")
            continue
        wl, runs, _ = run_workload(name, twice=True)
        native = runs["native"]
        cells, details = {}, []
        native_ok = not native.timed_out and native.status == wl.status
        cells["native"] = "ok" if native_ok else f"fails ({native.describe_status()})"
        again, again_diff, _ = compare(wl, native, runs["native-again"])
        if again != "same":
            harness_problems.append(name)
            cells["native"] += ", not repeatable"
            details.append(f"- native, run again: {again} ({again_diff.splitlines()[0] if again_diff else ''})")
            print(f"HARNESS: {name}: a second native run {again}:\n{again_diff}")
        for mode in ("sbx", "bwrap"):
            if mode not in runs:
                cells[mode] = "not installed"
                continue
            verdict, diff, evidence = compare(wl, native, runs[mode])
            cells[mode] = verdict
            if verdict == "same":
                counts[mode] += 1
                if mode in wl.reasons:
                    print(f"{name}: stale reason for {mode} (the result is the same now): {wl.reasons[mode]}")
            else:
                why = wl.reasons.get(mode, "(no reason recorded in the workload's `reason` file)")
                details.append(f"- {mode} {verdict}: {why} First difference: {evidence}")
        for pattern, _, why in wl.normalise:
            details.append(f"- normalised: `{pattern.pattern}`: {why}")
        if wl.ignore:
            details.append(f"- not compared: {', '.join(f'`{g}`' for g in wl.ignore)}: {wl.ignore_why}")
        print(f"{name:24} native {cells['native']:8} sbx {cells['sbx']:8} bwrap {cells['bwrap']:8} "
              + " ".join(f"{m} {r.seconds:.2f}s" for m, r in runs.items()))
        if wl.allow_read or wl.allow_write:
            extra = [f"--allow-read {p}" for p in wl.allow_read] + [f"--allow-write {p}" for p in wl.allow_write]
            details.insert(0, f"- sbx run also gets `{' '.join(extra)}`")
        link = f"[`{name}`](#{name})" if details else f"`{name}`"
        rows.append(f"| {link} | {md(wl.description)} | {cells['native']} | {cells['sbx']} | {cells['bwrap']} |")
        if details:
            notes += [f"### {name}", "", f"`{shown(wl.command)}`" + (f" < `{wl.stdin}`" if wl.stdin else ""),
                      "", *details, ""]
    total = len(names)
    text = [
        "# Compatibility", "",
        f"Generated by `sudo /usr/bin/python3 tests/workloads/workloads.py --report` at {git_head()} on "
        f"{datetime.date.today()}: Linux {platform.release()}, Debian {open('/etc/debian_version').read().strip()}, "
        f"{os.cpu_count()} cores. Do not edit by hand: each workload's folder holds what it runs "
        "(`workload.toml`) and the reason for each difference (`reason`).", "",
        "Each workload of `tests/workloads/` is a small real job, run as uid 65534 in a fresh copy of its folder "
        "(the work directory W, the same path every time) three ways: natively; under `sbx run --allow-read /usr "
        "--allow-read /etc --allow-write W` (the default policy, `builtin:default`; a few workloads add a path "
        "option, shown below); and under bubblewrap (`bwrap --unshare-all --die-with-parent`, /usr and /etc "
        "read-only, `--dev /dev`, `--proc /proc`, W read-write). The environment is `PATH=/usr/bin:/bin LC_ALL=C "
        "HOME=W TMPDIR=W/tmp TZ=UTC`, umask 022.", "",
        "What each run produced is compared with the native run: the exit status, standard output, and the files "
        "left in W (type, mode, owner, content, symlinks' targets). *same*: all equal; *differs*: the same exit "
        "status but other output or files; *fails*: another exit status (or no end within the time limit). "
        "Standard error is not compared. Normalisations, where a workload needs one, are listed below it with "
        "their reason. Every workload is also run natively a second time to check that the comparison sees "
        "nothing but the sandbox (\"not repeatable\" otherwise).", "",
        f"**sbx: {counts['sbx']} of {total} the same as native; bwrap: {counts['bwrap']} of {total}.** "
        "The meson suite `workloads` (`meson test -C build --suite workloads`, as root) passes a workload iff "
        "its sbx result is the native one; a known difference (listed in tests/meson.build, its reason in the "
        "workload's folder) runs as an expected failure, so the suite fails the day it passes.", "",
        "| workload | what | native | sbx | bwrap |", "| --- | --- | --- | --- | --- |",
        *rows, "", "## Per workload", "",
        "For each workload with something to say: its command, what is not compared and why, and for each "
        "difference its reason (the workload's `reason` file) and the first difference seen.", "", *notes]
    with open(os.path.join(SOURCE, "docs", "COMPATIBILITY.md"), "w") as f:
        f.write("\n".join(text).rstrip() + "\n")
    print(f"sbx: {counts['sbx']}/{total} same; bwrap: {counts['bwrap']}/{total} same; wrote docs/COMPATIBILITY.md")
    if harness_problems:
        print(f"HARNESS PROBLEMS (native runs not repeatable): {' '.join(harness_problems)}")
        sys.exit(1)


def main(args):
    if args == ["--list"]:
        print("\n".join(all_workloads()))
    elif args[:1] == ["--registered"]:
        listed, present = sorted(args[1:]), all_workloads()
        if listed != present:
            print(f"FAIL: tests/meson.build's workloads are not tests/workloads/'s folders: "
                  f"not registered {sorted(set(present) - set(listed))}, no folder {sorted(set(listed) - set(present))}")
            sys.exit(1)
        print(f"ok: {len(present)} workloads, all registered")
    elif args[:1] == ["--report"] and len(args) <= 2:
        report(os.path.abspath(args[1] if len(args) == 2 else os.path.join(SOURCE, "build")))
    elif len(args) == 1 and not args[0].startswith("-"):
        test(args[0])
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
