"""Reads meson's testlog.json and prints the closing line of the test
command: "N passed, N failed, N skipped". Exits 1 when anything failed or
nothing ran, so that a run that tested nothing is never green."""
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main(path):
    passed = failed = skipped = 0
    failures = []
    skips = []
    with open(path) as log:
        for line in log:
            if not line.strip():
                continue
            entry = json.loads(line)
            result = entry["result"]
            if result in PASSED:
                passed += 1
            elif result in SKIPPED:
                skipped += 1
                reason = next((l for l in entry.get("stdout", "").splitlines() if l.startswith("SKIP")), "SKIP")
                skips.append(f"{entry['name']}: {reason}")
            else:  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS
                failed += 1
                failures.append(f"{entry['name']} ({result})")
    for line in skips:
        print(f"skipped: {line}")
    for name in failures:
        print(f"failed: {name}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
