"""sbx doctor, in a working setup and in setups that break: each broken one
is named with its fix, and the exit status says the sandbox cannot work.

usage: doctor_cases.py CASE
"""
import os
import subprocess

from sbxtest import as_nobody, check, describe, install_file, install_pieces, main, require_root, setuid_copy


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
    for line in ("ok       sbx-helper:", "ok       PID and network namespaces: created by sbx-helper",
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
    helper, sbx, shim = setup(name)
    os.chmod(helper, 0o755)
    proc = doctor(sbx, helper, shim)
    check(proc.returncode == 1 and "error    sbx-helper:" in proc.stdout and
          f"fix: chown root:root {helper} && chmod 4755 {helper}" in proc.stdout,
          "a helper without the setuid bit: named, with the fix, exit 1", describe(proc))


def case_nosuid(name):
    helper, sbx, shim = setup(name)
    mnt = os.path.join(os.path.dirname(helper), "nosuid")
    os.makedirs(mnt)
    # A private mount namespace, a nosuid tmpfs, a setuid copy on it.
    script = (f"mount -t tmpfs -o nosuid,mode=755 tmpfs {mnt} && cp {helper} {mnt}/sbx-helper && "
              f"chmod 4755 {mnt}/sbx-helper && exec \"$@\"")
    proc = doctor(sbx, f"{mnt}/sbx-helper", shim, prefix=("unshare", "--mount", "--propagation", "private", "sh", "-c",
                                                          script, "sh"))
    check(proc.returncode == 1 and "error    its filesystem: mounted nosuid" in proc.stdout,
          "a helper on a nosuid mount: named, exit 1", describe(proc))
    check("fix: fix the helper's installation (above) first" in proc.stdout,
          "the namespace failure points at its real cause", describe(proc))


def case_missing_shim(name):
    helper, sbx, shim = setup(name)
    proc = doctor(sbx, helper, "/nonexistent/libsbx-shim.so")
    check(proc.returncode == 1 and "error    libsbx-shim.so: /nonexistent/libsbx-shim.so is missing" in proc.stdout,
          "a missing shim: named, exit 1", describe(proc))


main({name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")})
