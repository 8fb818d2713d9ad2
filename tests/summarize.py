"""Reads meson's testlog.json files (one per build) and prints the closing
line of the test command: "N passed, N failed, N skipped". A build that did
not compile counts as one failure. Exits 1 when anything failed or nothing
ran, so that a run that tested nothing is never green.

usage: summarize.py [--failed-builds N] TESTLOG.json...
"""
import json
import os
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main(args):
    failed_builds = 0
    if args[:1] == ["--failed-builds"]:
        failed_builds, args = int(args[1]), args[2:]
    passed = skipped = 0
    failed = failed_builds
    failures = []
    skips = []
    for path in args:
        build = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
        with open(path) as log:
            for line in log:
                if not line.strip():
                    continue
                entry = json.loads(line)
                result = entry["result"]
                name = f"{build}: {entry['name']}"
                if result in PASSED:
                    passed += 1
                elif result in SKIPPED:
                    skipped += 1
                    reason = next((l for l in entry.get("stdout", "").splitlines() if l.startswith("SKIP")), "SKIP")
                    skips.append(f"{name}: {reason}")
                else:  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS
                    failed += 1
                    failures.append(f"{name} ({result})")
    for line in skips:
        print(f"skipped: {line}")
    for name in failures:
        print(f"failed: {name}")
    if failed_builds:
        print(f"failed: {failed_builds} build(s) did not compile")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
