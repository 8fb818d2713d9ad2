set -uo pipefail
echo "== gunzip in place"
gunzip poem.txt.gz
ls poem.txt*
md5sum poem.txt
echo "== gzip -t, gzip -l"
gzip -t original-name.gz && echo "original-name.gz is sound"
gzip -l original-name.gz | awk 'NR > 1 { print $1, $2, $4 }'
echo "== gunzip -N restores the stored name and time"
gunzip -N original-name.gz
ls stored-name* && date -u -r stored-name.txt '+%Y-%m-%d %H:%M:%S'
echo "== gzip, then zcat, gunzip -c, gunzip -k"
seq 1 5000 > numbers.txt
gzip -9 -n numbers.txt
zcat numbers.txt.gz | tail -1
gunzip -c numbers.txt.gz | wc -l
gunzip -k numbers.txt.gz && ls numbers.txt*
echo "== two members in one stream"
{ printf 'first\n' | gzip -n; printf 'second\n' | gzip -n; } > two.gz
zcat two.gz
echo "== a corrupt file"
head -c 40 numbers.txt.gz > broken.gz
gunzip -t broken.gz 2>/dev/null; echo "gunzip -t of a truncated file: $?"
gunzip < poem.txt 2>/dev/null; echo "not gzip data: $?"
