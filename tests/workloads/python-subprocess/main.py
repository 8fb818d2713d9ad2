"""subprocess: the ways a Python program starts others."""
import os
import subprocess
import sys

print("== run and check_output")
print(subprocess.run(["echo", "hello", "from", "echo"], capture_output=True, text=True).stdout.strip())
print(subprocess.check_output(["sh", "-c", "echo $((6 * 7))"], text=True).strip())
print("return code of false:", subprocess.run(["false"]).returncode)
try:
    subprocess.check_call(["sh", "-c", "exit 3"])
except subprocess.CalledProcessError as e:
    print("CalledProcessError, code", e.returncode)

print("== input, environment, working directory")
out = subprocess.run(["sort", "-r"], input="b\nc\na\n", capture_output=True, text=True).stdout
print(out.split())
env = dict(os.environ, GREETING="set by the parent")
print(subprocess.run(["sh", "-c", 'echo "$GREETING"'], env=env, capture_output=True, text=True).stdout.strip())
os.makedirs("sub", exist_ok=True)
print(subprocess.run(["pwd"], cwd="sub", capture_output=True, text=True).stdout.strip() == os.path.abspath("sub"))

print("== a pipeline of Popens")
p1 = subprocess.Popen(["seq", "1", "100"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["grep", "7"], stdin=p1.stdout, stdout=subprocess.PIPE)
p3 = subprocess.Popen(["wc", "-l"], stdin=p2.stdout, stdout=subprocess.PIPE, text=True)
p1.stdout.close()
p2.stdout.close()
print("numbers with a 7:", p3.communicate()[0].strip(), [p.wait() for p in (p1, p2)])

print("== shell=True, stderr, communicate")
r = subprocess.run("echo out; echo err >&2; exit 5", shell=True, capture_output=True, text=True)
print(repr(r.stdout), repr(r.stderr), r.returncode)
p = subprocess.Popen([sys.executable, "-c", "import sys; print(sum(map(int, sys.stdin)))"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
print("child python summed:", p.communicate("\n".join(map(str, range(101))))[0].strip())

print("== timeout")
try:
    subprocess.run(["sleep", "10"], timeout=0.3)
except subprocess.TimeoutExpired:
    print("TimeoutExpired")

print("== output to a file")
with open("listing.txt", "w") as f:
    subprocess.run(["ls", "-1", "sub", "."], stdout=f, check=True)
print(open("listing.txt").read().split())
print("missing program:", end=" ")
try:
    subprocess.run(["no-such-program-here"])
except FileNotFoundError as e:
    print("FileNotFoundError", e.errno)
