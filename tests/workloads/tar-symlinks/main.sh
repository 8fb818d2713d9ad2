# The archive is made reproducible (sorted names, fixed times and owners), so
# it is compared byte for byte too.
set -euo pipefail
mkdir -p tree/docs tree/bin tree/empty
printf 'readme\n' > tree/README
printf 'guide\n%.0s' $(seq 50) > tree/docs/guide.txt
printf '#!/bin/sh\necho tool\n' > tree/bin/tool && chmod 755 tree/bin/tool
ln -s ../README tree/docs/readme-link
ln -s docs tree/docs-dir-link
ln -s "$PWD/tree/README" tree/absolute-link
ln -s does-not-exist tree/dangling
ln tree/README tree/hardlink
opts=(--sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner)
tar "${opts[@]}" -czf tree.tar.gz tree
echo "== tar tzf"
tar tzf tree.tar.gz
echo "== tar tvzf (no dates)"
tar tvzf tree.tar.gz | awk '{ print $1, $2, $3, $6, $7, $8 }'
echo "== extract elsewhere"
mkdir out
tar xzf tree.tar.gz -C out
diff -r --no-dereference tree out/tree && echo "trees equal"
for l in docs/readme-link docs-dir-link absolute-link dangling; do echo "$l -> $(readlink out/tree/$l)"; done
cat out/tree/docs-dir-link/readme-link
stat -c '%h %n' out/tree/README out/tree/hardlink
echo "== append, list again, extract one member to stdout"
echo "added later" > extra.txt
gunzip -k tree.tar.gz
tar "${opts[@]}" -rf tree.tar extra.txt
tar tf tree.tar | tail -2
tar xOf tree.tar tree/docs/guide.txt | wc -l
tar -xzf tree.tar.gz -C out --strip-components=1 tree/bin && ls -l out/bin | awk '{ print $1, $NF }'
