/* Links libhostile.so (needed_lib.c): see there. */
#include <stdio.h>

#include "attack.h"

int hostile_library_answer(void);

int main(void) {
  hx_attack("main");
  printf("main: ran, library answer %d\n", hostile_library_answer());
  return 0;
}
