set -euo pipefail
mkdir -p src/deep/er dst
printf 'alpha\n' > src/a.txt
printf 'beta\n' > src/deep/b.txt
printf '#!/bin/sh\n' > src/deep/er/run.sh
chmod +x src/deep/er/run.sh
ln -s a.txt src/a-link
touch -d '2021-06-01 12:00:00Z' src/a.txt
echo "== cp -a keeps modes, links and times"
cp -a src copy-a
stat -c '%A %N' copy-a/a.txt copy-a/a-link copy-a/deep/er/run.sh
date -u -r copy-a/a.txt '+%F %T'
echo "== cp -r and cp -p"
cp -r src copy-r
cp -p src/a.txt dst/kept-time.txt
cp src/a.txt dst/new-time.txt
[ dst/kept-time.txt -ot dst/new-time.txt ] && echo "cp -p kept the older time"
[ -L copy-r/a-link ] && echo "cp -r copies a symlink as a symlink"
echo "== mv, ln, rm"
mv copy-r/deep copy-r/moved
ln src/a.txt dst/hard
ln -s ../src/deep/b.txt dst/soft
ln -sf a.txt dst/soft
stat -c '%h' src/a.txt
readlink dst/soft
rm -r copy-r/moved
rm dst/new-time.txt
echo "== chmod and install"
chmod 640 dst/kept-time.txt
chmod u+x,g-r,o+w dst/hard
install -m 750 -D src/deep/er/run.sh dst/bin/run
install -d -m 700 dst/private
stat -c '%a %n' dst/kept-time.txt dst/hard dst/bin/run dst/private src/a.txt
echo "== ls, du, wc"
ls -l --time-style=+ dst | awk 'NR > 1 { print $1, $2, $NF }'
du -ab src | sort -k2 | awk '{ print $2 }'
find . -path ./tmp -prune -o -print | sort | wc -l
echo "== mkdir -p, rmdir, touch, truncate"
mkdir -p x/y/z && rmdir -p x/y/z && [ ! -e x ] && echo "rmdir -p removed the chain"
touch -t 200001010000 dated && date -u -r dated +%Y
truncate -s 1K sized && stat -c %s sized
