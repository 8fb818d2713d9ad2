set -euo pipefail
f=$(mktemp)
d=$(mktemp -d)
case "$f" in "$TMPDIR"/tmp.*) echo "mktemp file in TMPDIR";; *) echo "mktemp file elsewhere";; esac
case "$d" in "$TMPDIR"/tmp.*) echo "mktemp -d in TMPDIR";; esac
stat -c '%a %F' "$f" "$d"
echo data > "$f"
cp "$f" "$d/copy"
t=$(mktemp -p . --suffix=.txt report.XXXXXX)
echo "template kept: ${t:0:9} ${t: -4}"
rm "$t"
bash -c 'tmp=$(mktemp -d); trap "rm -rf \"$tmp\"; echo cleaned on exit" EXIT; touch "$tmp/a" "$tmp/b"; ls "$tmp" | wc -l'
bash -c 'tmp=$(mktemp -d); trap "rm -rf \"$tmp\"; echo cleaned on TERM; exit 143" TERM; echo "$tmp" > held; kill -TERM $$; sleep 5' || echo "killed script: $?"
[ -e "$(cat held)" ] && echo "left behind" || echo "nothing left behind"
rm -rf "$f" "$d" held
echo "TMPDIR now holds $(ls -A "$TMPDIR" | wc -l) entries"
mktemp -u -p /nonexistent-dir >/dev/null && echo "mktemp -u names without creating"
mktemp -p /nonexistent-dir 2>/dev/null || echo "mktemp in a missing directory fails: $?"
