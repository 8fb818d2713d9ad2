/* A library the program links (DT_NEEDED, found through RUNPATH $ORIGIN/lib).
 * The loader runs its constructor before the program's main; it must run
 * inside the finished sandbox, never before it. */
#include "attack.h"

__attribute__((constructor)) static void hostile_constructor(void) { hx_attack("needed-constructor"); }

int hostile_library_answer(void) { return 42; }
