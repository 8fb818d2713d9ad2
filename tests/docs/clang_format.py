#!/usr/bin/env python3
"""The code is formatted as .clang-format says: `clang-format --dry-run
-Werror` of every tracked C/C++ file (git ls-files), failing with the list
of files it would change and how to fix them.

usage: clang_format.py [--source DIR] [--clang-format PROGRAM]

Skipped (exit 77) where it cannot run: no clang-format, or a source tree
that is not a git checkout (a release tarball).
"""
import argparse
import os
import shutil
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUFFIXES = (".c", ".cc", ".cpp", ".h", ".hh", ".hpp")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=SRC, help="the source tree (default: this file's)")
    parser.add_argument("--clang-format", default="clang-format", help="the clang-format to run")
    args = parser.parse_args()

    program = shutil.which(args.clang_format)
    if program is None:
        print(f"clang_format.py: no {args.clang_format} (Debian's clang-format package): skipped")
        return 77
    listed = subprocess.run(["git", "-C", args.source, "ls-files", "-z"], capture_output=True)
    if listed.returncode != 0:
        print(f"clang_format.py: {args.source} is not a git checkout: skipped")
        return 77
    files = [f for f in listed.stdout.decode().split("\0") if f.endswith(SUFFIXES)]
    if not files:
        print("clang_format.py: git ls-files lists no C/C++ file: is this the source tree?")
        return 1

    differ = []
    for f in files:
        run = subprocess.run([program, "--dry-run", "-Werror", f], cwd=args.source, capture_output=True, text=True)
        if run.returncode != 0:
            first = next((line for line in run.stderr.splitlines() if "error:" in line), run.stderr.strip())
            differ.append((f, first))
    if differ:
        print(f"{len(differ)} of {len(files)} C/C++ files are not formatted as .clang-format says:")
        for f, first in differ:
            print(f"  {f}: {first}")
        print("fix: clang-format -i FILE... (then check `git diff -w`: only layout may change)")
        return 1
    print(f"{len(files)} C/C++ files formatted as .clang-format says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
