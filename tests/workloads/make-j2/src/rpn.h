#ifndef RPN_H
#define RPN_H
#include <stddef.h>

enum token_kind { TOK_NUMBER, TOK_OP, TOK_END, TOK_ERROR };
struct token {
  enum token_kind kind;
  long value;
  char op;
};

struct stack {
  long items[64];
  size_t depth;
};
int stack_push(struct stack *s, long v);
int stack_pop(struct stack *s, long *v);

struct lexer {
  const char *p;
};
struct token lexer_next(struct lexer *lx);

/* 0 and *result on success; otherwise a message. */
const char *eval(const char *expression, long *result);
#endif
