"""Integration tests of `sbx run`'s path options for paths that do not exist
yet, and of what a sandboxed program may execute: real programs behind
sbx-helper, the trusted process and Landlock, run as uid 65534 against a
setuid copy of the helper (the run suite's Sandbox, tests/integration/
sbxtest.py).

A path option that does not exist yet is allowed when the nearest directory
on its way that does exist is reached through root's symlinks only, and is
refused (exit 126, one sentence) when a file or a link of anyone else's is
in the way. What the program may execute is what the rules let it read
(from a descriptor: its root is empty), and nothing else.

usage: paths_cases.py CASE
"""
import os
import shutil
import subprocess

import sbxtest
from sbxtest import NOBODY, assert_no_leftovers, check, describe, main, skip

PYTHON = "/usr/bin/python3"  # Debian's: PATH may hold another


Sandbox = sbxtest.Sandbox


def writable_dir(sb, name):
    """A directory of uid 65534's, in which it may make files natively."""
    return sb.directory(os.path.join(sb.data, name), owner=NOBODY)


def note(option, path):
    return f"sbx: {option} {path} does not exist yet; allowed if the program makes it"


def refused_with_one_sentence(proc):
    lines = proc.stderr.splitlines()
    return proc.returncode == 126 and len(lines) == 1 and lines[0].startswith("sbx run: ") and \
        lines[0].endswith("; nothing was run") and "ran" not in proc.stdout


def case_allow_missing_file(name):
    """--allow-write of a file that does not exist yet, in a directory that
    does: the program makes it, writes and reads it back. The note is
    printed only with --verbose."""
    sb = Sandbox(name)
    out = writable_dir(sb, "out")
    target = os.path.join(out, "made.txt")
    script = (f"with open({target!r}, 'w') as f:\n    f.write('written inside\\n')\n"
              f"print(open({target!r}).read().strip())\n")
    proc = sb.run("--allow-write", target, PYTHON, "-c", script)
    check(proc.returncode == 0 and proc.stdout == "written inside\n", "the program makes the missing file",
          describe(proc))
    check("does not exist yet" not in proc.stderr, "no note without --verbose", describe(proc))
    with open(target) as f:
        check(f.read() == "written inside\n", "the file is there after the run")
    os.unlink(target)
    proc = sb.run("--verbose", "--allow-write", target, PYTHON, "-c", script)
    check(proc.returncode == 0 and proc.stdout == "written inside\n", "the same with --verbose", describe(proc))
    check(proc.stderr.splitlines()[:1] == [note("--allow-write", target)], "--verbose: one line of note",
          describe(proc))
    # Nothing beside it: a sibling is still refused.
    proc = sb.run("--allow-write", os.path.join(out, "other.txt"), PYTHON, "-c",
                  f"open({os.path.join(out, 'sibling.txt')!r}, 'w')")
    check(proc.returncode != 0 and "PermissionError" in proc.stderr and
          not os.path.exists(os.path.join(out, "sibling.txt")), "only the missing path itself is allowed",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_allow_missing_read(name):
    """--allow-read of an optional file that is not there: the program runs
    and finds it missing (ENOENT), as it would natively."""
    sb = Sandbox(name)
    optional = os.path.join(sb.data, "optional.conf")
    script = (f"try:\n    open({optional!r})\nexcept FileNotFoundError as e:\n    print('ENOENT', e.errno)\n")
    proc = sb.run("--allow-read", optional, PYTHON, "-c", script)
    check(proc.returncode == 0 and proc.stdout == "ENOENT 2\n", "a missing optional file is ENOENT", describe(proc))
    check("does not exist yet" not in proc.stderr, "no note without --verbose", describe(proc))
    proc = sb.run("--verbose", "--allow-read", optional, PYTHON, "-c", script)
    check(proc.returncode == 0 and proc.stdout == "ENOENT 2\n" and
          f"sbx: --allow-read {optional} does not exist yet" in proc.stderr, "--verbose says it is missing",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_allow_missing_read_under_write(name):
    """A path the program makes under an --allow-write directory that is
    also an --allow-read path, missing at the start: it is made, and read."""
    sb = Sandbox(name)
    out = writable_dir(sb, "out")
    later = os.path.join(out, "later.txt")
    script = (f"open({later!r}, 'w').write('later\\n')\nprint(open({later!r}).read().strip())\n")
    proc = sb.run("--allow-write", out, "--allow-read", later, PYTHON, "-c", script)
    check(proc.returncode == 0 and proc.stdout == "later\n", "made under the directory, read by its own rule",
          describe(proc))
    assert_no_leftovers(sb.helper)


def case_allow_missing_dirs(name):
    """--allow-write of a directory two levels below the nearest one that
    exists: the program makes both (os.makedirs) and fills the last; the
    one between may only be made, nothing else put in it."""
    sb = Sandbox(name)
    out = writable_dir(sb, "out")
    deep = os.path.join(out, "a", "b")
    script = ("import os\n"
              f"os.makedirs({deep!r})\n"
              f"open({deep!r} + '/f.txt', 'w').write('deep\\n')\n"
              f"print(open({deep!r} + '/f.txt').read().strip())\n"
              f"os.makedirs({deep!r} + '/c/d')\n"
              f"for what in ('a/other.txt', 'a/x', 'other'):\n"
              f"    try:\n"
              f"        (os.mkdir if what != 'a/other.txt' else lambda p: open(p, 'w'))({out!r} + '/' + what)\n"
              f"        print(what, 'made')\n"
              f"    except PermissionError:\n"
              f"        print(what, 'EACCES')\n")
    proc = sb.run("--verbose", "--allow-write", deep, PYTHON, "-c", script)
    check(proc.returncode == 0 and proc.stdout.splitlines() == ["deep", "a/other.txt EACCES", "a/x EACCES",
                                                                "other EACCES"],
          "the missing directories are made, and only they", describe(proc))
    check(note("--allow-write", deep) in proc.stderr, "--verbose: the note", describe(proc))
    check(os.path.isdir(os.path.join(deep, "c", "d")) and not os.path.exists(os.path.join(out, "other")),
          "they are there after the run, and nothing else")
    # One level missing, made as a directory.
    one = os.path.join(out, "one")
    proc = sb.run("--allow-write", one, PYTHON, "-c",
                  f"import os\nos.makedirs({one!r})\nopen({one!r} + '/f', 'w').write('x')\nprint(os.listdir({one!r}))")
    check(proc.returncode == 0 and proc.stdout == "['f']\n", "a missing directory is made and filled", describe(proc))
    assert_no_leftovers(sb.helper)


def case_allow_missing_under_file(name):
    """The nearest existing path on the way is a file: refused, with one
    sentence, exit 126."""
    sb = Sandbox(name)
    plain = sb.file("plain.txt", "plain\n")
    for option in ("--allow-write", "--allow-read"):
        for below in ("new", "new/deeper"):
            path = os.path.join(plain, below)
            proc = sb.run(option, path, "/bin/echo", "ran")
            check(refused_with_one_sentence(proc) and f"{plain} is not a directory" in proc.stderr,
                  f"{option} below a file is refused with one sentence", describe(proc))
    assert_no_leftovers(sb.helper)


def case_allow_missing_user_link(name):
    """The nearest existing directory is reached through a symlink of the
    user's (one a program run earlier could have planted): refused, exit
    126, the link named."""
    sb = Sandbox(name)
    real = writable_dir(sb, "real")
    link = os.path.join(sb.data, "link")
    os.symlink(real, link)
    os.lchown(link, NOBODY, NOBODY)
    for path in (os.path.join(link, "new"), os.path.join(link, "new", "deeper")):
        proc = sb.run("--allow-write", path, "/bin/echo", "ran")
        check(refused_with_one_sentence(proc) and f"{link} is a symlink (to {real})" in proc.stderr,
              "a missing path through a link of the user's is refused", describe(proc))
    check(os.listdir(real) == [], "nothing was made")
    # Through root's own link, the same path is allowed.
    root_link = os.path.join(sb.data, "root-link")
    os.symlink(real, root_link)
    proc = sb.run("--allow-write", os.path.join(root_link, "new"), PYTHON, "-c",
                  f"open({os.path.join(real, 'new')!r}, 'w').write('x')")
    check(proc.returncode == 0 and os.path.exists(os.path.join(real, "new")),
          "through root's link it is allowed, at its real path", describe(proc))
    assert_no_leftovers(sb.helper)


STATIC_SOURCE = """
#include <stdio.h>
int main(int argc, char** argv) {
  printf("static ran: %s\\n", argc > 1 ? argv[1] : "");
  return 0;
}
"""


def case_exec_readable(name):
    """The program can execute what the rules let it read (a static program,
    from its descriptor: its root is empty), and nothing else: a static
    program outside the rules cannot even be opened, nor run by its path."""
    sb = Sandbox(name)
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        skip("no C compiler (gcc): the static program is built at test time")
    source = os.path.join(sb.dir, "static.c")
    with open(source, "w") as f:
        f.write(STATIC_SOURCE)
    allowed = os.path.join(sb.dir, "static-allowed")
    proc = subprocess.run([cc, "-static", "-O2", "-o", allowed, source], capture_output=True, text=True)
    if proc.returncode != 0 and "cannot find -lc" in proc.stderr:
        skip("no static C library (libc6-dev's libc.a): gcc -static cannot link")
    check(proc.returncode == 0, "gcc -static", proc.stderr)
    os.chmod(allowed, 0o755)
    other = os.path.join(sb.dir, "static-other")
    shutil.copyfile(allowed, other)
    os.chmod(other, 0o755)
    script = ("import os, sys\n"
              "path = sys.argv[1]\n"
              "try:\n"
              "    fd = os.open(path, os.O_RDONLY)\n"
              "except OSError as e:\n"
              "    print('open', e.errno)\n"
              "    try:\n"
              "        os.execve(path, [path, 'by path'], {})\n"
              "    except OSError as e:\n"
              "        print('execve by path', e.errno)\n"
              "    sys.exit(3)\n"
              "sys.stdout.flush()\n"
              "os.execve(fd, [path, 'by descriptor'], {})\n")
    proc = sb.run("--allow-read", allowed, PYTHON, "-c", script, allowed)
    check(proc.returncode == 0 and proc.stdout == "static ran: by descriptor\n",
          "a static program the rules let the program read runs from its descriptor", describe(proc))
    proc = sb.run("--allow-read", allowed, PYTHON, "-c", script, other)
    # By path: nothing in the empty root (ENOENT), or refused (EACCES);
    # opened by path, it looks absent (ENOENT), as what the rules do not show.
    check(proc.returncode == 3 and proc.stdout.splitlines() in (["open 2", "execve by path 2"],
                                                                 ["open 2", "execve by path 13"]),
          "one outside the rules can be neither opened nor run by path", describe(proc))
    assert_no_leftovers(sb.helper)


main({name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")})
