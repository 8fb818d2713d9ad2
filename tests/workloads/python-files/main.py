"""Everyday file handling, all below W (TMPDIR is W/tmp)."""
import os
import pathlib
import shutil
import stat
import tempfile

root = pathlib.Path("tree")
for i, sub in enumerate(["a", "a/b", "c"]):
    (root / sub).mkdir(parents=True, exist_ok=True)
    (root / sub / f"file{i}.txt").write_text(f"content {i}\n" * (i + 1))
(root / "c" / "link-to-a").symlink_to("../a")
(root / "a" / "exe.sh").write_text("#!/bin/sh\necho hi\n")
os.chmod(root / "a" / "exe.sh", 0o750)

print("== os.walk")
for d, dirs, files in sorted(os.walk("tree")):
    dirs.sort()
    print(d, sorted(files))
print("== pathlib")
print(sorted(str(p) for p in root.rglob("*.txt")))
print(stat.filemode((root / "a" / "exe.sh").stat().st_mode), (root / "c" / "link-to-a").is_symlink(),
      (root / "c" / "link-to-a" / "file0.txt").read_text().strip())

print("== tempfile")
tmp = os.environ["TMPDIR"]
with tempfile.NamedTemporaryFile("w", delete=False, suffix=".part") as f:
    f.write("written to a temporary file\n")
    name = f.name
print("in TMPDIR:", os.path.dirname(name) == tmp, oct(os.stat(name).st_mode & 0o777))
os.replace(name, "final.txt")
with tempfile.TemporaryDirectory() as d:
    pathlib.Path(d, "x").write_text("x")
    print("temporary directory in TMPDIR:", os.path.dirname(d) == tmp, os.listdir(d))
print("temporary directory removed:", not os.path.exists(d), "TMPDIR now:", os.listdir(tmp))

print("== shutil")
shutil.copytree("tree", "copy", symlinks=True)
shutil.copy2("final.txt", "copy/final.txt")
shutil.move("copy/c", "moved-c")
shutil.rmtree("copy/a/b")
print(sorted(os.listdir("copy")), sorted(os.listdir("copy/a")), os.readlink("moved-c/link-to-a"))
print("copied mode:", stat.filemode(os.stat("copy/a/exe.sh").st_mode))
print("== rename over, truncate, append, unlink")
pathlib.Path("log.txt").write_text("first\n")
with open("log.txt", "a") as f:
    f.write("second\n")
os.truncate("final.txt", 7)
os.rename("final.txt", "renamed.txt")
os.symlink("renamed.txt", "dangling-later")
os.unlink("renamed.txt")
print(os.path.lexists("dangling-later"), os.path.exists("dangling-later"), open("log.txt").read().split())
os.mkdir("private", 0o700)
print(stat.filemode(os.stat("private").st_mode))
