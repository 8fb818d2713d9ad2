set -euo pipefail
mkdir -p in out
for i in $(seq 1 24); do seq "$i" > "in/file $i.txt"; done
echo "== -P2 -n3: each sh writes a sum per file"
seq 1 24 | xargs -P2 -n3 sh -c 'for i; do awk "{ s += \$1 } END { print s }" "in/file $i.txt" > "out/sum$i"; done' sh
for i in $(seq 1 24); do printf '%s ' "$(cat out/sum$i)"; done; echo
echo "== -0 -P2 over names with spaces"
find in -name '*.txt' -print0 | sort -z | xargs -0 -P2 -n4 md5sum | sort -k2 -V | head -5
echo "== -I{} -P2"
printf '%s\n' alpha beta gamma delta | xargs -P2 -I{} sh -c 'echo {} | rev > out/{}.rev'
cat out/alpha.rev out/beta.rev out/gamma.rev out/delta.rev
echo "== exit status 123 when a command fails"
set +e
printf '1\n2\n3\n' | xargs -P2 -n1 sh -c 'test "$0" != 2'
echo "xargs status $?"
printf 'a\n' | xargs -P2 -n1 sh -c 'exit 255' 2>/dev/null
echo "xargs status with 255: $?"
ls out | wc -l
