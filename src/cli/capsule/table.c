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
      if (len > width[col])
        width[col] = len;
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
      fprintf(out, "%-*.*s", (int)(width[col] + 3), (int)len, p);
      p += len + 1;
    }
    free(t->lines[i]);
  }
  free(t->lines);
  free(t);
}
