/* An IFUNC resolver in the program: the dynamic loader calls it while it
 * relocates the program (linked -z now), before any constructor runs. It
 * must run inside the finished sandbox, never before it. */
#include <stdio.h>

#include "attack.h"

static int answer_impl(void) { return 42; }

static int (*resolve_answer(void))(void) {
  hx_attack("ifunc");
  return answer_impl;
}

int answer(void) __attribute__((ifunc("resolve_answer")));

/* Taken by address too, so the relocation is made at start-up whatever the
 * binding mode. */
int (*volatile answer_pointer)(void) = answer;

int main(void) {
  hx_attack("main");
  printf("main: ran, answer %d\n", answer_pointer());
  return 0;
}
