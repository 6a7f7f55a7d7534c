#include "build/ignore.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* "a/./b//c/" -> "a/b/c"; ".." elements are kept (they match nothing). */
static char *clean(const char *p) {
  char *out = malloc(strlen(p) + 1);
  if (!out)
    return NULL;
  size_t n = 0;
  while (*p) {
    while (*p == '/')
      p++;
    const char *s = p;
    while (*p && *p != '/')
      p++;
    size_t len = (size_t)(p - s);
    if (!len || (len == 1 && *s == '.'))
      continue;
    if (n)
      out[n++] = '/';
    memcpy(out + n, s, len);
    n += len;
  }
  out[n] = '\0';
  return out;
}

int ignore_parse(const char *text, struct ignore *out, err_t *e) {
  *out = (struct ignore){0};
  for (const char *s = text; s && *s;) {
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    _cleanup_free_ char *line = strndup(s, len);
    s += len + (nl != NULL);
    if (!line)
      return err_sys(e, ".dockerignore");
    char *p = line, *end = line + strlen(line);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
      *--end = '\0';
    while (*p == ' ' || *p == '\t')
      p++;
    if (!*p || *p == '#')
      continue;
    bool except = *p == '!';
    if (except)
      p++;
    char *pat = clean(p);
    struct ignore_rule *v = realloc(out->v, (out->n + 1) * sizeof *v);
    if (!pat || !v) {
      free(pat);
      if (v)
        out->v = v;
      ignore_free(out);
      return err_sys(e, ".dockerignore");
    }
    out->v = v;
    out->v[out->n++] = (struct ignore_rule){pat, except};
    out->has_exceptions |= except;
  }
  return 0;
}

void ignore_free(struct ignore *ig) {
  for (size_t i = 0; i < ig->n; i++)
    free(ig->v[i].pattern);
  free(ig->v);
  *ig = (struct ignore){0};
}

/* Pattern `p` against path `s`, element by element; "**" takes any number
 * of elements (none too). */
static bool match_elems(const char *p, const char *s) {
  if (!*p)
    return !*s;
  const char *pe = strchr(p, '/');
  size_t plen = pe ? (size_t)(pe - p) : strlen(p);
  const char *pnext = pe ? pe + 1 : p + plen;
  if (plen == 2 && !strncmp(p, "**", 2)) {
    if (match_elems(pnext, s))
      return true;
    const char *se = strchr(s, '/');
    return *s && match_elems(p, se ? se + 1 : s + strlen(s));
  }
  if (!*s)
    return false;
  const char *se = strchr(s, '/');
  size_t slen = se ? (size_t)(se - s) : strlen(s);
  char pat[plen + 1], elem[slen + 1];
  memcpy(pat, p, plen);
  pat[plen] = '\0';
  memcpy(elem, s, slen);
  elem[slen] = '\0';
  if (fnmatch(pat, elem, 0) != 0)
    return false;
  /* A pattern that ends here matches the directory and so its contents. */
  if (!pe)
    return true;
  return match_elems(pnext, se ? se + 1 : s + slen);
}

bool ignore_match(const struct ignore *ig, const char *path) {
  bool out = false;
  for (size_t i = 0; i < ig->n; i++)
    if (match_elems(ig->v[i].pattern, path))
      out = !ig->v[i].except;
  return out;
}
