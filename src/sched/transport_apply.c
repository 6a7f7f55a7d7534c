#include "sched/transport_apply.h"

#include <stdlib.h>
#include <string.h>

void apply_init(struct apply_run *r) {
  memset(r, 0, sizeof *r);
  sched_plan_init(&r->plan);
}

void apply_free(struct apply_run *r) {
  sched_plan_free(&r->plan);
  memset(r, 0, sizeof *r);
}

/* Send the MIGRATE orders of the current step; actions other than
 * migrations (node power, boots) complete at once: the simulated platform
 * has no power states. */
static enum apply_status start_step(struct apply_run *r, const struct transport *t,
                                    double step_timeout) {
  for (; r->step < r->plan.nsteps; r->step++) {
    int32_t n;
    const struct sched_action *a = sched_plan_step(&r->plan, r->step, &n);
    r->pending = 0;
    for (int32_t i = 0; i < n; i++) {
      if (a[i].kind != SCHED_MIGRATE)
        continue;
      struct apply_migrate *m =
          (struct apply_migrate *)msg_new(APPLY_MIGRATE, sizeof(struct apply_migrate));
      if (!m) {
        r->failed = true;
        break;
      }
      m->tag = r->tag;
      m->version = r->version;
      m->idx = (uint32_t)(&a[i] - r->plan.actions);
      m->ve = a[i].ve;
      m->dst = a[i].dst;
      tp_send(t, r->coordinator, a[i].src, &m->h);
      r->pending++;
    }
    if (r->pending) {
      tp_timer(t, r->coordinator, step_timeout, r->timer);
      return APPLY_RUNNING;
    }
    if (r->failed)
      break;
  }
  r->active = false;
  return r->failed ? APPLY_FAILED : APPLY_DONE;
}

enum apply_status apply_start(struct apply_run *r, const struct transport *t,
                              int32_t coordinator, uint64_t tag, uint32_t version,
                              struct sched_plan *plan, uint64_t timer_token, double step_timeout) {
  struct sched_plan swap = r->plan;
  r->plan = *plan;
  *plan = swap;
  sched_plan_clear(plan);
  r->coordinator = coordinator;
  r->tag = tag;
  r->version = version;
  r->step = 0;
  r->pending = 0;
  r->failed = false;
  r->active = true;
  r->started = tp_now(t);
  r->timer = timer_token;
  r->done_migrations = r->failed_migrations = 0;
  r->step_timeout = step_timeout;
  return start_step(r, t, step_timeout);
}

static bool in_running_step(const struct apply_run *r, uint32_t idx) {
  if (!r->active || r->step >= r->plan.nsteps)
    return false;
  return (int32_t)idx >= r->plan.step_start[r->step] &&
         (int32_t)idx < r->plan.step_start[r->step + 1];
}

enum apply_status apply_on_migrated(struct apply_run *r, const struct transport *t,
                                    const struct apply_migrated *m) {
  if (m->tag != r->tag || !in_running_step(r, m->idx))
    return r->active ? APPLY_RUNNING : (r->failed ? APPLY_FAILED : APPLY_DONE);
  if (m->ok)
    r->done_migrations++;
  else {
    r->failed_migrations++;
    r->failed = true;
  }
  if (--r->pending > 0)
    return APPLY_RUNNING;
  if (r->failed) {
    r->active = false;
    return APPLY_FAILED;
  }
  r->step++;
  r->timer++;
  return start_step(r, t, r->step_timeout);
}

enum apply_status apply_timeout(struct apply_run *r, uint64_t token) {
  if (!r->active || token != r->timer)
    return r->active ? APPLY_RUNNING : (r->failed ? APPLY_FAILED : APPLY_DONE);
  r->failed = true;
  r->active = false;
  return APPLY_FAILED;
}

void apply_local_free(struct apply_local *l) {
  free(l->slots);
  memset(l, 0, sizeof *l);
}

static void answer(const struct transport *t, int32_t node, int32_t coordinator, uint64_t tag,
                   uint32_t idx, bool ok) {
  struct apply_migrated *a =
      (struct apply_migrated *)msg_new(APPLY_MIGRATED, sizeof(struct apply_migrated));
  if (!a)
    return; /* the coordinator's step timeout covers a lost answer */
  a->tag = tag;
  a->idx = idx;
  a->ok = ok;
  tp_send(t, node, coordinator, &a->h);
}

void apply_local_migrate(struct apply_local *l, const struct transport *t, int32_t node,
                         const struct apply_migrate *m, bool ok) {
  if (ok && l->n == l->cap) {
    int32_t cap = l->cap ? 2 * l->cap : 4;
    struct apply_local_slot *p = realloc(l->slots, cap * sizeof *p);
    if (p) {
      l->slots = p;
      l->cap = cap;
    } else {
      ok = false;
    }
  }
  if (!ok) {
    answer(t, node, m->h.from, m->tag, m->idx, false);
    return;
  }
  struct apply_local_slot *s = &l->slots[l->n++];
  s->token = ++l->next_token;
  s->coordinator = m->h.from;
  s->tag = m->tag;
  s->idx = m->idx;
  t->ops->migrate(t->ctx, node, m->ve, m->dst, s->token);
}

bool apply_local_migrated(struct apply_local *l, const struct transport *t, int32_t node,
                          uint64_t token, bool ok) {
  for (int32_t i = 0; i < l->n; i++) {
    if (l->slots[i].token != token)
      continue;
    struct apply_local_slot s = l->slots[i];
    l->slots[i] = l->slots[--l->n];
    answer(t, node, s.coordinator, s.tag, s.idx, ok);
    return true;
  }
  return false;
}
