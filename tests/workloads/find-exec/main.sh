set -euo pipefail
mkdir -p proj/src/lib proj/docs proj/build
for f in src/main.c src/lib/a.c src/lib/b.c src/lib/a.h docs/index.md docs/notes.txt README.md; do
  printf '%s\n' "line of $f" "second line" > "proj/$f"
done
seq 1 2000 > proj/build/big.log
ln -s ../README.md proj/docs/readme
touch -d '2020-01-01 00:00:00Z' proj/docs/notes.txt
echo "== -exec {} \\;"
find proj -name '*.c' -exec wc -l {} \; | sort
echo "== -exec {} +"
find proj/src -type f -exec grep -l 'line of' {} + | sort
echo "== -execdir"
find proj -name '*.h' -execdir sh -c 'echo "$PWD" | sed "s|^$HOME/||"; ls' \;
echo "== -type, -size, -newer, -printf"
find proj -type l -printf '%p -> %l\n'
find proj -type f -size +2k -printf '%p %s\n'
find proj -type f -newer proj/docs/notes.txt -name '*.md' | sort
find proj -type d -printf '%d %p\n' | sort
echo "== -exec with a failing command, and -delete"
find proj -name '*.md' -exec test -L {} \; -print || true
find proj/build -name '*.log' -delete
find proj -empty -printf 'empty: %p\n'
find proj -type f | sort | xargs cat | wc -l
