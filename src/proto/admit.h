/* Admission of live migrations onto a shared link (a backbone, a rack's
 * uplink): at most `cap` migrations cross it at once, the others wait.
 * Beyond what the link carries at full speed every migration slows down,
 * its pages are dirtied faster than they are sent, and pre-copy sends up to
 * three times the memory before it gives up (docs/SIMULATION.md, "The
 * harsher load"): admitting fewer migrations moves more VMs per second.
 *
 * The signal is the link's own occupation (migrations in flight, as bytes
 * in flight per link would give), which the coordinators cannot see soon
 * enough from their own migrations' durations. The waiting migration worth
 * most goes first (the one that relieves its source's overload most: a
 * repair before a prevention), then the oldest; one that waited past its
 * deadline is refused, so that its plan
 * fails and its partition is planned again on fresh state rather than kept
 * locked behind the queue. Pure bookkeeping: the transport blocks and wakes
 * the migrations. */
#ifndef CAPSULE_PROTO_ADMIT_H
#define CAPSULE_PROTO_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

struct admit_wait {
  uint64_t id;
  double since;
};

struct admit {
  int32_t cap;      /* migrations admitted at once; 0: no admission control */
  int32_t inflight; /* admitted and not released */
  struct admit_wait *q;
  int32_t n, qcap;
  /* what happened */
  uint64_t admitted_at_once, admitted_after_wait, expired;
  int32_t max_waiting;
  double waited; /* seconds waited, summed over the migrations admitted after a wait */
};

void admit_init(struct admit *a, int32_t cap);
void admit_free(struct admit *a);

/* Migration `id` asks to enter the link at `now`: 1 admitted, 0 queued (it
 * waits for admit_next() to name it, or for its deadline), -1 on ENOMEM
 * (it is not queued). */
int admit_request(struct admit *a, uint64_t id, double now);

/* An admitted migration ended: its slot goes to the next waiting one,
 * whose id is returned in `*id` (true): the one of highest `worth` now
 * (NULL: all are worth the same), the oldest among equals. False when
 * nobody waits: the slot stays free. */
bool admit_next(struct admit *a, double now, double (*worth)(void *data, uint64_t id),
                void *data, uint64_t *id);

/* Migration `id` stopped waiting (its deadline passed): it leaves the queue
 * without a slot. False when it was not waiting. */
bool admit_cancel(struct admit *a, uint64_t id);

/* The link is congested: every slot is taken and migrations wait. */
static inline bool admit_congested(const struct admit *a) {
  return a->cap > 0 && a->n > 0;
}

#endif
