set -euo pipefail
echo 0 > counter
touch counter.lock
bump() {
  for _ in $(seq 50); do
    flock counter.lock sh -c 'n=$(cat counter); echo $((n + 1)) > counter'
  done
}
for w in 1 2 3 4; do bump & done
wait
echo "counter: $(cat counter)"
echo "== flock -n on a held lock"
flock counter.lock sh -c 'flock -n counter.lock true; echo "nested flock -n: $?"'
exec 9> fd.lock
flock 9 && echo "locked by descriptor"
( flock -n 9 && echo "a subshell shares the descriptor's lock" )
flock -u 9
