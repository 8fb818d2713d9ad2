/* A program that names audit_lib.c's library in DT_AUDIT. */
#include <stdio.h>

#include "attack.h"

int main(void) {
  hx_attack("main");
  printf("main: ran\n");
  return 0;
}
