#include "proto/timeq.h"

#include <stdlib.h>
#include <string.h>

#include "util/array.h"

static bool before(const struct timeq_item *a, const struct timeq_item *b) {
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

int timeq_push(struct timeq *q, struct timeq_item item) {
  if (array_reserve_sz((void **)&q->v, &q->cap, (size_t)q->n + 1, sizeof *q->v) < 0)
    return -1;
  item.seq = q->seq++;
  int64_t i = q->n++;
  while (i > 0 && before(&item, &q->v[(i - 1) / 2])) {
    q->v[i] = q->v[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  q->v[i] = item;
  return 0;
}

struct timeq_item timeq_pop(struct timeq *q) {
  struct timeq_item top = q->v[0], last = q->v[--q->n];
  int64_t i = 0;
  for (;;) {
    int64_t c = 2 * i + 1;
    if (c >= q->n)
      break;
    if (c + 1 < q->n && before(&q->v[c + 1], &q->v[c]))
      c++;
    if (!before(&q->v[c], &last))
      break;
    q->v[i] = q->v[c];
    i = c;
  }
  if (q->n)
    q->v[i] = last;
  return top;
}

void timeq_free(struct timeq *q) {
  free(q->v);
  memset(q, 0, sizeof *q);
}
