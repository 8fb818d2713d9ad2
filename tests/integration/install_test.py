"""meson install into a scratch directory, as root: the helper setuid root
in libexecdir/sbx, sbx, the shim, the built-in policies, bash completion,
and the manual pages, each rendering without a warning (man --warnings).

usage: install_test.py install
"""
import os
import stat
import subprocess
import tempfile

from sbxtest import check, main, require_root


def case_install(name):
    require_root()
    build = os.environ["SBX_BUILD_DIR"]
    with tempfile.TemporaryDirectory() as dest:
        proc = subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet"],
                              capture_output=True, text=True)
        check(proc.returncode == 0, "meson install works", proc.stdout + proc.stderr)
        found = {os.path.relpath(os.path.join(d, f), dest) for d, _, fs in os.walk(dest) for f in fs}
        helper = next((f for f in found if f.endswith("libexec/sbx/sbx-helper")), None)
        check(helper is not None, "sbx-helper is installed in libexecdir/sbx", sorted(found))
        st = os.stat(os.path.join(dest, helper))
        check(st.st_uid == 0 and st.st_gid == 0 and stat.S_IMODE(st.st_mode) == 0o4755,
              "and is setuid root (4755 root:root)", oct(st.st_mode))
        for suffix in ("bin/sbx", "libexec/sbx/sbx-zygote", "libexec/sbx/sbx-trusted", "libsbx-shim.so", "share/sbx/policies/default.policy",
                       "share/sbx/policies/stdio.policy", "share/bash-completion/completions/sbx",
                       "share/man/man1/sbx.1", "share/man/man5/sbx-policy.5", "share/man/man8/sbx-helper.8"):
            check(any(f.endswith(suffix) for f in found), f"{suffix} is installed", sorted(found))
        for page in (f for f in found if "/man/man" in f):
            proc = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", os.path.join(dest, page)],
                                  capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8",
                                                                       "MANWIDTH": "80"})
            check(proc.returncode == 0 and proc.stderr == "" and len(proc.stdout) > 500,
                  f"{page} renders without warnings", proc.stderr)
        proc = subprocess.run(["bash", "-n", os.path.join(dest, next(f for f in found if f.endswith("completions/sbx")))],
                              capture_output=True, text=True)
        check(proc.returncode == 0, "the bash completion is valid bash", proc.stderr)


main({"install": case_install})
