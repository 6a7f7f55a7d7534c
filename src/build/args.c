#include "build/args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/cleanup.h"

struct lexer {
  const char *s;
  char escape;
  build_lookup_fn fn;
  void *ctx;
  err_t *e;
};

struct buf {
  char *p;
  size_t n, cap;
};

static int put(struct buf *b, const char *s, size_t n) {
  if (array_reserve_sz((void **)&b->p, &b->cap, b->n + n + 1, 1) < 0)
    return -1;
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
  return 0;
}

static int expand_until(struct lexer *x, const char *stop, bool split, struct buf *b,
                        char ***words, size_t *nw, size_t *cw, bool *has_word);

/* After "$": a name or ${...}; its value appended. */
static int variable(struct lexer *x, struct buf *b) {
  const char *s = x->s;
  bool braced = *s == '{';
  if (braced)
    s++;
  const char *name = s;
  while (isalnum((unsigned char)*s) || *s == '_')
    s++;
  size_t len = (size_t)(s - name);
  if (!len) {
    if (braced)
      return err_set(x->e, EINVAL, "bad substitution: '${%.20s'", name);
    x->s = s;
    return put(b, "$", 1);
  }
  _cleanup_free_ char *key = strndup(name, len);
  if (!key)
    return err_sys(x->e, "variables");
  const char *val = x->fn(x->ctx, key);
  if (!braced) {
    x->s = s;
    return val ? put(b, val, strlen(val)) : 0;
  }
  if (*s == '}') {
    x->s = s + 1;
    return val ? put(b, val, strlen(val)) : 0;
  }
  if (!*s)
    return err_set(x->e, EINVAL, "missing '}' in ${%s", key);
  bool colon = *s == ':';
  if (colon)
    s++;
  char op = *s;
  if (op != '-' && op != '+')
    return err_set(x->e, EINVAL, "unsupported modifier '%.2s' in ${%s...}", s - colon, key);
  x->s = s + 1;
  struct buf word = {0};
  bool any = false;
  if (expand_until(x, "}", false, &word, NULL, NULL, NULL, &any) < 0) {
    free(word.p);
    return -1;
  }
  if (*x->s != '}') {
    free(word.p);
    return err_set(x->e, EINVAL, "missing '}' in ${%s...}", key);
  }
  x->s++;
  bool set = val && (!colon || *val);
  const char *use = op == '-' ? (set ? val : word.p) : (set ? word.p : NULL);
  int r = use ? put(b, use, strlen(use)) : 0;
  free(word.p);
  return r;
}

static int end_word(struct buf *b, char ***words, size_t *nw, size_t *cw, bool *has_word) {
  if (!*has_word)
    return 0;
  if (array_reserve_sz((void **)words, cw, *nw + 2, sizeof **words) < 0)
    return -1;
  (*words)[(*nw)++] = b->p ? b->p : strdup("");
  (*words)[*nw] = NULL;
  *b = (struct buf){0};
  *has_word = false;
  return (*words)[*nw - 1] ? 0 : -1;
}

/* Expand up to an unquoted character of `stop` (or the end). */
static int expand_until(struct lexer *x, const char *stop, bool split, struct buf *b,
                        char ***words, size_t *nw, size_t *cw, bool *has_word) {
  char quote = 0;
  while (*x->s) {
    char c = *x->s;
    if (!quote && strchr(stop, c))
      return 0;
    if (quote == '\'') {
      x->s++;
      if (c == '\'')
        quote = 0;
      else if (put(b, &c, 1) < 0)
        return err_sys(x->e, "variables");
      continue;
    }
    if (c == x->escape && x->s[1]) {
      char n = x->s[1];
      x->s += 2;
      *has_word = true;
      /* In double quotes the escape only escapes what is special there. */
      if (quote && n != '"' && n != '$' && n != x->escape && put(b, &c, 1) < 0)
        return err_sys(x->e, "variables");
      if (put(b, &n, 1) < 0)
        return err_sys(x->e, "variables");
      continue;
    }
    x->s++;
    if (c == '"' || (c == '\'' && !quote)) {
      quote = quote ? 0 : c;
      *has_word = true;
    } else if (c == '$') {
      *has_word = true;
      if (variable(x, b) < 0)
        return -1;
    } else if (split && !quote && (c == ' ' || c == '\t' || c == '\n')) {
      if (end_word(b, words, nw, cw, has_word) < 0)
        return err_sys(x->e, "variables");
    } else {
      *has_word = true;
      if (put(b, &c, 1) < 0)
        return err_sys(x->e, "variables");
    }
  }
  if (quote)
    return err_set(x->e, EINVAL, "unmatched %c quote", quote);
  return 0;
}

int build_words(const char *s, char escape, build_lookup_fn fn, void *ctx, bool split,
                char ***out, err_t *e) {
  struct lexer x = {s, escape, fn, ctx, e};
  struct buf b = {0};
  char **words = calloc(1, sizeof *words);
  size_t nw = 0, cw = 1;
  bool has = !split;
  if (!words)
    return err_sys(e, "variables");
  if (expand_until(&x, "", split, &b, &words, &nw, &cw, &has) < 0 ||
      end_word(&b, &words, &nw, &cw, &has) < 0) {
    if (!e->code)
      err_sys(e, "variables");
    free(b.p);
    strv_free(words);
    return -1;
  }
  *out = words;
  return 0;
}

int build_word(const char *s, char escape, build_lookup_fn fn, void *ctx, char **out, err_t *e) {
  char **v;
  if (build_words(s, escape, fn, ctx, false, &v, e) < 0)
    return -1;
  *out = v[0];
  v[0] = NULL;
  strv_free(v);
  return 0;
}
