#include <stdio.h>
#include <string.h>
#include "words.h"
static void keep(const char *w, void *a) {
  if (strlen(w) > strlen(a)) strcpy(a, w);
}
int main(int argc, char **argv) {
  char best[128] = "";
  if (argc < 2 || each_word(argv[1], keep, best) < 0) return 1;
  printf("%s\n", best);
  return 0;
}
