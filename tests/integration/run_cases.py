"""Integration tests of `sbx run`: real, unmodified programs behind
sbx-helper, the trusted process and a seccomp policy, run as uid 65534.

usage: run_cases.py CASE
"""
import os
import subprocess
import time

import shutil
import stat

from sbxtest import (NOBODY, Sandbox, as_nobody, assert_no_leftovers, check, describe, find_program, install_file, install_pieces, main,
                     process_state, require_root, setuid_copy, skip, without_sanitizer_notes)

PYTHON = "/usr/bin/python3"  # Debian's: PATH may hold another
MKDIR, FIND, RM = "/usr/bin/mkdir", "/usr/bin/find", "/usr/bin/rm"


def case_python_files(name):
    sb = Sandbox(name)
    allowed = sb.file("allowed.txt", "hello from an allowed file\n")
    secret = sb.file("secret.txt", "SECRET\n")
    script = (f"print(open({allowed!r}).read().strip())\n"
              f"try:\n    open({secret!r})\nexcept FileNotFoundError as e:\n    print('ENOENT', e.errno)\n"
              "import json, os\nprint(json.dumps({'cwd': os.getcwd()}))\n")
    proc = sb.run("--allow-read", allowed, PYTHON, "-c", script)
    check(proc.returncode == 0, "python3 runs under the default policy", describe(proc))
    lines = proc.stdout.splitlines()
    check(lines[0] == "hello from an allowed file", "the allowed file is read", describe(proc))
    check(lines[1] == "ENOENT 2", "the other file looks absent: ENOENT", describe(proc))
    check("SECRET" not in proc.stdout, "nothing of the secret file is seen", describe(proc))
    # Relative paths start where sbx run was started.
    proc = sb.run("--allow-read", allowed, PYTHON, "-c", "print(open('allowed.txt').read().strip())")
    check(proc.returncode == 0 and proc.stdout.strip() == "hello from an allowed file",
          "a relative path is resolved from the caller's directory", describe(proc))
    # A symlink inside an allowed directory pointing outside it is re-checked.
    public = sb.directory(os.path.join(sb.data, "public"), [("ok.txt", "OK\n")])
    os.symlink(secret, os.path.join(public, "link.txt"))
    proc = sb.run("--allow-read", public, PYTHON, "-c", "print(open('public/ok.txt').read()); open('public/link.txt')")
    check(proc.returncode != 0 and "FileNotFoundError" in proc.stderr and "OK" in proc.stdout and
          "SECRET" not in proc.stdout, "a symlink out of the rules is refused: what it leads to looks absent",
          describe(proc))
    # A path option that is itself a symlink of the user's (one a program run
    # earlier could have planted) is refused, naming its target: resolving it
    # again on every run is how a planted link would widen the next run.
    os.lchown(os.path.join(public, "link.txt"), NOBODY, NOBODY)
    proc = sb.run("--allow-read", public + "/link.txt", PYTHON, "-c", "print(open('public/link.txt').read())")
    check(proc.returncode == 126 and "is a symlink (to " + secret + ")" in proc.stderr and "SECRET" not in proc.stdout,
          "a path option that is a symlink is refused with a sentence", describe(proc))
    # A symlinked directory inside an allowed directory is resolved and
    # re-checked too (the file behind it is readable by uid 65534).
    outside = sb.directory(os.path.join(sb.dir, "outside"), [("file.txt", "OUTSIDE\n")])
    os.symlink(outside, os.path.join(sb.data, "dir-link"))
    os.symlink(allowed, os.path.join(sb.data, "good-link.txt"))
    script = ("import os\n"
              "try:\n    print(open('dir-link/file.txt').read())\nexcept FileNotFoundError as e:\n    print('ENOENT', e.errno)\n"
              "try:\n    os.stat('dir-link/file.txt')\nexcept FileNotFoundError as e:\n    print('stat ENOENT', e.errno)\n"
              "print(open('good-link.txt').read().strip())\n")
    proc = sb.run("--allow-read", sb.data, PYTHON, "-c", script)
    check(proc.returncode == 0 and proc.stdout.splitlines() == ["ENOENT 2", "stat ENOENT 2",
                                                                "hello from an allowed file"],
          "a symlinked directory out of the rules is refused; a symlink to an allowed file is followed",
          describe(proc))
    # (/proc/self/root is "/" by the rules: /proc/self/root/etc/passwd is
    # /etc/passwd, which builtin:default lets every program read.)
    for escape in ("/proc/self/root" + secret, "/proc/1/cwd/secret.txt", "/proc/1/root/etc/passwd", sb.data + "/../data/secret.txt",
                   "/etc/shadow", "/etc/passwd/../shadow"):
        proc = sb.run("--allow-read", allowed, PYTHON, "-c", f"open({escape!r})")
        # (/etc/passwd/.. is ENOTDIR, as the kernel answers: passwd is a file.)
        check(proc.returncode != 0 and any(e in proc.stderr for e in ("PermissionError", "FileNotFoundError", "NotADirectoryError")),
              f"{escape} is refused", describe(proc))
    assert_no_leftovers(sb.helper)


def case_openat2(name):
    """openat2 with resolve flags is brokered the caller's way: the kernel
    resolves the path as the caller asked, the rules decide on the result."""
    sb = Sandbox(name)
    sb.file("secret.txt", "SECRET\n")
    sub = sb.directory(os.path.join(sb.data, "sub"), [("allowed.txt", "allowed\n")], owner=65534)
    os.symlink("allowed.txt", os.path.join(sub, "link.txt"))
    script = (
        "import ctypes, errno, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "class How(ctypes.Structure):\n"
        "    _fields_ = [('flags', ctypes.c_uint64), ('mode', ctypes.c_uint64), ('resolve', ctypes.c_uint64)]\n"
        "def openat2(dirfd, path, resolve, flags=os.O_RDONLY):\n"
        "    how = How(flags | os.O_CLOEXEC, 0o644 if flags & os.O_CREAT else 0, resolve)\n"
        "    fd = libc.syscall(437, dirfd, path.encode(), ctypes.byref(how), ctypes.sizeof(how))\n"
        "    if fd < 0:\n        return 'errno ' + errno.errorcode[ctypes.get_errno()]\n"
        "    if flags & os.O_CREAT:\n        os.write(fd, b'made\\n')\n        os.close(fd)\n        return 'created'\n"
        "    data = os.read(fd, 100).decode().strip()\n    os.close(fd)\n    return data\n"
        "NO_SYMLINKS, BENEATH, IN_ROOT = 4, 8, 0x10\n"
        f"SUB = {sub!r}\n"
        "sub = os.open(SUB, os.O_RDONLY | os.O_DIRECTORY)\n"
        "print(openat2(-100, SUB + '/allowed.txt', NO_SYMLINKS))\n"
        "print(openat2(-100, SUB + '/link.txt', NO_SYMLINKS))\n"
        "print(openat2(sub, 'link.txt', BENEATH))\n"
        "print(openat2(sub, '../secret.txt', BENEATH))\n"
        "print(openat2(sub, '../secret.txt', NO_SYMLINKS))\n"
        "print(openat2(sub, '/allowed.txt', IN_ROOT))\n"
        "print(openat2(sub, '/../secret.txt', IN_ROOT))\n"
        "print(openat2(sub, 'made.txt', BENEATH, os.O_WRONLY | os.O_CREAT | os.O_EXCL))\n"
        "print(openat2(sub, '../made.txt', NO_SYMLINKS, os.O_WRONLY | os.O_CREAT | os.O_EXCL))\n")
    proc = sb.run("--allow-write", sub, PYTHON, "-c", script)
    expected = ["allowed", "errno ELOOP", "allowed", "errno EXDEV", "errno ENOENT", "allowed", "errno ENOENT",
                "created", "errno EACCES"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH and RESOLVE_IN_ROOT mean what they mean, and the rules still decide",
          describe(proc))
    with open(os.path.join(sub, "made.txt")) as f:
        check(f.read() == "made\n", "the file created through RESOLVE_BENEATH is there")
    check(not os.path.exists(os.path.join(sb.data, "made.txt")), "the one out of the rules was not created")
    assert_no_leftovers(sb.helper)


def case_openat2_flags(name):
    """openat2's open_how is checked as the kernel checks it, before the
    path: flag or resolve bits the kernel does not know are EINVAL (the
    attack: they were accepted, as open() would ignore them), and so are a
    mode with other bits than the permissions, RESOLVE_BENEATH with
    RESOLVE_IN_ROOT, a struct shorter than the first version; a longer one
    must be zeros past it (E2BIG). open and openat still ignore unknown
    bits, as the kernel's do."""
    sb = Sandbox(name)
    tool = sb.compile("openat2_flags.c")
    work = sb.directory(os.path.join(sb.data, "w"), [("f", "f\n")], owner=NOBODY)
    secret = sb.file("secret", "SECRET\n")
    proc = sb.run("--allow-write", work, tool, work, secret)
    expected = ["plain: ok", "flag 04: EINVAL", "flag 040: EINVAL", "flag 1<<31: EINVAL", "flag 1<<40: EINVAL",
                "flag 1<<40 outside the rules: EINVAL", "flag 1<<40 with O_CREAT: EINVAL", "O_PATH with flag 04: EINVAL",
                "resolve 0x40: EINVAL", "resolve 1<<40: EINVAL", "resolve 0x40 outside the rules: EINVAL",
                "RESOLVE_BENEATH|RESOLVE_IN_ROOT: EINVAL", "RESOLVE_CACHED with O_CREAT: EAGAIN", "mode 010644: EINVAL",
                "mode without O_CREAT: EINVAL", "O_TMPFILE read-only: EINVAL", "O_DIRECTORY: ok",
                "O_DIRECTORY with RESOLVE_NO_XDEV: ok", "O_DIRECTORY with a mode: EINVAL", "size 16: EINVAL",
                "size 32, zeros past the struct: ok", "size 32, a byte past the struct: E2BIG", "size 4097: E2BIG",
                "openat with flag 04: ok", "openat with flag 1<<30: ok", "created: - - -"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "openat2 answers EINVAL for what the kernel's refuses, as natively", describe(proc))
    check(sorted(os.listdir(work)) == ["f"], "nothing was created", str(os.listdir(work)))
    assert_no_leftovers(sb.helper)


def case_directory_descriptors(name):
    """Paths relative to a directory descriptor (openat, fstatat, mkdirat,
    unlinkat with a dirfd: fts, os.fwalk, shutil.rmtree) work from every
    thread, not only the main one, and the rules still decide."""
    sb = Sandbox(name)
    sb.file("secret.txt", "SECRET\n")
    sub = sb.directory(os.path.join(sb.data, "sub"), [("f.txt", "sub file\n")], owner=NOBODY)
    script = ("import os, shutil, threading\n"
              f"d = os.open({sub!r}, os.O_RDONLY | os.O_DIRECTORY)\n"
              "def work(tag, out):\n"
              "    try:\n"
              "        text = open(os.open('f.txt', os.O_RDONLY, dir_fd=d)).read().strip()\n"
              "        os.mkdir('t-' + tag, dir_fd=d)\n"
              "        os.stat('t-' + tag, dir_fd=d)\n"
              "        os.rmdir('t-' + tag, dir_fd=d)\n"
              "        try:\n"
              "            os.open('../secret.txt', os.O_RDONLY, dir_fd=d)\n"
              "            secret = 'read'\n"
              "        except FileNotFoundError:\n"
              "            secret = 'refused'\n"
              "        out.append(f'{text} {secret}')\n"
              "    except OSError as e:\n"
              "        out.append(repr(e))\n"
              "results = {}\n"
              "results['main'] = []\nwork('main', results['main'])\n"
              "threads = []\n"
              "for i in range(4):\n"
              "    results[i] = []\n"
              "    threads.append(threading.Thread(target=work, args=(str(i), results[i])))\n"
              "for t in threads: t.start()\n"
              "for t in threads: t.join()\n"
              "for k, v in results.items(): print(k, *v)\n"
              f"os.makedirs({sub!r} + '/tree/a/b')\n"
              f"t = threading.Thread(target=shutil.rmtree, args=({sub!r} + '/tree',))\n"
              "t.start(); t.join()\n"
              f"print('tree gone', not os.path.exists({sub!r} + '/tree'))\n")
    proc = sb.run("--allow-write", sub, PYTHON, "-c", script)
    lines = proc.stdout.splitlines()
    check(proc.returncode == 0 and lines[:5] == [f"{k} sub file refused" for k in ("main", 0, 1, 2, 3)],
          "every thread opens, makes, stats and removes through a dirfd; a dirfd path out of the rules is refused",
          describe(proc))
    check(lines[5:] == ["tree gone True"], "shutil.rmtree from a thread removes a tree", describe(proc))
    assert_no_leftovers(sb.helper)


def case_working_directory(name):
    """The program's working directory is the one it was started in (getcwd
    says so, and abspath leads where a relative path does); chdir and fchdir
    move it within what the rules show and nowhere else; coreutils that climb
    with chdir (mkdir -p, find, rm -r) work in an --allow-write directory."""
    sb = Sandbox(name)
    sb.file("secret.txt", "SECRET\n")
    work = sb.directory(os.path.join(sb.data, "work"), [("f.txt", "work file\n")], owner=NOBODY)
    sub = sb.directory(os.path.join(work, "sub"), [("g.txt", "sub file\n")], owner=NOBODY)
    script = ("import os\n"
              "def attempt(what, f, *args):\n"
              "    try:\n        f(*args)\n        print(what, 'ok', os.getcwd())\n"
              "    except OSError as e:\n        print(what, 'errno', e.errno)\n"
              "print('start', os.getcwd(), open(os.path.abspath('f.txt')).read().strip())\n"
              "attempt('chdir sub', os.chdir, 'sub')\n"
              "print('relative', open('g.txt').read().strip(), open('../f.txt').read().strip())\n"
              "d = os.open('..', os.O_RDONLY | os.O_DIRECTORY)\n"
              "attempt('chdir /', os.chdir, '/')\n"
              "attempt('fchdir', os.fchdir, d)\n"
              "attempt('chdir to a file', os.chdir, 'f.txt')\n"
              "attempt('chdir hidden', os.chdir, '/root')\n"
              "attempt('chdir up', os.chdir, '..')\n"
              "attempt('read secret relative', lambda: open('secret.txt').read())\n"
              "attempt('fchdir bad', os.fchdir, 999)\n")
    proc = sb.run("--allow-write", work, PYTHON, "-c", script, cwd=work)
    expected = [f"start {work} work file", f"chdir sub ok {sub}", "relative sub file work file", "chdir / ok /",
                f"fchdir ok {work}", "chdir to a file errno 20", "chdir hidden errno 2", f"chdir up ok {sb.data}",
                "read secret relative errno 2", "fchdir bad errno 9"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "getcwd, chdir and fchdir keep one working directory, within the rules", describe(proc))
    for argv, what in (((MKDIR, "-p", os.path.join(work, "a/b/c")), "mkdir -p"),
                       ((FIND, work), "find"), ((RM, "-r", os.path.join(work, "a")), "rm -r")):
        proc = sb.run("--allow-write", work, *argv, cwd=work)
        check(proc.returncode == 0 and proc.stderr == "", f"{what} runs in an --allow-write directory", describe(proc))
        if what == "find":
            check(os.path.join(work, "a/b/c") in proc.stdout.splitlines(), "find lists what mkdir -p made",
                  describe(proc))
    check(sorted(os.listdir(work)) == ["f.txt", "sub"], "rm -r removed the tree on the host", str(os.listdir(work)))
    assert_no_leftovers(sb.helper)


def case_cwd_renamed(name):
    """The working directory is a directory, not a name: after the program
    renames it and puts a symlink to a directory outside the rules where it
    was, fstat of it (newfstatat(AT_FDCWD, "", AT_EMPTY_PATH)), stat of ".",
    getcwd and relative paths are the renamed directory's, as natively (the
    attack: they described the symlink's target). A removed one answers
    ENOENT."""
    sb = Sandbox(name)
    tool = sb.compile("cwd_renamed.c")
    work = sb.directory(os.path.join(sb.data, "w"), owner=NOBODY)
    hidden = sb.directory(os.path.join(sb.data, "hidden"), [("h", "hidden\n")])
    proc = sb.run("--allow-write", work, tool, work, str(os.stat(hidden).st_ino), cwd=work)
    expected = ["mkdir d: ok", "chdir d: ok", "rename d e: ok", "symlink d -> hidden: ok"]
    expected += [f"after the rename {how}: W/e" for how in ("fstat", "statx", "stat .", "open .", "getcwd")]
    expected += ["relative open: in d", "relative openat2: in d", "relative create: in W/e", "mkdir sub: ok",
                 "chdir sub: ok"]
    expected += [f"in sub {how}: W/e/sub" for how in ("fstat", "statx", "stat .", "open .", "getcwd")]
    expected += ["chdir ..: ok"]
    expected += [f"back {how}: W/e" for how in ("fstat", "statx", "stat .", "open .", "getcwd")]
    expected += ["mkdir p: ok", "fchdir p: ok", "rename p q: ok", "symlink p -> hidden: ok"]
    expected += [f"after fchdir and rename {how}: W/q" for how in ("fstat", "statx", "stat .", "open .", "getcwd")]
    expected += ["mkdir gone: ok", "chdir gone: ok", "rmdir gone: ok", "removed getcwd: ENOENT", "removed create: ENOENT",
                 "chdir W: ok"]
    expected += [f"at W {how}: W/." for how in ("fstat", "statx", "stat .", "open .")] + ["at W getcwd: W"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "the working directory stays the directory the program entered, wherever it is renamed", describe(proc))
    check("HIDDEN" not in proc.stdout, "nothing of the directory outside the rules was shown", proc.stdout)
    check(sorted(os.listdir(hidden)) == ["h"], "nothing was made outside the rules", str(os.listdir(hidden)))
    assert_no_leftovers(sb.helper)


def case_rename_flags(name):
    """renameat2's flags: RENAME_WHITEOUT is refused (EPERM), since it
    leaves a character device 0:0 where the file was (the attack: it did,
    in the --allow-write directory) and mknod makes no device; unknown
    flags and impossible mixes answer EINVAL, as the kernel does;
    RENAME_NOREPLACE and RENAME_EXCHANGE work."""
    sb = Sandbox(name)
    tool = sb.compile("rename_flags.c")
    work = sb.directory(os.path.join(sb.data, "w"), owner=NOBODY)
    proc = sb.run("--allow-write", work, tool, work)
    expected = ["RENAME_WHITEOUT a c: EPERM", "a: file a", "c: ENOENT", "RENAME_WHITEOUT|RENAME_NOREPLACE a c: EPERM",
                "a: file a", "flag 8: EINVAL", "flag 1<<31: EINVAL", "RENAME_EXCHANGE|RENAME_NOREPLACE: EINVAL",
                "RENAME_EXCHANGE|RENAME_WHITEOUT: EINVAL", "RENAME_NOREPLACE onto b: EEXIST", "RENAME_EXCHANGE a b: ok",
                "a: file b", "b: file a", "RENAME_NOREPLACE a c: ok", "a: ENOENT", "c: file b"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "no whiteout is made; renameat2's flags are checked as the kernel checks them", describe(proc))
    check(not any(stat.S_ISCHR(os.lstat(os.path.join(work, n)).st_mode) for n in os.listdir(work)),
          "on the host: no character device in the directory", str(os.listdir(work)))
    assert_no_leftovers(sb.helper)


def case_umask(name):
    """Files and directories the trusted process creates for the program get
    the program's umask, as natively: the one it started with, then the one it
    sets (umask itself is the program's own call)."""
    sb = Sandbox(name)
    work = sb.directory(os.path.join(sb.data, "work"), owner=NOBODY)
    script = ("import os\n"
              "open('inherited', 'w').close()\n"
              "print(oct(os.umask(0o077)))\n"
              "open('private', 'w').close()\n"
              "os.mkdir('private-dir')\n"
              "print(oct(os.umask(0o022)))\n"
              "open('public', 'w').close()\n"
              "os.mkdir('public-dir')\n")
    proc = sb.run("--allow-write", work, PYTHON, "-c", script, cwd=work, umask=0o027)
    check(proc.returncode == 0 and proc.stdout.splitlines() == ["0o27", "0o77"],
          "umask answers the program's own mask, starting with the one sbx run was given", describe(proc))
    modes = {n: oct(os.stat(os.path.join(work, n)).st_mode & 0o777) for n in sorted(os.listdir(work))}
    check(modes == {"inherited": "0o640", "private": "0o600", "private-dir": "0o700", "public": "0o644",
                    "public-dir": "0o755"}, "each file and directory has the mode its umask gives", str(modes))
    assert_no_leftovers(sb.helper)


def case_metadata(name):
    """chmod, chown, utimens and symlink are brokered: coreutils that keep
    modes and times (cp -p, sed -i, install -m, tar x, touch, ln -s) work in
    an --allow-write directory; a file the rules only let the program read
    keeps its mode and times, even through a descriptor it holds; no
    set-user-ID bit is set; setting extended attributes answers EOPNOTSUPP."""
    sb = Sandbox(name)
    ro = sb.file("ro.txt", "read only\n", owner=NOBODY)
    os.utime(ro, (1_000_000_000, 1_000_000_000))
    work = sb.directory(os.path.join(sb.data, "work"), [("t.txt", "b\na\n")], owner=NOBODY)
    os.chown(os.path.join(work, "t.txt"), NOBODY, NOBODY)
    w = lambda n: os.path.join(work, n)  # noqa: E731
    for argv in (("/usr/bin/cp", "-p", w("t.txt"), w("copy")), ("/usr/bin/sed", "-i", "s/a/A/", w("t.txt")),
                 ("/usr/bin/install", "-m", "640", w("t.txt"), w("installed")), ("/usr/bin/touch", "-d", "2020-01-01",
                 w("copy")), ("/usr/bin/chmod", "600", w("t.txt")), ("/usr/bin/chown", str(NOBODY), w("t.txt")),
                 ("/usr/bin/ln", "-s", "t.txt", w("link")), ("/usr/bin/tar", "-C", work, "-cf", w("a.tar"), "t.txt"),
                 ("/usr/bin/mkdir", w("x")), ("/usr/bin/tar", "-C", w("x"), "-xf", w("a.tar"))):
        proc = sb.run("--allow-write", work, *argv, cwd=work)
        check(proc.returncode == 0 and proc.stderr == "", f"{' '.join(argv)} works", describe(proc))
    check(open(w("t.txt")).read() == "b\nA\n" and os.stat(w("t.txt")).st_mode & 0o777 == 0o600,
          "sed -i edited t.txt and chmod made it 0600", oct(os.stat(w("t.txt")).st_mode))
    check(os.stat(w("installed")).st_mode & 0o777 == 0o640, "install -m 640 set the mode")
    check(os.stat(w("copy")).st_mtime == 1577836800, "touch -d set the time", str(os.stat(w("copy")).st_mtime))
    check(os.readlink(w("link")) == "t.txt" and open(w("x/t.txt")).read() == "b\nA\n", "ln -s and tar x made their files")
    script = ("import errno, os\n"
              "def attempt(what, f, *args):\n"
              "    try:\n        f(*args)\n        print(what, 'ok')\n"
              "    except OSError as e:\n        print(what, errno.errorcode[e.errno])\n"
              f"RO, W = {ro!r}, {work!r}\n"
              "fd = os.open(RO, os.O_RDONLY)\n"
              "attempt('chmod ro', os.chmod, RO, 0o600)\n"
              "attempt('fchmod ro', os.fchmod, fd, 0o600)\n"
              "attempt('utime ro', os.utime, RO, None)\n"
              "attempt('futime ro', os.utime, fd, None)\n"
              "attempt('chown ro', os.chown, RO, -1, -1)\n"
              "attempt('setuid', os.chmod, W + '/t.txt', 0o4755)\n"
              "attempt('symlink outside', os.symlink, 't', os.path.dirname(RO) + '/l')\n"
              "attempt('symlink to ro', os.symlink, RO, W + '/l')\n"
              "attempt('chmod through it', os.chmod, W + '/l', 0o600)\n"
              "attempt('setxattr', os.setxattr, W + '/t.txt', 'user.x', b'1')\n"
              "attempt('getxattr', os.getxattr, W + '/t.txt', 'user.x')\n")
    proc = sb.run("--allow-read", ro, "--allow-write", work, PYTHON, "-c", script)
    expected = ["chmod ro EACCES", "fchmod ro EACCES", "utime ro EACCES", "futime ro EACCES", "chown ro EACCES",
                "setuid EPERM", "symlink outside EACCES", "symlink to ro ok", "chmod through it EACCES",
                "setxattr ENOTSUP", "getxattr ENOTSUP"]  # EOPNOTSUPP
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "metadata of a read-only file stays; no setuid bit; xattrs are not supported", describe(proc))
    st = os.stat(ro)
    check(st.st_mode & 0o777 == 0o644 and st.st_mtime == 1_000_000_000, "on the host, ro.txt is untouched",
          f"{oct(st.st_mode)} {st.st_mtime}")
    check(os.stat(w("t.txt")).st_mode & 0o7777 == 0o600, "t.txt has no setuid bit")
    assert_no_leftovers(sb.helper)


def case_kept_roots(name):
    """The names the rules hang on are not the program's to replace: the
    root of every rule (the directory of --allow-write DIR, the file of an
    exact rule) and the directories on the way to one cannot be removed
    (EBUSY), renamed away or over (EBUSY, RENAME_EXCHANGE too) or have their
    mode or owner changed (EPERM), by path, by descriptor, or through a
    symlink to them; everything below them stays the program's."""
    sb = Sandbox(name)
    tool = sb.compile("kept_roots.c")
    w = sb.directory(os.path.join(sb.data, "w"), owner=NOBODY)
    a = sb.directory(os.path.join(w, "A"), owner=NOBODY)
    b = sb.directory(os.path.join(w, "B"), owner=NOBODY)
    sb.directory(os.path.join(a, "in"), [("data", "data\n")], owner=NOBODY)
    data = os.path.join(a, "in", "data")
    file = os.path.join(w, "file")
    with open(file, "w") as f:
        f.write("file\n")
    os.chown(file, NOBODY, NOBODY)
    os.chmod(file, 0o644)
    proc = sb.run("--allow-write", a, "--allow-write", b, "--allow-write", file, "--allow-read", data,
                  tool, a, b, file, data)
    expected = {
        "chmod A": "EPERM", "chmod A/.": "EPERM", "fchmodat A": "EPERM", "fchmod A": "EPERM",
        "fchownat A group": "EPERM", "chmod A to its own mode": "ok", "chown A to its own owner": "ok",
        "rmdir A": "EBUSY", "unlinkat A": "EBUSY", "rename A into B": "EBUSY", "rename B over A": "EBUSY",
        "exchange A and B": "EBUSY", "symlink A/up -> ..": "ok", "rmdir A/up/A": "EBUSY", "chmod A/up/A": "EPERM",
        "rename A/up/A into B": "EBUSY", "unlink A/up": "ok", "chmod FILE": "EPERM", "unlink FILE": "EBUSY",
        "symlink at FILE": "EEXIST", "rename A/f over FILE": "EBUSY", "unlink A/f": "ok", "rename A/in": "EBUSY",
        "chmod A/in": "EPERM", "unlink DATA": "EBUSY", "mkdir A/sub": "ok", "chmod A/sub": "ok",
        "rename A/sub A/sub2": "ok", "rename A/sub2 B/sub3": "ok", "rmdir B/sub3": "ok", "chmod A/x": "ok",
        "unlink A/x": "ok"}
    got = dict(line.split(": ", 1) for line in proc.stdout.splitlines() if ": " in line)
    check(proc.returncode == 0 and got == expected, "every root stays where and what it was; below them, all works",
          describe(proc), "\n".join(f"{k}: {got.get(k)} (expected {v})" for k, v in expected.items() if got.get(k) != v))
    for path, kind, mode in ((a, stat.S_ISDIR, 0o755), (b, stat.S_ISDIR, 0o755), (os.path.join(a, "in"), stat.S_ISDIR, 0o755),
                             (file, stat.S_ISREG, 0o644), (data, stat.S_ISREG, 0o644)):
        st = os.lstat(path)
        check(kind(st.st_mode) and st.st_mode & 0o7777 == mode, f"on the host, {path} is what it was", oct(st.st_mode))
    check(sorted(os.listdir(w)) == ["A", "B", "file"] and sorted(os.listdir(a)) == ["in"] and os.listdir(b) == [],
          "nothing was moved or left behind", str(os.listdir(w)), str(os.listdir(a)), str(os.listdir(b)))
    assert_no_leftovers(sb.helper)


def case_no_set_id(name):
    """No set-user-ID or set-group-ID bit on anything the trusted process
    creates, by any call: the bits asked for at creation (open, openat,
    creat, openat2, O_TMPFILE, mkdir) are dropped silently, so tar and cp
    go on; a file made in a set-group-ID directory does not get the bit (a
    directory inherits it, as natively); chmod of the bits is refused; mknod
    makes a regular file (or a FIFO) without them, as open does."""
    sb = Sandbox(name)
    tool = sb.compile("set_id_creation.c")
    work = sb.directory(os.path.join(sb.data, "work"), owner=NOBODY)
    sgid = sb.directory(os.path.join(work, "sgid"), owner=NOBODY)
    os.chmod(sgid, 0o2775)
    pre = os.path.join(work, "pre")
    open(pre, "w").close()
    os.chown(pre, NOBODY, NOBODY)
    os.chmod(pre, 0o4755)
    proc = sb.run("--allow-write", work, tool, work)
    expected = ["open 04755: mode 755", "open 02755: mode 755", "openat 06755: mode 755", "creat 06777: mode 777",
                "openat2 06755: mode 755", "openat2 beneath 06755: mode 755", "mkdir 06755: mode 755",
                "mkdirat 02755: mode 755", "O_TMPFILE 06755: mode 755", "mknod 06755: mode 755", "chmod 04755: EPERM",
                "fchmodat 02755: EPERM", "fchmod 06755: EPERM", "open in sgid/ 02775: mode 775",
                "mkdir in sgid/: mode 2755", "open pre O_CREAT: mode 755"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "no set-user-ID or set-group-ID bit on a file made or changed inside", describe(proc))
    for root, dirs, files in os.walk(work):
        for n in files:
            mode = os.lstat(os.path.join(root, n)).st_mode
            check(not mode & (stat.S_ISUID | stat.S_ISGID), f"on the host, {n} has no set-ID bit", oct(mode))
    assert_no_leftovers(sb.helper)


def case_o_path(name):
    """O_PATH opens of allowed paths work. The kernel cannot install an
    O_PATH descriptor in the program (SECCOMP_IOCTL_NOTIF_ADDFD refuses
    them), so a file or directory comes opened read-only, never writable,
    whatever the flags; its O_CLOEXEC is kept; a symlink itself
    (O_NOFOLLOW) comes as a placeholder the trusted process knows (fstat
    shows the link: o-path-symlink); a FIFO answers EOPNOTSUPP; glibc's
    lchmod answers EOPNOTSUPP for a symlink, as natively; the rules decide
    as for any read."""
    sb = Sandbox(name)
    tool = sb.compile("o_path_opens.c")
    ro = sb.directory(os.path.join(sb.data, "ro"), [("f", "f\n")])
    os.symlink("f", os.path.join(ro, "link"))
    os.symlink("../secret", os.path.join(ro, "bad"))
    os.mkfifo(os.path.join(ro, "fifo"))
    secret = sb.file("secret", "SECRET\n", owner=NOBODY, mode=0o600)
    rw = sb.directory(os.path.join(sb.data, "rw"), [("g", "g\n")], owner=NOBODY)
    os.chown(os.path.join(rw, "g"), NOBODY, NOBODY)
    os.symlink("g", os.path.join(rw, "l"))
    proc = sb.run("--allow-read", ro, "--allow-write", rw, tool, ro, rw, secret)
    expected = ["file: file", "file O_CLOEXEC: file cloexec", "dir: dir", "file O_DIRECTORY: ENOTDIR",
                "symlink followed: file", "symlink itself: other", "fifo: EOPNOTSUPP", "read rule O_RDWR: file",
                "read rule O_WRONLY|O_TRUNC: file", "missing O_CREAT: ENOENT", "write rule O_RDWR: file",
                "secret: ENOENT", "symlink to the secret: ENOENT", "openat2: file cloexec",
                "openat2 RESOLVE_NO_SYMLINKS: file", "openat2 O_PATH|O_RDWR: EINVAL", "openat from an O_PATH dir: file",
                "openat O_PATH from an O_PATH dir: file", "lchmod of a symlink: EOPNOTSUPP"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "O_PATH opens of allowed files and directories work, read-only; the rest say why", describe(proc))
    check(open(os.path.join(ro, "f")).read() == "f\n" and not os.path.exists(os.path.join(ro, "new")),
          "nothing was truncated or created")
    assert_no_leftovers(sb.helper)


def case_o_path_symlink(name):
    """An O_PATH|O_NOFOLLOW descriptor of a symlink works as natively: fstat,
    fstatat, statx and readlinkat of it describe the link, fchownat and
    utimensat with AT_EMPTY_PATH change the link itself where the rules let
    the program write, and as a base of relative paths it is no directory
    (ENOTDIR). The program holds a placeholder the trusted process knows
    (the kernel cannot install an O_PATH descriptor in it), so a memfd the
    program makes to look the same is a memfd, nothing more."""
    sb = Sandbox(name)
    tool = sb.compile("o_path_symlink.c")
    secret = sb.file("secret", "SECRET\n", owner=NOBODY, mode=0o600)
    ro = sb.directory(os.path.join(sb.data, "ro"), [("f", "f\n")])
    os.symlink("f", os.path.join(ro, "link"))
    os.symlink("../secret", os.path.join(ro, "bad"))
    rw = sb.directory(os.path.join(sb.data, "rw"), [("g", "g\n")], owner=NOBODY)
    os.chown(os.path.join(rw, "g"), NOBODY, NOBODY)
    os.symlink("g", os.path.join(rw, "l"))
    os.lchown(os.path.join(rw, "l"), NOBODY, NOBODY)
    proc = sb.run("--allow-read", ro, "--allow-write", rw, tool, ro, rw)
    expected = ["open l O_PATH|O_NOFOLLOW: ok", "cloexec: yes", "fstat: symlink",
                "fstatat: symlink, size 1, same inode as lstat", "statx: symlink", "readlinkat: g",
                "readlinkat of a dup: g", "fchownat to its own ids: ok", "fchownat to root: EPERM", "utimensat: ok",
                "link mtime: 1000000000, target mtime: unchanged", "openat from it: ENOTDIR",
                "openat ../ from it: ENOTDIR", "fstatat from it: ENOTDIR", "mkdirat from it: ENOTDIR",
                "fchdir to it: ENOTDIR", "read-only link readlinkat: f", "read-only link fchownat: EACCES",
                "read-only link utimensat: EACCES", "link to the secret readlinkat: ../secret",
                "link to the secret fstat: symlink", "O_PATH|O_NOFOLLOW of the secret: ENOENT",
                "300 links at once: 256 readable, 44 EACCES"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "an O_PATH descriptor of a symlink works on the link itself, as the rules allow", describe(proc))
    check(os.lstat(os.path.join(rw, "l")).st_mtime == 1_000_000_000 and os.readlink(os.path.join(rw, "l")) == "g" and
          os.stat(os.path.join(rw, "g")).st_mtime != 1_000_000_000, "on the host: the link's time changed, not g's")
    check(sorted(os.listdir(rw)) == ["g", "l"], "nothing was created", str(os.listdir(rw)))
    check(open(secret).read() == "SECRET\n", "(the secret is there)")
    # A look-alike placeholder, under a policy that lets the program make
    # memfds: it is taken for the memfd it is.
    policy = sb.file("memfd.policy", "memfd_create: allow\nfcntl: allow if arg1 == 1033\ninclude builtin:default\n")
    proc = sb.run("--policy", policy, "--allow-write", rw, tool, "forge")
    expected = ["seal it: ok", "forged readlinkat: EACCES", "forged fstat: file", "forged fchownat: EACCES",
                "forged openat ../..: ENOTDIR", "forged chmod through /proc: EACCES"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "a memfd made to look like a placeholder is no symlink", describe(proc))
    assert_no_leftovers(sb.helper)


def case_proc_self_fd(name):
    """/proc/self/fd/N (and /proc/thread-self/fd/N) means the program's
    descriptor N, as natively, though the sandbox has no /proc: glibc's
    lchmod chmods "/proc/self/fd/N". chmod, chown, utimensat, stat, access,
    readlink and open through it act on the file the descriptor is, and
    the rules decide as for that file's path: a file opened for reading in
    an --allow-write directory can be reopened for writing, one the rules
    only let it read cannot, and a descriptor it inherited of a file outside
    the rules gives nothing more through /proc than it is: access for what
    it is open for (read), no reopening for anything else, no metadata. A
    pipe it holds may be opened again, as natively (bash's <(...) is
    /dev/fd/N)."""
    sb = Sandbox(name)
    tool = sb.compile("proc_self_fd.c")
    ro = sb.directory(os.path.join(sb.data, "ro"), [("f", "f\n")])
    rw = sb.directory(os.path.join(sb.data, "rw"), [("g", "g\n")], owner=NOBODY)
    os.chown(os.path.join(rw, "g"), NOBODY, NOBODY)
    os.symlink("g", os.path.join(rw, "l"))
    os.lchown(os.path.join(rw, "l"), NOBODY, NOBODY)
    sb.directory(os.path.join(rw, "sub"), owner=NOBODY)
    # uid 65534 owns the secret: natively it could reopen it for writing.
    secret = sb.file("secret", "SECRET\n", owner=NOBODY, mode=0o644)
    os.utime(secret, (1_500_000_000, 1_500_000_000))
    fd = os.open(secret, os.O_RDONLY)
    try:
        proc = subprocess.run(as_nobody([sb.sbx, "run", "--allow-read", ro, "--allow-write", rw, tool, ro, rw, str(fd)]),
                              env=sb.env(), capture_output=True, text=True, timeout=60, cwd=sb.data, pass_fds=(fd,))
    finally:
        os.close(fd)
    proc.stderr = without_sanitizer_notes(proc.stderr)
    expected = [
        "chmod: ok", "mode: 600", "fchmodat thread-self: ok", "mode: 640", "chmod set-user-ID: EPERM", "lchmod g: ok",
        "mode: 604", "lchmod l: EOPNOTSUPP", "chown: ok", "utimensat: ok", "mtime: 1000000000", "stat: file, same inode",
        "access W_OK: ok", "readlink: RW/g", "reopen O_RDWR: file read-write",
        "reopen through a normalised path: file read-only", "reopen O_CREAT|O_EXCL: EEXIST",
        "read-only file reopen O_RDONLY: file read-only", "read-only file reopen O_RDWR: EACCES",
        "read-only file reopen O_WRONLY|O_TRUNC: EACCES", "read-only file chmod: EACCES",
        "read-only file utimensat: EACCES", "read-only file access R_OK: ok", "read-only file access W_OK: EACCES",
        "read-only file stat: file, same inode", "read-only file readlink: RO/f", "directory reopen: dir read-only",
        "directory chmod: ok", "chdir to the directory: ok", "getcwd: RW/sub", "inherited read: ok", "inherited stat: file, same inode",
        "inherited reopen O_RDONLY: EACCES", "inherited reopen O_RDWR: EACCES", "inherited chmod: EACCES",
        "inherited chown: EACCES", "inherited utimensat: EACCES", "inherited access: ok",
        "inherited readlink: EACCES", "pipe stat: fifo, same inode", "pipe reopen: fifo read-only", "pipe chmod: EACCES",
        "symlink stat: symlink, same inode", "symlink readlink: RW/l", "symlink reopen O_RDONLY: ELOOP",
        "symlink reopen O_PATH: symlink", "not open: ENOENT", "a number past int: ENOENT", "a leading zero: ENOENT",
        "a component after it: ENOENT", "another process's: ENOENT"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "/proc/self/fd/N is the program's descriptor N, held to the rules for the file it is", describe(proc))
    st = os.stat(secret)
    check(open(secret).read() == "SECRET\n" and st.st_mode & 0o7777 == 0o644 and st.st_mtime == 1_500_000_000,
          "on the host, the secret is untouched", f"{oct(st.st_mode)} {st.st_mtime}")
    check(sb.data not in proc.stdout.replace(ro, "").replace(rw, ""), "no path outside the rules was shown", proc.stdout)
    check(os.stat(os.path.join(rw, "g")).st_mode & 0o7777 == 0o604 and os.stat(os.path.join(ro, "f")).st_mode & 0o777 == 0o644,
          "on the host: g is 0604, f still 0644")
    assert_no_leftovers(sb.helper)


def case_existence_oracle(name):
    """Whether a host path exists cannot be learned through a symlink: with
    W/l -> SECRET/X, a call the trusted process resolves for real (stat,
    access, readlink, open, chdir, mkdir, unlink, rename, symlink, chmod,
    utimensat, openat2, the parent of a file to create) answers the same
    whether or not X exists (the attack: EACCES if it did, ENOENT if not):
    ENOENT, since what the rules do not show looks absent; and so does a
    resolution that only passes outside the rules (out by a link, back by
    ".."), or a name looked up in a directory outside them (the directory it
    was started in, root's link to one). A missing file inside the rules is
    still ENOENT, and root's links through a directory outside the rules
    back to an allowed file (as /etc/alternatives) still work."""
    sb = Sandbox(name)
    tool = sb.compile("existence_oracle.c")
    work = sb.directory(os.path.join(sb.data, "w"), [("f", "f\n"), ("f2", "f2\n")], owner=NOBODY)
    for f in ("f", "f2"):
        os.chown(os.path.join(work, f), NOBODY, NOBODY)
    secret = sb.directory(os.path.join(sb.data, "atk", "secret"), [("X", "X\n")])
    sb.directory(os.path.join(secret, "XD"), [("x", "x\n")])
    hidden2 = sb.directory(os.path.join(sb.data, "atk", "hidden2"))
    ro = sb.directory(os.path.join(sb.data, "ro"), [("real", "real\n")])
    os.symlink(os.path.join(hidden2, "alt"), os.path.join(ro, "alt"))
    os.symlink(os.path.join(ro, "real"), os.path.join(hidden2, "alt"))
    os.symlink(secret, os.path.join(ro, "dirlink"))
    for side in ("X", "Y"):
        os.symlink(os.path.join(secret, side + "D"), os.path.join(ro, "dirlink_" + side))
    proc = sb.run("--allow-write", work, "--allow-read", ro, tool, work, secret, ro, cwd=secret)
    calls = ["openat from the start directory", "fstatat from the start directory",
             "openat2 RESOLVE_BENEATH from the start directory", "openat2 RESOLVE_IN_ROOT from the start directory", "stat", "lstat below", "statx", "access", "faccessat nofollow below", "readlink below", "open", "open O_PATH",
             "open O_CREAT", "open O_CREAT below", "open O_CREAT|O_EXCL below", "openat2", "openat2 RESOLVE_NO_XDEV",
             "openat2 O_CREAT below", "chdir", "mkdir below", "unlink below", "rmdir below", "symlink below",
             "rename to below", "rename from below", "chmod", "chown", "utimensat", "out and back by ..",
             "open out and back by ..", "a chain of links", "a name in root's link to a hidden directory",
             "the program's link into a hidden directory", "O_CREAT|O_EXCL of root's link to a hidden directory"]
    expected = [f"{call}: ENOENT ENOENT" for call in calls]
    expected += ["missing: ENOENT", "missing below a file: ENOTDIR", "dangling link: ENOENT", "dangling link lstat: ok",
                 "dangling link below: ENOENT", "missing through a link: ENOENT", "chdir through a link: ENOENT",
                 "open through a link: ENOENT", "create through a dangling link: ok", "made: ok", "O_EXCL on a link: EEXIST",
                 "mkdir through a link: ok", "openat2 through a link: ENOENT", "root's link through a hidden directory: ok real"]
    lines = proc.stdout.splitlines()
    differ = [line for line in lines if line.split(": ")[0] in calls and len(set(line.split(": ")[1].split())) != 1]
    check(differ == [], "no call answers differently whether or not the host path exists", describe(proc))
    check(proc.returncode == 0 and lines == expected,
          "ENOENT for any path the resolution takes out of the rules, as for a missing one inside", describe(proc))
    check(sorted(os.listdir(secret)) == ["X", "XD"] and os.listdir(os.path.join(secret, "XD")) == ["x"],
          "nothing was made or removed outside the rules", str(os.listdir(secret)))
    assert_no_leftovers(sb.helper)


RESOLVE_SCRIPT = """
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class How(ctypes.Structure):
    _fields_ = [('flags', ctypes.c_uint64), ('mode', ctypes.c_uint64), ('resolve', ctypes.c_uint64)]
top = sys.argv[1]
def openat2(dirfd, path, flags, resolve):
    how = How(flags | os.O_CLOEXEC, 0, resolve)
    fd = libc.syscall(437, dirfd, path.encode(), ctypes.byref(how), ctypes.sizeof(how))
    if fd < 0:
        return errno.errorcode[ctypes.get_errno()]
    st = os.fstat(fd)
    os.close(fd)
    kind = {0o040000: 'dir', 0o120000: 'link', 0o100000: 'file'}.get(st.st_mode & 0o170000, 'other')
    return f'{kind} {st.st_ino}'
paths = ['t/a/b/f', 't/ab/f', 't/a/up', 't/abs/b/f', 't/loop1', 't/dang', 't/gslash', 't/a/bf', 't/dot/dot/dot/g',
         't/ab/f/', 't/ab/', 't/g/', 't/g/.', 't/a/../g', 't/ab/../f', 't/ab/../../g', 't/dang/x', 't/a/b/f/x',
         't/abs/../g', 't/missing/x', 't/a/missing', 't/./a/./b/./f', 't//a//b//f', 't/a/up/', 't/dot/../t/g',
         't/proc/1', 't/proc/sys/kernel', 't/../t/abs/b/f', 't/a/b/../../abs/b/f', top + '/t/ab/f',
         top + '/t/loop1/x', top + '/t/abs/b/f', top + '/t/proc/1', 't/deep/' + top[1:] + '/t/g']
base = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
t = os.open(top + '/t', os.O_RDONLY | os.O_DIRECTORY)
O_PATH = 0o10000000
for flags, fname in ((os.O_RDONLY, 'RDONLY'), (O_PATH, 'PATH'), (O_PATH | os.O_NOFOLLOW, 'PATH|NOFOLLOW'),
                     (os.O_RDONLY | os.O_DIRECTORY, 'DIRECTORY')):
    for resolve, rname in ((2, 'NO_MAGICLINKS'), (1, 'NO_XDEV'), (4, 'NO_SYMLINKS'), (8, 'BENEATH'),
                           (0x10, 'IN_ROOT')):
        for p in paths:
            print(fname, rname, p, openat2(base, p, flags, resolve))
        for p in ['ab/f', 'abs/b/f', 'a/up', 'deep/x', '../t/g', 'dot/../g', 'a/../../t/g', '/g', '/a/b/f', 'abs']:
            print(fname, rname, 'from t: ' + p, openat2(t, p, flags, resolve))
"""


def case_resolve_as_kernel(name):
    """The trusted process resolves a path with symlinks name by name
    (trusted/resolve.cc); where the rules show everything (--allow-read /),
    it must answer exactly what the kernel answers for openat2 with each
    resolve flag, which takes the caller's path as it is: links relative
    and absolute, "..", loops, dangling links, trailing slashes, mount
    crossings (/proc), the kernel's RESOLVE_NO_XDEV quirk for an absolute
    link before the root is known. The same program runs natively as uid
    65534, then sandboxed. (open, openat and openat2 without resolve flags
    normalise the path first: ".." and a trailing "/" are lexical there.)"""
    sb = Sandbox(name)
    top = sb.directory(os.path.join(sb.data, "top"))
    t = sb.directory(os.path.join(top, "t"))
    sb.directory(os.path.join(t, "a", "b"), [("f", "f\n")])
    sb.directory(os.path.join(t, "c"))
    with open(os.path.join(t, "g"), "w") as f:
        f.write("g\n")
    os.chmod(os.path.join(t, "g"), 0o644)
    os.chmod(os.path.join(t, "a"), 0o755)
    for target, link in (("a/b", "ab"), ("../g", "a/up"), (os.path.join(t, "a"), "abs"), ("loop2", "loop1"),
                         ("loop1", "loop2"), ("missing", "dang"), ("g/", "gslash"), ("b/f", "a/bf"), (".", "dot"),
                         ("../" * 20, "deep"), ("/proc", "proc")):
        os.symlink(target, os.path.join(t, link))
    script = sb.file("resolve.py", RESOLVE_SCRIPT)
    native = subprocess.run(as_nobody([PYTHON, script, top]), capture_output=True, text=True, timeout=60)
    check(native.returncode == 0 and native.stdout, "the comparison runs natively", describe(native))
    proc = sb.run("--allow-read", "/", PYTHON, script, top)
    check(proc.returncode == 0, "it runs sandboxed", describe(proc))
    differ = [f"native: {a}\nsbx:    {b}" for a, b in zip(native.stdout.splitlines(), proc.stdout.splitlines()) if a != b]
    check(differ == [] and len(proc.stdout.splitlines()) == len(native.stdout.splitlines()),
          f"every answer is the kernel's ({len(native.stdout.splitlines())} calls)", "\n".join(differ[:30]))
    assert_no_leftovers(sb.helper)


def case_path_calls(name):
    """mkdir, creat, rename, unlink, rmdir, readlink, lstat and access are
    brokered: what the rules grant happens on the host, what they do not fails
    with EACCES and changes nothing. mkdir of a directory that exists and that
    the rules show answers EEXIST, as natively, so `mkdir -p` can climb."""
    sb = Sandbox(name)
    ro = sb.directory(os.path.join(sb.data, "ro"), [("x", "read only\n")], owner=65534)
    rw = sb.directory(os.path.join(sb.data, "rw"), [("a", "movable\n")], owner=65534)
    os.symlink("x", os.path.join(ro, "link"))
    # uid 65534 owns all of it: whatever fails below, the rules refused.
    os.chown(os.path.join(ro, "x"), 65534, 65534)
    os.chown(os.path.join(rw, "a"), 65534, 65534)
    script = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def creat(path):\n"
        "    fd = libc.creat(path.encode(), 0o600)\n"
        "    if fd < 0:\n        raise OSError(ctypes.get_errno(), 'creat')\n"
        "    os.close(fd)\n"
        f"RO, RW = {ro!r}, {rw!r}\n"
        "def attempt(what, f, *args):\n"
        "    try:\n        r = f(*args)\n        print(what, 'ok' if r is None else r)\n"
        "    except OSError as e:\n        print(what, 'errno', e.errno)\n"
        "attempt('mkdir rw', os.mkdir, RW + '/d')\n"
        "attempt('mkdir ro', os.mkdir, RO + '/d')\n"
        "attempt('rename rw', os.rename, RW + '/a', RW + '/b')\n"
        "attempt('rename out of ro', os.rename, RO + '/x', RW + '/x')\n"
        "attempt('rename into ro', os.rename, RW + '/b', RO + '/b')\n"
        "attempt('unlink ro', os.unlink, RO + '/x')\n"
        "attempt('rmdir rw', os.rmdir, RW + '/d')\n"
        "attempt('readlink', os.readlink, RO + '/link')\n"
        "attempt('lstat', lambda p: oct(os.lstat(p).st_mode >> 12), RO + '/link')\n"
        "attempt('stat', lambda p: os.stat(p).st_size, RO + '/link')\n"
        "attempt('access read', os.access, RO + '/x', os.R_OK)\n"
        "attempt('access write', os.access, RO + '/x', os.W_OK)\n"
        "attempt('unlink rw', os.unlink, RW + '/b')\n"
        "attempt('mkdir existing ro', os.mkdir, RO)\n"
        "attempt('mkdir on the way', os.mkdir, os.path.dirname(RO))\n"
        "attempt('mkdir hidden', os.mkdir, '/root')\n"
        "attempt('makedirs rw', os.makedirs, RW + '/m/n')\n"
        "attempt('rmdir rw n', os.rmdir, RW + '/m/n')\n"
        "attempt('rmdir rw m', os.rmdir, RW + '/m')\n"
        "attempt('creat rw', creat, RW + '/c')\n"
        "attempt('creat ro', creat, RO + '/c')\n"
        "attempt('unlink rw c', os.unlink, RW + '/c')\n")
    proc = sb.run("--allow-read", ro, "--allow-write", rw, PYTHON, "-c", script)
    expected = ["mkdir rw ok", "mkdir ro errno 13", "rename rw ok", "rename out of ro errno 13",
                "rename into ro errno 13", "unlink ro errno 13", "rmdir rw ok", "readlink x", "lstat 0o12",
                "stat 10", "access read True", "access write False", "unlink rw ok", "mkdir existing ro errno 17",
                "mkdir on the way errno 17", "mkdir hidden errno 13", "makedirs rw ok", "rmdir rw n ok", "rmdir rw m ok",
                "creat rw ok", "creat ro errno 13", "unlink rw c ok"]
    check(proc.returncode == 0 and proc.stdout.splitlines() == expected,
          "path calls do what the rules grant and fail with EACCES otherwise", describe(proc))
    check(sorted(os.listdir(rw)) == [] and sorted(os.listdir(ro)) == ["link", "x"],
          "on the host: rw holds what the program left (nothing), ro is untouched",
          f"rw: {os.listdir(rw)}, ro: {os.listdir(ro)}")
    assert_no_leftovers(sb.helper)


def case_fstat_by_descriptor(name):
    """newfstatat and statx with AT_EMPTY_PATH and no path are fstat,
    answered by the trusted process on its copy of the descriptor; given a
    path, they are checked like any path call, so a directory descriptor from
    the trusted process does not reach the host's metadata."""
    sb = Sandbox(name)
    secret = sb.file("secret.txt", "SECRET, 24 bytes long..\n")
    sub = sb.directory(os.path.join(sb.data, "sub"), [("allowed.txt", "allowed\n")])
    script = (
        "import ctypes, errno, os, stat\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "AT_EMPTY_PATH, STATX_BASIC_STATS = 0x1000, 0x7ff\n"
        "def call(nr, *args):\n"
        "    rc = libc.syscall(nr, *args)\n"
        "    return 'errno ' + errno.errorcode[ctypes.get_errno()] if rc < 0 else rc\n"
        "def size_by_newfstatat(fd, path):\n"
        "    buf = ctypes.create_string_buffer(144)\n"
        "    rc = call(262, fd, path, buf, AT_EMPTY_PATH)\n"
        "    return rc if rc != 0 else int.from_bytes(buf.raw[48:56], 'little')\n"
        "def size_by_statx(fd, path):\n"
        "    buf = ctypes.create_string_buffer(256)\n"
        "    rc = call(332, fd, path, AT_EMPTY_PATH, STATX_BASIC_STATS, buf)\n"
        "    return rc if rc != 0 else int.from_bytes(buf.raw[40:48], 'little')\n"
        f"SUB = {sub!r}\n"
        "d = os.open(SUB, os.O_RDONLY | os.O_DIRECTORY)\n"
        "f = os.open(SUB + '/allowed.txt', os.O_RDONLY)\n"
        "print('fstat', stat.S_ISDIR(os.fstat(d).st_mode), os.fstat(f).st_size)\n"
        "print('newfstatat', size_by_newfstatat(f, b''), size_by_newfstatat(d, b'../secret.txt'))\n"
        "print('statx', size_by_statx(f, b''), size_by_statx(d, b'../secret.txt'))\n"
        "print('by path', size_by_newfstatat(d, b'allowed.txt'), size_by_statx(d, b'allowed.txt'))\n")
    proc = sb.run("--allow-read", sub, PYTHON, "-c", script)
    check(proc.returncode == 0 and proc.stdout.splitlines() == [
        "fstat True 8", "newfstatat 8 errno ENOENT", "statx 8 errno ENOENT", "by path 8 8"],
        "fstat through newfstatat and statx works; a path next to AT_EMPTY_PATH is checked by the rules",
        describe(proc))
    check(os.path.getsize(secret) == 24, "(the secret file is there to be seen, had the check failed)")
    assert_no_leftovers(sb.helper)


def case_trap(name):
    """A policy's trap: the shim's SIGSYS handler answers the call with
    ENOSYS, after start-up; the program goes on."""
    sb = Sandbox(name)
    policy = sb.file("trap.policy", "getcpu: trap\ninclude builtin:default\n")
    proc = sb.run("--policy", policy, PYTHON, "-c",
                  "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                  "print('getcpu', libc.syscall(309, None, None, None), ctypes.get_errno())\nprint('after')")
    check(proc.returncode == 0 and proc.stdout.split() == ["getcpu", "-1", "38", "after"],
          "a trapped call fails with ENOSYS (38) and the program goes on", describe(proc))
    assert_no_leftovers(sb.helper)


def case_stdio_programs(name):
    sb = Sandbox(name)
    proc = sb.run("--policy", "stdio", "sort", stdin_text="pear\napple\nfig\n")
    check(proc.returncode == 0 and proc.stdout == "apple\nfig\npear\n", "sort runs under stdio", describe(proc))
    proc = subprocess.run(as_nobody([sb.sbx, "run", "--policy", "stdio", "gzip", "-c"]), env=sb.env(), input=b"x" * 10000,
                          capture_output=True, timeout=60)
    check(proc.returncode == 0 and subprocess.run(["gunzip"], input=proc.stdout, capture_output=True).stdout ==
          b"x" * 10000 and len(proc.stdout) < 200, "gzip compresses stdin to stdout under stdio", proc.stderr)
    # Under stdio, a file by name is refused: the loader's opens are
    # brokered, and the rules name only the system's libraries.
    secret = sb.file("secret.txt", "SECRET\n")
    proc = sb.run("--policy", "stdio", "cat", secret)
    check(proc.returncode == 1 and "No such file or directory" in proc.stderr and "SECRET" not in proc.stdout,
          "cat FILE is refused under stdio: it looks absent", describe(proc))
    # Anything the policy does not list still kills the program (SIGSYS).
    proc = sb.run("--policy", "stdio", PYTHON, "-c", "import os; os.mkdir('x')")
    check(proc.returncode == 128 + 31 and not os.path.exists(os.path.join(sb.data, "x")),
          "a call stdio does not list kills the program (159)", describe(proc))
    assert_no_leftovers(sb.helper)


def case_write_execute(name):
    """deny-write-execute: under builtin:stdio the kernel refuses to make
    memory executable that was writable (PR_SET_MDWE), which the filter
    alone cannot see; under builtin:default (JITs) the same program may;
    a policy that turns it on holds every process of the tree, across exec."""
    sb = Sandbox(name)
    tool = install_file(os.environ["SBX_WRITE_EXECUTE"], "write_execute", sb.dir)
    proc = sb.run("--policy", "stdio", tool, "mprotect-rx", "mprotect-r-rx")
    check(proc.returncode == 0 and proc.stdout.splitlines() == ["mmap-rw ok", "mprotect-rx EACCES", "mmap-rx ok",
                                                                "mprotect-r-rx EACCES"],
          "under stdio, written memory cannot become executable (EACCES), nor can memory that gave up PROT_EXEC",
          describe(proc))
    # Writable and executable at once: stdio's filter kills it before the kernel's MDWE would refuse it.
    proc = sb.run("--policy", "stdio", tool, "mmap-wx")
    check(proc.returncode == 128 + 31 and "mmap-wx" not in proc.stdout,
          "under stdio, a writable and executable mapping kills the program (the filter)", describe(proc))
    proc = sb.run("--policy", "default", tool, "mprotect-rx", "mmap-wx", "mprotect-r-rx")
    check(proc.returncode == 0 and proc.stdout.splitlines() == ["mmap-rw ok", "mprotect-rx ok", "ran 42", "mmap-wx ok",
                                                                "mmap-rx ok", "mprotect-r-rx ok"],
          "under default, the same program writes code, makes it executable and runs it", describe(proc))
    # default with deny-write-execute on: the filter allows both calls, the
    # kernel refuses them, in a process the shim executed from a shell.
    policy = sb.file("mdwe.policy", "include builtin:default\ndeny-write-execute on\n")
    proc = sb.run("--policy", policy, "--allow-read", sb.dir, "/bin/sh", "-c",
                  f"{tool} mprotect-rx mmap-wx; echo shell-ok")
    check(proc.returncode == 0 and proc.stdout.splitlines() == ["mmap-rw ok", "mprotect-rx EACCES", "mmap-wx EACCES",
                                                                "shell-ok"],
          "deny-write-execute holds a program the shell forked and executed: both refused with EACCES",
          describe(proc))
    # Programs that only load code run as before under it (the loader maps
    # segments executable from the start).
    proc = sb.run("--policy", policy, PYTHON, "-c", "import json, re, ctypes; print(re.sub('a+', 'b', 'caat'))")
    check(proc.returncode == 0 and proc.stdout.strip() == "cbt", "python3 with C extensions runs under it",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_sqlite_write(name):
    sb = Sandbox(name)
    db_dir = os.path.join(sb.data, "db")
    os.makedirs(db_dir)
    os.chown(db_dir, NOBODY, NOBODY)
    db = os.path.join(db_dir, "t.db")
    proc = sb.run("--allow-write", db_dir, "sqlite3", db,
                  "create table t(x); insert into t values (42); select x * 2 from t;")
    check(proc.returncode == 0 and proc.stdout.strip() == "84", "sqlite3 writes a database in --allow-write",
          describe(proc))
    check(os.path.getsize(db) > 0 and not os.path.exists(db + "-journal"), "the database is on disk, journal gone")
    other = os.path.join(sb.data, "other.db")
    proc = sb.run("--allow-write", db_dir, "sqlite3", other, "create table t(x);")
    check(proc.returncode != 0 and not os.path.exists(other), "outside --allow-write nothing is created",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_no_network(name):
    sb = Sandbox(name)
    proc = sb.run(PYTHON, "-c", "import socket\ntry:\n socket.create_connection(('127.0.0.1', 80), timeout=2)\n"
                  "except OSError as e:\n print('refused', e.errno)\n")
    check(proc.returncode == 0 and proc.stdout.strip() == "refused 13", "a python socket fails with EACCES",
          describe(proc))
    proc = sb.run("curl", "-sS", "--max-time", "5", "http://127.0.0.1/")
    check(proc.returncode != 0 and proc.stdout == "", "curl reaches nothing", describe(proc))
    assert_no_leftovers(sb.helper)


def case_threads(name):
    """Brokered opens from 8 threads at once, each checking what it read."""
    sb = Sandbox(name)
    for i in range(8):
        sb.file(f"f{i}.txt", f"content {i}\n")
    script = ("import threading\nright = []\n"
              "def work(i):\n"
              "    for _ in range(200):\n"
              f"        with open('{sb.data}/f%d.txt' % i) as f:\n"
              "            if f.read() == 'content %d\\n' % i: right.append(i)\n"
              "ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n"
              "[t.start() for t in ts]\n[t.join() for t in ts]\n"
              "print('right', len(right))\n")
    proc = sb.run("--allow-read", sb.data, PYTHON, "-c", script, timeout=120)
    check(proc.returncode == 0 and proc.stdout.strip() == "right 1600" and proc.stderr == "",
          "1,600 brokered opens from 8 threads, every one right", describe(proc))
    assert_no_leftovers(sb.helper)


def case_stuck_thread(name):
    """A thread stuck in a brokered call (opening a FIFO nobody writes)
    holds up no other thread: 50 opens from another thread go through while it
    waits, and it finishes once the FIFO gets a writer."""
    sb = Sandbox(name)
    sb.file("other.txt", "other\n")
    fifo = os.path.join(sb.data, "fifo")
    os.mkfifo(fifo)
    os.chmod(fifo, 0o666)
    script = ("import threading, time\n"
              f"data = {sb.data!r}\n"
              "got = []\n"
              "def reader():\n"
              "    with open(data + '/fifo') as f:\n"
              "        got.append(f.read())\n"
              "time.sleep(0.3)  # quiet: the trusted process's watch goes to sleep\n"
              "t = threading.Thread(target=reader)\nt.start()\ntime.sleep(0.3)\n"
              "start = time.monotonic()\n"
              "texts = [open(data + '/other.txt').read() for _ in range(50)]\n"
              "took = time.monotonic() - start\n"
              "print('while stuck:', texts == ['other\\n'] * 50, t.is_alive())\n"
              "with open(data + '/fifo', 'w') as w:\n"
              "    w.write('unblocked')\n"
              "t.join(10)\n"
              "print('reader:', got)\n"
              "print('seconds:', took)\n")
    proc = sb.run("--allow-write", sb.data, PYTHON, "-c", script, timeout=60)
    lines = proc.stdout.splitlines()
    check(proc.returncode == 0 and lines[:2] == ["while stuck: True True", "reader: ['unblocked']"],
          "50 opens go through while another thread is stuck in a brokered open; it ends when the FIFO has a writer",
          describe(proc))
    took = float(lines[2].split()[1])
    check(took < 2.0, f"the 50 opens took {took:.3f} s (a stuck call holds the others up for 2 ms at most)",
          describe(proc))
    print(lines[2])
    assert_no_leftovers(sb.helper)


def case_stop_continue(name):
    """Ctrl-Z, then fg: SIGTSTP to the job's process group (as the terminal
    sends it) stops the program and its trusted process, not only sbx; SIGCONT
    (as the shell's fg sends it) resumes them, and nothing is lost: brokered
    calls answer afterwards, after a stop in a burst of calls and after one in
    a quiet spell."""
    sb = Sandbox(name)
    sb.file("f.txt", "text\n")
    marker = f"stop-continue.{os.getpid()}"
    script = ("import sys, time\n"
              f"path = {sb.data!r} + '/f.txt'\n"
              "def burst(seconds):\n"
              "    ok, bad, end = 0, [], time.monotonic() + seconds\n"
              "    while time.monotonic() < end:\n"
              "        try:\n"
              "            ok += open(path).read() == 'text\\n'\n"
              "        except OSError as e:\n"
              "            bad.append(str(e))\n"
              "        time.sleep(0.001)\n"
              "    return ok, bad[:1]\n"
              "print('ready', flush=True)\n"
              "print('busy', *burst(1.5), flush=True)\n"
              "time.sleep(1.5)\n"
              "print('quiet', *burst(0.2), flush=True)\n")
    job = subprocess.Popen(as_nobody([sb.sbx, "run", "--allow-read", sb.data, PYTHON, "-c", script, marker]),
                           env=sb.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=sb.data,
                           start_new_session=True)

    def states(pids):
        return [process_state(p) for p in pids]

    def all_in_state(pids, wanted, seconds=5):
        """Whether, within seconds, each of pids is in a state among wanted
        (one string of letters for all, or one per pid)."""
        wanted = [wanted] * len(pids) if isinstance(wanted, str) else wanted
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if all(s in w for s, w in zip(states(pids), wanted)):
                return True
            time.sleep(0.01)
        return False

    def ctrl_z_then_fg(program):
        trusted = [int(c) for c in open(f"/proc/{program}/task/{program}/children").read().split()]
        sandbox = [program] + trusted
        time.sleep(0.3)
        subprocess.run(as_nobody(["kill", "-TSTP", "--", f"-{job.pid}"]), check=True)
        # The program is stopped (T), or waits (D) in a brokered call that
        # its stopped trusted process holds: a call the trusted process has
        # taken waits killable only (WAIT_KILLABLE_RECV). Either way it
        # makes no progress until fg.
        check(all_in_state(sandbox + [job.pid], ["TD"] + ["T"] * len(trusted) + ["T"]),
              "Ctrl-Z stops sbx, the program and its trusted process",
              f"states {states(sandbox + [job.pid])} of {sandbox + [job.pid]}")
        time.sleep(0.3)
        subprocess.run(as_nobody(["kill", "-CONT", "--", f"-{job.pid}"]), check=True)
        check(all_in_state(sandbox + [job.pid], "SR"), "fg resumes them all",
              f"states {states(sandbox + [job.pid])} of {sandbox + [job.pid]}")

    try:
        lines = [job.stdout.readline().strip()]
        program = find_program(marker, "python3.11")
        check(program is not None, "the program started", lines)
        ctrl_z_then_fg(program)  # during the burst: the trusted process is answering calls
        lines.append(job.stdout.readline().strip())
        ctrl_z_then_fg(program)  # during the quiet spell: its threads sleep
        out, err = job.communicate(timeout=30)
    finally:
        if job.poll() is None:
            subprocess.run(["kill", "-KILL", "--", f"-{job.pid}"])
            job.kill()
            job.wait()
    lines += out.splitlines()
    summary = f"stdout {lines!r}, stderr {err[-2000:]!r}, exit {job.returncode}"
    check(job.returncode == 0 and lines[0] == "ready", "the program ran to its end", summary)
    busy, quiet = lines[1].split(), lines[2].split()
    check(busy[0] == "busy" and int(busy[1]) > 100 and busy[2:] == ["[]"],
          "every open of the burst around the stop succeeded", summary)
    check(quiet[0] == "quiet" and int(quiet[1]) > 20 and quiet[2:] == ["[]"],
          "opens after a stop in a quiet spell succeed", summary)
    assert_no_leftovers(sb.helper)


def case_signalled_calls(name):
    """Signals during brokered calls (SIGHUP, caught without SA_RESTART, sent
    to sbx 3 ms apart, which passes them on): a call the trusted process has
    carried out is never reported as interrupted, so an O_CREAT|O_EXCL
    retried after EINTR never finds its own file (EEXIST)."""
    sb = Sandbox(name)
    tool = install_file(os.environ["SBX_SIGNALLED_CALLS"], "signalled_calls", sb.dir)
    readable = sb.file("f.txt", "text\n")
    out_dir = sb.directory(os.path.join(sb.data, "out"), owner=NOBODY)
    job = subprocess.Popen(as_nobody([sb.sbx, "run", "--allow-read", readable, "--allow-write", out_dir, tool, readable,
                                      out_dir, "2"]), env=sb.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, cwd=sb.data)
    try:
        first = job.stdout.readline().strip()
        sent = 0
        while job.poll() is None and sent < 500:
            subprocess.run(as_nobody(["kill", "-HUP", str(job.pid)]), capture_output=True)
            sent += 1
            time.sleep(0.003)
        out, err = job.communicate(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    summary = f"stdout {first!r} {out!r}, stderr {err[-2000:]!r}, exit {job.returncode}"
    check(job.returncode == 0 and first == "ready", "the program ran to its end", summary)
    counts = dict(zip(out.split()[0::2], map(int, out.split()[1::2])))
    check(counts["signals"] > 20, "signals reached the program while it made brokered calls", summary)
    check(counts["created"] > 20 and counts["failed"] == 0, "its opens and creates succeeded", summary)
    check(counts["eexist"] == 0, "no create was carried out and then reported as interrupted", summary)
    print(out.strip())
    assert_no_leftovers(sb.helper)


def case_race(name):
    """A thread flips the path buffer between an allowed and a forbidden file
    while others open it: the forbidden file is never opened."""
    sb = Sandbox(name)
    race = install_file(os.environ["SBX_RACE_OPEN"], "race_open", sb.dir)
    allowed_dir = sb.directory(os.path.join(sb.data, "ok"), [("file", "allowed\n")])
    denied_dir = sb.directory(os.path.join(sb.data, "no"), [("file", "FORBIDDEN\n")])
    allowed = os.path.join(allowed_dir, "file")
    forbidden = os.path.join(denied_dir, "file")
    proc = sb.run("--allow-read", allowed_dir, race, allowed, forbidden, "100000", timeout=170)
    check(proc.returncode == 0 and proc.stdout.startswith("held "), "100,000 racing opens never reach the forbidden file",
          describe(proc))
    opened = int(proc.stdout.split()[1].split("-")[0])
    check(opened > 1000, "and many opens of the allowed file succeeded (the race was real)", describe(proc))
    print(proc.stdout.strip())
    assert_no_leftovers(sb.helper)


def case_corrupted_shim(name):
    sb = Sandbox(name)
    tool = install_file(os.environ["SBX_CORRUPT_SHIM"], "corrupt_shim", sb.dir)
    secret = sb.file("secret.txt", "SECRET\n")
    proc = sb.run(tool, secret)
    check(proc.returncode == 0, "the corrupting program ran", describe(proc))
    for attempt in ("sigsys-handler", "socket", "open-forbidden", "execve", "ptrace", "chroot", "seccomp-off"):
        check(f"{attempt} refused" in proc.stdout, f"{attempt} is refused by the kernel's filter", describe(proc))
    check("ALLOWED" not in proc.stdout, "nothing was allowed", describe(proc))
    check("open-fds:\n" in proc.stdout, "no descriptor of the sandbox (listener, SBX_D, policy) is left in the program",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_refusals(name):
    sb = Sandbox(name)
    static = install_file(os.environ["SBX_SHOW_IDS"], "static_program", sb.dir)
    # A static program runs from its own descriptor, inside the sandbox.
    proc = sb.run(static)
    check(proc.returncode == 0 and "uid=65534 euid=65534" in proc.stdout, "a static program runs sandboxed",
          describe(proc))
    # A directory is no program, nor a script's interpreter (it would become
    # a rule for all below it).
    proc = sb.run(sb.data)
    check(proc.returncode == 126 and "not a file" in proc.stderr, "a directory as the program is refused",
          describe(proc))
    script = sb.file("dir-interpreter.sh", "#!" + sb.data + "\n", mode=0o755)
    proc = sb.run(script)
    check(proc.returncode == 126 and "is not a file" in proc.stderr, "a directory as a script's interpreter is refused",
          describe(proc))
    proc = sb.run("/nonexistent/program")
    check(proc.returncode == 126 and "no such program" in proc.stderr, "a missing program", describe(proc))
    os.chmod(sb.helper, 0o755)  # the setuid bit gone
    proc = sb.run("/bin/echo", "ran")
    check(proc.returncode == 126 and "is not setuid root" in proc.stderr and "ran" not in proc.stdout,
          "a helper that is not setuid root is named, nothing runs", describe(proc))
    os.chmod(sb.helper, 0o4755)
    bad = sb.file("bad.policy", "default kill\nreed: allow\n")
    proc = sb.run("--policy", bad, "/bin/echo", "ran")
    check(proc.returncode == 126 and "bad.policy:2:1: error: unknown system call 'reed'" in proc.stderr
          and "ran" not in proc.stdout, "a policy with errors: its line, nothing runs", describe(proc))
    env = sb.env()
    env["SBX_HELPER"] = "/nonexistent/sbx-helper"
    proc = subprocess.run(as_nobody([sb.sbx, "run", "/bin/echo", "ran"]), env=env, capture_output=True, text=True)
    check(proc.returncode == 126 and "sbx-helper not found" in proc.stderr, "a missing helper", describe(proc))
    # The first stage refuses to run a program outside sbx run: directly,
    # and through the helper without a policy. (The shim sandboxes nothing
    # by itself: it is only the SIGSYS handler.)
    zygote = sb.pieces["SBX_ZYGOTE"]
    args = [sb.pieces["SBX_TRUSTED"], sb.shim, "/bin/echo", "echo", "ran"]
    for argv, how in (([zygote, *args], "directly"), ([sb.helper, zygote, *args], "through sbx-helper")):
        proc = subprocess.run(as_nobody(argv), env={"PATH": "/usr/bin:/bin", "SBX_CHROME_API_RQ": "1"},
                              capture_output=True, text=True)
        check(proc.returncode == 125 and "ran" not in proc.stdout and "started by 'sbx run' only" in proc.stderr,
              "the first stage never runs a program without its policy (" + how + ")", describe(proc))
    assert_no_leftovers(sb.helper)


def case_help(name):
    sb = Sandbox(name)
    for argv in (["--help"], ["run", "--help"], ["doctor", "--help"], ["policy", "--help"], ["policy", "check", "--help"]):
        proc = subprocess.run([sb.sbx, *argv], capture_output=True, text=True)
        check(proc.returncode == 0 and proc.stdout.startswith("usage: sbx run") and proc.stderr == "",
              f"sbx {' '.join(argv)} prints the usage", describe(proc))
    proc = subprocess.run([sb.sbx, "--version"], capture_output=True, text=True)
    check(proc.returncode == 0 and proc.stdout.startswith("sbx "), "sbx --version", describe(proc))
    proc = subprocess.run([sb.sbx, "frobnicate"], capture_output=True, text=True)
    check(proc.returncode == 2 and proc.stderr.startswith("sbx: unknown command 'frobnicate'"),
          "an unknown command says so, with the usage, exit 2", describe(proc))


def case_exit_status(name):
    sb = Sandbox(name)
    proc = sb.run(PYTHON, "-c", "import sys; sys.exit(7)")
    check(proc.returncode == 7, "the program's exit status is sbx run's", describe(proc))
    proc = sb.run(PYTHON, "-c", "import ctypes; ctypes.string_at(0)")
    check(proc.returncode == 128 + 11, "a program that dies of SIGSEGV: 139, never a success", describe(proc))
    # With no stdin at all (a closed descriptor 0), the sandbox still starts.
    proc = subprocess.run(as_nobody([sb.sbx, "run", "/bin/echo", "no stdin"]), env=sb.env(), capture_output=True,
                          text=True, timeout=60, cwd=sb.data, stdin=None, preexec_fn=lambda: os.close(0))
    check(proc.returncode == 0 and proc.stdout == "no stdin\n", "sbx run with stdin closed", describe(proc))
    assert_no_leftovers(sb.helper)


main({name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")})
