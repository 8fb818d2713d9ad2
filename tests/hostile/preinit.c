/* A DT_PREINIT_ARRAY function: the dynamic loader runs it before any
 * constructor, the preloaded shim's included. It must run inside the
 * finished sandbox (or not at all), never before it. */
#include <stdio.h>

#include "attack.h"

static void preinit(int argc, char** argv, char** envp) {
  (void)argc, (void)argv, (void)envp;
  hx_attack("preinit");
}

__attribute__((used, section(".preinit_array"))) static void (*const preinit_entry)(int, char**, char**) = preinit;

int main(void) {
  hx_attack("main");
  printf("main: ran\n");
  return 0;
}
