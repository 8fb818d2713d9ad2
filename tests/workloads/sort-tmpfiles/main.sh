set -euo pipefail
seq 1 200000 > numbers
shuf --random-source=numbers numbers > shuffled
sort -n -S 64K --parallel=2 shuffled > sorted
cmp numbers sorted && echo "sorted back: equal"
sort -rn -S 64K -T "$TMPDIR" shuffled > reversed
head -3 reversed
echo "temporary files left: $(ls -A "$TMPDIR" | wc -l)"
split -l 50000 -d shuffled part.
ls part.* | tr '\n' ' '; echo
sort -m <(sort -n part.00) <(sort -n part.01) <(sort -n part.02) <(sort -n part.03) -n | md5sum
md5sum numbers | cut -c1-32
head -c 100 shuffled | md5sum | cut -c1-32
rm shuffled sorted reversed
