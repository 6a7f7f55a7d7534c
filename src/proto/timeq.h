/* A time-ordered queue (binary min-heap) of timers or events, shared by the
 * transports: items at the same instant come out in the order they went
 * in, so that runs replay exactly. */
#ifndef CAPSULE_PROTO_TIMEQ_H
#define CAPSULE_PROTO_TIMEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timeq_item {
  double at;
  uint64_t seq;
  union {
    uint64_t token;
    void *ptr;
  };
};

struct timeq {
  struct timeq_item *v;
  int64_t n;
  size_t cap;
  uint64_t seq;
};

/* -1 on ENOMEM (the item is not queued). */
int timeq_push(struct timeq *q, struct timeq_item item);
/* The earliest item; the queue must not be empty. */
struct timeq_item timeq_pop(struct timeq *q);
static inline bool timeq_due(const struct timeq *q, double now) {
  return q->n && q->v[0].at <= now;
}
void timeq_free(struct timeq *q);

#endif
