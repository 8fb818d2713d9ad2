#include <stdio.h>
int main(void) {
  puts("built from standard input");
  return 0;
}
