/* Parsing Go templates (template.h): the text is cut into literal text and
 * actions, each action is lexed into tokens, and the actions are nested
 * into if/range/with lists by recursive descent. */
#include "util/template.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/template_internal.h"

/* ---- freeing ---- */

static void pipe_free(struct tpl_pipe *p);

static void arg_free(struct tpl_arg *a) {
  free(a->name);
  strv_free(a->chain);
  json_decref(a->literal);
  pipe_free(a->sub);
}

static void pipe_free(struct tpl_pipe *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n; i++) {
    for (size_t k = 0; k < p->cmds[i].n; k++)
      arg_free(&p->cmds[i].args[k]);
    free(p->cmds[i].args);
  }
  free(p->cmds);
  free(p->vars[0]);
  free(p->vars[1]);
  free(p);
}

void tpl_list_free(struct tpl_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    struct tpl_node *n = l->v[i];
    free(n->text);
    pipe_free(n->pipe);
    tpl_list_free(&n->body);
    tpl_list_free(&n->alt);
    free(n);
  }
  free(l->v);
  *l = (struct tpl_list){0};
}

void template_free(struct template *t) {
  if (!t)
    return;
  tpl_list_free(&t->root);
  strv_free(t->top);
  free(t);
}

bool template_is_table(const struct template *t) {
  return t->table;
}

/* ---- the text, cut into pieces ---- */

/* A piece of the template: literal text, or the inside of an action. */
struct piece {
  bool action;
  char *text;
};

struct parser {
  const char *src;   /* the whole template, for messages */
  struct piece *pieces;
  size_t n, cap, at; /* `at`: the next piece to parse */
  unsigned depth;    /* of nested blocks and parentheses: parsing recurses */
  struct template *t;
  err_t *e;
};

static int add_piece(struct parser *p, bool action, const char *s, size_t len) {
  if (array_reserve_sz((void **)&p->pieces, &p->cap, p->n + 1, sizeof *p->pieces) < 0)
    return err_sys(p->e, "format");
  char *text = malloc(len + 1);
  if (!text)
    return err_sys(p->e, "format");
  size_t k = 0;
  for (size_t i = 0; i < len; i++) /* \t and \n in text, as docker reads them */
    if (!action && s[i] == '\\' && i + 1 < len && (s[i + 1] == 't' || s[i + 1] == 'n'))
      text[k++] = s[++i] == 't' ? '\t' : '\n';
    else
      text[k++] = s[i];
  text[k] = '\0';
  p->pieces[p->n++] = (struct piece){action, text};
  return 0;
}

static int cut(struct parser *p, const char *text) {
  const char *s = text;
  bool trim_next = false;
  while (*s) {
    const char *open = strstr(s, "{{");
    size_t len = open ? (size_t)(open - s) : strlen(s);
    const char *start = s;
    if (trim_next)
      while (len && isspace((unsigned char)*start))
        start++, len--;
    if (!open)
      return len ? add_piece(p, false, start, len) : 0;
    const char *inner = open + 2;
    if (inner[0] == '-' && isspace((unsigned char)inner[1])) {
      while (len && isspace((unsigned char)start[len - 1]))
        len--;
      inner += 2;
    }
    if (len && add_piece(p, false, start, len) < 0)
      return -1;
    const char *close = strstr(inner, "}}");
    if (!close)
      return err_set(p->e, EINVAL, "--format: unclosed {{ in '%s'", p->src);
    const char *end = close;
    /* " -}}" inside the action: in "{{- -}}" the blank is the "{{- "'s. */
    trim_next = end - inner >= 2 && end[-1] == '-' && isspace((unsigned char)end[-2]);
    if (trim_next)
      end -= 2;
    while (inner < end && isspace((unsigned char)*inner))
      inner++;
    bool comment = !strncmp(inner, "/*", 2);
    if (!comment && add_piece(p, true, inner, (size_t)(end - inner)) < 0)
      return -1;
    s = close + 2;
  }
  return 0;
}

/* Nesting allowed (Go's parser stops at 10000 too): parsing and evaluating
 * recurse once a level, and --format is a user's text, not to crash us. */
#define MAX_DEPTH 10000

static int enter(struct parser *p) {
  if (++p->depth <= MAX_DEPTH)
    return 0;
  return err_set(p->e, EINVAL, "--format: more than %d nested blocks or parentheses", MAX_DEPTH);
}

/* ---- an action's tokens ---- */

struct lexer {
  const char *s;
  struct parser *p;
};

static void skip_blanks(struct lexer *l) {
  while (isspace((unsigned char)*l->s))
    l->s++;
}

static int lex_error(struct lexer *l, const char *what) {
  return err_set(l->p->e, EINVAL, "--format: %s in {{%s}}", what,
                 l->p->pieces[l->p->at - 1].text);
}

/* ".A.B" after an operand: the names, NULL-terminated. */
static int lex_chain(struct lexer *l, char ***chain) {
  size_t n = 0, cap = 0;
  *chain = calloc(1, sizeof **chain);
  if (!*chain)
    return err_sys(l->p->e, "format");
  while (*l->s == '.' && (isalnum((unsigned char)l->s[1]) || l->s[1] == '_')) {
    const char *name = ++l->s;
    while (isalnum((unsigned char)*l->s) || *l->s == '_')
      l->s++;
    if (array_reserve_sz((void **)chain, &cap, n + 2, sizeof **chain) < 0 ||
        !((*chain)[n] = strndup(name, (size_t)(l->s - name))))
      return err_sys(l->p->e, "format");
    (*chain)[++n] = NULL;
  }
  return 0;
}

static int note_top(struct parser *p, const char *name) {
  size_t n = 0;
  for (; p->t->top && p->t->top[n]; n++)
    if (!strcmp(p->t->top[n], name))
      return 0;
  char **grown = realloc(p->t->top, (n + 2) * sizeof *grown);
  if (!grown)
    return err_sys(p->e, "format");
  p->t->top = grown;
  if (!(grown[n] = strdup(name)))
    return err_sys(p->e, "format");
  grown[n + 1] = NULL;
  return 0;
}

static struct tpl_pipe *parse_pipe(struct lexer *l, bool in_parens, bool decl);

static int lex_string(struct lexer *l, struct tpl_arg *a) {
  char quote = *l->s++;
  _cleanup_free_ char *buf = malloc(strlen(l->s) + 1);
  size_t n = 0;
  if (!buf)
    return err_sys(l->p->e, "format");
  for (; *l->s && *l->s != quote; l->s++) {
    if (quote == '"' && *l->s == '\\' && l->s[1]) {
      char c = *++l->s;
      buf[n++] = c == 'n' ? '\n' : c == 't' ? '\t' : c;
    } else {
      buf[n++] = *l->s;
    }
  }
  if (*l->s != quote)
    return lex_error(l, "unterminated string");
  l->s++;
  a->kind = ARG_LITERAL;
  a->literal = json_stringn(buf, n);
  return a->literal ? 0 : err_sys(l->p->e, "format");
}

/* One operand, or NULL's kind at the end of the command. */
static int lex_arg(struct lexer *l, struct tpl_arg *a) {
  const char *s = l->s;
  *a = (struct tpl_arg){0};
  if (*s == '"' || *s == '`')
    return lex_string(l, a);
  if (*s == '(') {
    l->s++;
    a->kind = ARG_PIPE;
    if (enter(l->p) < 0 || !(a->sub = parse_pipe(l, true, false)))
      return -1;
    l->p->depth--;
    return lex_chain(l, &a->chain);
  }
  if (*s == '.' || *s == '$') {
    a->kind = ARG_FIELD;
    if (*s == '$') {
      l->s++;
      while (isalnum((unsigned char)*l->s) || *l->s == '_')
        l->s++;
      if (!(a->name = strndup(s, (size_t)(l->s - s))))
        return err_sys(l->p->e, "format");
    } else if (!isalnum((unsigned char)s[1]) && s[1] != '_') {
      l->s++; /* dot itself */
    }
    if (lex_chain(l, &a->chain) < 0)
      return -1;
    /* A field of the top-level document: its header, and its check. */
    bool top = !a->name || !strcmp(a->name, "$");
    if (top && !a->chain[0])
      l->p->t->whole = true; /* the document itself ({{json .}}): every field */
    return top && a->chain[0] ? note_top(l->p, a->chain[0]) : 0;
  }
  if (*s == '-' || isdigit((unsigned char)*s)) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s)
      return lex_error(l, "bad number");
    l->s = end;
    a->kind = ARG_LITERAL;
    a->literal = json_integer(v);
    return a->literal ? 0 : err_sys(l->p->e, "format");
  }
  if (isalpha((unsigned char)*s)) {
    while (isalnum((unsigned char)*l->s) || *l->s == '_')
      l->s++;
    size_t len = (size_t)(l->s - s);
    if ((len == 4 && !strncmp(s, "true", 4)) || (len == 5 && !strncmp(s, "false", 5)) ||
        (len == 3 && !strncmp(s, "nil", 3))) {
      a->kind = ARG_LITERAL;
      a->literal = len == 3 ? json_null() : json_boolean(len == 4);
      return 0;
    }
    a->kind = ARG_FUNC;
    if (!(a->name = strndup(s, len)))
      return err_sys(l->p->e, "format");
    if (!tpl_function_known(a->name))
      return err_set(l->p->e, EINVAL, "--format: unknown function \"%s\" in {{%s}}", a->name,
                     l->p->pieces[l->p->at - 1].text);
    return 0;
  }
  return lex_error(l, "unexpected character");
}

static int lex_var_decl(struct lexer *l, struct tpl_pipe *p) {
  /* "$x :=" or "$k, $v :=", else nothing (a variable's use) */
  const char *save = l->s;
  for (int i = 0; i < 2 && *l->s == '$'; i++) {
    const char *name = l->s++;
    while (isalnum((unsigned char)*l->s) || *l->s == '_')
      l->s++;
    size_t len = (size_t)(l->s - name);
    skip_blanks(l);
    if (!(p->vars[i] = strndup(name, len)))
      return err_sys(l->p->e, "format");
    if (*l->s == ',' && i == 0) {
      l->s++;
      skip_blanks(l);
      continue;
    }
    if (!strncmp(l->s, ":=", 2)) {
      l->s += 2;
      return 0;
    }
    break;
  }
  free(p->vars[0]);
  free(p->vars[1]);
  p->vars[0] = p->vars[1] = NULL;
  l->s = save;
  return 0;
}

static struct tpl_pipe *parse_pipe(struct lexer *l, bool in_parens, bool decl) {
  struct tpl_pipe *p = calloc(1, sizeof *p);
  size_t cap_cmds = 0;
  if (!p) {
    err_sys(l->p->e, "format");
    return NULL;
  }
  skip_blanks(l);
  if (decl && lex_var_decl(l, p) < 0)
    goto fail;
  for (;;) {
    if (array_reserve_sz((void **)&p->cmds, &cap_cmds, p->n + 1, sizeof *p->cmds) < 0) {
      err_sys(l->p->e, "format");
      goto fail;
    }
    struct tpl_cmd *c = &p->cmds[p->n++];
    *c = (struct tpl_cmd){0};
    size_t cap_args = 0;
    for (;;) {
      skip_blanks(l);
      if (!*l->s || *l->s == '|' || (*l->s == ')' && in_parens))
        break;
      if (array_reserve_sz((void **)&c->args, &cap_args, c->n + 1, sizeof *c->args) < 0) {
        err_sys(l->p->e, "format");
        goto fail;
      }
      if (lex_arg(l, &c->args[c->n]) < 0) {
        arg_free(&c->args[c->n]);
        goto fail;
      }
      c->n++;
    }
    if (!c->n) {
      lex_error(l, "missing value");
      goto fail;
    }
    if (*l->s != '|')
      break;
    l->s++;
  }
  if (in_parens && *l->s++ != ')') {
    lex_error(l, "unclosed (");
    goto fail;
  }
  if (!in_parens && *l->s) {
    lex_error(l, "unexpected text");
    goto fail;
  }
  return p;
fail:
  pipe_free(p);
  return NULL;
}

/* ---- nesting ---- */

enum stop { STOP_EOF, STOP_END, STOP_ELSE };

static int parse_list(struct parser *p, struct tpl_list *out, enum stop *why);
static int parse_block(struct parser *p, struct tpl_node *n, const char *rest);

/* The keyword starting an action ("if", "end"...), and the rest after it. */
static bool keyword(const char *action, const char *word, const char **rest) {
  size_t n = strlen(word);
  if (strncmp(action, word, n) || (action[n] && !isspace((unsigned char)action[n])))
    return false;
  *rest = action + n;
  return true;
}

/* A new node at the end of `l`, or NULL. */
static struct tpl_node *add_node(struct parser *p, struct tpl_list *l, size_t *cap) {
  struct tpl_node *n = NULL;
  if (array_reserve_sz((void **)&l->v, cap, l->n + 1, sizeof *l->v) < 0 ||
      !(n = calloc(1, sizeof *n))) {
    err_sys(p->e, "format");
    return NULL;
  }
  return l->v[l->n++] = n;
}

/* if/range/with: the pipeline, the body, {{else}} (or "else if"), {{end}}. */
static int parse_block_in(struct parser *p, struct tpl_node *n, const char *rest) {
  struct lexer l = {rest, p};
  if (!(n->pipe = parse_pipe(&l, false, n->kind == NODE_RANGE)))
    return -1;
  enum stop why;
  if (parse_list(p, &n->body, &why) < 0)
    return -1;
  if (why == STOP_ELSE) {
    const char *after, *text = p->pieces[p->at - 1].text;
    keyword(text, "else", &after);
    while (isspace((unsigned char)*after))
      after++;
    const char *cond;
    if (keyword(after, "if", &cond)) { /* else if: an if inside the else */
      size_t cap = 0;
      struct tpl_node *inner = add_node(p, &n->alt, &cap);
      if (!inner)
        return -1;
      inner->kind = NODE_IF;
      return parse_block(p, inner, cond);
    }
    if (parse_list(p, &n->alt, &why) < 0)
      return -1;
  }
  if (why != STOP_END)
    return err_set(p->e, EINVAL, "--format: missing {{end}} in '%s'", p->src);
  return 0;
}

static int parse_block(struct parser *p, struct tpl_node *n, const char *rest) {
  if (enter(p) < 0)
    return -1;
  int r = parse_block_in(p, n, rest);
  p->depth--;
  return r;
}

static int parse_action(struct parser *p, const char *text, struct tpl_node *n) {
  const char *rest;
  if (keyword(text, "if", &rest) || keyword(text, "range", &rest) || keyword(text, "with", &rest)) {
    n->kind = text[0] == 'i' ? NODE_IF : text[0] == 'r' ? NODE_RANGE : NODE_WITH;
    return parse_block(p, n, rest);
  }
  struct lexer l = {text, p};
  if (!(n->pipe = parse_pipe(&l, false, true)))
    return -1;
  n->kind = n->pipe->vars[0] ? NODE_SET : NODE_PRINT;
  return 0;
}

static int parse_list(struct parser *p, struct tpl_list *out, enum stop *why) {
  size_t cap = 0;
  while (p->at < p->n) {
    struct piece *pc = &p->pieces[p->at++];
    const char *rest;
    if (pc->action && keyword(pc->text, "end", &rest)) {
      *why = STOP_END;
      return 0;
    }
    if (pc->action && keyword(pc->text, "else", &rest)) {
      *why = STOP_ELSE;
      return 0;
    }
    struct tpl_node *n = add_node(p, out, &cap);
    if (!n)
      return -1;
    if (!pc->action) {
      n->kind = NODE_TEXT;
      n->text = pc->text;
      pc->text = NULL;
    } else if (parse_action(p, pc->text, n) < 0) {
      return -1;
    }
  }
  *why = STOP_EOF;
  return 0;
}

static int parse(const char *text, const char *const *fields, struct template **out, err_t *e) {
  struct template *t = calloc(1, sizeof *t);
  if (!t)
    return err_sys(e, "format");
  t->fields = fields;
  if (!strncmp(text, "table", 5) && (text[5] == ' ' || text[5] == '\t' || !text[5])) {
    t->table = true;
    text += 5 + (text[5] != '\0');
  }
  struct parser p = {.src = text, .t = t, .e = e};
  enum stop why = STOP_EOF;
  int rc = cut(&p, text) < 0 || parse_list(&p, &t->root, &why) < 0 ? -1 : 0;
  if (rc == 0 && why != STOP_EOF)
    rc = err_set(e, EINVAL, "--format: unexpected {{%s}} in '%s'",
                 why == STOP_END ? "end" : "else", text);
  for (size_t i = 0; i < p.n; i++)
    free(p.pieces[i].text);
  free(p.pieces);
  if (rc < 0) {
    template_free(t);
    return -1;
  }
  *out = t;
  return 0;
}

int template_parse_json(const char *text, struct template **out, err_t *e) {
  return parse(text, NULL, out, e);
}

int template_parse(const char *text, const char *const *fields, struct template **out, err_t *e) {
  if (parse(text, fields, out, e) < 0)
    return -1;
  for (char **f = (*out)->top; f && *f; f++) {
    bool known = false;
    for (size_t i = 0; fields[i] && !known; i++)
      known = !strcmp(fields[i], *f);
    if (known)
      continue;
    char list[512] = "";
    size_t off = 0;
    for (int i = 0; fields[i] && off < sizeof list; i++)
      off += (size_t)snprintf(list + off, sizeof list - off, "%s.%s", i ? " " : "", fields[i]);
    err_set(e, EINVAL, "--format: unknown field .%s (known: %s)", *f, list);
    template_free(*out);
    *out = NULL;
    return -1;
  }
  return 0;
}

/* ---- rendering entry points ---- */

char *template_render_json(const struct template *t, const json_t *doc, err_t *e) {
  char *out = NULL;
  return tpl_execute(t, doc, false, &out, e) < 0 ? NULL : out;
}

char *template_render_header_json(const struct template *t, const char *(*header)(const char *)) {
  _cleanup_json_ json_t *doc = json_object();
  for (char **f = t->top; doc && f && *f; f++)
    if (json_object_set_new(doc, *f, json_string(header(*f))) < 0)
      return NULL;
  char *out = NULL;
  err_t ignored = ERR_INIT;
  return doc && tpl_execute(t, doc, true, &out, &ignored) == 0 ? out : NULL;
}

static bool named(char **top, const char *field) {
  for (; top && *top; top++)
    if (!strcmp(*top, field))
      return true;
  return false;
}

/* Rows of named fields: a document with one string per field. */
static char *render_fields(const struct template *t, const char *(*value)(void *, int),
                           void *ctx, const char *const *headers, err_t *e) {
  _cleanup_json_ json_t *doc = json_object();
  for (int i = 0; doc && t->fields[i]; i++) {
    if (!t->whole && !named(t->top, t->fields[i]))
      continue; /* never looked at: not computed (ps has costly fields) */
    const char *v = headers ? headers[i] : value(ctx, i);
    if (json_object_set_new(doc, t->fields[i], json_string(v ? v : "")) < 0)
      return NULL;
  }
  char *out = NULL;
  err_t ignored = ERR_INIT;
  return doc && tpl_execute(t, doc, headers != NULL, &out, e ? e : &ignored) == 0 ? out : NULL;
}

char *template_render(const struct template *t, const char *(*value)(void *ctx, int field),
                      void *ctx, err_t *e) {
  return render_fields(t, value, ctx, NULL, e);
}

char *template_render_header(const struct template *t, const char *const *headers) {
  return render_fields(t, NULL, NULL, headers, NULL);
}
