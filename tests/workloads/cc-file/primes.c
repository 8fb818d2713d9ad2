#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int prime(int n) {
  if (n < 2) return 0;
  for (int d = 2; d <= (int)sqrt((double)n); d++)
    if (n % d == 0) return 0;
  return 1;
}

int main(int argc, char **argv) {
  int limit = argc > 1 ? atoi(argv[1]) : 20, count = 0;
  for (int n = 2; n <= limit; n++)
    if (prime(n)) printf("%d%s", n, ++count % 10 ? " " : "\n");
  printf("\n%d primes up to %d\n", count, limit);
  FILE *f = fopen("primes.count", "w");
  if (!f) return 1;
  fprintf(f, "%d\n", count);
  return fclose(f) != 0;
}
