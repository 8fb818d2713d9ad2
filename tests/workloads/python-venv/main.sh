set -euo pipefail
python3 -m venv --without-pip env
echo "== the venv"
find env -maxdepth 3 | sort
grep -v '^command' env/pyvenv.cfg | sed 's/^version = .*/version = X/'
readlink env/bin/python env/bin/python3
echo "== its python"
env/bin/python -c 'import sys, os; print(sys.prefix == os.path.abspath("env"), sys.base_prefix, sys.prefix != sys.base_prefix)'
site=$(env/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "purelib in the venv: ${site#$PWD/}" | sed 's/python3\.[0-9]*/python3.X/'
printf 'def greet(who):\n    return f"hello {who} from the venv"\n' > "$site/greeting.py"
env/bin/python -c 'import greeting; print(greeting.greet("you"))'
python3 -c 'import greeting' 2>/dev/null || echo "the system python does not see it"
echo "== activate"
set +u
. env/bin/activate
set -u
echo "VIRTUAL_ENV is W/env: $([ "$VIRTUAL_ENV" = "$PWD/env" ] && echo yes)"
command -v python | sed "s|^$PWD/||"
python -c 'import greeting, sys; print(greeting.__file__.startswith(sys.prefix))'
deactivate
