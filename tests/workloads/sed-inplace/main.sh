set -euo pipefail
cp hosts.conf copy.conf
chmod 600 copy.conf
sed -i 's/beta/BETA/' hosts.conf
cat hosts.conf
sed -i.orig -f edit.sed copy.conf
cat copy.conf
stat -c '%a %n' copy.conf copy.conf.orig hosts.conf
printf 'x1\n' > one; printf 'x2\n' > two
sed -i -e 's/x/y/' -e '$a appended' one two
cat one two
sed -n '/gamma/=' hosts.conf
sed -s -n '$p' one two hosts.conf
ls | sort | tr '\n' ' '; echo
