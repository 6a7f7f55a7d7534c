/* Evaluating a parsed template (template_internal.h) over a JSON document,
 * with Go's rules for decoded JSON: a missing key is "no value" (NULL
 * here), truth is non-empty and non-zero, values print as fmt's %v. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/template_internal.h"

#define MAX_VARS 32

struct var {
  const char *name;
  json_t *value; /* owned */
};

struct exec {
  const json_t *root;
  bool header;
  FILE *out;
  struct var vars[MAX_VARS];
  size_t n_vars;
  err_t *e;
};

static json_t *eval_pipe(struct exec *x, const struct tpl_pipe *p, json_t *dot);

/* ---- printing ---- */

static void print_value(FILE *f, const json_t *v);

static int cmp_keys(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go prints a map with its keys sorted: map[a:1 b:2]. */
static void print_object(FILE *f, const json_t *v) {
  size_t n = json_object_size(v), i = 0;
  _cleanup_free_ const char **keys = calloc(n + 1, sizeof *keys);
  const char *k;
  json_t *item;
  json_object_foreach((json_t *)v, k, item) if (keys) keys[i++] = k;
  if (keys)
    qsort(keys, n, sizeof *keys, cmp_keys);
  fputs("map[", f);
  for (i = 0; keys && i < n; i++) {
    fprintf(f, "%s%s:", i ? " " : "", keys[i]);
    print_value(f, json_object_get(v, keys[i]));
  }
  fputc(']', f);
}

static void print_value(FILE *f, const json_t *v) {
  if (!v) {
    fputs("<no value>", f);
    return;
  }
  switch (json_typeof(v)) {
  case JSON_STRING: fwrite(json_string_value(v), 1, json_string_length(v), f); break;
  case JSON_INTEGER: fprintf(f, "%lld", (long long)json_integer_value(v)); break;
  case JSON_REAL: fprintf(f, "%g", json_real_value(v)); break;
  case JSON_TRUE: fputs("true", f); break;
  case JSON_FALSE: fputs("false", f); break;
  case JSON_NULL: fputs("<nil>", f); break;
  case JSON_OBJECT: print_object(f, v); break;
  case JSON_ARRAY: {
    fputc('[', f);
    size_t i;
    json_t *item;
    json_array_foreach((json_t *)v, i, item) {
      if (i)
        fputc(' ', f);
      print_value(f, item);
    }
    fputc(']', f);
    break;
  }
  }
}

/* A value as text, on the heap. */
static char *to_text(const json_t *v) {
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  if (!f)
    return NULL;
  print_value(f, v);
  return memstream_text(f, &s);
}

static bool truth(const json_t *v) {
  if (!v)
    return false;
  switch (json_typeof(v)) {
  case JSON_STRING: return json_string_length(v) > 0;
  case JSON_INTEGER: return json_integer_value(v) != 0;
  case JSON_REAL: return json_real_value(v) != 0;
  case JSON_TRUE: return true;
  case JSON_OBJECT: return json_object_size(v) > 0;
  case JSON_ARRAY: return json_array_size(v) > 0;
  default: return false;
  }
}

/* ---- functions ---- */

static json_t *fail(struct exec *x, const char *fmt, const char *a) {
  err_set(x->e, EINVAL, fmt, a);
  return NULL;
}

static json_t *text_value(struct exec *x, char *s) {
  json_t *v = s ? json_string(s) : NULL;
  free(s);
  if (!v)
    err_set(x->e, ENOMEM, "format");
  return v;
}

static json_t *fn_json(struct exec *x, json_t **a) {
  /* Go's encoding/json: compact, keys sorted for maps. */
  return text_value(x, a[0] ? json_dumps(a[0], JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS)
                            : strdup("null"));
}

static json_t *fn_index(struct exec *x, json_t **a, size_t n) {
  json_t *v = a[0];
  for (size_t i = 1; i < n; i++) {
    if (json_is_object(v) && json_is_string(a[i])) {
      v = json_object_get(v, json_string_value(a[i]));
      if (!v) /* a missing key of a map of strings (Labels) is "" */
        return json_string("");
    } else if (json_is_array(v) && json_is_integer(a[i])) {
      json_int_t k = json_integer_value(a[i]);
      if (k < 0 || (size_t)k >= json_array_size(v))
        return fail(x, "--format: index %s out of range", "");
      v = json_array_get(v, (size_t)k);
    } else {
      return fail(x, "--format: cannot index %s", v ? "this value with that key" : "no value");
    }
  }
  return json_incref(v);
}

static json_t *fn_len(struct exec *x, json_t *v) {
  if (json_is_array(v))
    return json_integer((json_int_t)json_array_size(v));
  if (json_is_object(v))
    return json_integer((json_int_t)json_object_size(v));
  if (json_is_string(v))
    return json_integer((json_int_t)json_string_length(v));
  return fail(x, "--format: len of %s", v ? "a value without a length" : "no value");
}

static json_t *fn_join(struct exec *x, json_t *list, json_t *sep) {
  if (!json_is_array(list) || !json_is_string(sep))
    return fail(x, "--format: join wants a list and a string%s", "");
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  size_t i;
  json_t *item;
  json_array_foreach(list, i, item) {
    if (f && i)
      fputs(json_string_value(sep), f);
    if (f)
      print_value(f, item);
  }
  return text_value(x, memstream_text(f, &s));
}

static json_t *fn_split(struct exec *x, json_t *s, json_t *sep) {
  if (!json_is_string(s) || !json_is_string(sep) || !json_string_length(sep))
    return fail(x, "--format: split wants two strings%s", "");
  json_t *out = json_array();
  const char *p = json_string_value(s), *d = json_string_value(sep);
  for (const char *hit; out; p = hit + strlen(d)) {
    hit = strstr(p, d);
    json_array_append_new(out, json_stringn(p, hit ? (size_t)(hit - p) : strlen(p)));
    if (!hit)
      break;
  }
  return out;
}

/* upper, lower, title. */
static json_t *fn_case(struct exec *x, json_t *v, char how) {
  char *s = to_text(v);
  bool start = true;
  for (char *c = s; c && *c; c++) {
    if (how == 'u' || (how == 't' && start))
      *c = (char)toupper((unsigned char)*c);
    else if (how == 'l')
      *c = (char)tolower((unsigned char)*c);
    start = isspace((unsigned char)*c);
  }
  return text_value(x, s);
}

/* printf with %s %v %d %q %%, each verb taking the next argument. */
static json_t *fn_printf(struct exec *x, json_t **a, size_t n) {
  if (n < 1 || !json_is_string(a[0]))
    return fail(x, "--format: printf wants a format string%s", "");
  char *s = NULL;
  size_t len = 0, next = 1;
  FILE *f = open_memstream(&s, &len);
  for (const char *p = json_string_value(a[0]); f && *p; p++) {
    if (*p != '%' || !p[1]) {
      fputc(*p, f);
      continue;
    }
    char verb = *++p;
    if (verb == '%') {
      fputc('%', f);
      continue;
    }
    json_t *v = next < n ? a[next++] : NULL;
    if (verb == 'q')
      fputc('"', f);
    print_value(f, v);
    if (verb == 'q')
      fputc('"', f);
  }
  return text_value(x, memstream_text(f, &s));
}

/* print and println: the arguments, separated by blanks. */
static json_t *fn_print(struct exec *x, json_t **a, size_t n, bool line) {
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  for (size_t i = 0; f && i < n; i++) {
    if (i)
      fputc(' ', f);
    print_value(f, a[i]);
  }
  if (f && line)
    fputc('\n', f);
  return text_value(x, memstream_text(f, &s));
}

static bool equal(const json_t *a, const json_t *b) {
  return (!a && !b) || (a && b && json_equal(a, b));
}

static const struct {
  const char *name;
  size_t min, max;
} functions[] = {{"json", 1, 1},   {"index", 2, 8},  {"len", 1, 1},     {"join", 2, 2},
                 {"split", 2, 2},  {"upper", 1, 1},  {"lower", 1, 1},   {"title", 1, 1},
                 {"printf", 1, 16}, {"print", 0, 16}, {"println", 0, 16}, {"eq", 2, 2},
                 {"ne", 2, 2},     {"not", 1, 1},    {"and", 1, 16},    {"or", 1, 16}};
#define N_FUNCTIONS (sizeof functions / sizeof functions[0])

static size_t function_index(const char *name) {
  size_t k = 0;
  while (k < N_FUNCTIONS && strcmp(functions[k].name, name))
    k++;
  return k;
}

bool tpl_function_known(const char *name) {
  return function_index(name) < N_FUNCTIONS;
}

static json_t *call(struct exec *x, const char *name, json_t **a, size_t n) {
  size_t k = function_index(name);
  if (k == N_FUNCTIONS)
    return fail(x, "--format: unknown function \"%s\"", name);
  if (n < functions[k].min || n > functions[k].max)
    return fail(x, "--format: wrong number of arguments for %s", name);
  if (!strcmp(name, "json"))
    return fn_json(x, a);
  if (!strcmp(name, "index"))
    return fn_index(x, a, n);
  if (!strcmp(name, "len"))
    return fn_len(x, a[0]);
  if (!strcmp(name, "join"))
    return fn_join(x, a[0], a[1]);
  if (!strcmp(name, "split"))
    return fn_split(x, a[0], a[1]);
  if (!strcmp(name, "upper") || !strcmp(name, "lower") || !strcmp(name, "title"))
    return fn_case(x, a[0], name[0]);
  if (!strcmp(name, "printf"))
    return fn_printf(x, a, n);
  if (!strcmp(name, "print") || !strcmp(name, "println"))
    return fn_print(x, a, n, name[5] == 'l');
  if (!strcmp(name, "eq") || !strcmp(name, "ne"))
    return json_boolean(equal(a[0], a[1]) == (name[0] == 'e'));
  if (!strcmp(name, "not"))
    return json_boolean(!truth(a[0]));
  /* and: the first false argument or the last; or: the first true one or the last. */
  size_t i = 0;
  while (i + 1 < n && truth(a[i]) == (name[0] == 'a'))
    i++;
  return a[i] ? json_incref(a[i]) : json_null();
}

/* ---- operands and pipelines ---- */

static json_t *lookup_var(struct exec *x, const char *name) {
  if (!strcmp(name, "$"))
    return json_incref((json_t *)x->root);
  for (size_t i = x->n_vars; i-- > 0;)
    if (!strcmp(x->vars[i].name, name))
      return x->vars[i].value ? json_incref(x->vars[i].value) : NULL;
  return fail(x, "--format: undefined variable %s", name);
}

/* Follow .A.B from v (a new reference, consumed). */
static json_t *follow(struct exec *x, json_t *v, char *const *chain) {
  for (; chain && *chain && v; chain++) {
    if (x->header && json_is_string(v))
      return v; /* a header line: the field's name stands for all of it */
    if (!json_is_object(v)) {
      json_decref(v);
      return fail(x, "--format: can't evaluate field %s of a value that is not a map", *chain);
    }
    json_t *next = json_object_get(v, *chain);
    json_incref(next);
    json_decref(v);
    v = next;
  }
  return v;
}

static json_t *eval_arg(struct exec *x, const struct tpl_arg *a, json_t *dot) {
  switch (a->kind) {
  case ARG_LITERAL: return json_incref(a->literal);
  case ARG_FIELD: {
    json_t *base = a->name ? lookup_var(x, a->name) : json_incref(dot);
    return x->e->code ? NULL : follow(x, base, a->chain);
  }
  case ARG_PIPE: {
    json_t *v = eval_pipe(x, a->sub, dot);
    return x->e->code ? NULL : follow(x, v, a->chain);
  }
  case ARG_FUNC: return fail(x, "--format: %s is a function, not a value", a->name);
  }
  return NULL;
}

/* A command: a function call (with `piped` as its last argument), or one
 * operand. Returns a new reference, NULL for no value (or e set). */
static json_t *eval_cmd(struct exec *x, const struct tpl_cmd *c, json_t *dot, json_t *piped,
                        bool has_piped) {
  if (c->args[0].kind != ARG_FUNC) {
    if (c->n > 1 || has_piped)
      return fail(x, "--format: %s", "a value cannot take arguments");
    return eval_arg(x, &c->args[0], dot);
  }
  json_t *args[24] = {0};
  size_t n = 0;
  if (c->n > 20)
    return fail(x, "--format: too many arguments for %s", c->args[0].name);
  for (size_t i = 1; i < c->n && !x->e->code; i++)
    args[n++] = eval_arg(x, &c->args[i], dot);
  if (has_piped)
    args[n++] = json_incref(piped);
  json_t *v = x->e->code ? NULL : call(x, c->args[0].name, args, n);
  for (size_t i = 0; i < n; i++)
    json_decref(args[i]);
  return v;
}

static json_t *eval_pipe(struct exec *x, const struct tpl_pipe *p, json_t *dot) {
  json_t *v = NULL;
  for (size_t i = 0; i < p->n && !x->e->code; i++) {
    json_t *next = eval_cmd(x, &p->cmds[i], dot, v, i > 0);
    json_decref(v);
    v = next;
  }
  if (x->e->code) {
    json_decref(v);
    return NULL;
  }
  return v;
}

/* ---- nodes ---- */

static int set_var(struct exec *x, const char *name, json_t *value) {
  for (size_t i = x->n_vars; i-- > 0;) /* an assignment in the same scope */
    if (!strcmp(x->vars[i].name, name)) {
      json_decref(x->vars[i].value);
      x->vars[i].value = value;
      return 0;
    }
  if (x->n_vars == MAX_VARS) {
    json_decref(value);
    return err_set(x->e, EINVAL, "--format: too many variables");
  }
  x->vars[x->n_vars++] = (struct var){name, value};
  return 0;
}

static void drop_vars(struct exec *x, size_t keep) {
  while (x->n_vars > keep)
    json_decref(x->vars[--x->n_vars].value);
}

static int run_list(struct exec *x, const struct tpl_list *l, json_t *dot);

static int run_range(struct exec *x, const struct tpl_node *n, json_t *v) {
  const char *kname = n->pipe->vars[1] ? n->pipe->vars[0] : NULL;
  const char *vname = n->pipe->vars[1] ? n->pipe->vars[1] : n->pipe->vars[0];
  size_t count = json_is_array(v) ? json_array_size(v) : json_is_object(v) ? json_object_size(v) : 0;
  if (v && !json_is_array(v) && !json_is_object(v) && !json_is_null(v))
    return err_set(x->e, EINVAL, "--format: range over a value that is not a list or a map");
  if (!count)
    return run_list(x, &n->alt, v);
  /* A map's entries in the order of its sorted keys, as Go ranges. */
  _cleanup_free_ const char **keys = json_is_object(v) ? calloc(count, sizeof *keys) : NULL;
  if (json_is_object(v)) {
    if (!keys)
      return err_sys(x->e, "format");
    size_t i = 0;
    const char *k;
    json_t *item;
    json_object_foreach(v, k, item) keys[i++] = k;
    qsort(keys, count, sizeof *keys, cmp_keys);
  }
  for (size_t i = 0; i < count; i++) {
    json_t *item = keys ? json_object_get(v, keys[i]) : json_array_get(v, i);
    size_t scope = x->n_vars;
    int rc = 0;
    if (kname)
      rc = set_var(x, kname, keys ? json_string(keys[i]) : json_integer((json_int_t)i));
    if (rc == 0 && vname)
      rc = set_var(x, vname, json_incref(item));
    if (rc == 0)
      rc = run_list(x, &n->body, item);
    drop_vars(x, scope);
    if (rc < 0)
      return -1;
  }
  return 0;
}

static int run_node(struct exec *x, const struct tpl_node *n, json_t *dot) {
  if (n->kind == NODE_TEXT) {
    fputs(n->text, x->out);
    return 0;
  }
  _cleanup_json_ json_t *v = eval_pipe(x, n->pipe, dot);
  if (x->e->code)
    return -1;
  switch (n->kind) {
  case NODE_PRINT: print_value(x->out, v); return 0;
  case NODE_SET: return set_var(x, n->pipe->vars[0], json_incref(v));
  case NODE_IF: return run_list(x, truth(v) ? &n->body : &n->alt, dot);
  case NODE_WITH: return truth(v) ? run_list(x, &n->body, v) : run_list(x, &n->alt, dot);
  case NODE_RANGE: return run_range(x, n, v);
  default: return 0;
  }
}

/* Variables set in a list end with it. */
static int run_list(struct exec *x, const struct tpl_list *l, json_t *dot) {
  size_t scope = x->n_vars;
  int rc = 0;
  for (size_t i = 0; i < l->n && rc == 0; i++)
    rc = run_node(x, l->v[i], dot);
  drop_vars(x, scope);
  return rc;
}

int tpl_execute(const struct template *t, const json_t *doc, bool header, char **out, err_t *e) {
  size_t len = 0;
  struct exec x = {.root = doc, .header = header, .e = e};
  *out = NULL;
  if (!(x.out = open_memstream(out, &len)))
    return err_sys(e, "format");
  int rc = run_list(&x, &t->root, (json_t *)doc);
  if (fclose(x.out) != 0 && rc == 0)
    rc = err_sys(e, "format");
  if (rc < 0) {
    free(*out);
    *out = NULL;
  }
  return rc;
}
