/* Overwrites the in-process layer's code (libsbx-shim.so, found in its own
   maps) with int3 instructions, then dereferences NULL: the handler that
   would ask for a core is garbage. Whatever happens, nothing may be
   written outside the core-dir and the trusted process must not fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) return 3;
  char line[4096];
  int done = 0;
  while (fgets(line, sizeof(line), maps)) {
    unsigned long start, end;
    char perms[5];
    if (strstr(line, "libsbx-shim") == NULL || sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3) continue;
    if (perms[2] != 'x') continue;
    if (mprotect((void*)start, end - start, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) return 4;
    memset((void*)start, 0xcc, end - start);
    done = 1;
  }
  /* write, not printf: stdio's first output calls fstat, which a rewritten
     site answers in the (now corrupted) shim. */
  if (done) write(1, "corrupted\n", 10);
  else write(1, "no shim\n", 8);
  *(volatile int*)0 = 1;
  return 0;
}
