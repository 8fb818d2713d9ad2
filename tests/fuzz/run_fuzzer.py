"""Runs the libFuzzer target for a bounded time (SBX_FUZZ_SECONDS, default
30) over the corpus in the repository; new inputs go to a scratch
directory, never into the repository. Fails on any crash, sanitizer report
or broken invariant.

usage: run_fuzzer.py FUZZER CORPUS
"""
import os
import subprocess
import sys
import tempfile

fuzzer, corpus = sys.argv[1], sys.argv[2]
seconds = os.environ.get("SBX_FUZZ_SECONDS", "30")
with tempfile.TemporaryDirectory() as scratch:
    proc = subprocess.run([fuzzer, f"-max_total_time={seconds}", "-timeout=5", "-rss_limit_mb=1024",
                           f"-artifact_prefix={scratch}/", "-print_final_stats=1", scratch, corpus],
                          capture_output=True, text=True)
    tail = proc.stderr.strip().splitlines()
    print("\n".join(line for line in tail if line.startswith(("stat::", "Done", "INFO: Running", "==")))
          or "\n".join(tail[-20:]))
    if proc.returncode != 0:
        print("\n".join(tail[-40:]))
        print(f"FAIL: the fuzzer exited {proc.returncode}")
        sys.exit(1)
print(f"ok: {seconds} s of fuzzing, no crash, no sanitizer report, every invariant held")
