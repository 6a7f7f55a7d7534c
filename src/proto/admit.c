#include "proto/admit.h"

#include <stdlib.h>
#include <string.h>

#include "util/array.h"

void admit_init(struct admit *a, int32_t cap) {
  memset(a, 0, sizeof *a);
  a->cap = cap;
}

void admit_free(struct admit *a) {
  free(a->q);
  memset(a, 0, sizeof *a);
}

int admit_request(struct admit *a, uint64_t id, double now) {
  if (a->cap <= 0 || a->inflight < a->cap) {
    a->inflight++;
    a->admitted_at_once++;
    return 1;
  }
  if (array_reserve((void **)&a->q, &a->qcap, a->n + 1, sizeof *a->q) < 0)
    return -1;
  a->q[a->n++] = (struct admit_wait){.id = id, .since = now};
  if (a->n > a->max_waiting)
    a->max_waiting = a->n;
  return 0;
}

/* The queue is in arrival order: removing keeps it so. */
static void remove_at(struct admit *a, int32_t i) {
  memmove(&a->q[i], &a->q[i + 1], (size_t)(a->n - i - 1) * sizeof *a->q);
  a->n--;
}

bool admit_next(struct admit *a, double now, double (*worth)(void *data, uint64_t id),
                void *data, uint64_t *id) {
  if (a->inflight > 0)
    a->inflight--;
  if (!a->n)
    return false;
  int32_t pick = 0;
  double best = worth ? worth(data, a->q[0].id) : 0;
  for (int32_t i = 1; worth && i < a->n; i++) {
    double w = worth(data, a->q[i].id);
    if (w > best) {
      best = w;
      pick = i;
    }
  }
  *id = a->q[pick].id;
  a->waited += now - a->q[pick].since;
  a->admitted_after_wait++;
  a->inflight++;
  remove_at(a, pick);
  return true;
}

bool admit_cancel(struct admit *a, uint64_t id) {
  for (int32_t i = 0; i < a->n; i++)
    if (a->q[i].id == id) {
      remove_at(a, i);
      a->expired++;
      return true;
    }
  return false;
}
