/* The parsed form of a template, shared by its parser (template.c) and its
 * evaluator (template_eval.c); not part of the API. */
#ifndef CAPSULE_UTIL_TEMPLATE_INTERNAL_H
#define CAPSULE_UTIL_TEMPLATE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct tpl_pipe;

/* An operand: a field chain from dot, from $ or a variable, or from a
 * parenthesised pipeline; a literal; or a function name. */
enum tpl_arg_kind { ARG_FIELD, ARG_LITERAL, ARG_FUNC, ARG_PIPE };
struct tpl_arg {
  enum tpl_arg_kind kind;
  char *name;   /* ARG_FIELD: NULL for dot, else "$" or "$var"; ARG_FUNC: its name */
  char **chain; /* field names after it, NULL-terminated (may be empty) */
  json_t *literal;
  struct tpl_pipe *sub; /* ARG_PIPE */
};

/* A command: a function and its arguments, or one operand. */
struct tpl_cmd {
  struct tpl_arg *args;
  size_t n;
};

/* cmd | cmd | ...: each command's value is the last argument of the next. */
struct tpl_pipe {
  struct tpl_cmd *cmds;
  size_t n;
  char *vars[2]; /* "$x :=" (vars[0]), "$k, $v :=" in a range */
};

enum tpl_node_kind { NODE_TEXT, NODE_PRINT, NODE_IF, NODE_RANGE, NODE_WITH, NODE_SET };
struct tpl_list {
  struct tpl_node **v;
  size_t n;
};
struct tpl_node {
  enum tpl_node_kind kind;
  char *text;            /* NODE_TEXT */
  struct tpl_pipe *pipe; /* the others */
  struct tpl_list body, alt; /* if/range/with: the branch taken, and {{else}} */
};

struct template {
  struct tpl_list root;
  bool table;
  const char *const *fields; /* rows of named fields (template_parse), or NULL */
  char **top;                /* top-level fields named, NULL-terminated (headers) */
  bool whole;                /* the document itself is used ({{.}}, {{json .}}, {{range .}}) */
};

/* Evaluate the list with `doc` as dot and $; output to `out`. `header`:
 * a field of a string is that string (a header line shows names). */
int tpl_execute(const struct template *t, const json_t *doc, bool header, char **out, err_t *e);

void tpl_list_free(struct tpl_list *l);

/* Whether `name` is one of the functions (json, index...). */
bool tpl_function_known(const char *name);

#endif
