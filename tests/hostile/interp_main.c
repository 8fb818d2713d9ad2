/* A program whose PT_INTERP names interp.c's loader. */
#include <stdio.h>

#include "attack.h"

int main(void) {
  hx_attack("main");
  printf("main: ran\n");
  return 0;
}
