#include <stdio.h>
#include <string.h>
#include "rpn.h"

static int one(const char *expression) {
  long value;
  const char *error = eval(expression, &value);
  if (error) {
    printf("%-14s -> error: %s\n", expression, error);
    return 1;
  }
  printf("%-14s -> %ld\n", expression, value);
  return 0;
}

int main(int argc, char **argv) {
  int failures = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-") == 0) {
      char line[256];
      while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        failures += one(line);
      }
    } else {
      failures += one(argv[i]);
    }
  }
  return failures;
}
