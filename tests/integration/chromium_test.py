"""Real Chromium (Debian's chromium) as the client of sbx-helper.

Chromium takes its setuid sandbox from CHROME_DEVEL_SANDBOX when no
chrome-sandbox lies beside its binary and the binary belongs to the user
running it, so the test copies Chromium into a directory owned by uid 65534,
without chrome-sandbox, and runs it as that user with --disable-namespace-sandbox
(the path distributions take when user namespaces are off).

It must render a page whose script computes a result, and its histogram of
Linux.SandboxStatus must hold bucket 47: SUID sandbox, PID and network
namespaces, seccomp-bpf and TSYNC.
"""
import os
import re
import shutil

from sbxtest import NOBODY, assert_no_leftovers, base_env, check, main, require_root, run, setuid_copy, skip

CHROMIUM_DIR = "/usr/lib/chromium"
EXPECTED_STATUS = 47  # kSandboxLinuxSUID|PIDNS|NetNS|SeccompBPF|SeccompTSYNC
PAGE = ("data:text/html,<p id=r>waiting</p><script>"
        "document.getElementById('r').textContent='computed:'+(6*7)</script>")


def user_owned_chromium(dest):
    """Chromium's files under dest, the binary a real copy owned by 65534 (it
    must be: Chromium checks the owner of /proc/self/exe), the rest symlinks."""
    os.makedirs(dest, exist_ok=True)
    src_bin = os.path.join(CHROMIUM_DIR, "chromium")
    dst_bin = os.path.join(dest, "chromium")
    st = os.stat(src_bin)
    try:
        d = os.stat(dst_bin)
        fresh = d.st_size == st.st_size and int(d.st_mtime) == int(st.st_mtime)
    except FileNotFoundError:
        fresh = False
    if not fresh:
        shutil.copy2(src_bin, dst_bin + ".tmp")
        os.replace(dst_bin + ".tmp", dst_bin)
    for name in os.listdir(CHROMIUM_DIR):
        link = os.path.join(dest, name)
        if name in ("chromium", "chrome-sandbox") or os.path.lexists(link):
            continue
        os.symlink(os.path.join(CHROMIUM_DIR, name), link)
    for root, dirs, files in os.walk(dest):
        for n in [root] + [os.path.join(root, f) for f in dirs + files]:
            os.lchown(n, NOBODY, NOBODY)
    return dst_bin


def sandbox_status_buckets(stderr):
    """{bucket: count} of the Linux.SandboxStatus histogram Chromium dumps at --v=1."""
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Histogram: Linux.SandboxStatus recorded"):
            buckets = {}
            for row in lines[i + 1:]:
                m = re.match(r"^(\d+)\s+-?O?.*\((\d+) = ", row)
                if not m:
                    break
                buckets[int(m.group(1))] = int(m.group(2))
            return buckets
    return None


def case_renders_with_sbx_helper(name):
    require_root()
    if not os.path.exists(os.path.join(CHROMIUM_DIR, "chromium")):
        skip("Debian's chromium is not installed and could not be installed (apt-get install chromium)")
    helper = setuid_copy("chromium")
    base = os.path.dirname(helper)
    chromium = user_owned_chromium(os.path.join(os.path.dirname(base), "chromium-copy"))
    home = os.path.join(base, "home")
    profile = os.path.join(base, "profile")
    for d in (home, profile):
        os.makedirs(d)
        os.chown(d, NOBODY, NOBODY)

    env = base_env(HOME=home, CHROME_DEVEL_SANDBOX=helper)
    proc = run([chromium, "--headless", "--disable-namespace-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", f"--user-data-dir={profile}", "--v=1", "--enable-logging=stderr",
                "--dump-dom", PAGE], env=env, timeout=120)
    tail = "\n".join(proc.stderr.splitlines()[-40:])
    check(proc.returncode == 0, f"chromium exited {proc.returncode}", tail)
    check("computed:42" in proc.stdout, "the page's script result is printed", proc.stdout, tail)
    buckets = sandbox_status_buckets(proc.stderr)
    check(buckets is not None, "Chromium reported Linux.SandboxStatus", tail)
    check(buckets.get(EXPECTED_STATUS, 0) >= 1,
          f"Linux.SandboxStatus has bucket {EXPECTED_STATUS} (SUID, PID+NET namespaces, seccomp-bpf, TSYNC)",
          f"buckets: {buckets}")
    print(f"rendered with sbx-helper; Linux.SandboxStatus buckets {buckets}")
    assert_no_leftovers(helper, grace=5)
    assert_no_leftovers(chromium, grace=5)



main({"renders-with-sbx-helper": case_renders_with_sbx_helper})
