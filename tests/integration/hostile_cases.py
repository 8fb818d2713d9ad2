"""`sbx run` against a hostile program (issue 11): programs built at test time
(tests/hostile/*.c, with `cc`) to get something the rules do not give them,
each run under `sbx run` as uid 65534 against the setuid copy of the helper.

Every case has a secret: a mode-600 file of uid 65534 (so the program, as
that user, could read it natively) in a directory outside every rule. The
programs read it wherever their code gets to run and print it, on standard
error and standard output, and copy it to a directory of uid 65534 outside
the rules (tests/hostile/attack.h). Held means what a user would check:
  - the secret's text is in neither output, nor in any file under the
    test's directory but the secret itself, and the secret is unchanged;
  - no code of the program reported `Seccomp: 0` (it ran without the filter);
  - then what each case says about the exit status and the host's files.
Nothing here looks at how the sandbox is built, only at what `sbx run` does.

usage: hostile_cases.py CASE
"""
import os
import secrets
import shutil
import stat
import subprocess

import sbxtest
from sbxtest import NOBODY, assert_no_leftovers, check, describe, main, skip

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = os.path.normpath(os.path.join(HERE, "..", "hostile"))


Sandbox = sbxtest.Sandbox


class Hostile:
    """A Sandbox with a secret, a directory for stolen copies, and a C
    compiler for the attack programs."""

    def __init__(self, name):
        self.sb = Sandbox(name)
        self.dir = self.sb.dir
        self.token = "sbx-hostile-secret-" + secrets.token_hex(12)
        self.secret_dir = self.owned_dir("secret", mode=0o700)
        self.secret = os.path.join(self.secret_dir, "secret.txt")
        with open(self.secret, "w") as f:
            f.write(self.token + "\n")
        os.chown(self.secret, NOBODY, NOBODY)
        os.chmod(self.secret, 0o600)
        self.secret_stat = os.stat(self.secret)
        self.exfil = self.owned_dir("exfil")
        self.programs = os.path.join(self.dir, "programs")
        os.makedirs(self.programs)
        os.chmod(self.programs, 0o755)
        self.cc = shutil.which("cc") or shutil.which("gcc")
        if self.cc is None:
            skip("no C compiler (cc): the hostile programs are built at test time")

    def owned_dir(self, name, mode=0o755, owner=NOBODY):
        path = os.path.join(self.dir, name)
        os.makedirs(path)
        os.chown(path, owner, owner)
        os.chmod(path, mode)
        return path

    def compile(self, output, sources, *flags, allowed_dir=None, secret=None, exfil=None):
        """Build tests/hostile sources into programs/OUTPUT (as root), readable
        and runnable by uid 65534; the secret's path and the exfiltration
        directory are compiled in."""
        out = os.path.join(self.programs, output)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        defines = [f'-DSECRET_PATH="{secret or self.secret}"', f'-DEXFIL_DIR="{exfil or self.exfil}"']
        if allowed_dir is not None:
            defines.append(f'-DALLOWED_DIR="{allowed_dir}"')
        argv = [self.cc, "-O2", "-g0", "-Wall", "-I", SOURCES, *defines, "-o", out,
                *[os.path.join(SOURCES, s) for s in sources], *flags]
        proc = subprocess.run(argv, capture_output=True, text=True)
        check(proc.returncode == 0, f"compiling {output}", " ".join(argv), proc.stderr)
        for d in (os.path.dirname(out), self.programs):
            os.chmod(d, 0o755)
        os.chmod(out, 0o755)
        return out

    def run(self, *args, timeout=60):
        return self.sb.run(*args, timeout=timeout)

    def where_is_the_secret(self, proc):
        """Where the secret's text is, besides the secret: the outputs, and
        every file under the test's directory (a hard link to the secret
        counts: it names the secret somewhere the rules may reach)."""
        found = [n for n, text in (("stdout", proc.stdout), ("stderr", proc.stderr)) if self.token in (text or "")]
        for root, dirs, files in os.walk(self.dir):
            for name in files:
                path = os.path.join(root, name)
                if path == self.secret:
                    continue
                try:
                    st = os.lstat(path)
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    with open(path, "rb") as f:
                        if self.token.encode() in f.read():
                            found.append(path)
                except OSError:
                    continue
        return found

    def assert_held(self, proc, what):
        """The secret never came out, no code of the program ran without the
        filter, and the secret is as it was."""
        where = self.where_is_the_secret(proc)
        check(not where, f"{what}: the secret's contents appear in {', '.join(where)}", describe(proc))
        unfiltered = [l for l in (proc.stdout + proc.stderr).splitlines() if l.endswith("Seccomp: 0")]
        check(not unfiltered, f"{what}: code of the program ran without the seccomp filter: {unfiltered}",
              describe(proc))
        st = os.stat(self.secret)
        with open(self.secret) as f:
            text = f.read()
        check(text == self.token + "\n" and st.st_mtime_ns == self.secret_stat.st_mtime_ns and
              st.st_mode == self.secret_stat.st_mode, f"{what}: the secret is unchanged",
              f"now {text!r}, mode {oct(st.st_mode)}")
        check(sorted(os.listdir(self.secret_dir)) == ["secret.txt"], f"{what}: nothing was created beside the secret",
              str(os.listdir(self.secret_dir)))

    def assert_ran_sandboxed(self, proc, what, hooks=()):
        """The program ran to the end of main (exit 0), and each of its hooks
        ran and could not open the secret: it ran inside the sandbox."""
        out = proc.stdout.splitlines()
        check(proc.returncode == 0 and out and out[-1].startswith("main: ran"),
              f"{what}: the program runs to its end under sbx run, exit 0", describe(proc))
        for hook in ("main", *hooks):
            check(f"[{hook}] ran" in proc.stderr.splitlines(), f"{what}: its {hook} code ran", describe(proc))
            check(f"[{hook}] open secret: errno" in proc.stderr, f"{what}: its {hook} code could not open the secret",
                  describe(proc))


# --- 1. code before the in-process set-up ------------------------------------------
#
# A preinit function, an IFUNC resolver and a library's constructor are
# ordinary parts of a program: the program must run, and each must run
# inside the finished sandbox (exit 0, each hook reporting that it could not
# open the secret). A refusal would break ordinary programs (IFUNC is how
# optimised libraries pick their code; every C++ library has constructors).

def case_preinit(name):
    h = Hostile(name)
    program = h.compile("preinit", ["preinit.c"])
    proc = h.run(program)
    h.assert_held(proc, "a DT_PREINIT_ARRAY function")
    h.assert_ran_sandboxed(proc, "a DT_PREINIT_ARRAY function", ["preinit"])
    assert_no_leftovers(h.sb.helper)


def case_ifunc(name):
    h = Hostile(name)
    program = h.compile("ifunc", ["ifunc.c"], "-Wl,-z,now")
    proc = h.run(program)
    h.assert_held(proc, "an IFUNC resolver")
    h.assert_ran_sandboxed(proc, "an IFUNC resolver", ["ifunc"])
    check("answer 42" in proc.stdout, "the resolved function works", describe(proc))
    assert_no_leftovers(h.sb.helper)


def case_needed_constructor(name):
    """A library the program links, found through RUNPATH $ORIGIN/lib; the
    library's directory is allowed for reading (the loader must open it inside
    the sandbox, so it needs to be readable there: that is the point)."""
    h = Hostile(name)
    lib = h.compile("lib/libhostile.so", ["needed_lib.c"], "-shared", "-fPIC")
    program = h.compile("needed", ["needed_main.c"], "-L", os.path.dirname(lib), "-lhostile",
                        "-Wl,-rpath,$ORIGIN/lib", "-Wl,--enable-new-dtags")
    proc = h.run("--allow-read", os.path.dirname(lib), program)
    h.assert_held(proc, "a DT_NEEDED library's constructor")
    h.assert_ran_sandboxed(proc, "a DT_NEEDED library's constructor", ["needed-constructor"])
    check("library answer 42" in proc.stdout, "the library's function works", describe(proc))
    assert_no_leftovers(h.sb.helper)


def case_audit_library(name):
    """An audit library the program names itself (DT_AUDIT): the loader
    calls it before loading anything else of the program's. The program must
    run; the audit library either runs inside the sandbox and gets nothing,
    or is not loaded at all (a loader told to ignore DT_AUDIT holds too: it is
    a debugging aid, not something the program needs to work)."""
    h = Hostile(name)
    lib = h.compile("lib/libaudit.so", ["audit_lib.c"], "-shared", "-fPIC")
    program = h.compile("audit", ["audit_main.c"], f"-Wl,--audit={lib}")
    proc = h.run("--allow-read", os.path.dirname(lib), program)
    h.assert_held(proc, "a DT_AUDIT library")
    audited = "[audit] ran" in proc.stderr.splitlines()
    h.assert_ran_sandboxed(proc, "a DT_AUDIT library", ["audit"] if audited else [])
    print("held by:", "the audit library ran inside the sandbox" if audited else "the audit library was not loaded")
    assert_no_leftovers(h.sb.helper)


def case_custom_interpreter(name):
    """PT_INTERP naming a static loader of the program's own. Held any of
    three ways: the program runs sandboxed without it (its main reports the
    secret refused), sbx run refuses with a sentence, or the loader runs
    inside the sandbox and gets nothing. What fails is the loader running
    outside it."""
    h = Hostile(name)
    interp = h.compile("interp", ["interp.c"], "-static-pie", "-nostdlib", "-fPIE", "-ffreestanding",
                       "-fno-stack-protector")
    program = h.compile("interp_main", ["interp_main.c"], f"-Wl,--dynamic-linker={interp}")
    proc = h.run(program)
    h.assert_held(proc, "a PT_INTERP of the program's own")
    lines = proc.stderr.splitlines()
    main_ran = proc.returncode == 0 and "main: ran" in proc.stdout and "[main] ran" in lines
    refused = proc.returncode == 126 and proc.stderr.startswith("sbx run: ") and "[interp] ran" not in lines
    loader_confined = "[interp] ran" in lines and "[interp] open secret: errno" in proc.stderr
    check(main_ran or refused or loader_confined,
          "the program runs sandboxed without its loader, or sbx run refuses it with a sentence, "
          "or its loader runs inside the sandbox", describe(proc))
    if main_ran:
        check("[main] open secret: errno" in proc.stderr, "main could not open the secret", describe(proc))
    print("held by:", "the program ran without its loader" if main_ran else "a refusal" if refused
          else "the loader ran inside the sandbox")
    assert_no_leftovers(h.sb.helper)


# --- 2. functions of the program's that the sandbox might call ------------------------
#
# The program exports libc's names; each reads the secret when first called
# in a process, some lie (tests/hostile/exports.c). Programs that define
# their own getenv or malloc are ordinary (bash, custom allocators) and must
# start and behave: exit 0. A lying one is still only the program's own
# function, which nothing of the sandbox may consult, so it runs too.

def exports_case(symbol, name):
    h = Hostile(name)
    allowed = h.owned_dir("allowed")
    program = h.compile(f"exports-{symbol}", ["exports.c"], f"-DEXPORT_{symbol.upper()}", "-rdynamic", "-pthread",
                        allowed_dir=allowed)
    proc = h.run("--allow-write", allowed, program)
    what = f"a program exporting {symbol}"
    h.assert_held(proc, what)
    h.assert_ran_sandboxed(proc, what)
    out = proc.stdout.splitlines()
    check("main: socket refused" in out, f"{what}: the sandbox's filter holds (no socket)", describe(proc))
    check(any(l.startswith("main: open secret: ") for l in out) and
          any(l.startswith("main: open through a symlink: ") for l in out),
          f"{what}: main tried the secret directly and through a symlink in its --allow-write directory",
          describe(proc))
    if symbol == "malloc":
        check("main: malloc works" in out, f"{what}: the program's allocator serves it", describe(proc))
    assert_no_leftovers(h.sb.helper)


def case_exports_socketpair(name):
    exports_case("socketpair", name)


def case_exports_readlink(name):
    """readlink and readlinkat of /proc/self/fd/N answer a file inside the
    --allow-write directory: a path check that asks them approves anything."""
    exports_case("readlink", name)


def case_exports_getenv(name):
    """getenv answers SBX_SANDBOXED=1 and no other SBX_* variable."""
    exports_case("getenv", name)


def case_exports_malloc(name):
    exports_case("malloc", name)


def case_exports_setenv(name):
    exports_case("setenv", name)


def case_exports_fork(name):
    exports_case("fork", name)


def case_exports_prctl(name):
    exports_case("prctl", name)


def case_exports_syscall(name):
    """syscall(SYS_seccomp, ...) installs an allow-everything filter instead."""
    exports_case("syscall", name)


def case_exports_libc(name):
    """read, write, close, open, fcntl, ioctl, getcwd, waitpid, sigaction,
    pthread_create, strtol, strerror, process_vm_readv, poll, ... at once."""
    exports_case("libc", name)


def case_links(name):
    """Links the program makes from main in its --allow-write directory: a
    symlink to the secret, to its directory, a relative one, a hard link,
    and a symlink swapped in while the name is opened 20,000 times. Nothing
    read or written through them reaches the secret."""
    h = Hostile(name)
    allowed = h.owned_dir("allowed")
    program = h.compile("links", ["links.c"], "-pthread", allowed_dir=allowed)
    proc = h.run("--allow-write", allowed, program, timeout=120)
    h.assert_held(proc, "links to the secret")
    h.assert_ran_sandboxed(proc, "links to the secret")
    out = proc.stdout.splitlines()
    check(not [l for l in out if "LEAK" in l or "WROTE" in l or "TRUNCATED" in l],
          "nothing was read, written or truncated through a link", describe(proc))
    race = [l for l in out if l.startswith("race: ") and l.endswith(" leaked")]
    check(race and race[0].endswith(" 0 leaked"), "the swapped symlink was never followed", describe(proc))
    print(race[0])
    assert_no_leftovers(h.sb.helper)


# --- 3. bash -------------------------------------------------------------------------

def case_bash(name):
    """bash defines its own getenv, setenv and malloc: it must start, for -c
    and for a script, by its path and through its #! line."""
    h = Hostile(name)
    proc = h.run("bash", "-c", "echo hi")
    check(proc.returncode == 0 and proc.stdout == "hi\n", "sbx run bash -c 'echo hi' prints hi", describe(proc))
    h.assert_held(proc, "bash -c")
    scripts = os.path.join(h.dir, "scripts")
    os.makedirs(scripts)
    os.chmod(scripts, 0o755)
    allowed = os.path.join(scripts, "allowed.txt")
    with open(allowed, "w") as f:
        f.write("an allowed line\n")
    os.chmod(allowed, 0o644)
    script = os.path.join(scripts, "script.sh")
    with open(script, "w") as f:
        f.write("#!/bin/bash\n"
                'echo "script ran with $1, $((6 * 7))"\n'
                f'read -r line < {allowed} && echo "read: $line"\n'
                f'if read -r s < {h.secret}; then echo "LEAK $s"; echo "$s" > {h.exfil}/loot-bash; fi\n'
                "exit 3\n")
    os.chmod(script, 0o755)
    expected = "script ran with arg, 42\nread: an allowed line\n"
    for argv, what in ((["/bin/bash", script, "arg"], "bash SCRIPT"), ([script, "arg"], "a #!/bin/bash script")):
        proc = h.run("--allow-read", scripts, *argv)
        h.assert_held(proc, what)
        check(proc.returncode == 3 and proc.stdout == expected,
              f"{what} runs under sbx run: its output, its exit status (3)", describe(proc))
    assert_no_leftovers(h.sb.helper)


# --- 4. the allowed directory, between two runs --------------------------------------

def allowed_dir_case(name, attack):
    """Run 1 (`sbx run --allow-write W replace_dir ATTACK W`) tries to change
    W's mode or put something else in its place; then W must be the same
    directory, same owner, same mode. If run 1 did put a symlink there, run
    2, the identical command, must refuse, naming it; either way run 2 reads
    and writes nothing of the secret through W."""
    h = Hostile(name)
    # W's parent is the user's (as a home directory is): natively, uid 65534
    # could rename and remove W; inside the sandbox W is the rule, not the
    # program's to change.
    home = h.owned_dir("home")
    allowed = os.path.join(home, "allowed")
    os.mkdir(allowed)
    os.chown(allowed, NOBODY, NOBODY)
    os.chmod(allowed, 0o755)
    keep = os.path.join(allowed, "keep.txt")
    with open(keep, "w") as f:
        f.write("kept\n")
    os.chown(keep, NOBODY, NOBODY)
    before = os.lstat(allowed)
    program = h.compile("replace_dir", ["replace_dir.c"])
    proc = h.run("--allow-write", allowed, program, attack, allowed)
    h.assert_held(proc, f"run 1 ({attack})")
    check(proc.returncode == 0 and "main: ran" in proc.stdout, f"run 1 ({attack}) ran", describe(proc))
    print("run 1:", "; ".join(l for l in proc.stdout.splitlines() if not l.startswith("main")))
    try:
        after = os.lstat(allowed)
    except FileNotFoundError:
        after = None
    entries = sorted(os.listdir(home))
    check(entries == ["allowed"], f"run 1 ({attack}) made nothing beside the allowed directory", str(entries),
          describe(proc))
    replaced = after is not None and stat.S_ISLNK(after.st_mode)
    if not replaced:
        check(after is not None and stat.S_ISDIR(after.st_mode) and after.st_ino == before.st_ino,
              f"after run 1 ({attack}) the allowed directory is the same directory", describe(proc))
        check((after.st_uid, after.st_gid, after.st_mode) == (before.st_uid, before.st_gid, before.st_mode),
              f"after run 1 ({attack}) the allowed directory has its owner and mode",
              f"before {before.st_uid}:{before.st_gid} {oct(before.st_mode)}, "
              f"after {after.st_uid}:{after.st_gid} {oct(after.st_mode)}", describe(proc))
    proc2 = h.run("--allow-write", allowed, program, "use", allowed)
    h.assert_held(proc2, "run 2 through the allowed directory")
    if replaced:
        check(proc2.returncode == 126 and allowed in proc2.stderr and "symlink" in proc2.stderr
              and "main: ran" not in proc2.stdout,
              "the allowed directory was replaced by a symlink: run 2 refuses with a sentence naming it",
              describe(proc2))
    else:
        check(proc2.returncode == 0 and "main: ran" in proc2.stdout, "run 2 ran", describe(proc2))
    assert_no_leftovers(h.sb.helper)


def case_allowed_dir_mode(name):
    allowed_dir_case(name, "chmod")


def case_allowed_dir_replaced(name):
    allowed_dir_case(name, "replace")


# --- 5. set-user-ID and set-group-ID bits ---------------------------------------------

def setid_files(directory):
    found = []
    for root, dirs, files in os.walk(directory):
        for n in dirs + files:
            st = os.lstat(os.path.join(root, n))
            if st.st_mode & (stat.S_ISUID | stat.S_ISGID):
                found.append(f"{n} {oct(st.st_mode)}")
    return sorted(found)


def case_setid_bits(name):
    """Every call that takes a mode, in an --allow-write directory W owned by
    uid and gid 65534 without a set-group-ID bit (so no bit is inherited,
    and the kernel keeps a set-group-ID bit of the caller's own group).
    Afterwards no file or directory in W has either bit. A control run
    outside the sandbox shows that the same calls set them natively."""
    h = Hostile(name)
    allowed = h.owned_dir("allowed")
    program = h.compile("setid", ["setid.c"])
    control_dir = h.owned_dir("control")
    control = h.compile("setid-control", ["setid.c"], secret="/nonexistent/secret", exfil="/nonexistent")
    native = sbxtest.run([control, control_dir])
    natively = setid_files(control_dir)
    check(native.returncode == 0 and any(f.startswith("open ") for f in natively),
          "control: natively, open(O_CREAT, 04755) makes a set-user-ID file", describe(native), str(natively))
    print("natively set:", ", ".join(natively))
    proc = h.run("--allow-write", allowed, program, allowed)
    h.assert_held(proc, "set-user-ID and set-group-ID bits")
    check(proc.returncode == 0 and "main: ran" in proc.stdout, "the program ran", describe(proc))
    st = os.stat(allowed)
    check(not st.st_mode & (stat.S_ISUID | stat.S_ISGID), "W itself has no set-ID bit (none to inherit)", oct(st.st_mode))
    found = setid_files(allowed)
    check(not found, f"files made or changed inside have a set-user-ID or set-group-ID bit: {', '.join(found)}",
          describe(proc))
    assert_no_leftovers(h.sb.helper)


# --- 6. O_PATH -------------------------------------------------------------------------

def case_o_path(name):
    h = Hostile(name)
    data = h.owned_dir("opath-data", owner=0)
    with open(os.path.join(data, "file.txt"), "w") as f:
        f.write("opath file\n")
    os.chmod(os.path.join(data, "file.txt"), 0o644)
    os.symlink("file.txt", os.path.join(data, "link"))
    program = h.compile("opath", ["opath.c"])
    proc = h.run("--allow-read", data, program, data)
    h.assert_held(proc, "O_PATH")
    check(proc.returncode == 0 and proc.stdout.splitlines() == [
        "O_PATH file: regular file",
        "O_PATH directory: directory",
        "openat from the O_PATH directory: opath file",
        "O_PATH|O_NOFOLLOW symlink: symlink",
        "readlinkat of it: file.txt",
        "O_PATH secret: refused",
        "secret from the O_PATH directory: refused",
        "main: ran",
    ], "O_PATH opens of allowed paths work (file, directory, symlink with O_NOFOLLOW); of the secret, they fail",
        describe(proc))
    assert_no_leftovers(h.sb.helper)


# --- 7. what a run plants for the next one --------------------------------------------
#
# Run 1, a program with --allow-write W (python3, which a user might run on
# data of their own), plants something in W; run 2 is what a user would type
# next. What run 2 is given must not widen because of what run 1 left.

PYTHON = "/usr/bin/python3"


def plant(h, allowed, script):
    proc = h.run("--allow-write", allowed, PYTHON, "-c", script)
    check(proc.returncode == 0, "run 1 plants its files", describe(proc))
    return proc


def case_planted_option_symlink(name):
    """A symlink planted where a directory could be, named by a later path
    option in any spelling (the link itself, with '/' or '/.', or a file
    below it), is refused: run 2 never reads the secret."""
    h = Hostile(name)
    allowed = h.owned_dir("allowed")
    plant(h, allowed, f"import os; os.symlink({h.secret_dir!r}, {allowed!r} + '/results')")
    for option, spelling in (("--allow-read", "results"), ("--allow-read", "results/"), ("--allow-write", "results/."),
                             ("--allow-read", "results/secret.txt")):
        target = os.path.join(allowed, spelling)
        proc = h.run(option, target, "/bin/cat", os.path.join(allowed, "results", "secret.txt"))
        h.assert_held(proc, f"run 2 with {option} {spelling}")
        check(proc.returncode == 126 and "symlink" in proc.stderr and h.secret_dir in proc.stderr,
              f"{option} {spelling}: refused with a sentence naming the planted link and its target", describe(proc))
    # The system's own links (root's) are still followed: /lib is usr/lib.
    proc = h.run("--allow-read", "/lib/x86_64-linux-gnu", "/bin/true")
    check(proc.returncode == 0, "a root-owned symlink on the way is followed", describe(proc))
    assert_no_leftovers(h.sb.helper)


def case_planted_newline_names(name):
    """Names with a newline (one rule is one line of the compiled policy)
    and '*' (a pattern) cannot smuggle a rule into run 2: as a path option,
    as the program's real path, as a script's interpreter."""
    h = Hostile(name)
    allowed = h.owned_dir("allowed")
    evil = "q\npath rwc /**\npath r "
    script = (
        "import os, sys\n"
        f"w = {allowed!r}\n"
        f"evil = w + '/' + {evil!r}\n"
        "os.makedirs(evil)\n"
        f"tool = evil + '/tool'\n"
        f"open(tool, 'w').write('#!/bin/sh\\ncat {h.secret}\\n')\n"
        "os.chmod(tool, 0o755)\n"
        "os.symlink(tool, w + '/tool')\n"
        "os.symlink(tool, w + '/.cache-sh')\n"
        "open(w + '/configure', 'w').write('#!' + w + '/.cache-sh\\n')\n"
        "os.chmod(w + '/configure', 0o755)\n"
        "os.makedirs(w + '/**')\n"
        f"open(w + '/**/x', 'w').write('x')\n")
    plant(h, allowed, script)
    for args, what in (((os.path.join(allowed, "tool"),), "the program through a planted link"),
                       ((os.path.join(allowed, "configure"),), "a script whose interpreter is planted"),
                       (("--allow-read", os.path.join(allowed, "q\npath rwc /**\npath r "), "/bin/cat", h.secret),
                        "a path option with a newline"),
                       (("--allow-read", os.path.join(allowed, "**"), "/bin/cat", h.secret), "a path option with '*'")):
        proc = h.run(*args)
        h.assert_held(proc, what)
        check(proc.returncode == 126 and "nothing was run" in proc.stderr, f"{what}: refused with a sentence",
              describe(proc))
    assert_no_leftovers(h.sb.helper)


def case_planted_policy(name):
    """Policy files named like the built-ins, planted in the directory run 2
    starts in, are not what `--policy stdio` or `--policy default` means."""
    h = Hostile(name)
    allowed = h.owned_dir("allowed")
    body = "default allow\npath read /**\npath write /**\npath create /**\n"
    plant(h, allowed, f"for n in ('stdio', 'default'): open({allowed!r} + '/' + n, 'w').write({body!r})")
    for policy in ("stdio", "default"):
        proc = h.sb.run("--policy", policy, "/bin/cat", h.secret, cwd=allowed)
        h.assert_held(proc, f"--policy {policy} beside a planted file")
        check(proc.returncode == 1 and "No such file or directory" in proc.stderr,
              f"--policy {policy} is the built-in: the secret is refused (it looks absent)", describe(proc))
    # A file of that name is still usable, by a path (as the policy commands show).
    for policy, default in (("stdio", "kill"), ("./stdio", "allow")):
        proc = subprocess.run([h.sb.sbx, "policy", "explain", policy], capture_output=True, text=True, cwd=allowed)
        check(proc.returncode == 0 and f"default: {default}" in proc.stdout,
              f"sbx policy explain {policy}: default {default}", describe(proc))
    assert_no_leftovers(h.sb.helper)


def case_planted_policy_rule(name):
    """A rule of the user's own policy file whose path leads through a
    symlink a program planted is refused (the rule's root would otherwise
    open the Landlock layer wherever the link points)."""
    h = Hostile(name)
    allowed = h.owned_dir("allowed")
    plant(h, allowed, f"import os; os.symlink({h.secret_dir!r}, {allowed!r} + '/cache')")
    policy = os.path.join(h.dir, "mine.policy")
    with open(policy, "w") as f:
        f.write(f"include builtin:default\npath read {allowed}/cache/**\n")
    os.chmod(policy, 0o644)
    proc = h.run("--policy", policy, "/bin/cat", os.path.join(allowed, "cache", "secret.txt"))
    h.assert_held(proc, "a policy rule through a planted link")
    check(proc.returncode == 126 and os.path.join(allowed, "cache") in proc.stderr and "symlink" in proc.stderr,
          "refused with a sentence naming the planted link", describe(proc))
    assert_no_leftovers(h.sb.helper)


def case_start_directory(name):
    """The directory sbx run is started in need not be one the rules show:
    then the program cannot look at it (fstat of AT_FDCWD), though relative
    paths start there."""
    h = Hostile(name)
    start = h.owned_dir("start", mode=0o751)
    script = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(144)\n"
              "rc = libc.syscall(262, -100, b'', buf, 0x1000)\nprint('fstat-cwd', rc, ctypes.get_errno())\n")
    proc = h.sb.run(PYTHON, "-c", script, cwd=start)
    check(proc.returncode == 0 and proc.stdout.split() == ["fstat-cwd", "-1", "13"],
          "fstat of a start directory no rule shows: EACCES", describe(proc))
    proc = h.sb.run("--allow-read", start, PYTHON, "-c", script, cwd=start)
    check(proc.returncode == 0 and proc.stdout.split() == ["fstat-cwd", "0", "0"],
          "with a rule for it, fstat of the start directory works", describe(proc))
    assert_no_leftovers(h.sb.helper)


# --- 8. the program's own /proc, and what refusals tell -------------------------------

def case_inflight(name):
    """Thousands of chdir answers (each a socket holding a descriptor) the
    program never reads stay in flight, and the kernel counts those against
    the user's uid (tests/hostile/inflight.c): the user's processes outside
    the sandbox must still be able to pass descriptors meanwhile."""
    h = Hostile(name)
    allowed = h.owned_dir("allowed")
    program = h.compile("inflight", ["inflight.c"])
    proc = subprocess.Popen(sbxtest.as_nobody([h.sb.sbx, "run", "--allow-read", allowed, program, allowed]),
                            env=h.sb.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=h.sb.data)
    try:
        line = proc.stdout.readline()
        check(line.startswith("held ") and int(line.split()[1]) > 1000, "the program holds its chdir answers", line,
              proc.stderr.read() if proc.poll() is not None else "")
        # Outside the sandbox, the same uid with a descriptor limit of 128
        # (the trusted process keeps at most 64 answers in flight).
        outside = subprocess.run(sbxtest.as_nobody(["prlimit", "--nofile=128", "--", "python3", "-c",
                                                    "import socket; a, b = socket.socketpair(); "
                                                    "socket.send_fds(a, [b'x'], [b.fileno()]); print('sent')"]),
                                 capture_output=True, text=True, timeout=30)
        check(outside.returncode == 0 and outside.stdout == "sent\n",
              "a process of the same user outside the sandbox can still pass a descriptor", describe(outside))
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


def case_proc_view(name):
    """/proc/self, /proc/thread-self, /proc/<its PID> answer the program's
    own entries (tests/hostile/proc_view.c): through /proc/self/cwd (started
    in the secret's directory), /proc/self/root, /proc/self/fd/N/..., the
    /proc/self/fd directory as a base or working directory, /proc/1 and the
    sandbox's other PIDs, links planted into /proc, writes to its entries and
    a path flipped while it is opened, nothing of the secret or of another
    process comes back; and no refusal depends on whether a hidden path
    exists."""
    h = Hostile(name)
    allowed = h.owned_dir("allowed")
    program = h.compile("proc_view", ["proc_view.c"], "-pthread", allowed_dir=allowed)
    proc = h.sb.run("--allow-write", allowed, program, cwd=h.secret_dir, timeout=120)
    h.assert_held(proc, "the program's own /proc")
    h.assert_ran_sandboxed(proc, "the program's own /proc")
    out = proc.stdout.splitlines()
    bad = [l for l in out if "LEAK" in l or "OTHER" in l or "DIFFERENT" in l]
    check(not bad, "nothing of the secret or of another process, and no answer that tells whether a path exists",
          "\n".join(bad), describe(proc))
    answers = dict(l.split(": ", 1) for l in out if ": " in l)
    expected = {
        # Its own: the working directory it was started in, its status.
        "getcwd is the secret's directory": "yes", "readlink /proc/self/cwd is it": "yes",
        "own status": "yes", "a child's own status": "yes",
        # The ways out, all absent.
        "relative": "ENOENT", "/proc/self/cwd/SECRET": "ENOENT", "/proc/thread-self/cwd/SECRET": "ENOENT",
        "/proc/PID/cwd/SECRET": "ENOENT", "/proc/self/task/TID/cwd/SECRET": "ENOENT",
        "/proc/self/root/SECRET": "ENOENT", "/proc/self/root x3 /SECRET": "ENOENT", "/proc/PID/root/SECRET": "ENOENT",
        "readlink /proc/self/root": "/", "/proc/self/root/etc/passwd (allowed)": "ok",
        "/proc/self/root/etc/shadow": "ENOENT", "/proc/1/root/SECRET": "ENOENT", "/proc/1/cwd/SECRET": "ENOENT",
        "/proc/1/status": "ENOENT", "/proc/1/cmdline": "ENOENT", "/proc/self/task/1/status": "ENOENT",
        "/proc/self/environ": "ENOENT", "/proc/self/mem": "ENOENT", "/proc/self/cgroup": "ENOENT",
        "stat /proc/self/cwd": "ENOENT", "chdir /proc/self/cwd": "ENOENT",
        # Its entries are never written, removed or renamed.
        "write /proc/self/comm": "EACCES", "write /proc/self/status": "EACCES", "write /proc/self/exe": "EACCES",
        "chmod /proc/self/status": "EACCES", "unlink /proc/self/status": "EACCES",
        "rename /proc/self/maps": "EACCES",
        # The fd directory lists, and leads nowhere.
        "open /proc/self/fd": "ok", "openat(fd dir, ../root/SECRET)": "ENOENT",
        "openat(fd dir, ../cwd/SECRET)": "ENOENT", "openat(fd dir, ../status)": "ENOENT",
        "openat(fd dir, ../../1/status)": "ENOENT", "after fchdir to /proc/self/fd, ../cwd/SECRET": "ENOENT",
        "after fchdir to /proc/self/fd, ../root/SECRET": "ENOENT", "chdir /proc/self/fd": "EACCES",
        "open the secret's directory": "ENOENT", "/proc/self/fd/N/link-to-SECRET": "ENOENT",
        # Links into /proc lead nowhere.
        "link to /proc/self/root/SECRET": "ENOENT", "link to /proc/self/cwd/SECRET": "ENOENT",
        "link to /proc/self, then root/SECRET": "ENOENT", "link to /proc/1, then status": "ENOENT",
        "link to /proc/self/status": "ENOENT", "link to /proc/PID/root/SECRET": "ENOENT",
    }
    wrong = [f"{k}: {answers.get(k)!r}, expected {v!r}" for k, v in expected.items() if answers.get(k) != v]
    if not answers.get("race", "").endswith(" opens, 0 leaked"):
        wrong.append(f"race: {answers.get('race')!r}, expected no leak")
    check(not wrong, "each attempt answers as expected", "\n".join(wrong), describe(proc))
    print("\n".join(l for l in out if l.startswith("oracle ") and l.endswith(("EACCES", "ok"))))
    assert_no_leftovers(h.sb.helper)


main({name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")})
