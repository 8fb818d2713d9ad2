# A repository's life: identity and dates come from the environment, so
# every object (and its hash) is the same on every run.
set -euo pipefail
mkdir repo && cd repo
git init -q -b main
git config core.autocrlf false
printf 'one\ntwo\nthree\n' > numbers.txt
mkdir -p src && printf 'print("hello")\n' > src/hello.py
git status --short
git add -A
git commit -q -m "first: numbers and hello"
echo "== log"
git log --format='%h %an <%ae> %ad %s' --date=iso-strict

printf 'one\n2\nthree\nfour\n' > numbers.txt
echo "== status and diff"
git status
git diff
git diff --stat
git commit -q -am "second: change numbers"

git checkout -q -b feature
printf 'print("hello, feature")\n' > src/hello.py
git mv numbers.txt counting.txt
git commit -q -am "feature: greet and rename"
git checkout -q main
echo "notes" > NOTES
git add NOTES && git commit -q -m "main: notes"
git merge -q --no-edit feature
echo "== after the merge"
git log --graph --oneline --all
git show --stat --format='%s' HEAD~1
git ls-files -s
git cat-file -p HEAD^{tree}
git rev-parse HEAD
git tag -a v1 -m "version one"
git describe
echo "== diff between tags and a grep"
git diff --name-status HEAD~2 v1
git grep -n hello
git status --porcelain=v2 --branch
git fsck --no-progress 2>&1 && echo "fsck clean"
git gc -q 2>&1 && git count-objects -v | grep -E '^(count|in-pack|packs)'
