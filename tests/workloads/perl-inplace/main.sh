set -euo pipefail
echo "== perl -pi: no backup"
perl -pi -e 's/localhost/example.internal/g; s/^(port = )\d+/${1}9090/' config.ini
cat config.ini
echo "== perl -i.bak on two files"
cp names.txt people.txt
perl -i.bak -pe 's/^(\w)/\U$1/; s/ (\w)/ \U$1/' names.txt people.txt
cat names.txt
ls names.txt* people.txt*
cmp -s people.txt.bak names.txt.bak && echo "backups equal"
echo "== perl -lane"
perl -lane '$sum += $F[2]; END { print "mean year: ", $sum / $. }' names.txt
perl -ne 'print if /^\[/' config.ini
echo "== a perl script with files and sort"
perl -e '
  open my $in, "<", "names.txt" or die $!;
  my %by = map { my @f = split; ($f[2] => "$f[0] $f[1]") } <$in>;
  open my $out, ">", "by-year.txt" or die $!;
  print $out "$_ $by{$_}\n" for sort keys %by;
  close $out or die $!;
  printf "%d lines written\n", scalar keys %by;
'
cat by-year.txt
perl -0777 -pi -e 's/\n\n/\n# (blank line removed)\n/' config.ini
grep -c . config.ini
