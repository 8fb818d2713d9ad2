set -uo pipefail
mkdir -p a/b/c d
echo target > a/b/c/file
ln -s b/c a/to-c
ln -s ../a/to-c/file d/via-chain
ln -s "$PWD/d/via-chain" abs-link
ln -s loop1 loop2; ln -s loop2 loop1
ln -s missing/deeper dangling
ln -s . self
echo "== realpath"
realpath a/to-c/file d/via-chain abs-link
realpath --relative-to=d a/b/c/file
realpath -s abs-link
realpath -m dangling/more/../x
realpath -e dangling 2>/dev/null || echo "realpath -e dangling fails: $?"
echo "== readlink"
readlink d/via-chain abs-link
readlink -f d/via-chain self/self/a/../d/via-chain
readlink -e abs-link
readlink -f loop1 || echo "readlink -f of a loop fails: $?"
readlink -m dangling
echo "== cd -P and pwd -P"
cd a/to-c && pwd -L && pwd -P && cd ../..
cd -P self/a/to-c && pwd && cd "$HOME"
echo "== .. through a link"
cat a/to-c/../c/file
ls d/via-chain/.. 2>/dev/null || echo "a file has no ..: $?"
echo "== test -e -L -h"
for f in dangling loop1 abs-link self; do printf '%s: exists=%s link=%s\n' "$f" "$([ -e $f ] && echo y || echo n)" "$([ -L $f ] && echo y || echo n)"; done
