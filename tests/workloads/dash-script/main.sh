#!/bin/sh
# POSIX sh (dash on Debian), started as a #! script.
set -eu

echo "== pipelines and loops"
i=1
while [ $i -le 5 ]; do
  echo "row $i"
  i=$((i + 1))
done | sed 's/row/line/' | sort -r | head -3
for f in alpha beta gamma; do printf '%s:%s\n' "$f" "$(printf %s "$f" | wc -c)"; done

echo "== command substitution, nested"
both="$(echo "$(echo nested) $(echo twice)")"
echo "$both"
count=$(printf 'a\nb\nc\n' | wc -l)
echo "count=$count"

echo "== subshells"
v=1
(v=2; echo "inside v=$v")
echo "outside v=$v"
(cd /usr && pwd)
pwd | sed "s|^$HOME\$|W|"

echo "== here-documents"
cat <<EOF > notes.txt
count is $count
sum is $((count + 10))
EOF
cat notes.txt
cat <<'EOF'
literal $count
EOF

echo "== case and functions"
kind() {
  case "$1" in
    *.c|*.h) echo "$1: C" ;;
    *.sh) echo "$1: shell" ;;
    [0-9]*) echo "$1: number" ;;
    *) echo "$1: other" ;;
  esac
}
for x in main.c util.h run.sh 42 README; do kind "$x"; done

echo "== IFS and set --"
line="a:b:c:d"
old=$IFS; IFS=:; set -- $line; IFS=$old
echo "$# fields, second $2"

echo "== exit status of a pipeline and of a subshell"
if (exit 0) && ! (exit 1); then echo "statuses ok"; fi
printf 'x\n' | grep -q y || echo "grep found nothing"
echo "done" > done.txt
