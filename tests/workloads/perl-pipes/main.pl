use strict;
use warnings;
$| = 1;

print "== open -|\n";
open(my $ls, "-|", "sort", "-r", "main.pl") or die "sort: $!";
my @lines = <$ls>;
close($ls);
printf "%d lines, status %d\n", scalar @lines, $?;

print "== open |-\n";
open(my $wc, "|-", "tr a-z A-Z > upper.txt") or die $!;
print $wc "shouted through a pipe\n";
close($wc);
print `cat upper.txt`;

print "== backticks and system\n";
my $n = `seq 1 10 | awk '{ s += \$1 } END { print s }'`;
chomp $n;
print "sum: $n\n";
system("sh", "-c", "exit 6");
printf "system status: %d\n", $? >> 8;
$ENV{GREETING} = "from perl's %ENV";
system('echo "$GREETING"');

print "== fork, pipe, wait\n";
pipe(my $r, my $w) or die $!;
my @kids;
for my $i (1 .. 3) {
  my $pid = fork() // die "fork: $!";
  if ($pid == 0) {
    close $r;
    print $w "child $i squared is ", $i * $i, "\n";
    close $w;
    exit $i;
  }
  push @kids, $pid;
}
close $w;
print sort <$r>;
my @codes;
for my $pid (@kids) { waitpid($pid, 0); push @codes, $? >> 8; }
print "exit codes: @codes\n";

print "== exec in a child\n";
my $pid = fork() // die;
if ($pid == 0) { exec("echo", "exec'd", "echo") or die "exec: $!"; }
waitpid($pid, 0);
print "done, status $?\n";
