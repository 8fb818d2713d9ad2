set -eo pipefail
cat <<'EOF' | cc -x c - -O2 -Wall -o squares
#include <stdio.h>
int main(void) {
  for (int i = 1; i <= 5; i++) printf("%d squared is %d\n", i, i * i);
  return 0;
}
EOF
./squares
printf 'int main(void) { return 42; }\n' | cc -x c -o answer -
./answer || echo "answer exits $?"
echo 'int broken(void) { return }' | cc -x c -c -o /dev/null - 2>/dev/null || echo "a syntax error fails the compiler: $?"
