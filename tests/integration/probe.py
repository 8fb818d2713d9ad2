"""Runs inside the sandbox as the target and prints, as one JSON line, what a
program observes there: its pid, environment, credentials, network devices,
descriptors, and the filesystem before and after the chroot handshake.

usage: probe.py [none | chroot | byte B | close | twice]
Everything is imported up front: after the chroot no module can be loaded.
"""
import json
import os
import stat
import sys


def attempt(fn):
    try:
        return {"ok": fn()}
    except OSError as e:
        return {"error": e.errno}


def main():
    out = {"pid": os.getpid(), "env": dict(os.environ)}
    with open("/proc/self/status") as f:
        out["status"] = {k: v.strip() for k, v in (l.split(":", 1) for l in f.read().splitlines())}
    with open("/proc/net/dev") as f:
        out["net"] = [l.split(":")[0].strip() for l in f.read().splitlines()[2:]]
    out["fds"] = sorted(int(x) for x in os.listdir("/proc/self/fd"))
    out["root_before"] = sorted(os.listdir("/"))
    sock = int(os.environ["SBX_D"])
    helper = int(os.environ["SBX_HELPER_PID"])
    out["sbx_d_is_socket"] = stat.S_ISSOCK(os.fstat(sock).st_mode)
    mode = sys.argv[1] if len(sys.argv) > 1 else "none"
    if mode == "none":
        print(json.dumps(out))
        return
    if mode == "chroot":
        os.write(sock, b"C")
    elif mode == "byte":
        os.write(sock, sys.argv[2].encode())
    elif mode == "twice":
        os.write(sock, b"CC")
    elif mode == "close":
        os.close(sock)
    # Chromium's order: reap the helper, then read its answer.
    _, status = os.waitpid(helper, 0)
    out["helper_exit"] = os.waitstatus_to_exitcode(status)
    if mode != "close":
        out["reply"] = attempt(lambda: os.read(sock, 1).decode())
    out["root_after"] = attempt(lambda: sorted(os.listdir("/")))
    out["cwd_after"] = attempt(os.getcwd)
    out["proc_self_exe_after"] = attempt(lambda: os.close(os.open("/proc/self/exe", os.O_RDONLY)))
    out["dotdot_after"] = attempt(lambda: sorted(os.listdir("../../..")))
    out["mkdir_after"] = attempt(lambda: os.mkdir("/x"))
    print(json.dumps(out))


main()
