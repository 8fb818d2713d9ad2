# Pipelines, loops, command substitution, arithmetic, arrays.
set -euo pipefail

echo "== word counts"
tr -cs 'A-Za-z' '\n' < input.txt | tr 'A-Z' 'a-z' | grep -v '^$' | sort | uniq -c | sort -k1,1nr -k2,2 | head -5

echo "== loops and arithmetic"
total=0
for i in $(seq 1 20); do
  total=$(( total + i * i ))
done
echo "sum of squares 1..20: $total"
n=0
while [ "$n" -lt 5 ]; do n=$((n + 1)); printf '%d ' "$((n ** 3))"; done; echo

echo "== arrays"
words=($(head -1 input.txt))
echo "first line has ${#words[@]} words; third is ${words[2]}; last is ${words[-1]}"
declare -A seen=()
for w in $(tr -cs 'a-z' ' ' < input.txt); do seen[$w]=$(( ${seen[$w]:-0} + 1 )); done
for w in $(printf '%s\n' "${!seen[@]}" | sort); do printf '%s=%s ' "$w" "${seen[$w]}"; done; echo

echo "== read loop over a pipeline"
lineno=0
grep -n fox input.txt | while IFS=: read -r num text; do
  echo "line $num: ${#text} characters"
done
while IFS= read -r line; do lineno=$((lineno + 1)); done < input.txt
echo "$lineno lines"

echo "== pipefail"
if ! false | cat; then echo "pipefail sees the failure"; fi
status=0; (exit 3) | (exit 0) || status=$?
echo "pipeline status $status; PIPESTATUS after true|false: $(true | false; echo "${PIPESTATUS[@]}")"

echo "== nested substitution"
echo "upper: $(echo "$(head -c 9 input.txt)" | tr a-z A-Z)"
mkdir -p out
sort input.txt | nl -ba > out/sorted.txt
wc -l < out/sorted.txt
