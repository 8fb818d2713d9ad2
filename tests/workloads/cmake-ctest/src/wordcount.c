#include <stdio.h>
#include "words.h"
static void nothing(const char *w, void *a) {
  (void)w;
  (void)a;
}
int main(int argc, char **argv) {
  int n = argc > 1 ? each_word(argv[1], nothing, 0) : -1;
  if (n < 0) {
    perror("wordcount");
    return 1;
  }
  printf("%d words\n", n);
  return 0;
}
