#include "util/template.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* A template is a list of pieces: literal text, or a field index. */
struct piece {
  char *text; /* NULL for a field */
  int field;
};

struct template {
  struct piece *pieces;
  size_t n;
  bool table;
};

void template_free(struct template *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->n; i++)
    free(t->pieces[i].text);
  free(t->pieces);
  free(t);
}

bool template_is_table(const struct template *t) {
  return t->table;
}

static int add_piece(struct template *t, char *text, int field, err_t *e) {
  struct piece *p = realloc(t->pieces, (t->n + 1) * sizeof(*p));
  if (!p) {
    free(text);
    return err_sys(e, "format");
  }
  t->pieces = p;
  p[t->n++] = (struct piece){text, field};
  return 0;
}

/* Literal text with \t and \n turned into tabs and newlines. */
static int add_text(struct template *t, const char *s, size_t len, err_t *e) {
  if (!len)
    return 0;
  char *text = malloc(len + 1);
  if (!text)
    return err_sys(e, "format");
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\\' && i + 1 < len && (s[i + 1] == 't' || s[i + 1] == 'n'))
      text[n++] = s[++i] == 't' ? '\t' : '\n';
    else
      text[n++] = s[i];
  }
  text[n] = '\0';
  return add_piece(t, text, -1, e);
}

static int add_field(struct template *t, const char *s, size_t len, const char *const *fields,
                     err_t *e) {
  while (len && isspace((unsigned char)*s))
    s++, len--;
  while (len && isspace((unsigned char)s[len - 1]))
    len--;
  if (len < 2 || s[0] != '.') {
    return err_set(e, EINVAL, "--format: unsupported action {{%.*s}} (want {{.Field}})", (int)len,
                   s);
  }
  for (int i = 0; fields[i]; i++)
    if (strlen(fields[i]) == len - 1 && !strncmp(fields[i], s + 1, len - 1))
      return add_piece(t, NULL, i, e);
  char known[512] = "";
  size_t off = 0;
  for (int i = 0; fields[i] && off < sizeof(known); i++)
    off += (size_t)snprintf(known + off, sizeof(known) - off, "%s.%s", i ? " " : "", fields[i]);
  return err_set(e, EINVAL, "--format: unknown field %.*s (known: %s)", (int)len, s, known);
}

int template_parse(const char *text, const char *const *fields, struct template **out, err_t *e) {
  struct template *t = calloc(1, sizeof(*t));
  if (!t)
    return err_sys(e, "format");
  if (!strncmp(text, "table", 5) && (text[5] == ' ' || text[5] == '\t' || !text[5])) {
    t->table = true;
    text += 5 + (text[5] != '\0');
  }
  const char *p = text;
  while (*p) {
    const char *open = strstr(p, "{{");
    if (!open) {
      if (add_text(t, p, strlen(p), e) < 0)
        goto fail;
      break;
    }
    const char *close = strstr(open + 2, "}}");
    if (!close) {
      err_set(e, EINVAL, "--format: unclosed {{ in '%s'", text);
      goto fail;
    }
    if (add_text(t, p, (size_t)(open - p), e) < 0 ||
        add_field(t, open + 2, (size_t)(close - open - 2), fields, e) < 0)
      goto fail;
    p = close + 2;
  }
  *out = t;
  return 0;
fail:
  template_free(t);
  return -1;
}

static char *render(const struct template *t, const char *(*value)(void *, int), void *ctx,
                    const char *const *headers) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f)
    return NULL;
  for (size_t i = 0; i < t->n; i++) {
    const struct piece *p = &t->pieces[i];
    const char *s = p->text ? p->text : headers ? headers[p->field] : value(ctx, p->field);
    fputs(s ? s : "", f);
  }
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

char *template_render(const struct template *t, const char *(*value)(void *ctx, int field),
                      void *ctx) {
  return render(t, value, ctx, NULL);
}

char *template_render_header(const struct template *t, const char *const *headers) {
  return render(t, NULL, NULL, headers);
}
