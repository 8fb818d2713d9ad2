#include <stdio.h>
/* Calls f on each word of the file; the number of words, or -1. */
int each_word(const char *path, void (*f)(const char *word, void *arg), void *arg);
