# Background jobs and wait; the output is put in order before it is printed.
set -u
mkdir -p out

echo "== four jobs, then wait"
for i in 1 2 3 4; do
  ( sleep "0.$(( 5 - i ))"; seq "$i" | paste -sd+ > "out/job$i" ) &
done
wait
for i in 1 2 3 4; do echo "job $i: $(cat out/job$i)"; done

echo "== wait PID gives each job's status"
pids=()
for code in 0 3 5; do ( sleep 0.1; exit "$code" ) & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid"; echo "status $?"; done

echo "== wait -n"
( sleep 1; exit 4 ) &
( sleep 0.05; exit 2 ) &
wait -n; echo "first to end: $?"
wait -n; echo "second to end: $?"

echo "== jobs in a pipeline, in the background"
{ seq 1 1000 | sort -rn | head -3 > out/top3; } &
bg=$!
wait "$bg" && echo "pipeline job done: $(tr '\n' ' ' < out/top3)"

echo "== coproc"
coproc calc { while read -r a b; do echo $(( a * b )); done; }
for pair in "2 3" "7 6" "12 12"; do
  echo "$pair" >&"${calc[1]}"
  read -r answer <&"${calc[0]}"
  echo "$pair -> $answer"
done
pid=$calc_PID
exec {calc[1]}>&-
wait "$pid"; echo "coproc ended with $?"

echo "== many short jobs"
for i in $(seq 1 30); do echo "$i" > "out/n$i" & done
wait
cat out/n* | sort -n | tail -1
ls out | wc -l
