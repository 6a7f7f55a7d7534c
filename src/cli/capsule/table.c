#include "cli/capsule/table.h"

#include <stdlib.h>
#include <string.h>

struct table {
  char **lines;
  size_t n;
};

struct table *table_new(void) {
  return calloc(1, sizeof(struct table));
}

void table_add(struct table *t, char *line) {
  if (!t || !line)
    return;
  char **v = realloc(t->lines, (t->n + 1) * sizeof(*v));
  if (!v) {
    free(line);
    return;
  }
  t->lines = v;
  t->lines[t->n++] = line;
}

#define MAX_COLUMNS 32

/* Characters in the first `len` bytes of UTF-8 text ("…" is one). */
static size_t text_width(const char *p, size_t len) {
  size_t w = 0;
  for (size_t i = 0; i < len; i++)
    w += ((unsigned char)p[i] & 0xc0) != 0x80;
  return w;
}

void table_print(struct table *t, FILE *out) {
  if (!t)
    return;
  size_t width[MAX_COLUMNS] = {0};
  for (size_t i = 0; i < t->n; i++) {
    size_t col = 0;
    for (char *p = t->lines[i]; col < MAX_COLUMNS; col++) {
      size_t len = strcspn(p, "\t");
      if (!p[len])
        break; /* the last cell is not padded */
      if (text_width(p, len) > width[col])
        width[col] = text_width(p, len);
      p += len + 1;
    }
  }
  for (size_t i = 0; i < t->n; i++) {
    size_t col = 0;
    for (char *p = t->lines[i];; col++) {
      size_t len = strcspn(p, "\t");
      if (!p[len] || col >= MAX_COLUMNS) {
        fprintf(out, "%s\n", p);
        break;
      }
      fprintf(out, "%.*s%*s", (int)len, p, (int)(width[col] + 3 - text_width(p, len)), "");
      p += len + 1;
    }
    free(t->lines[i]);
  }
  free(t->lines);
  free(t);
}
