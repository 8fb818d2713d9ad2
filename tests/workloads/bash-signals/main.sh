# Traps and signals between the workload's own processes. (The EXIT trap is
# set once no child is killed: a child killed between fork and exec is still
# bash, and would run it too, or not, by timing.)

echo "== kill a background sleeper"
sleep 30 &
pid=$!
kill -TERM "$pid"
wait "$pid"; echo "sleeper ended with $? (128 + 15)"

echo "== a child that traps TERM"
bash -c 'trap "echo child caught TERM; exit 9" TERM; echo ready > child.ready; while :; do sleep 0.05; done' &
child=$!
while [ ! -e child.ready ]; do sleep 0.02; done
kill -TERM "$child"
wait "$child"; echo "child exit $?"

trap 'echo "EXIT trap ran"' EXIT
echo "== USR1 to ourselves"
got=0
trap 'got=$((got + 1))' USR1
kill -USR1 $$; kill -USR1 $$
echo "USR1 handled $got times"

echo "== kill -0 and a finished job"
true & done_pid=$!
wait "$done_pid"
kill -0 $$ && echo "kill -0 self: ok"
kill -0 "$done_pid" 2>/dev/null || echo "kill -0 of a finished job fails"

echo "== ERR trap and set -e in a subshell"
( set -e; trap 'echo "ERR trap ran"' ERR; false; echo "not reached" ) || echo "subshell status $?"

echo "== timeout(1)"
timeout 0.2 sleep 5; echo "timeout status $?"
timeout -s KILL 0.2 sleep 5; echo "timeout -s KILL status $?"
