#include "proto/apply.h"

#include <stdlib.h>
#include <string.h>

#include "util/array.h"

void apply_init(struct apply_run *r) {
  memset(r, 0, sizeof *r);
  sched_plan_init(&r->plan);
}

void apply_free(struct apply_run *r) {
  sched_plan_free(&r->plan);
  free(r->nodes);
  free(r->state);
  memset(r, 0, sizeof *r);
}

static int32_t step_end(const struct apply_run *r) {
  return r->plan.step_start[r->step + 1];
}

static bool node_busy(const struct apply_run *r, int32_t node) {
  for (int32_t i = r->plan.step_start[r->step]; i < step_end(r); i++)
    if (r->state[i] == ACTION_SENT &&
        (r->plan.actions[i].src == node || r->plan.actions[i].dst == node))
      return true;
  return false;
}

/* Send what the current step allows: a node takes part in one migration at
 * a time (as Nova's max_concurrent_live_migrations = 1), the busiest VE
 * first, so that an overloaded source is relieved after one migration's
 * time rather than after all of them sharing its NIC. Any order is valid:
 * the step is valid with all of its migrations at once. */
static void launch(struct apply_run *r, const struct transport *t) {
  for (;;) {
    int32_t best = -1;
    for (int32_t i = r->plan.step_start[r->step]; i < step_end(r); i++) {
      const struct sched_action *a = &r->plan.actions[i];
      if (r->state[i] != ACTION_WAITING || node_busy(r, a->src) || node_busy(r, a->dst))
        continue;
      if (best < 0 || a->cpu > r->plan.actions[best].cpu)
        best = i;
    }
    if (best < 0)
      return;
    const struct sched_action *a = &r->plan.actions[best];
    struct apply_migrate *m =
        (struct apply_migrate *)msg_new(APPLY_MIGRATE, sizeof(struct apply_migrate));
    r->state[best] = ACTION_SENT;
    r->inflight++;
    r->waiting--;
    if (!m) { /* answered as failed by the step timeout */
      r->failed = true;
      continue;
    }
    m->tag = r->tag;
    m->version = r->version;
    m->idx = (uint32_t)best;
    m->ve = a->ve;
    m->dst = a->dst;
    tp_send(t, r->coordinator, a->src, &m->h);
  }
}

/* The audit sees the cluster as it is now: the earlier steps have ended. */
static bool audited(struct apply_run *r, const struct transport *t) {
  err_t e = ERR_INIT;
  if (!t->ops->audit ||
      t->ops->audit(t->ctx, r->coordinator, &r->plan, r->step, r->nodes, r->nnodes, &e) == 0)
    return true;
  r->failed = true;
  return false;
}

/* Start the next step that has migrations; actions other than migrations
 * (node power, boots) complete at once: the simulated platform has no
 * power states. */
static enum apply_status start_step(struct apply_run *r, const struct transport *t) {
  for (; !r->failed && r->step < r->plan.nsteps; r->step++) {
    r->waiting = r->inflight = 0;
    for (int32_t i = r->plan.step_start[r->step]; i < step_end(r); i++) {
      bool mig = r->plan.actions[i].kind == SCHED_MIGRATE;
      r->state[i] = mig ? ACTION_WAITING : ACTION_DONE;
      r->waiting += mig;
    }
    if (!r->waiting)
      continue;
    if (!audited(r, t))
      break;
    launch(r, t);
    tp_timer(t, r->coordinator, r->step_timeout, r->timer);
    return APPLY_RUNNING;
  }
  r->active = false;
  return r->failed ? APPLY_FAILED : APPLY_DONE;
}

enum apply_status apply_start(struct apply_run *r, const struct transport *t,
                              int32_t coordinator, uint64_t tag, uint32_t version,
                              struct sched_plan *plan, const int32_t *nodes, int32_t n,
                              uint64_t timer_token, double step_timeout) {
  struct sched_plan swap = r->plan;
  r->plan = *plan;
  *plan = swap;
  sched_plan_clear(plan);
  r->coordinator = coordinator;
  r->tag = tag;
  r->version = version;
  r->step = 0;
  r->failed = false;
  r->active = true;
  r->started = tp_now(t);
  r->timer = timer_token;
  r->step_timeout = step_timeout;
  r->done_migrations = r->failed_migrations = 0;
  r->drains = 0;
  uint8_t *state = realloc(r->state, (size_t)(r->plan.nactions ? r->plan.nactions : 1));
  r->nnodes = 0;
  if (state)
    r->state = state;
  if (!state || array_reserve((void **)&r->nodes, &r->nodes_cap, n ? n : 1, sizeof *nodes) < 0) {
    r->active = false;
    r->failed = true;
    return APPLY_FAILED;
  }
  if (n)
    memcpy(r->nodes, nodes, (size_t)n * sizeof *nodes);
  r->nnodes = n;
  return start_step(r, t);
}

static enum apply_status status(const struct apply_run *r) {
  return r->active ? APPLY_RUNNING : (r->failed ? APPLY_FAILED : APPLY_DONE);
}

enum apply_status apply_on_migrated(struct apply_run *r, const struct transport *t,
                                    const struct apply_migrated *m) {
  if (m->tag != r->tag || !r->active || r->step >= r->plan.nsteps ||
      (int32_t)m->idx < r->plan.step_start[r->step] || (int32_t)m->idx >= step_end(r) ||
      r->state[m->idx] != ACTION_SENT)
    return status(r);
  r->state[m->idx] = ACTION_DONE;
  r->inflight--;
  if (m->ok) {
    r->done_migrations++;
  } else {
    r->failed_migrations++;
    r->failed = true;
  }
  if (!r->failed)
    launch(r, t);
  if (r->inflight > 0)
    return APPLY_RUNNING;
  if (r->failed) { /* what was not sent is abandoned */
    r->active = false;
    return APPLY_FAILED;
  }
  r->step++;
  r->timer++;
  return start_step(r, t);
}

enum apply_status apply_timeout(struct apply_run *r, const struct transport *t, uint64_t token) {
  if (!r->active || token != r->timer)
    return status(r);
  r->failed = true; /* nothing more is launched */
  if (r->inflight > 0 && r->drains < APPLY_MAX_DRAINS) {
    /* Migrations already started go on whatever the coordinator decides:
     * ending the run now would free their nodes for other plans while
     * they still carry them. Wait for them, a few more step timeouts at
     * most (a node that died never answers). */
    r->drains++;
    r->timer++;
    tp_timer(t, r->coordinator, r->step_timeout, r->timer);
    return APPLY_RUNNING;
  }
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
  if (!ok || array_reserve((void **)&l->slots, &l->cap, l->n + 1, sizeof *l->slots) < 0) {
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
