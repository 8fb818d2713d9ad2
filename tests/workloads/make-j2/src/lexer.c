#include <ctype.h>
#include <string.h>
#include "rpn.h"

struct token lexer_next(struct lexer *lx) {
  struct token t = {TOK_END, 0, 0};
  while (*lx->p == ' ') lx->p++;
  if (*lx->p == '\0') return t;
  if (isdigit((unsigned char)*lx->p)) {
    t.kind = TOK_NUMBER;
    while (isdigit((unsigned char)*lx->p)) t.value = t.value * 10 + (*lx->p++ - '0');
    return t;
  }
  if (strchr("+-*/^", *lx->p)) {
    t.kind = TOK_OP;
    t.op = *lx->p++;
    return t;
  }
  t.kind = TOK_ERROR;
  t.op = *lx->p;
  return t;
}
