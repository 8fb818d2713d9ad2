set -uo pipefail
echo "stdin is a terminal: $([ -t 0 ] && echo yes || echo no)"
script -q -e -c 'tty; stty size 2>&1 | sed "s/^[0-9]* [0-9]*$/ROWS COLS/"; [ -t 1 ] && echo "stdout is a terminal"; python3 -c "import os, sys; print(os.isatty(0), os.ttyname(1).startswith(\"/dev/pts/\"))"' typescript.log | tr -d '\r'
echo "script exit: $?"
script -q -e -c 'exit 3' /dev/null > /dev/null; echo "exit status passed through: $?"
grep -c 'stdout is a terminal' typescript.log
