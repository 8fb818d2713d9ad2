#!/usr/bin/env python3
"""Syscall rewriting (issue 13): sbx run's table of libc's and the loader's
sites, the shim's patching, and that a rewritten site is a fast path and
never a permission. As uid 65534, against the setuid copy of the helper.
Usage: rewrite_cases.py CASE."""
import os
import re
import subprocess

import sbxtest
from sbxtest import check

LIBC = "/lib/x86_64-linux-gnu/libc.so.6"
LOADER = "/lib64/ld-linux-x86-64.so.2"
REPORT = re.compile(r"sbx shim: syscall sites: (\d+) listed, (\d+) patched, (\d+) without a fast path, "
                    r"(\d+) mismatched, (\d+) answered at the site, in (\d+) us, (\d+) opens on the fast route")


class Rewrite:
    def __init__(self, name):
        self.sb = sbxtest.Sandbox(name)
        self.probe = self.sb.compile("rewrite_probe.c")
        os.chmod(self.probe, 0o755)
        self.secret = os.path.join(self.sb.dir, "secret")  # outside every rule
        with open(self.secret, "w") as f:
            f.write("s")
        os.chmod(self.secret, 0o644)
        self.allowed = self.sb.file("allowed", "a")

    def run(self, *args, rewrite=None, policy=()):
        env = self.sb.env()
        if rewrite is not None:
            env["SBX_REWRITE"] = rewrite
        return subprocess.run(sbxtest.as_nobody([self.sb.sbx, "run", *policy, "--allow-read", self.sb.data, "--",
                                                  *args]), env=env, capture_output=True, text=True, timeout=120,
                              cwd=self.sb.data)


def scan_counts():
    proc = subprocess.run([os.environ["SBX_SYSCALL_SITES_REPORT"], LIBC, LOADER], capture_output=True, text=True)
    print(proc.stdout, end="")
    check(proc.returncode == 0, "scanning libc and the loader", proc.stdout, proc.stderr)
    counts = {}
    for path, found, patched, left in re.findall(r"^(\S+): found (\d+) patched (\d+) left (\d+)$", proc.stdout, re.M):
        counts[path] = (int(found), int(patched), int(left))
    check(set(counts) == {LIBC, LOADER}, "a count for each file", proc.stdout)
    return counts


def sites(name):
    counts = scan_counts()
    for path, (found, patched, left) in counts.items():
        check(found == patched + left and found > 0, f"{path}: every site found is patched or left", counts)
        # Debian 12's libc 2.36 has 526 sites: 454 with a 5-byte instruction
        # just before (the rest are left to the filter, as today).
        check(patched >= found * 8 // 10, f"{path}: most sites rewritable", counts)
    r = Rewrite(name)
    # All sites, as the tests below use them: every listed site patched.
    proc = r.run(r.probe, "patched", rewrite="all,verbose")
    print(proc.stderr, end="")
    check(proc.returncode == 0 and proc.stdout == "patched\n", "libc's getpid rewritten", sbxtest.describe(proc))
    m = REPORT.search(proc.stderr)
    expected = counts[LIBC][1] + counts[LOADER][1]
    check(m is not None and int(m.group(1)) == expected and int(m.group(2)) == expected and m.group(4) == "0",
          f"the shim patched all {expected} listed sites", proc.stderr)
    # By default only the sites with a fast path, those the shim answers
    # itself, are listed (sbx run leaves the rest out of the table) and
    # patched; the fast route of brokered opens is off (open_route below).
    proc = r.run(r.probe, "patched", rewrite="verbose")
    print(proc.stderr, end="")
    m = REPORT.search(proc.stderr)
    check(proc.returncode == 0 and proc.stdout == "native\n" and m is not None and
          int(m.group(1)) == int(m.group(2)) == int(m.group(5)) >= 3 and m.group(3) == "0" and m.group(4) == "0" and
          m.group(7) == "0", "by default, the sites with a fast path patched", sbxtest.describe(proc))
    # The off switch: nothing patched, nothing reported, the same program.
    proc = r.run(r.probe, "patched", rewrite="0")
    check(proc.returncode == 0 and proc.stdout == "native\n" and "sbx shim" not in proc.stderr,
          "SBX_REWRITE=0 turns rewriting off", sbxtest.describe(proc))
    # Every site, quietly.
    proc = r.run(r.probe, "patched", rewrite="all")
    check(proc.returncode == 0 and proc.stdout == "patched\n" and "sbx shim" not in proc.stderr, "SBX_REWRITE=all",
          sbxtest.describe(proc))


def unpatchable(name):
    r = Rewrite(name)
    proc = r.run(r.probe, "raw", r.allowed)
    check(proc.returncode == 0 and proc.stdout == "open 0 getpid-same 1\n", "a hand-made site works through the filter",
          sbxtest.describe(proc))
    proc = r.run(r.probe, "raw", r.secret)
    check(proc.returncode == 0 and proc.stdout.startswith("open -") and "getpid-same 1" in proc.stdout,
          "a hand-made site still cannot open outside the rules", sbxtest.describe(proc))


def threads(name):
    r = Rewrite(name)
    proc = r.run(r.probe, "threads", r.allowed, rewrite="all")
    check(proc.returncode == 0 and proc.stdout == "threads failures 0\n", "8 threads through rewritten sites",
          sbxtest.describe(proc))


def forged(name):
    r = Rewrite(name)
    proc = r.run(r.probe, "forged", r.secret, rewrite="all")
    # openat brokered and refused (EACCES or ENOENT), mount and ptrace EPERM.
    check(proc.returncode == 0 and re.fullmatch(r"forged open -(13|2) mount -1 ptrace -1\n", proc.stdout),
          "a rewritten trampoline gains nothing", sbxtest.describe(proc))
    # A call the policy kills is still killed from a trampoline.
    policy = r.sb.file("kill-mount.policy", "include builtin:default\nmount: kill\n")
    proc = r.run(r.probe, "forged", r.secret, rewrite="all", policy=("--policy", policy))
    check(proc.returncode == 128 + 31 and "forged" not in proc.stdout, "a killed call is still killed",
          sbxtest.describe(proc))


def fork_exec(name):
    r = Rewrite(name)
    proc = r.run(r.probe, "fork", rewrite="all,verbose")
    check(proc.returncode == 0 and proc.stdout == "child-ran\nfork status 0\n", "fork and exec from a rewritten program",
          sbxtest.describe(proc))
    reports = REPORT.findall(proc.stderr)
    check(len(reports) == 2 and all(p == l and p != "0" for l, p, *_ in reports), "the executed program rewritten too",
          proc.stderr)


def emulated(name):
    r = Rewrite(name)
    # The default policy traps execve for the shim to do: at a rewritten
    # site the shim does it without the trap, so it works even with every
    # signal blocked, where a trapped call's SIGSYS cannot be delivered.
    proc = r.run(r.probe, "blocked-exec", rewrite="verbose")
    check(proc.returncode == 0 and proc.stdout == "exec-ran\n", "execve answered at the site", sbxtest.describe(proc))
    reports = REPORT.findall(proc.stderr)
    check(len(reports) == 2 and all(int(e) >= 3 for *_, e, _, _ in reports), "execve, execveat, chdir answered at the site",
          proc.stderr)
    # On by default.
    proc = r.run(r.probe, "blocked-exec")
    check(proc.returncode == 0 and proc.stdout == "exec-ran\n", "rewriting on by default", sbxtest.describe(proc))
    # Without rewriting, the trap's SIGSYS is blocked: the kernel kills.
    proc = r.run(r.probe, "blocked-exec", rewrite="0")
    check(proc.returncode == 128 + 31, "without rewriting a blocked SIGSYS kills, as before", sbxtest.describe(proc))


def fstat(name):
    r = Rewrite(name)
    # glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH), brokered: at a
    # rewritten site the shim answers it by fstat(fd), which the policy
    # allows, with what the trusted process would have answered. A path
    # given with AT_EMPTY_PATH (with a descriptor, or the working
    # directory) is still a stat of that path, which the trusted process
    # refuses outside the rules: ENOENT or EACCES.
    expected = r"site %s same 1 o_path 1 badfd 9 closed 9 forged (2|13) (2|13)\n"
    for rewrite, site in ((None, "patched"), ("0", "native"), ("all", "patched")):
        proc = r.run(r.probe, "fstat", r.allowed, r.secret, rewrite=rewrite)
        check(proc.returncode == 0 and re.fullmatch(expected % site, proc.stdout),
              f"fstat of a descriptor, SBX_REWRITE={rewrite}", sbxtest.describe(proc))
    # Only when the policy allows fstat: otherwise the site is left and the
    # trusted process answers (and a policy that refuses fstat is obeyed).
    policy = r.sb.file("no-fstat.policy", "include builtin:default\nfstat: errno(EPERM)\n")
    proc = r.run(r.probe, "fstat", r.allowed, r.secret, policy=("--policy", policy))
    check(proc.returncode == 0 and re.fullmatch(expected % "native", proc.stdout),
          "a policy that refuses fstat: newfstatat left to the trusted process", sbxtest.describe(proc))
    # Nor when a rule of either call looks at its arguments: sbx run tries a
    # few values, and a condition decides calls they do not show. Here fd
    # 1000 (the probe's "badfd", EBADF natively): the policy's answer, not
    # the shim's fstat.
    for rule, badfd in (("newfstatat: errno(EACCES) if arg0 == 1000", 13), ("fstat: errno(EPERM) if arg0 == 1000", 9)):
        policy = r.sb.file("conditional.policy", f"include builtin:default\n{rule}\n")
        proc = r.run(r.probe, "fstat", r.allowed, r.secret, policy=("--policy", policy))
        check(proc.returncode == 0 and
              re.fullmatch(expected.replace("badfd 9", f"badfd {badfd}") % "native", proc.stdout),
              f"a conditional rule ({rule}): newfstatat left to the policy", sbxtest.describe(proc))


def proc_mem_writes_code():
    """Whether this kernel lets /proc/PID/mem write into code that is not
    writable (proc_mem.force_override, Linux 6.12: "always" by default), as
    the trusted process does to patch a site while threads run."""
    import ctypes
    at = ctypes.cast(ctypes.CDLL(None).getpid, ctypes.c_void_p).value
    fd = os.open("/proc/self/mem", os.O_RDWR)
    try:
        return os.pwrite(fd, os.pread(fd, 1, at), at) == 1
    except OSError:
        return False
    finally:
        os.close(fd)


LAZY = re.compile(r"sbx shim: syscall site patched on its first trap: 0x[0-9a-f]+ \((in place|by the trusted process)\)")


def lazy(name):
    r = Rewrite(name)
    # A chdir site of the probe's own (in no table): its first call traps,
    # and the shim patches it in place (one thread); the second call, with
    # every signal blocked, would be killed if it still trapped.
    proc = r.run(r.probe, "lazy", r.sb.data, r.secret, rewrite="verbose")
    print(proc.stderr, end="")
    check(proc.returncode == 0 and proc.stdout.startswith(f"lazy before b8 first 0 after e9 blocked 0 cwd {r.sb.data}\n"),
          "a site patched on its first trap no longer traps", sbxtest.describe(proc))
    check(LAZY.findall(proc.stderr) == ["in place"], "one site patched in place, on its first trap", proc.stderr)
    # Its trampoline is the program's memory: rewritten to make any call, it
    # gains nothing (openat brokered and refused, mount refused).
    check(re.search(r"^rewritten trampoline open -(13|2) mount -1$", proc.stdout, re.M) is not None,
          "a rewritten lazy trampoline gains nothing", sbxtest.describe(proc))
    # The same in a library dlopened after start (in no table).
    lib = os.path.join(r.sb.data, "librewrite_probe_lib.so")
    built = subprocess.run(["cc", "-shared", "-fPIC", "-o", lib,
                            os.path.join(sbxtest.TOOLS, "rewrite_probe_lib.c")],
                           capture_output=True, text=True)
    check(built.returncode == 0, "building the library", built.stderr)
    os.chmod(lib, 0o755)
    proc = r.run(r.probe, "lazy-dlopen", lib, r.sb.data, rewrite="verbose")
    check(proc.returncode == 0 and proc.stdout == "lazy-dlopen before b8 first 0 after e9 blocked 0\n" and
          LAZY.findall(proc.stderr) == ["in place"], "a dlopened library's site patched on its first trap",
          sbxtest.describe(proc))
    # Without rewriting, nothing is patched: the blocked second call kills.
    proc = r.run(r.probe, "lazy", r.sb.data, r.secret, rewrite="0")
    check(proc.returncode == 128 + 31 and "sbx shim" not in proc.stderr, "SBX_REWRITE=0: no lazy patching",
          sbxtest.describe(proc))


def lazy_threads(name):
    if not proc_mem_writes_code():
        sbxtest.skip("this kernel does not let /proc/PID/mem write code (proc_mem.force_override)")
    r = Rewrite(name)
    # 8 threads through libc's rewritten sites (getpid: "all") and 16 chdir
    # sites of the probe's, which the trusted process patches on their first
    # trap while the others run: every call right, nothing crashes.
    for attempt in range(3):
        proc = r.run(r.probe, "lazy-threads", r.sb.data, rewrite="all,verbose")
        m = re.fullmatch(r"lazy-threads failures (\d+) patched (\d+) cwd (.*)\n", proc.stdout)
        check(proc.returncode == 0 and m is not None and m.group(1) == "0" and m.group(3) == r.sb.data,
              "8 threads while sites are patched lazily", sbxtest.describe(proc))
        modes = LAZY.findall(proc.stderr)
        check(int(m.group(2)) == len(modes) and 0 < len(modes) <= 16, "each patched site reported once", proc.stderr)
        # The threads start after the shim's constructor: sites found with
        # one thread are patched in place, the rest by the trusted process.
        if "by the trusted process" in modes:
            break
    check("by the trusted process" in modes, "sites patched by the trusted process while threads ran", proc.stderr)
    print(f"patched {len(modes)} of 16: {modes.count('by the trusted process')} by the trusted process")


def lazy_hostile(name):
    if not proc_mem_writes_code():
        sbxtest.skip("this kernel does not let /proc/PID/mem write code (proc_mem.force_override)")
    r = Rewrite(name)
    # Forged requests: the trusted process refuses each and writes nothing;
    # a real one (a site of a trapped call, a jump to an executable
    # anonymous mapping of its own) is written.
    proc = r.run(r.probe, "forge-patch")
    check(proc.returncode == 0 and proc.stdout == "untrapped -1 bytes -1 nonsite -1 inside -1 writable-target -1 "
          "file-target -1 data-site -1 unmarked -1 unchanged 1 real 0 jump 1\n", "forged requests",
          sbxtest.describe(proc))
    # Under deny-write-execute the trusted process writes nothing, not even
    # for a real site, and the shim patches nothing.
    policy = r.sb.file("wx.policy", "include builtin:default\ndeny-write-execute on\n")
    proc = r.run(r.probe, "forge-patch", policy=("--policy", policy))
    check(proc.returncode == 0 and proc.stdout.endswith(" unchanged 1 real -1 jump 0\n"),
          "deny-write-execute: nothing patched", sbxtest.describe(proc))
    proc = r.run(r.probe, "lazy", r.sb.data, r.secret, rewrite="verbose", policy=("--policy", policy))
    check(proc.returncode == 128 + 31 and "patched on its first trap" not in proc.stderr,
          "deny-write-execute: no lazy patching", sbxtest.describe(proc))
    # The shim's SIGILL handler (for a thread that runs a site while it is
    # written) passes every other SIGILL on: with no handler of the
    # program's, an invalid instruction kills as ever...
    proc = r.run(r.probe, "ud2", rewrite="verbose")
    check(proc.returncode == 128 + 4 and proc.stdout == "chdir 0 patched e9\n", "ud2 kills with SIGILL",
          sbxtest.describe(proc))
    # ...or, with a core-dir, goes to the shim's core handler, as before.
    cores = os.path.join(r.sb.dir, "cores")
    os.makedirs(cores)
    os.chown(cores, 65534, 65534)
    proc = r.run(r.probe, "ud2", rewrite="verbose", policy=("--core-dir", cores))
    check(proc.returncode == 128 + 4 and proc.stdout == "chdir 0 patched e9\n" and len(os.listdir(cores)) == 1,
          "ud2 with a core-dir: a core, then death by SIGILL", sbxtest.describe(proc), os.listdir(cores))
    # ...and a program's own handler is never replaced (its site is left).
    proc = r.run(r.probe, "ud2", "own", rewrite="verbose")
    check(proc.returncode == 0 and proc.stdout == "chdir 0 patched b8\nown handler ran\nafter ud2\n",
          "the program's own SIGILL handler runs", sbxtest.describe(proc))


# The fast route of brokered opens (SBX_REWRITE=open-route): the descriptor
# comes back on the process's own socket instead of by ADDFD.
def open_route(name):
    r = Rewrite(name)
    proc = r.run(r.probe, "route-opens", r.allowed, "200", rewrite="open-route,verbose")
    print(proc.stderr, end="")
    m = REPORT.search(proc.stderr)
    # libc's open and openat, and the loader's: at least two sites each.
    check(m is not None and int(m.group(7)) >= 4 and m.group(1) == m.group(2) and
          int(m.group(2)) == int(m.group(5)) + int(m.group(7)), "the open sites patched for the route", proc.stderr)
    # Every open read back right; the route's socket is there (it is made
    # at the first open on the route).
    check(proc.returncode == 0 and proc.stdout == "opens failures 0 sockets 1\n", "opens through the route",
          sbxtest.describe(proc))
    # Off by default: no socket, the same results.
    proc = r.run(r.probe, "route-opens", r.allowed, "20", rewrite="verbose")
    m = REPORT.search(proc.stderr)
    check(proc.returncode == 0 and proc.stdout == "opens failures 0 sockets 0\n" and m is not None and
          m.group(7) == "0", "the route is off by default", sbxtest.describe(proc))


def open_route_forged(name):
    r = Rewrite(name)
    proc = r.run(r.probe, "route-forged", r.secret, r.allowed, rewrite="open-route")
    # With the route's marks made by hand: a refused path is refused as
    # ever (EACCES or ENOENT); an allowed one comes with a new socket that
    # holds that descriptor and nothing more (EAGAIN); naming stdin as the
    # socket gets a new socket, not a descriptor sent to stdin. The
    # program's own route socket, read by the program, holds nothing,
    # before or after an open the rules refuse.
    check(proc.returncode == 0 and re.fullmatch(
        r"forged refused (13|2) allowed 1 more -11 other-new 1 route 1 steal -11 -11 secret (13|2)\n", proc.stdout),
          "forged route calls gain nothing", sbxtest.describe(proc))
    # Without open-route (the default) the trusted process answers no call
    # on the route: the same forged marks get the descriptor by ADDFD, and
    # no socket comes with it.
    proc = r.run(r.probe, "route-forged", r.secret, r.allowed)
    check(proc.returncode == 0 and re.match(r"forged refused (13|2) allowed -1 more 0 other-new 0 route 1 ", proc.stdout),
          "the route is closed unless sbx run asks for it", sbxtest.describe(proc))
    # The shim's fast entry called by hand: the same call, decided the same.
    proc = r.run(r.probe, "route-entry", r.secret, r.allowed, rewrite="open-route")
    check(proc.returncode == 0 and re.fullmatch(r"entry refused -(13|2) allowed 1 sockets 1\n", proc.stdout),
          "the fast entry called by hand gains nothing", sbxtest.describe(proc))


def open_route_threads(name):
    r = Rewrite(name)
    # 8 threads opening at once: one at a time on the route, the others the
    # ordinary way (ADDFD); every descriptor is the right file.
    proc = r.run(r.probe, "route-threads", r.allowed, rewrite="open-route")
    check(proc.returncode == 0 and proc.stdout == "route-threads failures 0 sockets 1\n",
          "8 threads opening through the route", sbxtest.describe(proc))


def open_route_fork(name):
    r = Rewrite(name)
    # A forked child gets its own socket (it keeps the inherited one until it
    # executes, close-on-exec); the executed program its own again.
    proc = r.run(r.probe, "route-fork", r.allowed, rewrite="open-route")
    check(proc.returncode == 0 and proc.stdout == "child failures 0 sockets 2\nopens failures 0 sockets 1\n"
          "parent failures 0 sockets 1 1 status 0\n", "fork and exec with the route", sbxtest.describe(proc))


if __name__ == "__main__":
    sbxtest.main({"sites": sites, "unpatchable": unpatchable, "threads": threads, "forged": forged,
                  "fork-exec": fork_exec, "emulated": emulated, "fstat": fstat, "lazy": lazy,
                  "lazy-threads": lazy_threads, "lazy-hostile": lazy_hostile, "open-route": open_route,
                  "open-route-forged": open_route_forged, "open-route-threads": open_route_threads,
                  "open-route-fork": open_route_fork})
