#include "rpn.h"

int stack_push(struct stack *s, long v) {
  if (s->depth == sizeof s->items / sizeof s->items[0]) return -1;
  s->items[s->depth++] = v;
  return 0;
}

int stack_pop(struct stack *s, long *v) {
  if (s->depth == 0) return -1;
  *v = s->items[--s->depth];
  return 0;
}
