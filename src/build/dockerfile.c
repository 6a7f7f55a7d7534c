#include "build/dockerfile.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/cleanup.h"
#include "util/json.h"

struct lines {
  char **v;
  size_t n;
};

static void lines_free(struct lines *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
}

static int split_lines(const char *text, size_t len, struct lines *out, err_t *e) {
  size_t cap = 0;
  for (size_t at = 0; at < len;) {
    const char *nl = memchr(text + at, '\n', len - at);
    size_t end = nl ? (size_t)(nl - text) : len, n = end - at;
    if (n && text[at + n - 1] == '\r')
      n--;
    if (memchr(text + at, '\0', n))
      return err_set(e, EINVAL, "line %zu: a NUL byte", out->n + 1);
    if (array_reserve_sz((void **)&out->v, &cap, out->n + 1, sizeof *out->v) < 0 ||
        !(out->v[out->n] = strndup(text + at, n)))
      return err_sys(e, "Dockerfile");
    out->n++;
    at = end + 1;
  }
  return 0;
}

static const char *skip_space(const char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  return s;
}

static bool blank_or_comment(const char *s) {
  s = skip_space(s);
  return !*s || *s == '#';
}

/* "# name=value" before anything else. */
static bool directive(const char *line, char *escape) {
  const char *s = skip_space(line);
  if (*s != '#')
    return false;
  s = skip_space(s + 1);
  const char *k = s;
  while (isalpha((unsigned char)*s))
    s++;
  size_t klen = (size_t)(s - k);
  s = skip_space(s);
  if (!klen || *s != '=')
    return false;
  s = skip_space(s + 1);
  if (klen == 6 && !strncasecmp(k, "escape", 6)) {
    if ((*s == '\\' || *s == '`') && !*skip_space(s + 1))
      *escape = *s;
    return true;
  }
  return true; /* syntax=, check=: known to BuildKit, nothing to do here */
}

/* Whether the line, right-trimmed, ends in the escape character (which is
 * then cut off). */
static bool continues(char *line, char escape) {
  size_t n = strlen(line);
  while (n && isspace((unsigned char)line[n - 1]))
    n--;
  if (!n || line[n - 1] != escape)
    return false;
  line[n - 1] = '\0';
  return true;
}

static char *append(char *a, const char *b) {
  size_t la = a ? strlen(a) : 0, lb = strlen(b);
  char *r = realloc(a, la + lb + 1);
  if (!r) {
    free(a);
    return NULL;
  }
  memcpy(r + la, b, lb + 1);
  return r;
}

static bool takes_flags(const char *k) {
  return !strcmp(k, "FROM") || !strcmp(k, "RUN") || !strcmp(k, "COPY") || !strcmp(k, "ADD") ||
         !strcmp(k, "HEALTHCHECK");
}

static bool takes_heredocs(const char *k) {
  return !strcmp(k, "RUN") || !strcmp(k, "COPY") || !strcmp(k, "ADD");
}

static int push_str(char ***v, size_t *n, size_t *cap, const char *s, size_t len) {
  if (array_reserve_sz((void **)v, cap, *n + 2, sizeof **v) < 0 || !((*v)[*n] = strndup(s, len)))
    return -1;
  (*v)[++*n] = NULL;
  return 0;
}

/* A JSON array of strings, or NULL (then the shell form applies, as
 * docker: "[oops" is a shell command). */
static char **exec_form(const char *args) {
  if (*args != '[')
    return NULL;
  json_error_t je;
  _cleanup_json_ json_t *a = json_loads(args, JSON_DECODE_ANY, &je);
  if (!json_is_array(a))
    return NULL;
  char **v = calloc(json_array_size(a) + 1, sizeof *v);
  size_t i;
  json_t *it;
  json_array_foreach(a, i, it) {
    if (!v || !json_is_string(it) || !(v[i] = strdup(json_string_value(it)))) {
      strv_free(v);
      return NULL;
    }
  }
  return v;
}

/* The here-documents an instruction names ("<<EOF", "<<-EOF", "<<'EOF'"),
 * read from the lines after it; *next moves past their terminators. */
static int read_heredocs(struct df_instr *in, const struct lines *l, size_t *next,
                         const char *name, err_t *e) {
  for (const char *s = in->args; (s = strstr(s, "<<"));) {
    s += 2;
    bool strip = *s == '-';
    if (strip)
      s++;
    char quote = (*s == '\'' || *s == '"') ? *s++ : 0;
    const char *w = s;
    while (*s && (isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.'))
      s++;
    if (s == w || (quote && *s != quote))
      continue;
    struct df_heredoc *h = realloc(in->heredocs, (in->n_heredocs + 1) * sizeof *h);
    if (!h)
      return err_sys(e, "Dockerfile");
    in->heredocs = h;
    h = &in->heredocs[in->n_heredocs++];
    *h = (struct df_heredoc){.name = strndup(w, (size_t)(s - w)), .body = strdup(""),
                             .expand = !quote};
    if (!h->name || !h->body)
      return err_sys(e, "Dockerfile");
    for (;; (*next)++) {
      if (*next >= l->n)
        return err_set(e, EINVAL, "%s:%d: here-document '%s' has no end", name, in->line,
                       h->name);
      const char *line = l->v[*next];
      if (strip)
        while (*line == '\t')
          line++;
      if (!strcmp(line, h->name)) {
        (*next)++;
        break;
      }
      if (!(h->body = append(h->body, line)) || !(h->body = append(h->body, "\n")))
        return err_sys(e, "Dockerfile");
    }
    if (quote)
      s++;
  }
  return 0;
}

/* One instruction from its joined text. */
static int instr_make(struct df_instr *in, const char *joined, const char *name, err_t *e) {
  const char *s = skip_space(joined);
  const char *k = s;
  while (*s && !isspace((unsigned char)*s))
    s++;
  if (!(in->keyword = strndup(k, (size_t)(s - k))) || !(in->text = strdup(k)))
    return err_sys(e, "Dockerfile");
  for (char *p = in->keyword; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  size_t n = 0, cap = 0;
  s = skip_space(s);
  while (takes_flags(in->keyword) && !strncmp(s, "--", 2)) {
    const char *f = s;
    while (*s && !isspace((unsigned char)*s))
      s++;
    if (push_str(&in->flags, &n, &cap, f, (size_t)(s - f)) < 0)
      return err_sys(e, "Dockerfile");
    s = skip_space(s);
  }
  if (!in->flags && !(in->flags = calloc(1, sizeof *in->flags)))
    return err_sys(e, "Dockerfile");
  size_t len = strlen(s);
  while (len && isspace((unsigned char)s[len - 1]))
    len--;
  if (!(in->args = strndup(s, len)))
    return err_sys(e, "Dockerfile");
  in->exec = exec_form(in->args);
  (void)name;
  return 0;
}

int dockerfile_parse(const char *text, size_t len, const char *name, struct dockerfile *out,
                     err_t *e) {
  *out = (struct dockerfile){.escape = '\\'};
  struct lines l = {0};
  int ret = -1;
  size_t cap = 0, i = 0;
  if (split_lines(text, len, &l, e) < 0) {
    err_wrap(e, "%s", name);
    goto out;
  }
  for (; i < l.n && directive(l.v[i], &out->escape); i++)
    ;
  while (i < l.n) {
    if (blank_or_comment(l.v[i])) {
      i++;
      continue;
    }
    struct df_instr in = {.line = (int)i + 1};
    _cleanup_free_ char *joined = NULL;
    bool more = true;
    while (more && i < l.n) {
      /* Comment lines inside a continuation are dropped, as docker. */
      if (joined && blank_or_comment(l.v[i]) && *skip_space(l.v[i]) == '#') {
        i++;
        continue;
      }
      more = continues(l.v[i], out->escape);
      if (!(joined = append(joined, l.v[i++])) || (more && !(joined = append(joined, " ")))) {
        err_sys(e, "Dockerfile");
        goto out;
      }
    }
    if (array_reserve_sz((void **)&out->v, &cap, out->n + 1, sizeof *out->v) < 0) {
      err_sys(e, "Dockerfile");
      goto out;
    }
    out->v[out->n] = in;
    struct df_instr *p = &out->v[out->n++];
    if (instr_make(p, joined, name, e) < 0 ||
        (takes_heredocs(p->keyword) && !p->exec && read_heredocs(p, &l, &i, name, e) < 0))
      goto out;
  }
  ret = 0;
out:
  lines_free(&l);
  if (ret < 0)
    dockerfile_free(out);
  return ret;
}

void dockerfile_free(struct dockerfile *d) {
  for (size_t i = 0; i < d->n; i++) {
    struct df_instr *in = &d->v[i];
    free(in->keyword);
    strv_free(in->flags);
    free(in->args);
    strv_free(in->exec);
    free(in->text);
    for (size_t h = 0; h < in->n_heredocs; h++) {
      free(in->heredocs[h].name);
      free(in->heredocs[h].body);
    }
    free(in->heredocs);
  }
  free(d->v);
  *d = (struct dockerfile){0};
}

const char *df_flag(const struct df_instr *in, const char *name) {
  size_t n = strlen(name);
  for (char **f = in->flags; f && *f; f++)
    if (!strncmp(*f + 2, name, n) && ((*f)[2 + n] == '=' || !(*f)[2 + n]))
      return (*f)[2 + n] ? *f + 3 + n : "";
  return NULL;
}
