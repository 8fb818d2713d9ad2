"""Integration tests of process trees under `sbx run` with the default
policy: shells, scripts and programs that start other programs, run as uid
65534 against a setuid copy of the helper (the run suite's Sandbox,
tests/integration/sbxtest.py).

Every process of the tree is under the same filter, chroot and trusted
process: a grandchild started through a shell reads nothing outside the
rules, reaches no network, signals nothing outside the sandbox and keeps
no set-user-ID privilege; nothing of the tree outlives sbx run, whose exit
status is the first program's.

usage: tree_cases.py CASE
"""
import os
import shutil
import signal
import socket
import subprocess
import time

import sbxtest
from sbxtest import NOBODY, check, describe, main, processes_with_arg, skip

SH, BASH, PYTHON = "/bin/sh", "/bin/bash", "/usr/bin/python3"


Sandbox = sbxtest.Sandbox


def work_dir(sb):
    return sb.directory(os.path.join(sb.data, "work"), owner=NOBODY)


def case_tree_shell(name):
    """A shell script with pipelines, command substitution, subshells that
    change directory, a here-document, a background job and wait, a script
    file run by path, and grep writing to /dev/null (GNU grep 3.8 then drains
    its input with splice): the same output as natively, and its exit
    status is sbx run's."""
    sb = Sandbox(name)
    work = work_dir(sb)
    os.makedirs(os.path.join(work, "sub"))
    os.chown(os.path.join(work, "sub"), NOBODY, NOBODY)
    script = os.path.join(work, "script.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\necho \"script $0 $1\"\n")
    os.chmod(script, 0o755)
    text = r"""
set -e
printf 'b\na\nc\n' | sort | tr a-z A-Z | head -2
n=$(ls /usr/bin | wc -l); [ "$n" -gt 10 ] && echo many
(cd sub && pwd) ; pwd
cat <<EOF
here $((6 * 7))
EOF
( sleep 0.2; echo background ) &
wait
./script.sh one
for i in 1 2 3; do echo "loop $i"; done | tail -1
printf 'a\nx\n' | grep x > /dev/null && echo grep-to-null
exit 7
"""
    native = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SH, "-c", text],
                            cwd=work, capture_output=True, text=True, timeout=30)
    proc = sb.run("--allow-write", work, SH, "-c", text, cwd=work)
    check(native.returncode == 7, "the script ends with 7 natively", describe(native))
    check(proc.returncode == 7 and proc.stdout == native.stdout,
          "the script's output and status are the same as natively", "native:\n" + native.stdout, describe(proc))


def case_tree_exec_forms(name):
    """What a program can execute: a #! script with an interpreter
    argument, a script without #! (the shell runs it), a statically linked
    program, argv[0] as given, fexecve of a descriptor the trusted process
    gave, PATH search; a file without an execute bit is refused; a child
    started with an empty environment still runs programs (the shim comes
    from the loader's command line, not the environment) and sees nothing
    of sbx's in its environment."""
    sb = Sandbox(name)
    work = work_dir(sb)
    cc = shutil.which("cc")
    if cc is None:
        skip("no C compiler (cc)")
    static = os.path.join(work, "static")
    src = os.path.join(work, "static.c")
    with open(src, "w") as f:
        f.write('#include <stdio.h>\nint main(int c, char** v) { printf("static %s %d\\n", v[0], c); return 0; }\n')
    built = subprocess.run([cc, "-static", "-o", static, src], capture_output=True, text=True)
    check(built.returncode == 0, "building a static program", built.stderr)
    files = {
        "withopt": ("#!/usr/bin/env -S python3 -I\nimport sys; print('withopt', sys.argv[1:], sys.flags.isolated)\n", 0o755),
        "bare": ("echo bare \"$1\"\n", 0o755),
        "noexec": ("#!/bin/sh\necho never\n", 0o644),
        "bin/onpath": ("#!/bin/sh\necho onpath\n", 0o755),
    }
    os.makedirs(os.path.join(work, "bin"))
    for rel, (text, mode) in files.items():
        path = os.path.join(work, rel)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
    for root, dirs, names in os.walk(work):
        for n in dirs + names:
            os.chown(os.path.join(root, n), NOBODY, NOBODY)
    text = r"""
./withopt a b
./bare x
./static one two
(exec -a renamed ./static) 
PATH=$PWD/bin:$PATH onpath
./noexec 2>/dev/null || echo "noexec refused $?"
python3 -c 'import os; fd = os.open("./static", os.O_RDONLY); os.execve(fd, ["fromfd"], {})'
env -i /bin/sh -c '/bin/ls -d /usr; /usr/bin/env'
"""
    proc = sb.run("--allow-write", work, BASH, "-c", text, cwd=work)
    expected = ("withopt ['a', 'b'] 1\nbare x\nstatic ./static 3\nstatic renamed 1\nonpath\n"
                "noexec refused 126\nstatic fromfd 1\n/usr\nPWD=" + work + "\n")
    check(proc.returncode == 0 and proc.stdout == expected, "every form of exec runs as natively",
          "expected:\n" + expected, describe(proc))


def case_tree_cwd_umask(name):
    """Each process has its own working directory and umask: a child's cd
    and umask change nothing of its parent's."""
    sb = Sandbox(name)
    work = work_dir(sb)
    text = r"""
mkdir sub
( cd sub && umask 077 && touch inner && pwd )
touch outer
pwd
sh -c 'cd sub; pwd'; pwd
"""
    proc = sb.run("--allow-write", work, SH, "-c", text, cwd=work, umask=0o022)
    check(proc.returncode == 0 and proc.stdout == f"{work}/sub\n{work}\n{work}/sub\n{work}\n",
          "each process keeps its own working directory", describe(proc))
    inner = os.stat(os.path.join(work, "sub", "inner")).st_mode & 0o777
    outer = os.stat(os.path.join(work, "outer")).st_mode & 0o777
    check(inner == 0o600 and outer == 0o644, "each process's umask applies to its own files",
          f"inner {oct(inner)}, outer {oct(outer)}")


def case_tree_confined(name):
    """A grandchild started through two shells is as confined as the first
    program: it cannot read a file outside the rules, connect to a port on
    the host's loopback, signal a process outside the sandbox, or gain a
    set-user-ID program's privileges."""
    sb = Sandbox(name)
    work = work_dir(sb)
    secret = sb.file("secret", "the secret\n")
    setuid_ids = os.path.join(work, "ids")
    shutil.copy(os.environ["SBX_SHOW_IDS"], setuid_ids)
    os.chown(setuid_ids, 0, 0)
    os.chmod(setuid_ids, 0o4755)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    marker = f"{time.time_ns() % 1000000}.5"
    outside = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", marker])
    try:
        grandchild = os.path.join(work, "grandchild.sh")
        with open(grandchild, "w") as f:
            f.write(f"cat {secret} 2>/dev/null && echo READ-SECRET\n"
                    f"python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 2)' 2>/dev/null "
                    f"&& echo CONNECTED\n"
                    f"kill -TERM {outside.pid} 2>/dev/null && echo SIGNALLED\n"
                    f"{setuid_ids}\necho grandchild done\n")
        os.chmod(grandchild, 0o755)
        proc = sb.run("--allow-write", work, SH, "-c", f"sh -c {grandchild}", cwd=work)
        try:
            conn, _ = listener.accept()
            conn.close()
            connected = True
        except BlockingIOError:
            connected = False
        check(proc.returncode == 0 and "grandchild done" in proc.stdout, "the grandchild ran", describe(proc))
        for word in ("READ-SECRET", "CONNECTED", "SIGNALLED", "the secret"):
            check(word not in proc.stdout, f"the grandchild could not: {word}", describe(proc))
        check(not connected, "nothing reached the host's loopback listener")
        check(outside.poll() is None, "the process outside the sandbox was not signalled")
        check("euid=65534" in proc.stdout and "euid=0" not in proc.stdout,
              "the set-user-ID program ran with the caller's ids", describe(proc))
    finally:
        outside.kill()
        outside.wait()
        listener.close()


def case_tree_ends(name):
    """When the first program ends, every process it left behind ends with
    it (a background job, a daemon in its own session), and sbx run's
    status is the program's: 128+N for a signal."""
    sb = Sandbox(name)
    work = work_dir(sb)
    marker = f"{time.time_ns() % 1000000}.25"
    proc = sb.run("--allow-write", work, SH, "-c",
                  f"sleep {marker} & setsid sleep {marker} & echo started", cwd=work)
    check(proc.returncode == 0 and proc.stdout == "started\n", "the program ran", describe(proc))
    deadline = time.monotonic() + 3
    while processes_with_arg(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    check(not processes_with_arg(marker), "nothing the program started outlives it", processes_with_arg(marker))
    proc = sb.run("--allow-write", work, SH, "-c", "kill -SEGV $$", cwd=work)
    check(proc.returncode == 128 + signal.SIGSEGV, "a program killed by SIGSEGV gives 139", describe(proc))


def case_tree_signals(name):
    """A signal sent to sbx run reaches the program, which may handle it:
    SIGTERM to sbx run runs the program's own handler."""
    sb = Sandbox(name)
    work = work_dir(sb)
    # The handler writes with os.write: the signal may land while print()
    # still holds stdout's buffer after 'ready' reached the pipe (Python
    # then raises "reentrant call" natively too).
    code = ("import os, signal, time\n"
            "signal.signal(signal.SIGTERM, lambda *a: (os.write(1, b'handled\\n'), os._exit(3)))\n"
            "os.write(1, b'ready\\n')\ntime.sleep(30)\n")
    p = subprocess.Popen(sbxtest.as_nobody([sb.sbx, "run", "--allow-write", work, PYTHON, "-c", code]), env=sb.env(),
                         cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    check(line == "ready\n", "the program started", line, p.stderr.read() if line == "" else "")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=10)
    check(p.returncode == 3 and out == "handled\n", "the program's SIGTERM handler ran", p.returncode, out, err)


def case_tree_private_shm(name):
    """/dev/shm is the sandbox's own: POSIX semaphores and shared memory work
    among its processes (multiprocessing), a file in the host's /dev/shm is
    not seen inside, and nothing made inside appears on the host."""
    sb = Sandbox(name)
    work = work_dir(sb)
    host_file = f"/dev/shm/sbx-test-{os.getpid()}"
    with open(host_file, "w") as f:
        f.write("host\n")
    os.chown(host_file, NOBODY, NOBODY)
    inside = f"sbx-inside-{os.getpid()}"
    code = ("import multiprocessing as mp, os\n"
            "def sq(x): return x * x\n"
            "if __name__ == '__main__':\n"
            "    with mp.Pool(2) as p: print(p.map(sq, range(5)))\n"
            f"    print('host file seen:', os.path.exists({host_file!r}))\n"
            f"    fd = os.open('/dev/shm/{inside}', os.O_CREAT | os.O_RDWR, 0o600); os.write(fd, b'x')\n"
            f"    print('own file:', os.read(os.open('/dev/shm/{inside}', os.O_RDONLY), 1))\n"
            f"    try: os.execve(os.open('/dev/shm/{inside}', os.O_RDONLY), ['x'], {{}})\n"
            f"    except OSError as e: print('exec of it:', e.strerror)\n")
    try:
        proc = sb.run("--allow-write", work, PYTHON, "-c", code, cwd=work)
        check(proc.returncode == 0 and proc.stdout == "[0, 1, 4, 9, 16]\nhost file seen: False\nown file: b'x'\nexec of it: Permission denied\n",
              "multiprocessing works on the sandbox's own /dev/shm", describe(proc))
        check(not os.path.exists(f"/dev/shm/{inside}"), "nothing made inside appears in the host's /dev/shm")
    finally:
        os.unlink(host_file)


def case_tree_held_pipes(name):
    """A pipe the program holds may be opened again through /dev/stdout,
    /dev/fd/N, ... for what it holds it for, as natively (bash's <(...)),
    never the other way: reopening the write end of its stdout for reading
    would take what is meant for the pipe's reader (an attacker review
    found it). The pipe is uid 65534's, made by the shell that starts sbx
    run, so that the kernel itself would let the program open it."""
    sb = Sandbox(name)
    work = work_dir(sb)
    code = ("import os\n"
            "try:\n    os.open('/dev/stdout', os.O_RDONLY | os.O_NONBLOCK); print('REOPENED-FOR-READING', flush=True)\n"
            "except OSError as e: print('read end refused:', e.strerror, flush=True)\n"
            "fd = os.open('/dev/fd/1', os.O_WRONLY); os.write(fd, b'written through a reopened stdout\\n')\n")
    script = (f"echo host line | {{ env SBX_HELPER={sb.helper} {sb.sbx} run --allow-write {work} {PYTHON} -c \"$1\"; }} | cat")
    env = sb.env()
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SH, "-c", script, "sh", code],
                          env=env, cwd=work, capture_output=True, text=True, timeout=60)
    check(proc.returncode == 0 and proc.stdout == "read end refused: Permission denied\nwritten through a reopened stdout\n",
          "the write end is reopened for writing only", describe(proc))


if __name__ == "__main__":
    main({name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")})
