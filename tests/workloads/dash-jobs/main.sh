# Background jobs in POSIX sh (dash).
trap 'echo "trap EXIT: bye"' EXIT
mkdir -p out

echo "== jobs writing files, wait for all"
for n in 3 1 2; do
  (sleep "0.$n"; echo "job $n" > "out/$n.txt") &
done
wait
cat out/1.txt out/2.txt out/3.txt

echo "== wait PID and the job's status"
(sleep 0.1; exit 6) &
p1=$!
(exit 0) &
p2=$!
wait $p1; s1=$?
wait $p2; s2=$?
echo "statuses: $s1 $s2"

echo "== a producer and a consumer through a fifo"
mkfifo out/fifo
(for i in 1 2 3 4 5; do echo "item $i"; done > out/fifo) &
while read -r item; do echo "consumed $item"; done < out/fifo
wait
rm out/fifo

echo "== background pipeline"
(seq 1 200 | awk '{ s += $1 } END { print s }' > out/sum) &
wait $!
echo "sum: $(cat out/sum)"

echo "== xtrace into a file"
(set -x; a=1; b=$((a + 1)); echo "b=$b") 2> out/trace.txt
sed 's/^/trace: /' out/trace.txt
