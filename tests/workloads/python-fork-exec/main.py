"""The system calls under subprocess, called directly."""
import os
import signal
import sys

sys.stdout.reconfigure(line_buffering=True)
print("== fork and wait")
pid = os.fork()
if pid == 0:
    os._exit(17)
_, status = os.waitpid(pid, 0)
print("child exit status:", os.waitstatus_to_exitcode(status))

print("== fork, pipe, dup2, exec")
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.dup2(w, 1)
    os.execvp("sh", ["sh", "-c", "echo exec from a forked child; echo second line"])
os.close(w)
with os.fdopen(r) as f:
    print("read from the pipe:", f.read().splitlines())
print("exec'd child:", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))

print("== a child killed by a signal")
pid = os.fork()
if pid == 0:
    signal.pause()
    os._exit(0)
os.kill(pid, signal.SIGKILL)
print("killed child:", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))

print("== posix_spawn and os.system")
pid = os.posix_spawnp("sh", ["sh", "-c", "exit 4"], os.environ)
print("posix_spawn child:", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
print("os.system:", os.waitstatus_to_exitcode(os.system("echo from os.system > system.txt; exit 2")))
print(open("system.txt").read().strip())

print("== grandchildren")
pid = os.fork()
if pid == 0:
    kids = [os.fork() for _ in range(1)]
    if kids[0] == 0:
        with open("grandchild.txt", "w") as f:
            f.write(f"grandchild's parent is not the top: {os.getppid() != 1}\n")
        os._exit(0)
    os.waitpid(kids[0], 0)
    os._exit(0)
os.waitpid(pid, 0)
print(open("grandchild.txt").read().strip())
print("no children left:", end=" ")
try:
    os.wait()
except ChildProcessError:
    print("ChildProcessError")
