"""Runs sbx's benchmarks, each against a named peer measured side by side in
one run (interleaved rounds, medians), and writes docs/PERFORMANCE.md.
Benchmarks are not tests: nothing here passes or fails on a number.

  sudo /usr/bin/python3 bench/report.py [BUILDDIR]

  launch        sbx-helper /bin/true, setuid and user-namespace mode   vs Chromium's chrome-sandbox
                (and a bare floor)
  filter        getppid() under builtin:default   vs no filter (binary tree and linear)
  routes        the two ways to route a brokered call (user notification,
                SIGSYS handler + socket), bare and for a whole open   vs each other, native
  broker        open()+close() and stat(), brokered   vs the native calls
  rewriting     a call per route (bench/rewrite_cost): an allowed call, a trapped call the shim
                does (chdir), a brokered open and stat, at libc's own sites (SBX_REWRITE=0) and at
                rewritten ones (the default table, and SBX_REWRITE=all)   vs native, vs each other
  python        python3 -c pass under sbx run     vs native, vs bwrap (user namespaces), and vs
                sbx run as built in SBX_BENCH_BEFORE (a build directory of an earlier commit), if set
  workloads     make -j2, git status, tar czf, a bash script under sbx run   vs native, vs bwrap
                (bench/workloads.py; SBX_BENCH_WORKLOAD_ROUNDS rounds, default 10)
"""
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import workloads as workloads_bench

SOURCE = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SOURCE, "build"))
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


def nobody(argv, env, **kw):
    return subprocess.run(NOBODY + argv, env=env, capture_output=True, text=True, **kw)


def timed(argv, env):
    start = time.perf_counter()
    proc = subprocess.run(NOBODY + argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed: {proc.stderr}")
    return time.perf_counter() - start


def main():
    if os.geteuid() != 0:
        sys.exit("bench/report.py: run as root (it installs setuid copies and runs everything as uid 65534)")
    subprocess.run(["meson", "compile", "-C", BUILD], check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="sbx-bench.", dir="/var/tmp")
    os.chmod(work, 0o755)
    try:
        helper = os.path.join(work, "sbx-helper")
        floor = os.path.join(work, "floor")
        helper_userns = os.path.join(work, "sbx-helper-userns")
        for src, dst in ((f"{BUILD}/launcher/sbx-helper", helper), (f"{BUILD}/bench/floor_helper", floor),
                         (f"{BUILD}/launcher/sbx-helper", helper_userns)):
            shutil.copyfile(src, dst)
            os.chown(dst, 0, 0)
            os.chmod(dst, 0o755 if dst == helper_userns else 0o4755)
        tools = {}
        for name, src in (("sbx", "cli/sbx"), ("libsbx-shim.so", "zygote_shim/libsbx-shim.so"),
                          ("sbx-zygote", "zygote_shim/sbx-zygote"), ("sbx-trusted", "trusted/sbx-trusted"),
                          ("launch_bench", "bench/launch_bench"), ("op", "bench/open_close"),
                          ("filter_cost", "bench/filter_cost"), ("route_cost", "bench/route_cost"),
                          ("rewrite_cost", "bench/rewrite_cost")):
            tools[name] = os.path.join(work, name)
            shutil.copyfile(f"{BUILD}/{src}", tools[name])
            os.chmod(tools[name], 0o755)
        target = os.path.join(work, "target.txt")
        with open(target, "w") as f:
            f.write("x\n")
        os.chmod(target, 0o644)
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "SBX_HELPER": helper, "SBX_SHIM": tools["libsbx-shim.so"],
               "SBX_ZYGOTE": tools["sbx-zygote"], "SBX_TRUSTED": tools["sbx-trusted"]}
        out = []

        # 1. launch
        launch = nobody([tools["launch_bench"], "2000", "chrome-sandbox=/usr/lib/chromium/chrome-sandbox",
                         f"sbx-helper={helper}", f"sbx-helper-userns={helper_userns}", f"floor={floor}", "--",
                         "/bin/true"], env)
        memory = subprocess.run([tools["launch_bench"], "--rss", "chrome-sandbox=/usr/lib/chromium/chrome-sandbox",
                                 f"sbx-helper={helper}", f"sbx-helper-userns={helper_userns}"], env=env,
                                capture_output=True, text=True)
        out += ["## Launch: `HELPER /bin/true`", "",
                "Peer: Chromium's `chrome-sandbox` (Debian's chromium-sandbox); `sbx-helper` is the setuid mode, "
                "`sbx-helper-userns` the same binary not setuid (its user-namespace mode: the user namespace, its "
                "maps and a chroot probe first); `floor` is a bare "
                "clone(NEWPID|NEWNET) + drop + execv. 2000 interleaved rounds, medians.", "",
                "```", launch.stdout.strip(), "", memory.stdout.strip(), "```", ""]

        # 2. filter cost
        none, tree, linear = map(float, subprocess.run([tools["filter_cost"], "200000"], capture_output=True,
                                                       text=True, check=True).stdout.split())
        out += ["## The filter's cost: `getppid()` in a loop", "",
                "Peer: the same loop with no filter. builtin:default compiled with libseccomp's binary-tree "
                "search and without; 21 interleaved rounds of 200,000 calls, medians.", "",
                "| | ns per call | ratio |", "| --- | --- | --- |",
                f"| no filter | {none:.1f} | 1.00 |",
                f"| builtin:default, binary tree | {tree:.1f} | {tree / none:.2f} |",
                f"| builtin:default, linear | {linear:.1f} | {linear / none:.2f} |", ""]

        # 3. the two routes: bare, and a whole brokered open
        routes = nobody([tools["route_cost"], "15", "3000", target], env)
        if routes.returncode != 0:
            sys.exit(f"bench: route_cost failed: {routes.stderr}")
        ns = {name: float(value) for name, value in (line.split() for line in routes.stdout.splitlines())}
        bare = ["native", "notify", "notify-sync", "notify-fd", "sigsys", "sigsys-reused"]
        whole = ["open-native", "open-notify", "open-sigsys"]
        out += ["## Routing a brokered call: user notification against a SIGSYS handler", "",
                "Issue #6 names two ways to route a brokered call to the trusted process; `bench/route_cost` "
                "measures both, side by side: 15 interleaved rounds of 3,000 calls, medians, as uid 65534. "
                "First bare, `getppid()` answered by another process with no work: `notify-sync` is the route "
                "sbx uses (user notification, SYNC_WAKE_UP), `notify` the same without the flag, `notify-fd` "
                "answers with a descriptor (SECCOMP_ADDFD_FLAG_SEND) as a brokered open does; `sigsys` makes a "
                "socketpair per call (Chromium's broker: a handler can interrupt its own thread's call), "
                "`sigsys-reused` keeps one socket (unsafe; the least the route can cost).", "",
                "| bare route | ns per call | ratio to notify-sync |", "| --- | --- | --- |"]
        out += [f"| {name} | {ns[name]:.0f} | {ns[name] / ns['notify-sync']:.2f} |" for name in bare]
        out += ["", "Then a whole brokered `open` + `close` of a file, the same work at the other end on both "
                "routes (a copy of the path, one rule, openat2 with RESOLVE_NO_SYMLINKS, the descriptor handed "
                "back: by ADDFD_FLAG_SEND, or by SCM_RIGHTS on the call's socketpair).", "",
                "| open + close | ns per call | ratio to native | ratio to notify |", "| --- | --- | --- | --- |"]
        out += [f"| {name} | {ns[name]:.0f} | {ns[name] / ns['open-native']:.2f} | "
                f"{ns[name] / ns['open-notify']:.2f} |" for name in whole]
        out += ["", "sbx routes brokered calls by user notification, the faster of the two sound routes: see "
                "docs/ARCHITECTURE.md, \"Two routes for brokered calls\".", ""]

        # 4. brokered calls
        def broker_pair(mode, n, rewrite=None):
            native, brokered = [], []
            sbx_env = env if rewrite is None else dict(env, SBX_REWRITE=rewrite)
            for _ in range(15):
                native.append(float(nobody([tools["op"], target, str(n), mode], env).stdout))
                r = nobody([tools["sbx"], "run", "--allow-read", target, tools["op"], target, str(n), mode], sbx_env)
                if r.returncode != 0:
                    sys.exit(f"bench: brokered {mode} failed: {r.stderr}")
                brokered.append(float(r.stdout))
            return statistics.median(native), statistics.median(brokered)
        out += ["## Brokered calls", "",
                "Peer: the native call. 15 interleaved rounds of 2,000 calls, medians; the call is answered by the "
                "trusted process (seccomp user notification; a descriptor is installed with the reply, or, on the "
                "fast route of brokered opens, `SBX_REWRITE=open-route`, sent on the process's own socket: "
                "docs/ARCHITECTURE.md, \"Syscall rewriting\").", "",
                "| call | native µs | brokered µs | ratio |", "| --- | --- | --- | --- |"]
        extra = []
        for label, mode, rewrite in (("open + close", "open", None), ("open + close, open-route", "open", "open-route"),
                                     ("stat", "stat", None)):
            n, b = broker_pair(mode, 2000, rewrite)
            if rewrite is None:
                extra.append((b - n) / 1000)
            out.append(f"| {label} | {n / 1000:.2f} | {b / 1000:.2f} | {b / n:.2f} |")
        out.append("")

        # 4b. syscall rewriting: each call per route
        lines, rewriting = rewriting_section(tools, env, target)
        out += lines

        # 5. python start-up
        runs = {"native": (["/usr/bin/python3", "-c", "pass"], env),
                "sbx run --policy default": ([tools["sbx"], "run", "--policy", "default", "/usr/bin/python3", "-c",
                                              "pass"], env),
                "bwrap": (["bwrap", "--unshare-user", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/",
                           "/usr/bin/python3", "-c", "pass"], env)}
        before = os.environ.get("SBX_BENCH_BEFORE")
        before_name = ""
        if before:
            # sbx run as an earlier commit built it, with the same helper.
            before_name = subprocess.run(["git", "-C", before, "log", "-1", "--format=%h"], capture_output=True,
                                         text=True).stdout.strip() or before
            old = {}
            for name, src in (("sbx", "cli/sbx"), ("libsbx-shim.so", "zygote_shim/libsbx-shim.so")):
                old[name] = os.path.join(work, "before-" + name)
                shutil.copyfile(os.path.join(before, src), old[name])
                os.chmod(old[name], 0o755)
            runs[f"sbx run --policy default, before ({before_name})"] = (
                [old["sbx"], "run", "--policy", "default", "/usr/bin/python3", "-c", "pass"],
                {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "SBX_HELPER": helper, "SBX_SHIM": old["libsbx-shim.so"]})
        times = {k: [] for k in runs}
        for _ in range(3):
            for argv, e in runs.values():
                timed(argv, e)  # warm up
        for _ in range(30):
            for k, (argv, e) in runs.items():
                times[k].append(timed(argv, e))
        med = {k: statistics.median(v) for k, v in times.items()}
        out += ["## `python3 -c pass` start-up", "",
                "Peers: native, and Debian's bubblewrap (`bwrap --unshare-user --unshare-pid --unshare-net "
                "--ro-bind / /`), all as uid 65534; 30 interleaved rounds, medians (wall clock, including the "
                "launcher's own start)." + (f" `before ({before_name})` is sbx run as that earlier commit built "
                "it (the program loaded before the filter, the shim setting up the sandbox from inside), with the "
                "same helper." if before else ""), "",
                "| | ms | ratio to native | ratio to bwrap |", "| --- | --- | --- | --- |"]
        for k in runs:
            out.append(f"| {k} | {med[k] * 1000:.1f} | {med[k] / med['native']:.2f} | {med[k] / med['bwrap']:.2f} |")
        out.append("")

        # 6. real workloads
        os.makedirs(os.path.join(work, "workloads"))
        loads = {}
        out += workloads_bench.section(tools["sbx"], env, os.path.join(work, "workloads"),
                                       int(os.environ.get("SBX_BENCH_WORKLOAD_ROUNDS", "10")),
                                       statistics.mean(extra), loads)

        # 7. issue 13's goals, from the numbers above
        out += goals_section(rewriting, med, loads)

        header = ["# Performance", "",
                  f"Generated by `bench/report.py` on {datetime.date.today()}: Linux {platform.release()}, "
                  f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}. Every number is measured "
                  "side by side with its peer in one run; do not edit by hand.", ""]
        text = "\n".join(header + out)
        with open(os.path.join(SOURCE, "docs", "PERFORMANCE.md"), "w") as f:
            f.write(text)
        print(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def goals_section(rw, python, loads):
    """Issue 13's goals against this run's numbers: met or missed."""
    rewritten = {c: min(rw["sbx, rewritten (default)"][c], rw["sbx, all sites rewritten"][c]) for c in rw["native"]}
    rows = ["| goal | measured | |", "| --- | --- | --- |"]

    def row(goal, value, limit, fmt="{:.2f}"):
        rows.append(f"| {goal} | {fmt.format(value)} | {'met' if value <= limit else 'missed'} |")
    # fstat is the call the shim emulates at the site (by fstat(fd)); through
    # SIGSYS it would cost a trap and the same fstat.
    row("an emulated call (glibc's fstat) at a rewritten site ≤ 0.01 of the same call through SIGSYS (a trap, "
        "then the same fstat)", rewritten["fstat"] / (rw["trap"] + rw["native"]["fstat"]), 0.01, "{:.3f}")
    row("the same, counting only what each route adds to the native fstat",
        (rewritten["fstat"] - rw["native"]["fstat"]) / rw["trap"], 0.01, "{:.3f}")
    row("chdir, which the shim does at the site or after the trap (brokered either way), at a rewritten site "
        "against SIGSYS", rewritten["chdir"] / rw["sbx, not rewritten"]["chdir"], 0.01, "{:.3f}")
    row("an allowed call (getppid) through a rewritten site within 5% of native (the filter's cost included)",
        rw["sbx, all sites rewritten"]["getppid"] / rw["native"]["getppid"], 1.05)
    row("the same against the call at libc's own site under the same filter",
        rw["sbx, all sites rewritten"]["getppid"] / rw["sbx, not rewritten"]["getppid"], 1.05)
    row("brokered open + close ≤ 4× native", rewritten["open"] / rw["native"]["open"], 4)
    row("brokered stat ≤ 4× native", rewritten["stat"] / rw["native"]["stat"], 4)
    row("`python3 -c pass` no slower than bwrap", python["sbx run --policy default"] / python["bwrap"], 1)
    for name, med in loads.items():
        if "sbx run" in med and "bwrap" in med:
            row(f"{name} ≤ 1.1× bwrap", med["sbx run"] / med["bwrap"], 1.1)
    return ["## Issue 13's goals", "", "Each goal of issue 13 (syscall rewriting and fast path calls) against the "
            "numbers of this run, as ratios. Where a goal is missed, docs/ARCHITECTURE.md (\"Syscall rewriting\", "
            "\"Where a brokered call's time goes\") says what the remaining time is spent on, and the tables above "
            "measure it: the trap, the filter, the brokered route, the path calls and execs of each workload.", "",
            *rows, ""]


def rewriting_section(tools, env, target):
    """bench/rewrite_cost natively and under sbx run with SBX_REWRITE=0, the
    default table and SBX_REWRITE=all, 9 interleaved rounds, medians, and
    rewrite_cost trap natively (a bare SIGSYS trap)."""
    runs = {"native": ([], {}), "sbx, not rewritten": (["run"], {"SBX_REWRITE": "0"}),
            "sbx, rewritten (default)": (["run"], {}), "sbx, all sites rewritten": (["run"], {"SBX_REWRITE": "all"})}
    got = {k: [] for k in runs}
    traps = []
    for _ in range(9):
        r = nobody([tools["rewrite_cost"], "trap", "100000"], env)
        if r.returncode != 0:
            sys.exit(f"bench: rewrite_cost trap failed: exit {r.returncode}: {r.stderr}")
        traps.append(float(r.stdout.split()[1]))
        for k, (run, extra) in runs.items():
            argv = [tools["rewrite_cost"], "200000", target]
            if run:
                argv = [tools["sbx"], "run", "--allow-read", target, "--"] + argv
            # chdir(".") from the target's directory, which the rules show
            # (on the way to the target).
            r = nobody(argv, {**env, **extra}, cwd=os.path.dirname(target))
            if r.returncode != 0:
                sys.exit(f"bench: rewrite_cost ({k}) failed: exit {r.returncode}: {r.stderr}")
            got[k].append({name: float(v) for name, v in (line.split() for line in r.stdout.splitlines())})
    med = {k: {c: statistics.median(x[c] for x in v) for c in v[0]} for k, v in got.items()}
    calls = [("getppid", "`getppid()`: allowed", "the filter"),
             ("chdir", "`chdir(\".\")`: trapped, the shim does it", "SIGSYS, then the shim's chdir (brokered)"),
             ("open", "`open()` + `close()`: brokered", "user notification, descriptor by ADDFD"),
             ("stat", "`stat()`: brokered", "user notification, result written by the trusted process"),
             ("fstat", "`fstat()`: brokered (newfstatat with AT_EMPTY_PATH)",
              "user notification; at a rewritten site, fstat in the shim")]
    cols = list(runs)
    rows = ["| call | route at libc's own site | " + " | ".join(f"{c} ns" for c in cols) +
            " | rewritten / native | rewritten / not rewritten |", "| --- " * (len(cols) + 4) + "|"]
    for key, label, route in calls:
        cells = " | ".join(f"{med[c][key]:.0f}" for c in cols)
        best = min(med["sbx, rewritten (default)"][key], med["sbx, all sites rewritten"][key])
        rows.append(f"| {label} | {route} | {cells} | {best / med['native'][key]:.2f} | "
                    f"{best / med['sbx, not rewritten'][key]:.3f} |")
    med["trap"] = statistics.median(traps)
    return ["## Syscall rewriting: one call per route", "",
            "`bench/rewrite_cost` (200,000 calls a round, a hundredth of that for the brokered and trapped ones, a twentieth for fstat), "
            "as uid 65534, natively and under `sbx run --allow-read FILE` (builtin:default) with libc's sites as "
            "they are (`SBX_REWRITE=0`: every call through the filter from libc's own code), with the default "
            "table (the sites of the calls the shim answers at the site) and with every site rewritten "
            "(`SBX_REWRITE=all`); 9 interleaved rounds, medians. \"rewritten\" in the ratios is the better of the "
            "two rewritten runs. For scale, a SIGSYS trap natively (`rewrite_cost trap`: `getppid` trapped by a "
            f"filter of its own and answered by a handler that does nothing else) costs {med['trap']:.0f} ns.", "",
            *rows, ""], med


if __name__ == "__main__":
    main()
