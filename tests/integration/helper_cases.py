"""Integration tests of sbx-helper's protocol (API 1), each run as uid 65534
against a setuid-root copy in the build directory, or, with
SBX_TEST_MODE=userns, against a copy that is not setuid (the helper's
user-namespace mode): the same cases, with the differences that remain
asserted where they are (docs/protocol.md, "User-namespace mode").

usage: helper_cases.py CASE   (meson runs one case per test)
"""
import errno
import json
import os
import signal
import subprocess
import time

from sbxtest import (NOBODY, USERNS, as_nobody, base_env, check, describe, find_program, install_file, main,
                     process_state, require_root, run, run_with_user_namespaces_off, setuid_copy,
                     assert_no_leftovers)

PYTHON = "/usr/bin/python3"
SYS_READ = 0  # x86_64; /proc/PID/syscall starts with the system call's number
HERE = os.path.dirname(os.path.abspath(__file__))
API = {"SBX_CHROME_API_RQ": "1"}


def prepare(name, setuid=True):
    require_root()
    helper = setuid_copy(name, setuid=setuid)
    probe = install_file(os.path.join(HERE, "probe.py"), "probe.py", os.path.dirname(helper))
    return helper, probe


def probe_run(helper, probe, *mode, env=None, pass_fds=(), prefix=()):
    proc = run([helper, PYTHON, probe, *mode], env=env or base_env(**API), pass_fds=pass_fds, prefix=prefix)
    check(proc.returncode == 0, "the probe did not run cleanly", describe(proc))
    lines = proc.stdout.strip().splitlines()
    check(lines, "the probe printed nothing", describe(proc))
    return json.loads(lines[-1]), proc


def empty_root(result):
    """After the chroot, / is the helper's fdinfo directory: empty while the
    helper lives, gone (ENOENT or ESRCH) once it is reaped."""
    return result == {"ok": []} or result.get("error") in (errno.ENOENT, errno.ESRCH)


def case_get_api(name):
    helper, _ = prepare(name)
    proc = run([helper, "--get-api"])
    check(proc.returncode == 0 and proc.stdout == "1\n", "--get-api must print 1 and exit 0", describe(proc))
    proc = run([helper, "--version"])
    check(proc.returncode == 0 and "API 1" in proc.stdout, "--version", describe(proc))
    proc = run([helper, "--help"])
    check(proc.returncode == 0 and proc.stdout.startswith("usage: sbx-helper [--userns] PROGRAM"), "--help", describe(proc))


def case_usage(name):
    helper, _ = prepare(name)
    for argv in ([helper], [helper, "--get-api", "extra"], [helper, "--adjust-oom-score", "1"],
                 [helper, "--no-such-switch", "/bin/true"]):
        proc = run(argv)
        check(proc.returncode == 1, f"{argv[1:]} must be a usage error (exit 1)", describe(proc))
        check(proc.stderr.startswith("usage: sbx-helper"), f"{argv[1:]}: usage on stderr", describe(proc))
    for argv in ([helper, "--userns"], [helper, "--userns", "--get-api"], [helper, "--userns", "-x"]):
        proc = run(argv, env=base_env(**API))
        check(proc.returncode == 1 and proc.stderr.startswith("usage: sbx-helper"),
              f"{argv[1:]}: --userns needs a PROGRAM that does not start with '-'", describe(proc))
    argc0 = install_file(os.environ["SBX_EXEC_ARGC0"], "exec_argc0", os.path.dirname(helper))
    proc = run([argc0, helper])
    check(proc.returncode == 1, "argc == 0 must be refused with exit 1", describe(proc))
    check("usage: sbx-helper" in proc.stderr, "argc == 0: usage on stderr", describe(proc))
    assert_no_leftovers(helper)


def case_handshake(name):
    """The classic demo: / is the real root before 'C', empty and read-only after 'O'."""
    helper, probe = prepare(name)
    out, proc = probe_run(helper, probe, "chroot")
    check("usr" in out["root_before"], "before the handshake / is the real root", json.dumps(out))
    check(out["reply"] == {"ok": "O"}, "the helper answers 'O'", json.dumps(out))
    check(out["helper_exit"] == 0, "the chroot helper exits 0 after answering", json.dumps(out))
    check(empty_root(out["root_after"]), "after the handshake / is empty", json.dumps(out))
    check(out["dotdot_after"] == out["root_after"], "'..' does not lead out of the chroot", json.dumps(out))
    check(out["cwd_after"] == {"ok": "/"}, "the working directory is the new root", json.dumps(out))
    check("error" in out["proc_self_exe_after"], "/proc/self/exe cannot be opened (Chromium checks)",
          json.dumps(out))
    check("error" in out["mkdir_after"], "nothing can be created in the new root", json.dumps(out))
    check(proc.stderr == "", "a clean run prints nothing on stderr", describe(proc))
    assert_no_leftovers(helper)

    # The README's demo, word for word.
    demo = ("echo Before:; ls -ld /; printf C >&$SBX_D; read x <&$SBX_D; echo After:; ls -ld /")
    proc = run([helper, "/bin/sh", "-c", demo], env=base_env(**API))
    before, _, after = proc.stdout.partition("After:")
    check(before.startswith("Before:\n") and before.rstrip().endswith(" /"), "Before: shows /", describe(proc))
    check(after.strip() == "" and "ls: " in proc.stderr and proc.returncode != 0,
          "After: ls of / fails (nothing is reachable, not even ls)", describe(proc))
    assert_no_leftovers(helper)


def case_namespaces(name):
    """PID 1 of a new PID namespace, only lo in a new network namespace."""
    helper, probe = prepare(name)
    out, _ = probe_run(helper, probe)
    env = out["env"]
    check(out["pid"] == 1, "the target is PID 1 of its PID namespace", json.dumps(out))
    check(out["net"] == ["lo"], "only lo in the network namespace", json.dumps(out))
    check(env.get("SBX_PID_NS") == "" and env.get("SBX_NET_NS") == "", "SBX_PID_NS and SBX_NET_NS set, empty",
          json.dumps(env))
    check(env.get("SBX_CHROME_API_PRV") == "1", "SBX_CHROME_API_PRV=1", json.dumps(env))
    check(env.get("SBX_HELPER_PID") == "2", "SBX_HELPER_PID is the helper's pid in the namespace",
          json.dumps(env))
    check(out["sbx_d_is_socket"], "SBX_D names a socket open in the target", json.dumps(out))
    # Caller-set values must not survive as lies.
    out, _ = probe_run(helper, probe, env=base_env(SBX_D="99", SBX_HELPER_PID="99", SBX_PID_NS="x", **API))
    check(out["env"]["SBX_D"] != "99" and out["env"]["SBX_HELPER_PID"] == "2" and out["env"]["SBX_PID_NS"] == "",
          "the helper overwrites caller-set protocol variables", json.dumps(out["env"]))
    assert_no_leftovers(helper)


def case_namespace_fallback(name):
    """A kernel without a namespace type (simulated: clone answers EINVAL for
    that flag) gets fewer namespaces, a message saying so, and the variables
    telling the truth; the chroot still works."""
    helper, probe = prepare(name)
    deny = os.environ["SBX_DENY_CLONE_FLAGS"]
    host_net = sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:])
    if USERNS:
        # No fallback in user-namespace mode: without both namespaces,
        # nothing runs.
        for flags, what in (("net", "PID and network namespaces"), ("pid", "PID and network namespaces")):
            proc = run([helper, "/bin/echo", "ran"], env=base_env(**API), prefix=[deny, flags])
            check(proc.returncode == 82 and proc.stdout == "" and
                  proc.stderr == f"sbx-helper: clone with {what}: Invalid argument\n",
                  f"user-namespace mode, no {flags} namespace: exit 82, one line, nothing runs", describe(proc))
        assert_no_leftovers(helper)
        return

    out, proc = probe_run(helper, probe, "chroot", prefix=[deny, "net"])
    check("sbx-helper: namespaces: the kernel cannot create PID and network namespaces (EINVAL); "
          "trying with fewer\n" == proc.stderr, "the step down is said on stderr", describe(proc))
    check(out["pid"] == 1 and out["env"].get("SBX_PID_NS") == "" and "SBX_NET_NS" not in out["env"],
          "no network namespace: PID namespace only, SBX_NET_NS absent", json.dumps(out["env"]))
    check(sorted(out["net"]) == host_net, "the host's network devices are visible", out["net"], host_net)
    check(empty_root(out["root_after"]), "the chroot still works", json.dumps(out))

    out, proc = probe_run(helper, probe, "chroot", prefix=[deny, "pid"])
    check("cannot create a PID namespace alone" in proc.stderr, "both PID attempts are said", describe(proc))
    check(out["pid"] != 1 and "SBX_PID_NS" not in out["env"] and out["env"].get("SBX_NET_NS") == "",
          "no PID namespace: network namespace only", json.dumps(out["env"]))
    check(out["net"] == ["lo"] and out["reply"] == {"ok": "O"} and empty_root(out["root_after"]),
          "network namespace and chroot hold", json.dumps(out))

    out, proc = probe_run(helper, probe, "chroot", prefix=[deny, "both"])
    check("cannot create a network namespace alone" in proc.stderr, "every step down is said", describe(proc))
    check("SBX_PID_NS" not in out["env"] and "SBX_NET_NS" not in out["env"] and out["pid"] != 1,
          "no namespaces: neither variable is set", json.dumps(out["env"]))
    check(out["reply"] == {"ok": "O"} and empty_root(out["root_after"]), "the chroot still works",
          json.dumps(out))
    assert_no_leftovers(helper)


def case_credentials(name):
    """No uid 0, no groups, no capabilities, no new privileges in the target."""
    helper, probe = prepare(name)
    out, _ = probe_run(helper, probe)
    st = out["status"]
    check(st["Uid"].split() == [str(NOBODY)] * 4, "all four uids are the caller's", st["Uid"])
    check(st["Gid"].split() == [str(NOBODY)] * 4, "all four gids are the caller's", st["Gid"])
    check(st["Groups"] == "", "no supplementary groups", st["Groups"])
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        check(int(st[cap], 16) == 0, f"{cap} is empty", st[cap])
    check(st["NoNewPrivs"] == "1", "no_new_privs is set", st["NoNewPrivs"])
    check(st["Seccomp"] == "0", "the helper installs no seccomp filter of its own", st["Seccomp"])
    # The user namespace: the caller's ids alone, setgroups denied, no
    # user namespace to be made inside. In setuid mode: the initial one.
    proc = run([helper, "/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups "
                "/proc/sys/user/max_user_namespaces"], env=base_env(**API))
    words = proc.stdout.split()
    if USERNS:
        check(words == [str(NOBODY), str(NOBODY), "1"] * 2 + ["deny", "0"],
              "uid_map and gid_map map 65534 alone, setgroups is denied, max_user_namespaces is 0", describe(proc))
    else:
        check(words[:3] == ["0", "0", "4294967295"] and "deny" not in words,
              "setuid mode: the initial user namespace", describe(proc))
    # Started by real root, the target still has no capability at all
    # (asked for --userns in the user-namespace mode's run: a root caller
    # is always setuid mode otherwise).
    proc = subprocess.run([helper, *(["--userns"] if USERNS else []), PYTHON, probe], env=base_env(**API),
                          capture_output=True, text=True, timeout=30)
    check(proc.returncode == 0, "run by root", describe(proc))
    check(proc.stderr.startswith("sbx-helper: warning: started by root: the program keeps uid 0"),
          "started by root, the helper warns", describe(proc))
    st = json.loads(proc.stdout.strip().splitlines()[-1])["status"]
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        check(int(st[cap], 16) == 0, f"run by root, {cap} is still empty", st[cap])
    assert_no_leftovers(helper)


def case_exit_status(name):
    helper, _ = prepare(name)
    proc = run([helper, "/bin/sh", "-c", "exit 7"], env=base_env(**API))
    check(proc.returncode == 7, "the program's exit code is the helper's", describe(proc))
    proc = run([helper, "/bin/true"], env=base_env(**API))
    check(proc.returncode == 0, "exit 0 passes through", describe(proc))
    # A fault the kernel delivers kills even PID 1: reported as 128 + SIGSEGV.
    crash = "import ctypes; ctypes.string_at(0)"
    proc = run([helper, PYTHON, "-c", crash], env=base_env(**API))
    check(proc.returncode == 128 + signal.SIGSEGV, "a program killed by SIGSEGV exits 139, never 0",
          describe(proc))
    assert_no_leftovers(helper)


def case_saved_environment(name):
    helper, _ = prepare(name)
    env = base_env(SANDBOX_TMPDIR="/saved/tmp", SANDBOX_LD_LIBRARY_PATH="", SANDBOX_NLSPATH="/n",
                   SANDBOX_NOT_IN_LIST="kept", TZDIR="/raw/tzdir", LD_DEBUG_OUTPUT="/raw", **API)
    proc = run([helper, "/usr/bin/env"], env=env)
    check(proc.returncode == 0, "env runs", describe(proc))
    seen = dict(line.split("=", 1) for line in proc.stdout.splitlines())
    check(seen.get("TMPDIR") == "/saved/tmp" and "SANDBOX_TMPDIR" not in seen, "SANDBOX_TMPDIR -> TMPDIR",
          proc.stdout)
    check(seen.get("LD_LIBRARY_PATH") == "" and "SANDBOX_LD_LIBRARY_PATH" not in seen,
          "an empty saved value is restored as empty", proc.stdout)
    check(seen.get("NLSPATH") == "/n", "SANDBOX_NLSPATH -> NLSPATH", proc.stdout)
    check(seen.get("SANDBOX_NOT_IN_LIST") == "kept" and "NOT_IN_LIST" not in seen,
          "only the names of the unsecure list are restored", proc.stdout)
    check("TZDIR" not in seen and "LD_DEBUG_OUTPUT" not in seen,
          "unsaved unsecure variables stay removed", proc.stdout)
    assert_no_leftovers(helper)


def case_wrong_byte(name):
    helper, probe = prepare(name)
    out, proc = probe_run(helper, probe, "byte", "X")
    check("unexpected request byte 0x58" in proc.stderr and "not chrooting" in proc.stderr,
          "a clear message for a wrong byte", describe(proc))
    check(out["reply"] == {"ok": ""}, "no reply (end of file) for a wrong byte", json.dumps(out))
    check(out["helper_exit"] != 0, "the chroot helper exits with failure", json.dumps(out))
    check(out["root_after"].get("ok", []) and "usr" in out["root_after"]["ok"], "no chroot happened",
          json.dumps(out))
    # Two bytes at once: exactly one chroot, one reply, and the helper is gone.
    out, proc = probe_run(helper, probe, "twice")
    check(out["reply"] == {"ok": "O"} and empty_root(out["root_after"]),
          "'CC' is one chroot and one reply", json.dumps(out), describe(proc))
    assert_no_leftovers(helper)


def wait_for_read(pid, seconds=10):
    """True once pid is blocked in read(2), the chroot helper's steady state
    (it closes its descriptors and lowers its limit concurrently with the
    program's start, so looking earlier races)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fields = open(f"/proc/{pid}/syscall").read().split()
        if fields and fields[0] == str(SYS_READ):
            return True
        time.sleep(0.005)
    return False


def case_chroot_helper_state(name):
    """The privileged chroot helper holds nothing but its socket and stderr,
    may open nothing, and is root in all its uids (the user cannot signal it)."""
    helper, _ = prepare(name)
    marker = f"90.{os.getpid()}"
    waiter = subprocess.Popen(as_nobody([helper, "/bin/sleep", marker]), env=base_env(**API),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        target = find_program(marker, "sleep")
        check(target is not None, "the program started")
        chroot_helper = int(open(f"/proc/{target}/task/{target}/children").read().split()[0])
        # It runs beside the program: look once it waits for the request.
        check(wait_for_read(chroot_helper), "the chroot helper waits in read(2) on its socket",
              open(f"/proc/{chroot_helper}/syscall").read())
        fds = sorted(int(fd) for fd in os.listdir(f"/proc/{chroot_helper}/fd"))
        check(len(fds) == 2 and fds[0] == 2 and fds[1] > 2, "only stderr and the socket are open", fds)
        check(os.readlink(f"/proc/{chroot_helper}/fd/{fds[1]}").startswith("socket:"), "the other is a socket")
        limits = open(f"/proc/{chroot_helper}/limits").read()
        check(any(l.startswith("Max open files") and l.split()[3:5] == ["0", "0"] for l in limits.splitlines()),
              "RLIMIT_NOFILE is 0", limits)
        status = dict(l.split(":", 1) for l in open(f"/proc/{chroot_helper}/status").read().splitlines())
        if USERNS:
            # The caller's uid, CAP_SYS_CHROOT (bit 18) of the user namespace
            # alone, not dumpable: its /proc files belong to root.
            chroot_cap = f"{1 << 18:016x}"
            check(status["Uid"].split() == [str(NOBODY)] * 4, "all its uids are the caller's", status["Uid"])
            for cap, want in (("CapInh", "0" * 16), ("CapPrm", chroot_cap), ("CapEff", chroot_cap),
                              ("CapBnd", chroot_cap), ("CapAmb", "0" * 16)):
                check(status[cap].strip() == want, f"{cap} is CAP_SYS_CHROOT alone or empty", status[cap])
            check(os.stat(f"/proc/{chroot_helper}/mem").st_uid == 0, "not dumpable: its /proc files are root's")
        else:
            check(status["Uid"].split() == ["0"] * 4, "all its uids are 0", status["Uid"])
            kill = subprocess.run(as_nobody(["kill", "-KILL", str(chroot_helper)]), capture_output=True, text=True)
            check(kill.returncode != 0 and os.path.exists(f"/proc/{chroot_helper}"), "the user cannot kill it",
                  describe(kill))
        os.kill(target, signal.SIGKILL)  # as root: the program dies, the chroot helper with it
        waiter.wait(timeout=10)
        time.sleep(0.2)
        check(process_state(chroot_helper) in ("Z", "gone"), "the chroot helper dies with the program")
    finally:
        waiter.kill()
        waiter.wait()
    assert_no_leftovers(helper)


def case_close_without_request(name):
    helper, probe = prepare(name)
    out, proc = probe_run(helper, probe, "close")
    check(out["helper_exit"] == 0 and proc.stderr == "", "on end of file the helper exits quietly",
          json.dumps(out), describe(proc))
    check("usr" in out["root_after"].get("ok", []), "no chroot without a request", json.dumps(out))
    assert_no_leftovers(helper)


def case_adjust_oom_score(name):
    helper, _ = prepare(name)
    mine = subprocess.Popen(as_nobody(["sleep", "30"]))
    roots = subprocess.Popen(["sleep", "30"])
    try:
        time.sleep(0.1)
        proc = run([helper, "--adjust-oom-score", str(mine.pid), "300"])
        check(proc.returncode == 0, "adjusting a process of the caller succeeds with 0", describe(proc))
        with open(f"/proc/{mine.pid}/oom_score_adj") as f:
            check(f.read().strip() == "300", "oom_score_adj is now 300")
        proc = run([helper, "--adjust-oom-score", str(roots.pid), "200"])
        check(proc.returncode == 1 and "does not belong to the caller" in proc.stderr,
              "a process of another user is refused", describe(proc))
        with open(f"/proc/{roots.pid}/oom_score_adj") as f:
            check(f.read().strip() == "0", "root's process is untouched")
        for bad in (["abc", "200"], [str(mine.pid), "1001"], [str(mine.pid), "-5"], [str(mine.pid), " 5"],
                    ["0", "200"]):
            proc = run([helper, "--adjust-oom-score", *bad])
            check(proc.returncode == 1, f"{bad} is refused", describe(proc))
        with open(f"/proc/{mine.pid}/oom_score_adj") as f:
            check(f.read().strip() == "300", "refused calls change nothing")
        proc = run([helper, "--adjust-oom-score", "999999999", "200"])
        check(proc.returncode == 1, "a pid that does not exist is refused", describe(proc))
    finally:
        mine.kill()
        roots.kill()
        mine.wait()
        roots.wait()


def case_api_request(name):
    helper, _ = prepare(name)
    proc = run([helper, "/bin/true"], env=base_env(**API))
    check(proc.returncode == 0 and proc.stderr == "", "API 1 requested: no warning", describe(proc))
    proc = run([helper, "/bin/true"], env=base_env())
    check(proc.returncode == 0 and "API 0 requested" in proc.stderr, "absent means 0: warn and run",
          describe(proc))
    proc = run([helper, "/bin/true"], env=base_env(SBX_CHROME_API_RQ="2"))
    check(proc.returncode == 0 and "API 2 requested" in proc.stderr, "another API: warn and run",
          describe(proc))
    proc = run([helper, "/bin/sh", "-c", "echo ran"], env=base_env(SBX_CHROME_API_RQ="one"))
    check(proc.returncode == 81 and "ran" not in proc.stdout, "a non-number is an error (81), nothing runs",
          describe(proc))
    check(proc.stderr == "sbx-helper: SBX_CHROME_API_RQ: not a number\n", "the message names the variable",
          describe(proc))
    assert_no_leftovers(helper)


def case_not_setuid(name):
    """Without setuid root the helper takes its user-namespace mode; so does a
    setuid-root helper asked for --userns."""
    for setuid, switch in ((False, []), (True, ["--userns"])):
        helper, _ = prepare(name, setuid=setuid)
        proc = run([helper, *switch, "/bin/sh", "-c", "cat /proc/self/uid_map; echo ran $$"], env=base_env(**API))
        check(proc.returncode == 0 and proc.stdout.split() == [str(NOBODY), str(NOBODY), "1", "ran", "1"] and
              proc.stderr == "", f"{'setuid with --userns' if setuid else 'not setuid'}: the program runs as PID 1 "
              "in a user namespace mapping the caller alone", describe(proc))
        assert_no_leftovers(helper)


def case_userns_off(name):
    """Where the kernel refuses user namespaces, a helper that is not setuid
    root names the cause and the fix, exit 82, and nothing runs."""
    helper, _ = prepare(name, setuid=False)
    proc = run_with_user_namespaces_off(as_nobody([helper, "/bin/sh", "-c", "echo ran"]), env=base_env(**API))
    check(proc.returncode == 82 and "ran" not in proc.stdout, "exit 82, nothing runs", describe(proc))
    check(proc.stderr == "sbx-helper: user namespace: user namespaces are off (sysctl user.max_user_namespaces "
          "is 0): set it above 0 (sysctl -w user.max_user_namespaces=10000), or install sbx-helper setuid root\n",
          "one line: the cause and the fix", describe(proc))
    assert_no_leftovers(helper)


def case_exec_failure(name):
    helper, _ = prepare(name)
    proc = run([helper, "/nonexistent/program"], env=base_env(**API))
    check(proc.returncode == 86, "a missing program is exit 86", describe(proc))
    check(proc.stderr == "sbx-helper: execv /nonexistent/program: No such file or directory\n",
          "the message names the program and the reason", describe(proc))
    proc = run([helper, "true"], env=base_env(**API))
    check(proc.returncode == 86, "PROGRAM is a path, never searched in PATH", describe(proc))
    assert_no_leftovers(helper)


def case_descriptors(name):
    """Inherited descriptors stay open in the target (Chromium's IPC needs
    them); fd 7 is passed on when present and not required."""
    helper, probe = prepare(name)
    r, w = os.pipe()
    try:
        os.dup2(r, 7)
        os.set_inheritable(7, True)
        os.set_inheritable(w, True)
        out, _ = probe_run(helper, probe, pass_fds=(7, w))
        check(7 in out["fds"] and w in out["fds"], "inherited descriptors are open in the target",
              json.dumps(out["fds"]))
    finally:
        os.close(7)
        os.close(r)
        os.close(w)
    out, _ = probe_run(helper, probe)
    check(7 not in out["fds"], "fd 7 is not required", json.dumps(out["fds"]))
    assert_no_leftovers(helper)


def case_process_limit(name):
    """A caller at its RLIMIT_NPROC gets no sandbox: the helper's clones need
    CAP_SYS_ADMIN, which the kernel exempts from the limit. Run as a uid of
    its own (64997, which no other test uses), so that the count is known:
    prlimit sets the limit and executes the helper (1 process); the
    sandbox's start adds the target and the chroot helper (2 more)."""
    helper, _ = prepare(name)
    uid = 64997
    for limit, refused in ((1, True), (2, True), (3, False)):
        argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", "prlimit",
                f"--nproc={limit}", helper, "/bin/echo", "ran"]
        proc = run(argv, env=base_env(**API), user=None)
        if refused:
            check(proc.returncode == 88 and "ran" not in proc.stdout and
                  "sbx-helper: starting the sandbox: you are at your process limit" in proc.stderr,
                  f"RLIMIT_NPROC {limit}: refused with exit 88 and a sentence, nothing runs", describe(proc))
        else:
            check(proc.returncode == 0 and proc.stdout == "ran\n",
                  f"RLIMIT_NPROC {limit}: room for the sandbox's processes, it runs", describe(proc))
    assert_no_leftovers(helper)


main({name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")})
