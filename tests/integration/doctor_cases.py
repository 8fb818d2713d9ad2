"""sbx doctor, in a working setup and in setups that break: each broken one
is named with its fix, and the exit status says the sandbox cannot work.

usage: doctor_cases.py CASE
"""
import os
import subprocess

from sbxtest import (USERNS, as_nobody, check, describe, install_file, install_pieces, main, require_root,
                     run_with_user_namespaces_off, setuid_copy)


def doctor(sbx, helper, shim, prefix=()):
    pieces = install_pieces(os.path.dirname(sbx))
    pieces["SBX_SHIM"] = shim
    return subprocess.run([*prefix, *as_nobody([sbx, "doctor"])], env={"PATH": "/usr/bin:/bin", "SBX_HELPER": helper, **pieces},
                          capture_output=True, text=True, timeout=60)


def setup(name):
    require_root()
    helper = setuid_copy(name)
    d = os.path.dirname(helper)
    return helper, install_file(os.environ["SBX_CLI"], "sbx", d), install_file(os.environ["SBX_SHIM_BUILT"],
                                                                                "libsbx-shim.so", d)


def case_working(name):
    helper, sbx, shim = setup(name)
    proc = doctor(sbx, helper, shim)
    check(proc.returncode == 0 and "the sandbox can work here" in proc.stdout, "a working setup: exit 0",
          describe(proc))
    # Both modes where the helper is setuid root; in the user-namespace
    # mode's run (a helper that is not setuid), that mode alone.
    modes = (("warning  setuid mode: not available: sbx-helper is not setuid root",
              "ok       user-namespace mode: sbx-helper --userns creates user, PID and network namespaces (sbx run "
              "uses this mode)") if USERNS else
             ("ok       setuid mode: sbx-helper is setuid root and creates PID and network namespaces",
              "ok       user-namespace mode: sbx-helper --userns creates user, PID and network namespaces\n"))
    for line in ("ok       sbx-helper:", *modes,
                 "ok       seccomp filters: available, with TSYNC", "ok       seccomp user notification"):
        check(line in proc.stdout, f"reports: {line}", describe(proc))
    # Crash dumps: available where Yama lets the trusted process stop the
    # crashed process's threads (no Yama, or scope 0).
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            scope = f.read().strip()
    except OSError:
        scope = ""
    want = {"": "ok       crash dumps (--core-dir): available", "0": "ok       crash dumps (--core-dir): available",
            "1": "warning  crash dumps (--core-dir): for the sandbox's first process only"}.get(
                scope, "warning  crash dumps (--core-dir): not available")
    check(want in proc.stdout, f"reports, with Yama ptrace_scope '{scope}': {want}", describe(proc))


def case_not_setuid(name):
    """Without the setuid bit: setuid mode is missing (a warning with its fix,
    since Chromium needs it), the user-namespace mode works, exit 0."""
    helper, sbx, shim = setup(name)
    os.chmod(helper, 0o755)
    proc = doctor(sbx, helper, shim)
    check(proc.returncode == 0 and "warning  setuid mode: not available: sbx-helper is not setuid root" in proc.stdout
          and f"fix: chown root:root {helper} && chmod 4755 {helper} (Chromium needs this mode)" in proc.stdout and
          "ok       user-namespace mode: " in proc.stdout,
          "a helper without the setuid bit: setuid mode named with the fix, the user-namespace mode works, exit 0",
          describe(proc))


def case_userns_off(name):
    """Where the kernel refuses user namespaces (user.max_user_namespaces 0,
    in a user namespace of the test's: see run_with_user_namespaces_off), a
    helper that is not setuid root leaves no mode: both named, the cause and
    the fix, exit 1."""
    helper, sbx, shim = setup(name)
    os.chmod(helper, 0o755)
    pieces = install_pieces(os.path.dirname(sbx))
    env = {"PATH": "/usr/bin:/bin", "SBX_HELPER": helper, **pieces, "SBX_SHIM": shim}
    proc = run_with_user_namespaces_off(as_nobody([sbx, "doctor"]), env=env)
    for line in ("error    setuid mode: not available: sbx-helper is not setuid root",
                 "error    user-namespace mode: not available: user namespaces are off (sysctl "
                 "user.max_user_namespaces is 0)\n           fix: set it above 0 (sysctl -w "
                 "user.max_user_namespaces=10000), or install sbx-helper setuid root"):
        check(line in proc.stdout, f"reports: {line}", describe(proc))
    check(proc.returncode == 1 and "2 error(s): the sandbox cannot work until fixed" in proc.stdout,
          "neither mode: exit 1", describe(proc))


def case_nosuid(name):
    helper, sbx, shim = setup(name)
    mnt = os.path.join(os.path.dirname(helper), "nosuid")
    os.makedirs(mnt)
    # A private mount namespace, a nosuid tmpfs, a setuid copy on it.
    script = (f"mount -t tmpfs -o nosuid,mode=755 tmpfs {mnt} && cp {helper} {mnt}/sbx-helper && "
              f"chmod 4755 {mnt}/sbx-helper && exec \"$@\"")
    proc = doctor(sbx, f"{mnt}/sbx-helper", shim, prefix=("unshare", "--mount", "--propagation", "private", "sh", "-c",
                                                          script, "sh"))
    check(proc.returncode == 0 and "warning  setuid mode: not available: its filesystem is mounted nosuid" in
          proc.stdout and "ok       user-namespace mode: " in proc.stdout,
          "a helper on a nosuid mount: setuid mode named, the user-namespace mode works, exit 0", describe(proc))


def case_missing_shim(name):
    helper, sbx, shim = setup(name)
    proc = doctor(sbx, helper, "/nonexistent/libsbx-shim.so")
    check(proc.returncode == 1 and "error    libsbx-shim.so: /nonexistent/libsbx-shim.so is missing" in proc.stdout,
          "a missing shim: named, exit 1", describe(proc))


main({name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")})
