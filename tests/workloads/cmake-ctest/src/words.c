#include <ctype.h>
#include "words.h"

int each_word(const char *path, void (*f)(const char *word, void *arg), void *arg) {
  FILE *in = fopen(path, "r");
  if (!in) return -1;
  char word[128];
  int n = 0, c;
  size_t len = 0;
  while ((c = fgetc(in)) != EOF || len) {
    if (c != EOF && isalpha(c) && len + 1 < sizeof word) {
      word[len++] = (char)c;
      continue;
    }
    if (len) {
      word[len] = 0;
      f(word, arg);
      n++;
      len = 0;
    }
    if (c == EOF) break;
  }
  fclose(in);
  return n;
}
