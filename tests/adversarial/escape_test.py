"""One attack of the escape suite against a setuid copy of sbx-helper, as a
meson test: passes only if the sandbox held.

usage: escape_test.py ATTACK
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from sbxtest import assert_no_leftovers, require_root, setuid_copy, Failure  # noqa: E402
import suite  # noqa: E402

name = sys.argv[1]
require_root()
helper = setuid_copy(f"escape-{name}")
result = suite.run_attacks(helper, f"escape-{name}", [name])[name]
print(f"{suite.WORDS[result['held']]} {name}: {result['detail']}")
try:
    assert_no_leftovers(helper)
except Failure as e:
    print(f"FAIL {name}: {e}")
    sys.exit(1)
sys.exit(0 if result["held"] is True else 1)  # an attack that did not run proves nothing
