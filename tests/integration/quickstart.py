"""The README's quick start and the one list of build dependencies.

The blocks of a README section are read here for tests/fresh-machine, which
runs them in a fresh Debian 12 root, and the case build-depends checks that
packaging/build-depends, the quick start's apt-get line, `tests/run
--packages` and packaging/debian/control's Build-Depends agree.

usage: quickstart.py build-depends
"""
import os
import re
import subprocess

from sbxtest import check, main

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# What debian/control's Build-Depends names besides the build dependencies:
# packaging tools only.
PACKAGING_ONLY = {"debhelper-compat"}


def section_blocks(heading, readme=os.path.join(SOURCE, "README.md")):
    """The fenced blocks of the README section whose heading starts with
    `heading`, in order, as (language, text) pairs, text verbatim."""
    with open(readme) as f:
        lines = f.read().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(heading)]
    check(len(starts) == 1, f"README.md has one section '{heading}'", f"found {len(starts)}")
    blocks, fence = [], None
    for line in lines[starts[0] + 1:]:
        if fence is None and line.startswith("## "):
            break
        if fence is None and line.startswith("```"):
            fence = (line[3:].strip(), [])
        elif fence is not None and line == "```":
            blocks.append((fence[0], "\n".join(fence[1]) + "\n"))
            fence = None
        elif fence is not None:
            fence[1].append(line)
    return blocks


def blocks_of(heading, language):
    return [text for lang, text in section_blocks(heading) if lang == language]


def build_depends():
    """The one list: packaging/build-depends."""
    with open(os.path.join(SOURCE, "packaging", "build-depends")) as f:
        return [word for line in f if not line.startswith("#") for word in line.split()]


def apt_get_install_packages(command):
    """The packages of every `apt-get install` in a shell command."""
    packages = []
    for args in re.findall(r"apt-get\s+install\s+([^&|;\n]*)", command):
        packages += [a for a in args.split() if not a.startswith("-")]
    return packages


def control_build_depends():
    """The package names of packaging/debian/control's Build-Depends."""
    with open(os.path.join(SOURCE, "packaging", "debian", "control")) as f:
        text = f.read()
    field = re.search(r"^Build-Depends:(.*(?:\n[ \t].*)*)", text, re.M)
    check(field is not None, "packaging/debian/control has Build-Depends")
    return [re.split(r"[\s(\[<]", dep.strip(), maxsplit=1)[0] for dep in field.group(1).split(",") if dep.strip()]


def case_build_depends(name):
    wanted = build_depends()
    check(wanted and len(set(wanted)) == len(wanted), "packaging/build-depends lists each package once", wanted)
    quick_start = blocks_of("## Quick start", "sh")
    check(quick_start, "README.md's quick start has a sh block")
    readme = apt_get_install_packages(quick_start[0])
    check(sorted(readme) == sorted(wanted),
          "the quick start's apt-get install line installs exactly packaging/build-depends",
          f"missing from README.md: {sorted(set(wanted) - set(readme))}",
          f"not in packaging/build-depends: {sorted(set(readme) - set(wanted))}")
    proc = subprocess.run([os.path.join(SOURCE, "tests", "run"), "--packages"],
                          capture_output=True, text=True, timeout=30)
    check(proc.returncode == 0, "tests/run --packages lists what tests/run installs", proc.stderr)
    check(set(wanted) <= set(proc.stdout.split()), "tests/run installs every build dependency",
          f"missing: {sorted(set(wanted) - set(proc.stdout.split()))}")
    control = control_build_depends()
    check(set(control) - PACKAGING_ONLY == set(wanted),
          "packaging/debian/control's Build-Depends is packaging/build-depends and debhelper-compat",
          f"missing from control: {sorted(set(wanted) - set(control))}",
          f"not in packaging/build-depends: {sorted(set(control) - PACKAGING_ONLY - set(wanted))}")
    print("build dependencies:", " ".join(wanted))


if __name__ == "__main__":
    main({"build-depends": case_build_depends})
