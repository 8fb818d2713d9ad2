# Subshells, here-documents, here-strings, process substitution, descriptors.
set -eu

echo "== subshells keep their own state"
x=outer
( x=inner; cd /usr; echo "in subshell: x=$x pwd=$PWD" )
echo "after: x=$x pwd is W: $([ "$PWD" = "$HOME" ] && echo yes)"
( exit 7 ) || echo "subshell exit status $?"
echo "nested: $( ( echo a; ( echo b; ( echo c ) ) ) | tr '\n' ' ')"

echo "== here-documents"
name=world
cat <<EOF
hello $name, $((6 * 7)), $(echo substituted)
EOF
cat <<'EOF'
not expanded: $name $(echo no)
EOF
	cat <<-EOF
	tabs stripped for $name
	EOF
mkdir -p gen
cat > gen/config.ini <<EOF
[main]
user = $name
count = $((2 + 3))
EOF
cat gen/config.ini

echo "== here-strings and read"
read -r a b c <<< "one two three four"
echo "a=$a b=$b c=$c"
tr a-z A-Z <<< "shout"

echo "== process substitution"
diff <(printf '1\n2\n3\n') <(printf '1\n3\n') || echo "diff said $?"
while read -r line; do echo "got $line"; done < <(printf 'p\nq\n')
paste <(seq 3) <(seq 4 6) > gen/pasted.txt
cat gen/pasted.txt

echo "== functions, locals, return codes"
count_lines() { local n; n=$(wc -l < "$1"); echo "$1 has $n lines"; return $(( n > 2 )); }
count_lines gen/config.ini || echo "returned $?"
fact() { if [ "$1" -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }
echo "10! = $(fact 10)"

echo "== descriptors and redirections"
exec 3> gen/fd3.txt
echo "to fd 3" >&3
echo "again" >&3
exec 3>&-
cat gen/fd3.txt
{ echo out; echo err >&2; } > gen/both.txt 2>&1
cat gen/both.txt
echo appended >> gen/both.txt
ls nothing-here 2>/dev/null || echo "ls failed quietly"
set -o noclobber
{ echo x > gen/both.txt; } 2>/dev/null || echo "noclobber refused"
wc -l < gen/both.txt
