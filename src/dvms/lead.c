/* DVMS: the leader's side. A node that joins a partition leads it through
 * rounds: reserve (every member confirms and sends its state), solve (the
 * sched core solver on the partition, its cost charged as time), commit
 * (every member locks itself to this plan), apply (proto/apply.h), and
 * dissolve; without a plan it hands the token on. The initiator holds a
 * partition that came all the way round (parked) until a travelling token
 * merges into it or the park times out. */
#include "dvms/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/checker.h"

void dvms_lead_free(struct dvms_lead *l) {
  if (!l)
    return;
  for (int32_t i = 0; i < l->n; i++)
    free(l->snaps ? l->snaps[i] : NULL);
  free(l->snaps);
  free(l->answer);
  free(l->nodes);
  sched_plan_free(&l->plan);
  apply_free(&l->run);
  free(l);
}

static struct dvms_lead *lead_new(const struct dvms_isp *isp, int32_t extra) {
  struct dvms_lead *l = calloc(1, sizeof *l);
  if (!l)
    return NULL;
  sched_plan_init(&l->plan);
  apply_init(&l->run);
  l->part = isp->part;
  l->initiator = isp->initiator;
  l->version = isp->version + 1;
  l->urgent = isp->urgent;
  for (int32_t i = 0; i < isp->n; i++)
    if (!dvms_ids_has(l->nodes, l->n, isp->nodes[i]) &&
        array_push_i32(&l->nodes, &l->n, &l->cap, isp->nodes[i]) < 0)
      goto fail;
  if (extra >= 0 && !dvms_ids_has(l->nodes, l->n, extra) &&
      array_push_i32(&l->nodes, &l->n, &l->cap, extra) < 0)
    goto fail;
  return l;
fail:
  dvms_lead_free(l);
  return NULL;
}

static void arm_keepalive(struct dvms *d, struct dvms_node *x) {
  x->ka_gen++;
  tp_timer(&d->tp, x->id, d->cfg.keepalive, TM_TOKEN(TM_KEEPALIVE, x->ka_gen));
}

static void arm_phase(struct dvms *d, struct dvms_node *x, double delay) {
  tp_timer(&d->tp, x->id, delay, TM_TOKEN(TM_PHASE, x->lead->gen));
}

/* Every member but the holder. */
static void tell_members(struct dvms *d, struct dvms_node *x, uint16_t kind, uint8_t arg) {
  struct dvms_lead *l = x->lead;
  for (int32_t i = 0; i < l->n; i++)
    if (l->nodes[i] != x->id)
      dvms_send_ctl(d, x->id, l->nodes[i], kind, l->part, l->version, arg);
}

/* x holds the partition from now on: its own membership follows. */
static int hold(struct dvms_node *x, struct dvms_lead *l, uint8_t pstate) {
  if (dvms_set_members(x, l->nodes, l->n) < 0)
    return -1;
  x->lead = l;
  x->part = l->part;
  x->version = l->version;
  x->leader = x->id;
  x->initiator = l->initiator;
  x->pstate = pstate;
  return 0;
}

/* ---- reserve ---- */

static void start_reserve(struct dvms *d, struct dvms_node *x) {
  struct dvms_lead *l = x->lead;
  l->phase = LEAD_RESERVING;
  l->gen++;
  for (int32_t i = 0; l->snaps && i < l->n; i++) {
    free(l->snaps[i]);
    l->snaps[i] = NULL;
  }
  struct node_snap **snaps = realloc(l->snaps, (size_t)l->cap * sizeof *snaps);
  uint8_t *answer = snaps ? realloc(l->answer, (size_t)l->cap) : NULL;
  if (snaps)
    l->snaps = snaps;
  if (answer)
    l->answer = answer;
  if (!snaps || !answer) {
    dvms_end(d, x, END_FAILED);
    return;
  }
  memset(l->snaps, 0, (size_t)l->n * sizeof *l->snaps);
  size_t bytes = sizeof(struct dvms_reserve) + (size_t)l->n * sizeof(int32_t);
  l->waiting = 0;
  for (int32_t i = 0; i < l->n; i++) {
    l->answer[i] = 0;
    if (l->nodes[i] == x->id) {
      l->snaps[i] = d->tp.ops->snapshot(d->tp.ctx, x->id);
      l->answer[i] = l->snaps[i] ? 1 : 2;
      continue;
    }
    struct dvms_reserve *r = (struct dvms_reserve *)msg_new(DVMS_RESERVE, bytes);
    if (!r)
      continue; /* counts as silent: dropped at the end of the round */
    r->part = l->part;
    r->prev_part = l->prev_part;
    r->version = l->version;
    r->initiator = l->initiator;
    r->state = PSTATE_GROWING;
    r->n = l->n;
    memcpy(r->nodes, l->nodes, (size_t)l->n * sizeof(int32_t));
    tp_send(&d->tp, x->id, l->nodes[i], &r->h);
    l->waiting++;
  }
  x->last_update = tp_now(&d->tp);
  arm_phase(d, x, d->cfg.hop_timeout);
}

static void solve(struct dvms *d, struct dvms_node *x);

/* No plan in this partition: hand the token on, unless it has grown as far
 * as it may (prevention stops early; repair at max_partition, since its
 * messages grow with the square of its size and a cluster where 64 nodes
 * hold no room for one VE has none to give now: the node retries). */
static void grow(struct dvms *d, struct dvms_node *x) {
  struct dvms_lead *l = x->lead;
  int32_t max = l->urgent ? d->cfg.max_partition : d->cfg.proactive_max;
  if (max > 0 && l->n >= max) {
    dvms_end(d, x, END_GAVE_UP);
    return;
  }
  dvms_send_token(d, x, l);
  dvms_lead_free(l);
  x->lead = NULL;
}

static bool snap_overloaded(const struct node_snap *s) {
  int64_t used = 0;
  for (int32_t i = 0; i < s->nves; i++)
    used += s->ves[i].cpu;
  return used > s->cpu_cap;
}

/* Keep the members that said yes; the silent ones are suspected. */
static void reserved(struct dvms *d, struct dvms_node *x) {
  struct dvms_lead *l = x->lead;
  int32_t kept = 0;
  for (int32_t i = 0; i < l->n; i++) {
    if (l->answer[i] == 1) {
      l->nodes[kept] = l->nodes[i];
      l->snaps[kept] = l->snaps[i];
      kept++;
      continue;
    }
    if (l->answer[i] == 0)
      dvms_suspect(d, x, l->nodes[i]);
    free(l->snaps[i]);
  }
  l->n = kept;
  l->prev_part = 0;
  if (dvms_set_members(x, l->nodes, l->n) < 0 || !dvms_ids_has(l->nodes, l->n, l->initiator)) {
    dvms_end(d, x, END_STALE); /* the event is gone with its initiator */
    return;
  }
  for (int32_t i = 0; i < l->n; i++)
    if (l->nodes[i] == l->initiator && snap_overloaded(l->snaps[i]))
      l->urgent = true; /* prevention came too late: this is repair now */
  if (l->n < d->cfg.min_partition)
    grow(d, x);
  else
    solve(d, x);
}

static void on_reserve_ack(struct dvms *d, struct dvms_node *x, const struct dvms_reserve_ack *a) {
  struct dvms_lead *l = x->lead;
  if (!l || l->phase != LEAD_RESERVING || a->part != l->part || a->version != l->version)
    return;
  for (int32_t i = 0; i < l->n; i++) {
    if (l->nodes[i] != a->h.from || l->answer[i])
      continue;
    l->answer[i] = 2;
    if (a->ok && (l->snaps[i] = malloc(node_snap_size(a->snap.nves)))) {
      memcpy(l->snaps[i], &a->snap, node_snap_size(a->snap.nves));
      l->answer[i] = 1;
    }
    if (--l->waiting == 0)
      reserved(d, x);
    return;
  }
}

/* ---- solve ---- */

static void check_plan(struct dvms *d, struct dvms_lead *l) {
  err_t e = ERR_INIT;
  d->stats.checks++;
  if (sched_check_plan(&d->view.m, d->cfg.cstrs, &l->plan, l->nodes, l->n, &e) < 0) {
    char msg[ERR_MSG_MAX + 64];
    snprintf(msg, sizeof msg, "plan of partition %d nodes: %s", l->n, e.msg);
    sched_run_stats_fail(&d->stats, &d->stats.check_failures, msg);
  }
}

static void solve(struct dvms *d, struct dvms_node *x) {
  struct dvms_lead *l = x->lead;
  err_t e = ERR_INIT;
  l->phase = LEAD_SOLVING;
  l->gen++;
  l->status = SCHED_NO_SOLUTION;
  sched_plan_clear(&l->plan);
  bool loaded = true;
  /* Repair that a small partition could not do may fill destinations up
   * to the target rather than keep growing; with a relax size, beyond it
   * it is plain repair (an overload costs more than the slack lost). */
  double target = d->cfg.target, fill = d->cfg.fill;
  if (l->urgent && d->cfg.relax_after > 0 && l->n > d->cfg.relax_after)
    target = fill = 1;
  else if (l->urgent && l->n > d->cfg.proactive_max)
    fill = target;
  view_set_levels(&d->view, target, fill);
  for (int32_t i = 0; i < l->n && loaded; i++)
    loaded = view_load(&d->view, l->snaps[i], l->nodes[i] == l->initiator, &e) == 0;
  struct sched_solve_stats st = {0};
  struct sched_solve_opts opts = d->cfg.solve;
  opts.seed ^= l->part + l->version;
  if (loaded) {
    int rc = sched_solve(d->solver, &d->view.m, l->nodes, l->n, d->cfg.cstrs, &opts, &l->plan,
                         &st, &e);
    l->status = rc < 0 ? SCHED_NO_SOLUTION : rc;
  }
  if (l->status == SCHED_SOLVED) {
    d->stats.solved++;
    if (d->cfg.check && l->plan.nactions)
      check_plan(d, l);
  } else {
    d->stats.no_solution++;
  }
  arm_phase(d, x, sched_run_stats_solve(&d->stats, &d->tp, x->id, l->n, &st));
}

static void commit(struct dvms *d, struct dvms_node *x);

static void solved(struct dvms *d, struct dvms_node *x) {
  struct dvms_lead *l = x->lead;
  bool empty = l->plan.nactions == 0;
  if (l->status == SCHED_SOLVED && !empty) {
    commit(d, x);
  } else if (l->status == SCHED_SOLVED && !d->cfg.empty_plan_fails) {
    dvms_end(d, x, END_RESOLVED);
  } else {
    grow(d, x);
  }
}

/* ---- commit and apply ---- */

static void commit(struct dvms *d, struct dvms_node *x) {
  struct dvms_lead *l = x->lead;
  l->phase = LEAD_COMMITTING;
  l->gen++;
  l->waiting = 0;
  x->locked = true;
  for (int32_t i = 0; i < l->n; i++) {
    l->answer[i] = l->nodes[i] == x->id;
    if (!l->answer[i]) {
      dvms_send_ctl(d, x->id, l->nodes[i], DVMS_COMMIT, l->part, l->version, 0);
      l->waiting++;
    }
  }
  arm_phase(d, x, l->waiting ? d->cfg.hop_timeout : 0);
}

/* The partition's exclusivity, checked from outside the protocol: every
 * node the plan will use follows this leader and this version only. */
static void check_exclusive(struct dvms *d, struct dvms_node *x) {
  struct dvms_lead *l = x->lead;
  d->stats.exclusivity_checks++;
  for (int32_t i = 0; i < l->n; i++) {
    const struct dvms_node *y = &d->nodes[l->nodes[i]];
    if (y->part == l->part && y->version == l->version && y->leader == x->id && y->locked)
      continue;
    char msg[160];
    snprintf(msg, sizeof msg, "node %d is in partition %llx v%u of leader %d, not v%u of %d",
             y->id, (unsigned long long)y->part, y->version, y->leader, l->version, x->id);
    sched_run_stats_fail(&d->stats, &d->stats.exclusivity_violations, msg);
    return;
  }
}

static void finish_apply(struct dvms *d, struct dvms_node *x, enum apply_status st) {
  struct dvms_lead *l = x->lead;
  if (st == APPLY_RUNNING)
    return;
  d->stats.migrations += l->run.done_migrations;
  d->stats.migrations_failed += l->run.failed_migrations;
  if (st == APPLY_DONE) {
    series_add(&d->stats.apply_time, tp_now(&d->tp) - l->run.started);
    dvms_end(d, x, END_SOLVED);
  } else {
    d->stats.plans_failed++;
    dvms_end(d, x, END_FAILED);
  }
}

static bool plan_touches(const struct sched_plan *p, int32_t node) {
  for (int32_t i = 0; i < p->nactions; i++)
    if (p->actions[i].src == node || p->actions[i].dst == node)
      return true;
  return false;
}

/* Members the plan does not use go free at once: they can serve other
 * partitions during the migrations, and need no keepalives. */
static void release_bystanders(struct dvms *d, struct dvms_node *x) {
  struct dvms_lead *l = x->lead;
  int32_t kept = 0;
  for (int32_t i = 0; i < l->n; i++) {
    int32_t node = l->nodes[i];
    free(l->snaps[i]); /* the states were for the solver */
    l->snaps[i] = NULL;
    if (node == x->id || plan_touches(&l->plan, node))
      l->nodes[kept++] = node;
    else
      dvms_send_ctl(d, x->id, node, DVMS_DISSOLVE, l->part, l->version, END_SOLVED);
  }
  l->n = kept;
}

static void apply(struct dvms *d, struct dvms_node *x) {
  struct dvms_lead *l = x->lead;
  release_bystanders(d, x);
  if (d->cfg.check)
    check_exclusive(d, x);
  l->phase = LEAD_APPLYING;
  l->gen++;
  d->stats.plans++;
  d->stats.pivots += l->plan.pivots;
  uint64_t token = TM_TOKEN(TM_APPLY, ++x->apply_seq << 20);
  enum apply_status st = apply_start(&l->run, &d->tp, x->id, l->part, l->version, &l->plan,
                                     l->nodes, l->n, token, d->cfg.step_timeout);
  finish_apply(d, x, st);
}

static void on_commit_ack(struct dvms *d, struct dvms_node *x, const struct dvms_ctl *a) {
  struct dvms_lead *l = x->lead;
  if (!l || l->phase != LEAD_COMMITTING || a->part != l->part || a->version != l->version)
    return;
  for (int32_t i = 0; i < l->n; i++) {
    if (l->nodes[i] != a->h.from || l->answer[i])
      continue;
    if (!a->arg) {
      d->stats.aborted++;
      dvms_end(d, x, END_FAILED);
      return;
    }
    l->answer[i] = 1;
    if (--l->waiting == 0)
      apply(d, x);
    return;
  }
}

/* ---- park and merge ---- */

void dvms_park(struct dvms *d, struct dvms_node *x, const struct dvms_isp *isp) {
  if (x->lead)
    return; /* a duplicate of a token it already holds */
  if (!d->cfg.merge) {
    /* VMPlaceS: Blocked, not sent again; the members' timeout ends it. */
    x->pstate = PSTATE_BLOCKED;
    for (int32_t i = 0; i < isp->n; i++)
      if (isp->nodes[i] != x->id)
        dvms_send_ctl(d, x->id, isp->nodes[i], DVMS_UPDATE, isp->part, isp->version + 1,
                      PSTATE_BLOCKED);
    return;
  }
  struct dvms_lead *l = lead_new(isp, -1);
  if (!l || hold(x, l, PSTATE_BLOCKED) < 0) {
    dvms_lead_free(l);
    x->lead = NULL;
    return;
  }
  l->phase = LEAD_PARKED;
  l->gen++;
  x->last_update = tp_now(&d->tp);
  tell_members(d, x, DVMS_UPDATE, PSTATE_BLOCKED);
  tp_timer(&d->tp, x->id, d->cfg.park_timeout, TM_TOKEN(TM_PARK, l->gen));
  arm_keepalive(d, x);
}

void dvms_merge(struct dvms *d, struct dvms_node *x, const struct dvms_isp *isp) {
  struct dvms_lead *l = x->lead;
  for (int32_t i = 0; i < isp->n; i++)
    if (!dvms_ids_has(l->nodes, l->n, isp->nodes[i]) &&
        array_push_i32(&l->nodes, &l->n, &l->cap, isp->nodes[i]) < 0) {
      dvms_end(d, x, END_FAILED);
      return;
    }
  d->stats.merges++;
  l->urgent |= isp->urgent;
  l->prev_part = isp->part;
  l->version++;
  if (hold(x, l, PSTATE_GROWING) < 0) {
    dvms_end(d, x, END_FAILED);
    return;
  }
  start_reserve(d, x);
}

void dvms_join(struct dvms *d, struct dvms_node *x, const struct dvms_isp *isp) {
  struct dvms_lead *l = lead_new(isp, x->id);
  if (!l || hold(x, l, PSTATE_GROWING) < 0) {
    dvms_lead_free(l);
    x->lead = NULL;
    x->part = 0;
    return;
  }
  x->locked = false;
  x->last_update = x->since = tp_now(&d->tp);
  x->member_gen++;
  dvms_arm_member_timeout(d, x);
  arm_keepalive(d, x);
  start_reserve(d, x);
}

void dvms_end(struct dvms *d, struct dvms_node *x, enum dvms_end why) {
  if (why == END_RESOLVED)
    d->stats.resolved++;
  else if (why == END_STALE)
    d->stats.stale++;
  else if (why == END_GAVE_UP)
    d->stats.gave_up++;
  tell_members(d, x, DVMS_DISSOLVE, (uint8_t)why);
  dvms_leave(d, x, why);
}

/* ---- dispatch ---- */

void dvms_lead_message(struct dvms *d, struct dvms_node *x, struct msg *m) {
  switch (m->kind) {
  case DVMS_RESERVE_ACK:
    on_reserve_ack(d, x, (struct dvms_reserve_ack *)m);
    break;
  case DVMS_COMMIT_ACK:
    on_commit_ack(d, x, (struct dvms_ctl *)m);
    break;
  case APPLY_MIGRATED:
    if (x->lead && x->lead->phase == LEAD_APPLYING)
      finish_apply(d, x, apply_on_migrated(&x->lead->run, &d->tp, (struct apply_migrated *)m));
    break;
  default:
    break;
  }
}

static void on_phase_timer(struct dvms *d, struct dvms_node *x) {
  struct dvms_lead *l = x->lead;
  switch (l->phase) {
  case LEAD_RESERVING:
    reserved(d, x); /* whoever has not answered is dropped */
    break;
  case LEAD_SOLVING:
    solved(d, x);
    break;
  case LEAD_COMMITTING:
    if (l->waiting) {
      for (int32_t i = 0; i < l->n; i++)
        if (!l->answer[i])
          dvms_suspect(d, x, l->nodes[i]);
      d->stats.aborted++;
      dvms_end(d, x, END_FAILED);
    } else {
      apply(d, x);
    }
    break;
  default:
    break;
  }
}

void dvms_lead_timer(struct dvms *d, struct dvms_node *x, int kind, uint64_t value,
                     uint64_t token) {
  struct dvms_lead *l = x->lead;
  switch (kind) {
  case TM_PHASE:
    if (l && value == (l->gen & ((1ULL << 56) - 1)))
      on_phase_timer(d, x);
    break;
  case TM_KEEPALIVE:
    if (l && value == (x->ka_gen & ((1ULL << 56) - 1))) {
      tell_members(d, x, DVMS_UPDATE, x->pstate);
      x->last_update = tp_now(&d->tp);
      tp_timer(&d->tp, x->id, d->cfg.keepalive, token);
    }
    break;
  case TM_PARK:
    if (l && l->phase == LEAD_PARKED && value == (l->gen & ((1ULL << 56) - 1)))
      dvms_end(d, x, END_GAVE_UP);
    break;
  case TM_APPLY:
    if (l && l->phase == LEAD_APPLYING)
      finish_apply(d, x, apply_timeout(&l->run, &d->tp, token));
    break;
  default:
    break;
  }
}
