"""Integration tests of what `sbx run` answers, as the kernel would under a
view of the host that has only what the rules show: real programs behind
sbx-helper and the trusted process, run as uid 65534 against a setuid copy
of the helper (the run suite's Sandbox, tests/integration/sbxtest.py).

- readlink of a file that is no symlink is EINVAL, so realpath and
  `readlink -f` work where the rules show the files;
- a path outside the rules looks absent: ENOENT, whether or not it exists;
  EACCES only where the rules show the file but refuse the access (writing a
  file they only let the program read, making a name in a directory they
  show);
- /proc/self is the calling process's own (trusted/proc_view.cc): status,
  stat, maps, cmdline, fd/, exe, cwd and root; no other process's /proc;
- the CPU count is the host's.

usage: answers_cases.py CASE
"""
import os
import shutil
import subprocess

import sbxtest
from sbxtest import NOBODY, as_nobody, assert_no_leftovers, check, describe, main

PYTHON = "/usr/bin/python3"  # Debian's: PATH may hold another
LOADER = os.path.realpath("/lib64/ld-linux-x86-64.so.2")


Sandbox = sbxtest.Sandbox

# A python helper for the scripts below: attempt(WHAT, f, *args) prints
# "WHAT: RESULT", the result or the errno's name.
ATTEMPT = (
    "import errno, os, sys\n"
    "def attempt(what, f, *args):\n"
    "    try:\n"
    "        r = f(*args)\n"
    "        print(what + ':', 'ok' if r is None else r)\n"
    "    except OSError as e:\n"
    "        print(what + ':', errno.errorcode[e.errno])\n")


def lines_of(proc):
    return proc.stdout.splitlines()


def native(sb, argv):
    """argv run natively as uid 65534, for comparison."""
    return subprocess.run(as_nobody(argv), capture_output=True, text=True, timeout=60, cwd=sb.data)


def tree(sb):
    """data/tree, readable by all: a file, a directory, a relative and an
    absolute symlink, a chain of links, a link to a directory."""
    top = sb.directory(os.path.join(sb.data, "tree"), [("file.txt", "file\n")])
    sb.directory(os.path.join(top, "dir"), [("inner.txt", "inner\n")])
    os.symlink("file.txt", os.path.join(top, "rel"))
    os.symlink(os.path.join(top, "dir", "inner.txt"), os.path.join(top, "abs"))
    os.symlink("rel", os.path.join(top, "chain"))
    os.symlink("dir", os.path.join(top, "dirlink"))
    return top


def case_answers_realpath(name):
    """readlink -f, realpath and python's os.path.realpath of files,
    directories and links inside the rules answer what they answer natively
    (glibc's realpath and coreutils readlink each name by readlink, which
    must say EINVAL for a name that is no symlink)."""
    sb = Sandbox(name)
    top = tree(sb)
    names = [top, f"{top}/file.txt", f"{top}/dir", f"{top}/dir/inner.txt", f"{top}/rel", f"{top}/abs",
             f"{top}/chain", f"{top}/dirlink", f"{top}/dirlink/inner.txt", f"{top}/dir/../rel", "/usr/bin/python3",
             "/etc/passwd", "/usr/lib"]
    for argv in (["/usr/bin/readlink", "-f", *names], ["/usr/bin/realpath", *names],
                 [PYTHON, "-c", "import os, sys\nfor n in sys.argv[1:]: print(os.path.realpath(n, strict=True))", *names]):
        want = native(sb, argv)
        check(want.returncode == 0 and len(lines_of(want)) == len(names), f"natively, {argv[0]} runs", describe(want))
        proc = sb.run("--allow-read", top, *argv)
        check(proc.returncode == 0 and proc.stdout == want.stdout and proc.stderr == "",
              f"{os.path.basename(argv[0])} answers as natively", f"natively:\n{want.stdout}", describe(proc))
    # readlink -e of a missing name inside the rules fails as natively.
    proc = sb.run("--allow-read", top, "/usr/bin/readlink", "-e", f"{top}/missing")
    check(proc.returncode == 1 and proc.stdout == "", "readlink -e of a missing file fails", describe(proc))
    assert_no_leftovers(sb.helper)


def case_answers_readlink_einval(name):
    """readlink of a path that is there and is no symlink is EINVAL where the
    rules show it (a file they let the program read, a directory on the way
    to one, "/"); a symlink gives its text; a missing name inside the rules
    is ENOENT; readlinkat of a descriptor with an empty path is ENOENT (the
    kernel's answer for no symlink); a path outside the rules is ENOENT
    whether or not it exists."""
    sb = Sandbox(name)
    top = tree(sb)
    hidden = sb.file("hidden.txt", "hidden\n")
    script = ATTEMPT + (
        f"T = {top!r}\n"
        "for n in ('file.txt', 'dir', 'rel', 'abs', 'dirlink', 'missing', 'file.txt/x'):\n"
        "    attempt(n, os.readlink, T + '/' + n)\n"
        "attempt('on the way', os.readlink, os.path.dirname(T))\n"
        "attempt('/', os.readlink, '/')\n"
        "attempt('/usr/bin/python3', os.readlink, '/usr/bin/python3')\n"
        "attempt('/etc/passwd', os.readlink, '/etc/passwd')\n"
        f"attempt('hidden', os.readlink, {hidden!r})\n"
        f"attempt('hidden missing', os.readlink, {hidden!r} + '.missing')\n"
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "fd = os.open(T + '/file.txt', os.O_RDONLY)\n"
        "buf = ctypes.create_string_buffer(64)\n"
        "rc = libc.readlinkat(fd, b'', buf, 64)\n"
        "print('readlinkat(file, \"\"):', 'ok' if rc >= 0 else errno.errorcode[ctypes.get_errno()])\n")
    proc = sb.run("--allow-read", top, PYTHON, "-c", script)
    expected = ["file.txt: EINVAL", "dir: EINVAL", "rel: file.txt", f"abs: {top}/dir/inner.txt", "dirlink: dir",
                "missing: ENOENT", "file.txt/x: ENOTDIR", "on the way: EINVAL", "/: EINVAL",
                f"/usr/bin/python3: {os.readlink('/usr/bin/python3')}", "/etc/passwd: EINVAL", "hidden: ENOENT",
                "hidden missing: ENOENT", 'readlinkat(file, ""): ENOENT']
    check(proc.returncode == 0 and lines_of(proc) == expected, "readlink answers as the kernel does where the rules show",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_answers_outside_enoent(name):
    """A path outside the rules looks absent, by every call, whether it
    exists or not: ENOENT (also below the user's home, where git asks for
    ~/.config/git/ignore). Making a name in a directory the rules show (on
    the way to a rule) is refused, EACCES, also whether the name exists or
    not; `mkdir -p` climbs through the directories on the way (EEXIST)."""
    sb = Sandbox(name)
    work = sb.directory(os.path.join(sb.data, "work"), owner=NOBODY)
    hidden = sb.directory(os.path.join(sb.data, "hidden"), [("there.txt", "there\n")])
    home = sb.directory(os.path.join(sb.data, "home"), owner=NOBODY)
    sb.directory(os.path.join(home, ".config", "git"), [("ignore", "*.o\n")], owner=NOBODY)
    script = ATTEMPT + (
        f"H, W, HOME = {hidden!r}, {work!r}, {home!r}\n"
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def access(p):\n"
        "    if libc.access(p.encode(), os.F_OK) != 0:\n"
        "        raise OSError(ctypes.get_errno(), 'access')\n"
        "calls = {\n"
        "    'stat': os.stat, 'lstat': os.lstat, 'open': lambda p: os.close(os.open(p, os.O_RDONLY)),\n"
        "    'open O_WRONLY': lambda p: os.close(os.open(p, os.O_WRONLY)), 'access': access,\n"
        "    'readlink': os.readlink, 'listdir': os.listdir,\n"
        "    'chdir': os.chdir, 'unlink': os.unlink, 'chmod': lambda p: os.chmod(p, 0o600),\n"
        "    'rename': lambda p: os.rename(p, W + '/moved'),\n"
        "}\n"
        "for name, f in calls.items():\n"
        "    attempt(name + ' there', f, H + '/there.txt')\n"
        "    attempt(name + ' missing', f, H + '/missing.txt')\n"
        "attempt('stat the hidden directory', os.stat, H)\n"
        "attempt('stat a missing directory beside it', os.stat, os.path.dirname(H) + '/nothing')\n"
        "attempt('git ignore', os.stat, HOME + '/.config/git/ignore')\n"
        "attempt('git ignore open', lambda p: open(p).read(), HOME + '/.config/git/ignore')\n"
        "attempt('create in a shown directory, there', lambda p: open(p, 'w'), os.path.dirname(H) + '/hidden')\n"
        "attempt('create in a shown directory, missing', lambda p: open(p, 'w'), os.path.dirname(H) + '/new')\n"
        "attempt('mkdir in a shown directory, there', os.mkdir, H)\n"
        "attempt('mkdir in a shown directory, missing', os.mkdir, os.path.dirname(H) + '/new')\n"
        "attempt('create in a hidden directory, there', lambda p: open(p, 'w'), H + '/there.txt')\n"
        "attempt('create in a hidden directory, missing', lambda p: open(p, 'w'), H + '/new.txt')\n"
        "attempt('mkdir on the way', os.mkdir, os.path.dirname(W))\n"
        "attempt('makedirs below W', os.makedirs, W + '/a/b/c')\n")
    proc = sb.run("--allow-write", work, PYTHON, "-c", script, cwd=work)
    calls = ["stat", "lstat", "open", "open O_WRONLY", "access", "readlink", "listdir", "chdir", "unlink", "chmod",
             "rename"]
    expected = [f"{c} {w}: ENOENT" for c in calls for w in ("there", "missing")]
    expected += ["stat the hidden directory: ENOENT", "stat a missing directory beside it: ENOENT",
                 "git ignore: ENOENT", "git ignore open: ENOENT",
                 "create in a shown directory, there: EACCES", "create in a shown directory, missing: EACCES",
                 "mkdir in a shown directory, there: EACCES", "mkdir in a shown directory, missing: EACCES",
                 "create in a hidden directory, there: ENOENT", "create in a hidden directory, missing: ENOENT",
                 "mkdir on the way: EEXIST", "makedirs below W: ok"]
    check(proc.returncode == 0 and lines_of(proc) == expected,
          "outside the rules everything looks absent, the same whether it is there or not", describe(proc))
    check(sorted(os.listdir(hidden)) == ["there.txt"] and os.path.isdir(os.path.join(work, "a/b/c")),
          "nothing was made outside the rules; makedirs made its tree")
    # git runs in the work directory without warnings about files it may not read.
    if shutil.which("git"):
        env_home = ["/usr/bin/env", f"HOME={home}", "GIT_CONFIG_NOSYSTEM=1"]
        proc = sb.run("--allow-write", work, *env_home, "/usr/bin/git", "init", "-q", work, cwd=work)
        check(proc.returncode == 0, "git init runs", describe(proc))
        proc = sb.run("--allow-write", work, *env_home, "/usr/bin/git", "status", "--short", cwd=work)
        check(proc.returncode == 0 and "warning" not in proc.stderr and "Permission denied" not in proc.stderr,
              "git status: no warning about ~/.config/git/ignore", describe(proc))
    assert_no_leftovers(sb.helper)


def case_answers_read_only_eacces(name):
    """Where the rules show a file but refuse the access, EACCES: a file they
    only let the program read, opened for writing, truncated, removed,
    renamed or changed; a file made in a directory they only let it read.
    A missing file there is still ENOENT when nothing is to be made."""
    sb = Sandbox(name)
    ro = sb.directory(os.path.join(sb.data, "ro"), [("f.txt", "read only\n")], owner=NOBODY)
    os.chown(os.path.join(ro, "f.txt"), NOBODY, NOBODY)
    script = ATTEMPT + (
        f"RO = {ro!r}\n"
        "attempt('read', lambda: open(RO + '/f.txt').read().strip())\n"
        "attempt('open for writing', lambda: open(RO + '/f.txt', 'a'))\n"
        "attempt('open O_RDWR', lambda: os.open(RO + '/f.txt', os.O_RDWR))\n"
        "attempt('truncate', lambda: os.open(RO + '/f.txt', os.O_WRONLY | os.O_TRUNC))\n"
        "attempt('access W_OK', lambda: os.access(RO + '/f.txt', os.W_OK))\n"
        "attempt('unlink', os.unlink, RO + '/f.txt')\n"
        "attempt('rename', os.rename, RO + '/f.txt', RO + '/g.txt')\n"
        "attempt('chmod', os.chmod, RO + '/f.txt', 0o600)\n"
        "attempt('create', lambda: open(RO + '/new.txt', 'w'))\n"
        "attempt('mkdir', os.mkdir, RO + '/new')\n"
        "attempt('symlink', os.symlink, 'f.txt', RO + '/l')\n"
        "attempt('missing for writing', lambda: os.open(RO + '/missing.txt', os.O_WRONLY))\n"
        "attempt('unlink missing', os.unlink, RO + '/missing.txt')\n"
        "attempt('mkdir existing', os.mkdir, RO)\n")
    proc = sb.run("--allow-read", ro, PYTHON, "-c", script)
    expected = ["read: read only", "open for writing: EACCES", "open O_RDWR: EACCES", "truncate: EACCES",
                "access W_OK: False", "unlink: EACCES", "rename: EACCES", "chmod: EACCES", "create: EACCES",
                "mkdir: EACCES", "symlink: EACCES", "missing for writing: ENOENT", "unlink missing: ENOENT",
                "mkdir existing: EEXIST"]
    check(proc.returncode == 0 and lines_of(proc) == expected, "what the rules show but refuse is EACCES",
          describe(proc))
    check(sorted(os.listdir(ro)) == ["f.txt"] and open(os.path.join(ro, "f.txt")).read() == "read only\n",
          "the read-only directory is untouched")
    assert_no_leftovers(sb.helper)


def case_answers_proc_status(name):
    """/proc/self/status, stat, statm, comm, cmdline and maps are the calling
    process's own: its Umask: (which it sets), NSpid ending with its PID,
    its thread's with /proc/thread-self, a child's its own; /proc/<its PID>
    is /proc/self. Name: is the loader's (it runs the program), as the host
    sees it. Read-only."""
    sb = Sandbox(name)
    script = ATTEMPT + (
        "import threading\n"
        "os.umask(0o027)\n"
        "def fields(path):\n"
        "    return dict(l.split(':\\t', 1) for l in open(path).read().splitlines() if ':\\t' in l)\n"
        "s = fields('/proc/self/status')\n"
        "print('Name:', s['Name'])\n"
        "print('Umask:', s['Umask'])\n"
        "print('NSpid ends with getpid:', s['NSpid'].split()[-1] == str(os.getpid()))\n"
        "print('by PID:', fields('/proc/%d/status' % os.getpid())['NSpid'].split()[-1] == str(os.getpid()))\n"
        "print('realpath:', os.path.realpath('/proc/self/status') == '/proc/%d/status' % os.getpid())\n"
        "out = []\n"
        "def in_thread():\n"
        "    t = fields('/proc/thread-self/status')\n"
        "    out.append(t['NSpid'].split()[-1] == str(threading.get_native_id()))\n"
        "    out.append(fields('/proc/self/task/%d/status' % threading.get_native_id())['Pid'] == t['Pid'])\n"
        "th = threading.Thread(target=in_thread); th.start(); th.join()\n"
        "print('thread-self is the thread:', out)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(0 if fields('/proc/self/status')['NSpid'].split()[-1] == str(os.getpid()) else 1)\n"
        "print('child:', os.waitpid(pid, 0)[1] == 0)\n"
        "stat = open('/proc/self/stat').read()\n"
        "print('stat comm:', stat[stat.index('(') + 1:stat.rindex(')')])\n"
        "print('statm:', len(open('/proc/self/statm').read().split()))\n"
        "print('comm:', open('/proc/self/comm').read().strip())\n"
        "print('cmdline has the script:', 'PROC-MARK' in open('/proc/self/cmdline').read().split('\\0'))\n"
        "maps = open('/proc/self/maps').read()\n"
        "print('maps has libc:', 'libc.so.6' in maps)\n"
        "attempt('write comm', lambda: open('/proc/self/comm', 'w'))\n"
        "attempt('write status', lambda: os.open('/proc/self/status', os.O_RDWR))\n"
        "attempt('access W_OK', lambda: os.access('/proc/self/status', os.W_OK))\n"
        "attempt('readlink status', os.readlink, '/proc/self/status')\n"
        "attempt('environ', lambda: open('/proc/self/environ').read())\n"
        "attempt('mountinfo', lambda: open('/proc/self/mountinfo').read())\n"
        "attempt('listdir fd has 0, 1, 2', lambda: {'0', '1', '2'} <= set(os.listdir('/proc/self/fd')))\n")
    proc = sb.run(PYTHON, "-c", script, "PROC-MARK")
    expected = ["Name: ld-linux-x86-64", "Umask: 0027", "NSpid ends with getpid: True", "by PID: True",
                "realpath: True", "thread-self is the thread: [True, True]", "child: True",
                "stat comm: ld-linux-x86-64", "statm: 7", "comm: ld-linux-x86-64", "cmdline has the script: True",
                "maps has libc: True", "write comm: EACCES", "write status: EACCES", "access W_OK: False",
                "readlink status: EINVAL", "environ: ENOENT", "mountinfo: ENOENT", "listdir fd has 0, 1, 2: True"]
    check(proc.returncode == 0 and lines_of(proc) == expected, "/proc/self is the calling process's own",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_answers_proc_cwd(name):
    """/proc/self/cwd is the working directory: its link's text is getcwd's,
    and a path through it is that directory's path, held to the rules like
    any (a file outside them is ENOENT); /proc/self/root is "/" the same way;
    /proc/self/exe is the loader, which runs the program, as the kernel
    shows it; /proc/self/fd/N/NAME is NAME in the directory N is."""
    sb = Sandbox(name)
    work = sb.directory(os.path.join(sb.data, "work"), [("f.txt", "work file\n")], owner=NOBODY)
    sub = sb.directory(os.path.join(work, "sub"), [("g.txt", "sub file\n")], owner=NOBODY)
    sb.file("secret.txt", "SECRET\n")
    script = ATTEMPT + (
        "print('cwd link:', os.readlink('/proc/self/cwd') == os.getcwd())\n"
        "attempt('read through cwd', lambda: open('/proc/self/cwd/f.txt').read().strip())\n"
        "os.chdir('sub')\n"
        "print('after chdir:', os.readlink('/proc/self/cwd') == os.getcwd(), os.getcwd().endswith('/sub'))\n"
        "attempt('read through cwd after chdir', lambda: open('/proc/self/cwd/g.txt').read().strip())\n"
        "attempt('write through cwd', lambda: open('/proc/self/cwd/new.txt', 'w').write('new'))\n"
        "attempt('secret through cwd/..', lambda: open('/proc/self/cwd/../../secret.txt').read())\n"
        "attempt('stat cwd', lambda: os.path.isdir('/proc/self/cwd'))\n"
        "attempt('chdir to cwd', os.chdir, '/proc/self/cwd')\n"
        "attempt('root link', os.readlink, '/proc/self/root')\n"
        "attempt('read through root', lambda: open('/proc/self/root' + os.getcwd() + '/g.txt').read().strip())\n"
        f"attempt('secret through root', lambda: open('/proc/self/root' + {sb.data!r} + '/secret.txt').read())\n"
        "attempt('exe link', os.readlink, '/proc/self/exe')\n"
        "attempt('exe readable', lambda: open('/proc/self/exe', 'rb').read(4))\n"
        "attempt('exe for writing', lambda: open('/proc/self/exe', 'ab'))\n"
        "d = os.open('.', os.O_RDONLY | os.O_DIRECTORY)\n"
        "attempt('through fd/N', lambda: open('/proc/self/fd/%d/g.txt' % d).read().strip())\n"
        "attempt('fd/N link', lambda: os.readlink('/proc/self/fd/%d' % d) == os.getcwd())\n"
        "attempt('secret through fd/N', lambda: open('/proc/self/fd/%d/../../secret.txt' % d).read())\n")
    proc = sb.run("--allow-write", work, PYTHON, "-c", script, cwd=work)
    expected = ["cwd link: True", "read through cwd: work file", "after chdir: True True",
                "read through cwd after chdir: sub file", "write through cwd: 3", "secret through cwd/..: ENOENT",
                "stat cwd: True", "chdir to cwd: ok", "root link: /", "read through root: sub file",
                "secret through root: ENOENT", f"exe link: {LOADER}", "exe readable: b'\\x7fELF'",
                "exe for writing: EACCES", "through fd/N: sub file", "fd/N link: True", "secret through fd/N: ENOENT"]
    check(proc.returncode == 0 and lines_of(proc) == expected,
          "/proc/self/cwd, root, exe and fd/N/ lead where the rules let the program go", describe(proc))
    check(open(os.path.join(sub, "new.txt")).read() == "new", "the file written through /proc/self/cwd is there")
    assert_no_leftovers(sb.helper)


def case_answers_proc_other(name):
    """/proc/<PID> of any process but the caller's own looks absent (ENOENT):
    PID 1 (the sandbox's init), the caller's parent and child, a made-up
    one; so do its other threads' task entries and the rest of /proc."""
    sb = Sandbox(name)
    script = ATTEMPT + (
        "import threading, time\n"
        "r, w = os.pipe()\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    os.close(w); os.read(r, 1); os._exit(0)\n"
        "for pid in (1, os.getppid(), child, 99999):\n"
        "    for entry in ('status', 'cmdline', 'root', 'cwd'):\n"
        "        attempt('%s/%s' % ('child' if pid == child else 'parent' if pid == os.getppid() and pid != 1 else pid,\n"
        "                           entry), lambda: open('/proc/%d/%s' % (pid, entry)).read())\n"
        "stop = threading.Event()\n"
        "tids = []\n"
        "th = threading.Thread(target=lambda: (tids.append(threading.get_native_id()), stop.wait()))\n"
        "th.start()\n"
        "while not tids: time.sleep(0.01)\n"
        "attempt('another thread', lambda: open('/proc/self/task/%d/status' % tids[0]).read())\n"
        "stop.set(); th.join()\n"
        "attempt('task list', os.listdir, '/proc/self/task')\n"
        "attempt('/proc', os.listdir, '/proc')\n"
        "attempt('/proc/sys/kernel/hostname', lambda: open('/proc/sys/kernel/hostname').read())\n"
        "os.close(w); os.waitpid(child, 0)\n")
    proc = sb.run(PYTHON, "-c", script)
    out = lines_of(proc)
    opened = [l for l in out if not l.endswith((": ENOENT", ": EACCES"))]
    check(proc.returncode == 0 and not opened and len(out) == 20,
          "nothing of another process: every /proc/PID but its own is ENOENT", describe(proc))
    check(out[-2:] == ["/proc: EACCES", "/proc/sys/kernel/hostname: ENOENT"],
          "/proc itself is only on the way to the CPU and memory files: no listing", describe(proc))
    assert_no_leftovers(sb.helper)


def case_answers_nproc(name):
    """The CPU count inside is the host's: nproc, python's os.cpu_count()
    (/sys/devices/system/cpu/online) and, if node is installed, its
    os.cpus() (/proc/cpuinfo, /proc/stat) and availableParallelism()."""
    sb = Sandbox(name)
    host = native(sb, ["/usr/bin/nproc"])
    check(host.returncode == 0, "nproc runs natively", describe(host))
    proc = sb.run("/usr/bin/nproc")
    check(proc.returncode == 0 and proc.stdout == host.stdout, "nproc answers the host's count",
          f"natively {host.stdout}", describe(proc))
    count = os.cpu_count()
    proc = sb.run(PYTHON, "-c", "import os; print(os.cpu_count(), len(os.sched_getaffinity(0)))")
    check(proc.returncode == 0 and proc.stdout.split()[0] == str(count), "python's os.cpu_count() is the host's",
          f"natively {count}", describe(proc))
    node = shutil.which("node", path="/usr/bin:/bin")
    if node:
        script = "const os = require('os'); console.log(os.cpus().length, os.availableParallelism())"
        want = native(sb, [node, "-e", script])
        proc = sb.run(node, "-e", script)
        check(proc.returncode == 0 and proc.stdout == want.stdout, "node's os.cpus() and availableParallelism()",
              f"natively {want.stdout}", describe(proc))
        print("node:", proc.stdout.strip())
    else:
        print("node is not installed: not checked")
    assert_no_leftovers(sb.helper)


main({name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")})
