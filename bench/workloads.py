"""Real workloads timed under sbx run, against bwrap and native, side by side:
interleaved rounds after a warm-up, medians of wall-clock time (including
each launcher's own start), all as uid 65534. The sandboxes see the host as
tests/workloads/ does: sbx run --allow-read /usr --allow-read /etc
--allow-write W, under the default policy; bwrap --unshare-all with /usr and
/etc read-only, --dev /dev, --proc /proc, W read-write.

  make      make -j2 -B: tests/workloads/make-j2's C program (four objects,
            an archive, a link), rebuilt from scratch
  git       git status in a repository of 500 committed files (one changed,
            one untracked)
  tar       tar czf of 2,000 small files in 20 directories
  bash      bash running a script of 100 commands (builtins, external
            programs, pipelines, redirections)

bench/report.py calls section() for docs/PERFORMANCE.md; run alone, it
prints the section:

  sudo /usr/bin/python3 bench/workloads.py [BUILDDIR] [ROUNDS]
"""
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SOURCE = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# The compatibility suite's harness, for the same sandbox command lines (by
# path: this module is `workloads` too).
_spec = importlib.util.spec_from_file_location("compat_workloads",
                                               os.path.join(SOURCE, "tests", "workloads", "workloads.py"))
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "bench@example.invalid", "GIT_AUTHOR_DATE": "2024-01-02T03:04:05Z",
           "GIT_COMMITTER_DATE": "2024-01-02T03:04:05Z", "GIT_CONFIG_NOSYSTEM": "1"}


def bash_script():
    """100 commands: a third builtins, the rest external programs (alone, in
    pipelines, with redirections), as a build or test script runs them."""
    lines = ["set -e", "mkdir -p out"]
    for i in range(14):
        lines += [f"echo line {i} > out/f{i}",
                  f"cat out/f{i} | tr a-z A-Z > out/g{i}",
                  f"x=$((x + {i}))",
                  f"grep -q LINE out/g{i}",
                  f"wc -c < out/g{i} > out/n{i}",
                  f"test -s out/f{i}",
                  f"sed 's/line/LINE/' out/f{i} > out/h{i}"]
    assert len(lines) == 100, len(lines)
    return "\n".join(lines) + "\n"


def nobody(argv, env, cwd):
    proc = subprocess.run(AS_NOBODY + argv, env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"bench/workloads.py: setting up: {' '.join(argv)} failed: {proc.stderr}")


def prepare(work, env):
    """The four work directories, made as uid 65534. Returns
    {name: (label, W, argv)}."""
    benches = {}
    make_dir = os.path.join(work, "make")
    shutil.copytree(os.path.join(SOURCE, "tests", "workloads", "make-j2"), make_dir,
                    ignore=shutil.ignore_patterns("workload.toml", "reason"))
    benches["make"] = ("`make -j2 -B`: 4 C files, an archive, a link", make_dir, ["make", "-s", "-j2", "-B", "all"])

    git_dir = os.path.join(work, "git")
    for d in range(10):
        os.makedirs(os.path.join(git_dir, f"dir{d}"))
        for f in range(50):
            with open(os.path.join(git_dir, f"dir{d}", f"file{f}.txt"), "w") as out:
                out.write(f"file {f} of directory {d}\n" * 4)
    benches["git"] = ("`git status`: 500 files, one changed, one untracked", git_dir, ["git", "status"])

    tar_dir = os.path.join(work, "tar")
    for d in range(20):
        os.makedirs(os.path.join(tar_dir, "files", f"d{d:02}"))
        for f in range(100):
            with open(os.path.join(tar_dir, "files", f"d{d:02}", f"f{f:03}"), "w") as out:
                out.write(f"{d} {f}\n" * (1 + f % 7))
    benches["tar"] = ("`tar czf` of 2,000 files", tar_dir, ["tar", "czf", "files.tar.gz", "files"])

    bash_dir = os.path.join(work, "bash")
    os.makedirs(bash_dir)
    with open(os.path.join(bash_dir, "script.sh"), "w") as out:
        out.write(bash_script())
    benches["bash"] = ("`bash` running a 100-command script", bash_dir, ["bash", "script.sh"])

    for root, dirs, files in os.walk(work):
        for n in [root] + [os.path.join(root, x) for x in dirs + files]:
            os.lchown(n, NOBODY, NOBODY)
    os.chmod(work, 0o755)
    genv = {**env, **GIT_ENV, "HOME": git_dir}
    for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "500 files"]):
        nobody(argv, genv, git_dir)
    nobody(["sh", "-c", "echo changed >> dir3/file7.txt && echo new > untracked.txt"], genv, git_dir)
    return benches


def peers(sbx, sbx_env, w, argv):
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": w, "TZ": "UTC", **GIT_ENV}
    options = []
    for p in harness.SBX_READ:
        options += ["--allow-read", p]
    return {"native": (argv, env),
            "sbx run": ([sbx, "run", *options, "--allow-write", w, *argv], {**sbx_env, **env}),
            "bwrap": (harness.bwrap_argv(w) + argv, env)}


def timed(argv, env, cwd):
    start = time.perf_counter()
    proc = subprocess.run(AS_NOBODY + argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, errors="replace")
    return time.perf_counter() - start, proc


def call_counts(work, name, w, argv, env):
    """The workload's path calls (strace's %file class: those sbx brokers or
    traps), execs and new processes, counted natively with strace -f -c."""
    out = os.path.join(work, name + ".strace")
    subprocess.run(AS_NOBODY + ["strace", "-f", "-c", "-o", out, "-e", "trace=%file,clone,clone3,fork,vfork", *argv], env=env,
                   cwd=w, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    counts = {}
    with open(out) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[-1].isidentifier() and parts[-1] != "total" and parts[3].isdigit():
                counts[parts[-1]] = int(parts[3])
    os.unlink(out)
    execs = counts.get("execve", 0) + counts.get("execveat", 0)
    procs = sum(counts.get(c, 0) for c in ("clone", "clone3", "fork", "vfork"))
    files = sum(v for k, v in counts.items() if k not in ("execve", "execveat", "clone", "clone3", "fork", "vfork"))
    return files, execs, procs


def section(sbx, sbx_env, work, rounds=10, per_call_us=None, results=None):
    """The markdown lines of docs/PERFORMANCE.md's section. sbx_env names
    the helper and the pieces (SBX_HELPER, SBX_SHIM, SBX_ZYGOTE,
    SBX_TRUSTED); work is an empty directory uid 65534 can reach."""
    base = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    benches = prepare(work, base)
    rows = ["| workload | native ms | sbx run ms | bwrap ms | sbx / native | bwrap / native | sbx / bwrap |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    where = ["| workload | sbx run - bwrap ms | path calls | of which, at the brokered cost, ms | execs | "
             "processes |", "| --- | --- | --- | --- | --- | --- |"]
    failures = []
    for name, (label, w, argv) in benches.items():
        runs = peers(sbx, sbx_env, w, argv)
        times = {k: [] for k in runs}
        failed = {}
        for round_ in range(rounds + 1):  # round 0 warms up
            for k, (a, e) in runs.items():
                if k in failed:
                    continue
                seconds, proc = timed(a, e, w)
                if proc.returncode != 0:
                    err = (proc.stderr.strip().splitlines() or [""])[-1]
                    failed[k] = f"exit {proc.returncode}: {err[:150]}"
                elif round_ > 0:
                    times[k].append(seconds)
        med = {k: statistics.median(v) * 1000 for k, v in times.items() if k not in failed}
        if results is not None:
            results[name] = med

        def cell(k):
            return f"{med[k]:.1f}" if k in med else "fails"

        def ratio(a, b):
            return f"{med[a] / med[b]:.2f}" if a in med and b in med else "-"
        rows.append(f"| {label} | {cell('native')} | {cell('sbx run')} | {cell('bwrap')} | "
                    f"{ratio('sbx run', 'native')} | {ratio('bwrap', 'native')} | {ratio('sbx run', 'bwrap')} |")
        failures += [f"- {name}, {k}: {why}" for k, why in failed.items()]
        files, execs, procs = call_counts(work, name, w, argv, runs["native"][1])
        if "sbx run" in med and "bwrap" in med:
            brokered = f"{files * per_call_us / 1000:.1f}" if per_call_us else "-"
            where.append(f"| {name} | {med['sbx run'] - med['bwrap']:.1f} | {files} | {brokered} | {execs} | "
                         f"{procs} |")
        print(f"bench/workloads.py: {name}: " + " ".join(f"{k} {v:.1f} ms" for k, v in med.items()),
              file=sys.stderr)
    out = ["## Real workloads: sbx run against bwrap and native", "",
           "`bench/workloads.py`. Peers: the workload run natively, and under Debian's bubblewrap, with the view of "
           "the host the compatibility suite uses (`docs/COMPATIBILITY.md`): `sbx run --allow-read /usr "
           "--allow-read /etc --allow-write W` (the default policy) against `bwrap --unshare-all "
           "--die-with-parent` with /usr and /etc read-only, `--dev /dev`, `--proc /proc` and W read-write. All "
           f"as uid 65534; {rounds} interleaved rounds after a warm-up, medians of wall-clock time (each launcher's "
           "own start included).", "", *rows, ""]
    if failures:
        out += ["Runs that failed (no time is given for them):", "", *failures, ""]
    out += ["Where the difference goes: each workload's path calls (strace's `%file` class, which sbx brokers "
            "or traps), execs and new processes, counted natively with `strace -f -c`; the brokered cost of the "
            "path calls is their count times the extra cost of a brokered call over a native one"
            + (f" ({per_call_us:.1f} µs: the mean of open + close and stat, from the table above)" if per_call_us
               else "") + ". The rest is the cost of starting processes in the sandbox (the shim's exec, its "
            "constructor, its brokered loading of the program's libraries).", "", *where, ""]
    return out


def main():
    if os.geteuid() != 0:
        sys.exit("bench/workloads.py: run as root (it installs a setuid copy of the helper and runs as uid 65534)")
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SOURCE, "build"))
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    subprocess.run(["meson", "compile", "-C", build], check=True, stdout=subprocess.DEVNULL)
    tmp = tempfile.mkdtemp(prefix="sbx-bench.", dir="/var/tmp")
    os.chmod(tmp, 0o755)
    try:
        env = {}
        for name, src, mode in (("SBX_HELPER", "launcher/sbx-helper", 0o4755), ("SBX_CLI", "cli/sbx", 0o755),
                                ("SBX_SHIM", "zygote_shim/libsbx-shim.so", 0o755),
                                ("SBX_ZYGOTE", "zygote_shim/sbx-zygote", 0o755),
                                ("SBX_TRUSTED", "trusted/sbx-trusted", 0o755)):
            env[name] = os.path.join(tmp, os.path.basename(src))
            shutil.copyfile(os.path.join(build, src), env[name])
            os.chown(env[name], 0, 0)
            os.chmod(env[name], mode)
        sbx = env.pop("SBX_CLI")
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        print("\n".join(section(sbx, {"PATH": "/usr/bin:/bin", "LC_ALL": "C", **env}, work, rounds)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
