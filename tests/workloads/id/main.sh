id
id -u; id -g; id -un; id -gn; id -G
whoami
groups
getent passwd 65534
getent group nogroup | cut -d: -f1,3
echo "mine" > mine.txt
stat -c '%U %G %u %g %a %n' mine.txt .
python3 -c 'import os, pwd; print(os.getuid(), os.geteuid(), os.getgid(), os.getgroups(), pwd.getpwuid(os.getuid()).pw_name)'
