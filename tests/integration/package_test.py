"""The Debian packages: build them from packaging/debian with
dpkg-buildpackage, require no lintian errors, install them into this
machine, run the handshake demo, sbx run and sbx doctor from the installed
paths as uid 65534, and remove them again.

usage: package_test.py debian
"""
import glob
import os
import shutil
import subprocess
import tempfile

from sbxtest import Failure, as_nobody, check, main, require_root, skip


def sh(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def installed(pkg):
    return "install ok installed" in sh(["dpkg-query", "-W", "-f=${Status}", pkg]).stdout


def run_as_nobody(argv):
    return sh(as_nobody(argv), env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "SBX_CHROME_API_RQ": "1"}, timeout=60)


def case_debian(name):
    require_root()
    for tool in ("dpkg-buildpackage", "dh", "lintian"):
        if shutil.which(tool) is None:
            skip(f"{tool} is missing (apt-get install dpkg-dev debhelper lintian)")
    if installed("sbx") or installed("sbx-helper"):
        raise Failure("sbx is already installed on this machine; the package test would replace it")
    source = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    with tempfile.TemporaryDirectory(prefix="sbx-package.") as work:
        tree = os.path.join(work, "sbx-0.1.0")
        shutil.copytree(source, tree, ignore=shutil.ignore_patterns("build*", ".git", "__pycache__"))
        shutil.copytree(os.path.join(tree, "packaging", "debian"), os.path.join(tree, "debian"))
        proc = sh(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=tree, timeout=900)
        check(proc.returncode == 0, "dpkg-buildpackage -us -uc -b builds", proc.stdout[-3000:] + proc.stderr[-3000:])
        changes = glob.glob(os.path.join(work, "*.changes"))[0]
        proc = sh(["lintian", "--tag-display-limit", "0", changes])
        errors = [l for l in proc.stdout.splitlines() if l.startswith("E:")]
        check(not errors, "lintian reports no errors", "\n".join(errors))
        print("lintian:", proc.stdout.strip() or "clean")
        debs = [d for d in glob.glob(os.path.join(work, "*.deb")) if "dbgsym" not in d]
        try:
            proc = sh(["dpkg", "-i", *debs])
            check(proc.returncode == 0, "the packages install", proc.stdout + proc.stderr)
            mode = os.stat("/usr/libexec/sbx/sbx-helper").st_mode
            check(mode & 0o7777 == 0o4755, "sbx-helper is installed setuid root", oct(mode))
            # Shared libcap and libstdc++, so that their security updates reach us.
            for binary, library in (("/usr/libexec/sbx/sbx-helper", "libcap.so"), ("/usr/bin/sbx", "libstdc++.so")):
                needed = sh(["readelf", "-d", binary]).stdout
                check(library in needed, f"{binary} links {library} as a shared library", needed)
            # The shim links no library at all (nothing of the program's can
            # stand in for what it calls); the first stage and the trusted
            # process are static (nothing is loaded into them by path, and
            # Landlock can hold the trusted process to the rules).
            for binary in ("/usr/lib/x86_64-linux-gnu/sbx/libsbx-shim.so", "/usr/libexec/sbx/sbx-zygote",
                           "/usr/libexec/sbx/sbx-trusted"):
                needed = sh(["readelf", "-d", binary]).stdout
                check("NEEDED" not in needed, f"{binary} needs no shared library", needed)
            demo = ("echo Before:; ls -ld /; printf C >&$SBX_D; read x <&$SBX_D; echo After:; ls -ld /")
            proc = run_as_nobody(["/usr/libexec/sbx/sbx-helper", "/bin/sh", "-c", demo])
            before, _, after = proc.stdout.partition("After:")
            check(before.startswith("Before:") and before.rstrip().endswith(" /") and after.strip() == "",
                  "the handshake demo from the installed helper", proc.stdout + proc.stderr)
            proc = run_as_nobody(["/usr/bin/sbx", "run", "--allow-read", "/etc/hostname", "/usr/bin/python3", "-c",
                              "print(open('/etc/hostname').read().strip())"])
            check(proc.returncode == 0 and proc.stdout.strip() == open("/etc/hostname").read().strip(),
                  "sbx run from the installed paths", proc.stdout + proc.stderr)
            proc = run_as_nobody(["/usr/bin/sbx", "doctor"])
            check(proc.returncode == 0, "sbx doctor is content with the installation", proc.stdout + proc.stderr)
        finally:
            sh(["dpkg", "--purge", "sbx", "sbx-helper"])
        check(not installed("sbx") and not installed("sbx-helper"), "and they are removed again")


main({"debian": case_debian})
