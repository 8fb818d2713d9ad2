#include "rpn.h"

static long power(long b, long e) {
  long r = 1;
  while (e-- > 0) r *= b;
  return r;
}

const char *eval(const char *expression, long *result) {
  struct stack s = {{0}, 0};
  struct lexer lx = {expression};
  for (;;) {
    struct token t = lexer_next(&lx);
    long a, b;
    switch (t.kind) {
      case TOK_END:
        if (stack_pop(&s, result) != 0 || s.depth != 0) return "unbalanced expression";
        return 0;
      case TOK_ERROR: return "unexpected character";
      case TOK_NUMBER:
        if (stack_push(&s, t.value) != 0) return "stack overflow";
        break;
      case TOK_OP:
        if (stack_pop(&s, &b) != 0 || stack_pop(&s, &a) != 0) return "stack underflow";
        switch (t.op) {
          case '+': a += b; break;
          case '-': a -= b; break;
          case '*': a *= b; break;
          case '/':
            if (b == 0) return "division by zero";
            a /= b;
            break;
          case '^': a = power(a, b); break;
        }
        stack_push(&s, a);
        break;
    }
  }
}
