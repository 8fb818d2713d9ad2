set -uo pipefail
mkdir -p old/lib new/lib
printf 'a\nb\nc\nd\ne\n' > old/lib/letters
printf 'a\nB\nc\nd\ne\nf\n' > new/lib/letters
printf 'same\n' | tee old/same new/same > /dev/null
printf 'only old\n' > old/gone
printf 'only new\n' > new/added
echo "== diff -ruN (dates removed)"
diff -ruN old new | sed -E 's/^(---|\+\+\+) ([^\t]*)\t.*/\1 \2/' > change.patch
echo "diff found differences: ${PIPESTATUS[0]}"
cat change.patch
echo "== patch -p1"
cp -r old work
(cd work && patch -p1 -b < ../change.patch)
diff -r work new && echo "patched tree equals new"
ls work/lib
echo "== patch -R"
(cd work && patch -R -p1 < ../change.patch)
diff -r -x '*.orig' work old && echo "reversed back to old"
cmp old/lib/letters new/lib/letters; echo "cmp status $?"
diff -q old/same new/same && echo "same files: no output"
