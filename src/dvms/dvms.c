/* DVMS: the node side. Membership as the leader last stated it, the
 * token's route around the ring, the local monitor, and failure
 * suspicion. The leader's side is in lead.c. */
#include "dvms/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dvms_config_default(struct dvms_config *c, int32_t nodes, int32_t nves) {
  memset(c, 0, sizeof *c);
  c->nodes = nodes;
  c->nves = nves;
  c->next = DVMS_NEXT_RING;
  c->min_partition = 2; /* solve as soon as one node has joined the initiator */
  c->merge = true;
  c->shortcuts = true;
  c->partition_timeout = 3.5; /* the in-vivo DVMS's value */
  c->keepalive = 1.0;
  c->hop_timeout = 1.0;
  c->park_timeout = 2.0;
  c->retry_delay = 1.0;
  c->proactive_max = 16;
  c->max_partition = 64;
  c->proactive_backoff = 10;
  c->step_timeout = 120;
  c->target = c->fill = 1.0;
  c->solve.time_limit = 1.0;
  /* The repair heuristic alone: a partition it cannot fix grows instead
   * of searching, which keeps each solve to microseconds. Whether searching
   * would fix more with fewer nodes is not measured yet (docs/SIMULATION.md,
   * "What is left"). */
  c->solve.effort_limit = 1;
}

void dvms_config_ideas(struct dvms_config *c, unsigned ideas) {
  if (!(ideas & DVMS_IDEA_EVENTS))
    c->monitor_period = 1.0;
  if (!(ideas & DVMS_IDEA_RING)) {
    c->next = DVMS_NEXT_RANDOM;
    c->min_partition = 4;
    c->empty_plan_fails = true;
  }
  c->shortcuts = ideas & DVMS_IDEA_SHORTCUTS;
  c->merge = ideas & DVMS_IDEA_MERGE;
  if (ideas & DVMS_IDEA_BOUNDED) {
    /* Each growth step reserves the whole partition again, so an ISP's
     * messages grow with the square of its size; at high load most ISPs
     * that reach 16 nodes reach 64 without a plan, and their nodes retry
     * every second (docs/SIMULATION.md, "The harsher load"). */
    c->max_partition = 16;
    c->relax_after = 8;
    c->giveup_doublings = 5;
  }
}

bool dvms_ids_has(const int32_t *ids, int32_t n, int32_t id) {
  for (int32_t i = 0; i < n; i++)
    if (ids[i] == id)
      return true;
  return false;
}

int dvms_set_members(struct dvms_node *x, const int32_t *nodes, int32_t n) {
  x->nmembers = 0;
  for (int32_t i = 0; i < n; i++)
    if (array_push_i32(&x->members, &x->nmembers, &x->members_cap, nodes[i]) < 0)
      return -1;
  return 0;
}

void dvms_send_ctl(struct dvms *d, int32_t from, int32_t to, uint16_t kind, uint64_t part,
                   uint32_t version, uint8_t arg) {
  struct dvms_ctl *c = (struct dvms_ctl *)msg_new(kind, sizeof *c);
  if (!c)
    return; /* lost like a dropped packet: timeouts recover */
  c->part = part;
  c->version = version;
  c->arg = arg;
  tp_send(&d->tp, from, to, &c->h);
}

void dvms_suspect(struct dvms *d, struct dvms_node *x, int32_t node) {
  if (dvms_ids_has(x->suspects, x->nsuspects, node))
    return;
  if (array_push_i32(&x->suspects, &x->nsuspects, &x->suspects_cap, node) == 0)
    d->stats.suspected++;
}

/* A node that was suspected and speaks again is alive. */
static void unsuspect(struct dvms_node *x, int32_t node) {
  for (int32_t i = 0; i < x->nsuspects; i++)
    if (x->suspects[i] == node) {
      x->suspects[i] = x->suspects[--x->nsuspects];
      return;
    }
}

void dvms_set_present(struct dvms *d, int32_t node, int32_t peer, bool present) {
  struct dvms_node *x = &d->nodes[node];
  if (present)
    unsuspect(x, peer);
  else if (!dvms_ids_has(x->suspects, x->nsuspects, peer))
    array_push_i32(&x->suspects, &x->nsuspects, &x->suspects_cap, peer); /* ENOMEM: a hop timeout
                                                                           * finds it */
}

static bool ids_valid(const struct dvms *d, const int32_t *ids, int32_t n) {
  for (int32_t i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= d->cfg.nodes)
      return false;
  return true;
}

bool dvms_msg_valid(const struct dvms *d, const struct msg *m, size_t bytes) {
  if (bytes < sizeof *m)
    return false;
  switch (m->kind) {
  case DVMS_ISP: {
    const struct dvms_isp *i = (const void *)m;
    return bytes >= sizeof *i && i->n > 0 && i->n <= d->cfg.nodes &&
           bytes == sizeof *i + (size_t)i->n * sizeof(int32_t) && ids_valid(d, i->nodes, i->n) &&
           i->initiator >= 0 && i->initiator < d->cfg.nodes;
  }
  case DVMS_RESERVE: {
    const struct dvms_reserve *r = (const void *)m;
    return bytes >= sizeof *r && r->n > 0 && r->n <= d->cfg.nodes &&
           bytes == sizeof *r + (size_t)r->n * sizeof(int32_t) && ids_valid(d, r->nodes, r->n);
  }
  case DVMS_RESERVE_ACK: {
    const struct dvms_reserve_ack *a = (const void *)m;
    if (bytes < sizeof *a)
      return false;
    if (!a->ok)
      return true;
    if (a->snap.nves < 0 || a->snap.nves > d->cfg.nves ||
        bytes != sizeof *a + (size_t)a->snap.nves * sizeof(struct snap_ve) ||
        a->snap.node != m->from)
      return false;
    for (int32_t i = 0; i < a->snap.nves; i++)
      if (a->snap.ves[i].ve < 0 || a->snap.ves[i].ve >= d->cfg.nves || a->snap.ves[i].cpu < 0 ||
          a->snap.ves[i].mem < 0)
        return false;
    return true;
  }
  case DVMS_ISP_ACK:
    return bytes == sizeof(struct dvms_isp_ack);
  case DVMS_COMMIT:
  case DVMS_COMMIT_ACK:
  case DVMS_UPDATE:
  case DVMS_DISSOLVE:
    return bytes == sizeof(struct dvms_ctl);
  case APPLY_MIGRATE: {
    const struct apply_migrate *a = (const void *)m;
    return bytes == sizeof *a && a->ve >= 0 && a->ve < d->cfg.nves && a->dst >= 0 &&
           a->dst < d->cfg.nodes;
  }
  case APPLY_MIGRATED:
    return bytes == sizeof(struct apply_migrated);
  default:
    return false;
  }
}

void dvms_arm_member_timeout(struct dvms *d, struct dvms_node *x) {
  double left = x->last_update + d->cfg.partition_timeout - tp_now(&d->tp);
  tp_timer(&d->tp, x->id, left > 0 ? left : 0, TM_TOKEN(TM_MEMBER, x->member_gen));
}

/* ---- the token's route ---- */

/* Marks for "in the partition, in the skipped partition, or suspected",
 * so that walking the ring costs O(1) per node. */
static void mark_excluded(struct dvms *d, struct dvms_node *x, const struct dvms_isp *isp,
                          const int32_t *skip, int32_t nskip) {
  if (++d->mark_gen == 0) {
    memset(d->mark, 0, d->cfg.nodes * sizeof *d->mark);
    d->mark_gen = 1;
  }
  for (int32_t i = 0; i < isp->n; i++)
    d->mark[isp->nodes[i]] = d->mark_gen;
  for (int32_t i = 0; i < nskip; i++)
    d->mark[skip[i]] = d->mark_gen;
  for (int32_t i = 0; i < x->nsuspects; i++)
    if (x->suspects[i] < d->cfg.nodes)
      d->mark[x->suspects[i]] = d->mark_gen;
  d->mark[x->id] = d->mark_gen;
}

/* The first node after x on the ring that is outside everything excluded;
 * the initiator when the walk comes back to it (full traversal). */
static int32_t next_on_ring(struct dvms *d, struct dvms_node *x, const struct dvms_isp *isp) {
  int32_t n = d->cfg.nodes;
  for (int32_t step = 1, j = (x->id + 1) % n; step < n; step++, j = (j + 1) % n) {
    if (j == isp->initiator)
      return j;
    if (d->mark[j] != d->mark_gen)
      return j;
  }
  return isp->initiator;
}

/* VMPlaceS: a random live node outside the partition; the initiator when
 * none is left. */
static int32_t next_random(struct dvms *d, struct dvms_node *x, const struct dvms_isp *isp) {
  int32_t n = d->cfg.nodes;
  for (int tries = 0; tries < 64; tries++) {
    int32_t j = (int32_t)rng_below(&x->rng, (uint64_t)n);
    if (d->mark[j] != d->mark_gen)
      return j;
  }
  int32_t free_nodes = 0;
  for (int32_t j = 0; j < n; j++)
    free_nodes += d->mark[j] != d->mark_gen;
  if (!free_nodes)
    return isp->initiator;
  int32_t pick = (int32_t)rng_below(&x->rng, (uint64_t)free_nodes);
  for (int32_t j = 0; j < n; j++)
    if (d->mark[j] != d->mark_gen && pick-- == 0)
      return j;
  return isp->initiator;
}

static void send_hop(struct dvms *d, struct dvms_node *x, const struct dvms_isp *isp, int32_t to) {
  struct dvms_isp *out = malloc(isp->h.bytes), *kept = malloc(isp->h.bytes);
  struct dvms_hop *h = NULL;
  if (!out || !kept ||
      array_reserve((void **)&x->hops, &x->hops_cap, x->nhops + 1, sizeof *x->hops) < 0) {
    free(out);
    free(kept);
    d->stats.tokens_lost++;
    return;
  }
  memcpy(out, isp, isp->h.bytes);
  out->hop = ++x->hop_seq;
  memcpy(kept, out, out->h.bytes);
  h = &x->hops[x->nhops++];
  h->id = out->hop;
  h->to = to;
  h->isp = kept;
  tp_send(&d->tp, x->id, to, &out->h);
  tp_timer(&d->tp, x->id, d->cfg.hop_timeout, TM_TOKEN(TM_HOP, h->id));
}

void dvms_forward(struct dvms *d, struct dvms_node *x, struct dvms_isp *isp,
                  const int32_t *skip, int32_t nskip) {
  /* A token that went round twice without anyone joining has nobody left
   * to find (its initiator died, or every node is suspected). */
  if (++isp->wander > 2 * (uint32_t)d->cfg.nodes + 2) {
    d->stats.tokens_lost++;
    return;
  }
  mark_excluded(d, x, isp, skip, nskip);
  int32_t to = d->cfg.next == DVMS_NEXT_RANDOM ? next_random(d, x, isp) : next_on_ring(d, x, isp);
  if (to == x->id) /* x is the initiator and alone: nothing can be done */
    return;
  send_hop(d, x, isp, to);
}

void dvms_send_token(struct dvms *d, struct dvms_node *x, const struct dvms_lead *l) {
  size_t bytes = sizeof(struct dvms_isp) + (size_t)l->n * sizeof(int32_t);
  struct dvms_isp *isp = (struct dvms_isp *)msg_new(DVMS_ISP, bytes);
  if (!isp) {
    d->stats.tokens_lost++;
    return;
  }
  isp->part = l->part;
  isp->initiator = l->initiator;
  isp->version = l->version;
  isp->state = PSTATE_GROWING;
  isp->urgent = l->urgent;
  isp->n = l->n;
  memcpy(isp->nodes, l->nodes, (size_t)l->n * sizeof(int32_t));
  dvms_forward(d, x, isp, NULL, 0);
  free(isp);
}

/* ---- starting and ending an ISP ---- */

static void arm_tick(struct dvms *d, struct dvms_node *x) {
  if (x->tick_armed)
    return;
  double p = d->cfg.monitor_period, now = tp_now(&d->tp);
  double next = (floor(now / p) + 1) * p;
  x->tick_armed = true;
  tp_timer(&d->tp, x->id, next - now, TM_TOKEN(TM_TICK, 0));
}

static void start_isp(struct dvms *d, struct dvms_node *x) {
  /* A node still sending a VE away (a plan that failed may leave one
   * running) is busy: what it needs is known once the VE has left. */
  if (x->local.n)
    return;
  /* Prevention yields: while migrations wait for the network, the ones a
   * hot node would add only delay the repairs of overloaded ones. */
  if (d->cfg.yield && x->level == LOAD_HOT && tp_congested(&d->tp)) {
    d->stats.yielded++;
    if (!x->retry_armed) {
      x->retry_armed = true;
      double delay = d->cfg.proactive_backoff * (0.5 + rng_uniform(&x->rng));
      tp_timer(&d->tp, x->id, delay, TM_TOKEN(TM_RETRY, 0));
    }
    return;
  }
  double now = tp_now(&d->tp);
  x->seq++;
  x->part = ((uint64_t)(x->id + 1) << 32) | x->seq;
  x->version = 0;
  x->leader = x->initiator = x->id;
  x->pstate = PSTATE_GROWING;
  x->locked = false;
  x->last_update = x->since = now;
  x->member_gen++;
  if (dvms_set_members(x, &x->id, 1) < 0) {
    x->part = 0;
    return;
  }
  dvms_arm_member_timeout(d, x);
  d->stats.events++;
  d->stats.isp_started++;
  struct dvms_isp *isp =
      (struct dvms_isp *)msg_new(DVMS_ISP, sizeof(struct dvms_isp) + sizeof(int32_t));
  if (!isp)
    return; /* the member timeout ends this ISP */
  isp->part = x->part;
  isp->initiator = x->id;
  isp->state = PSTATE_GROWING;
  isp->urgent = x->level == LOAD_OVER;
  isp->n = 1;
  isp->nodes[0] = x->id;
  dvms_forward(d, x, isp, NULL, 0);
  free(isp);
}

/* x is free again: if it is still hot or overloaded, it starts over (at
 * once after a plan, which worked on a snapshot; after a backoff otherwise,
 * so that nodes that gave up do not all come back at the same instant, and
 * a long one when it is only hot: prevention must not crowd out repair). */
static void after_leaving(struct dvms *d, struct dvms_node *x, enum dvms_end why) {
  if (x->level == LOAD_OK)
    return;
  if (d->cfg.monitor_period > 0) {
    arm_tick(d, x);
  } else if (why == END_SOLVED || why == END_RESOLVED) {
    x->gave_up = 0;
    start_isp(d, x);
  } else if (!x->retry_armed) {
    x->retry_armed = true;
    double base = x->level == LOAD_OVER ? d->cfg.retry_delay : d->cfg.proactive_backoff;
    if (why == END_GAVE_UP && d->cfg.giveup_doublings > 0) {
      int k = x->gave_up < d->cfg.giveup_doublings ? x->gave_up : d->cfg.giveup_doublings;
      base *= (double)(1 << k);
      if (x->gave_up < UINT8_MAX)
        x->gave_up++;
    }
    double delay = base * (0.5 + rng_uniform(&x->rng));
    tp_timer(&d->tp, x->id, delay, TM_TOKEN(TM_RETRY, 0));
  }
}

static void count_isp_end(struct dvms *d, struct dvms_node *x) {
  d->stats.isp_ended++;
  series_add(&d->stats.isp_time, tp_now(&d->tp) - x->since);
}

void dvms_leave(struct dvms *d, struct dvms_node *x, enum dvms_end why) {
  if (!x->part)
    return;
  if (x->initiator == x->id)
    count_isp_end(d, x);
  x->part = 0;
  x->version = 0;
  x->leader = x->initiator = -1;
  x->pstate = PSTATE_GROWING;
  x->locked = false;
  x->nmembers = 0;
  if (x->lead) {
    dvms_lead_free(x->lead);
    x->lead = NULL;
  }
  after_leaving(d, x, why);
}

/* ---- messages every node handles ---- */

static void handle_token(struct dvms *d, struct dvms_node *x, struct dvms_isp *isp) {
  if (isp->merge) {
    isp->merge = 0;
    if (x->lead && x->lead->phase == LEAD_PARKED && x->part != isp->part) {
      dvms_merge(d, x, isp);
      return;
    }
  }
  if (!x->part && !x->local.n) { /* a node sending a VE away is busy */
    dvms_join(d, x, isp);
    return;
  }
  if (x->part == isp->part) {
    if (isp->initiator == x->id)
      dvms_park(d, x, isp); /* it came all the way round */
    else
      dvms_forward(d, x, isp, x->members, x->nmembers);
    return;
  }
  if (isp->initiator == x->id) {
    /* Its initiator has moved on: release whoever still waits in it. */
    for (int32_t i = 0; i < isp->n; i++)
      if (isp->nodes[i] != x->id)
        dvms_send_ctl(d, x->id, isp->nodes[i], DVMS_DISSOLVE, isp->part, 0, END_STALE);
    return;
  }
  if (d->cfg.merge && x->pstate == PSTATE_BLOCKED) {
    /* x's partition is parked at its initiator: merge the token into it. */
    if (x->lead && x->lead->phase == LEAD_PARKED) {
      dvms_merge(d, x, isp);
      return;
    }
    if (x->initiator >= 0 && x->initiator != x->id) {
      isp->merge = 1;
      send_hop(d, x, isp, x->initiator);
      return;
    }
  }
  if (!d->cfg.shortcuts) {
    dvms_forward(d, x, isp, NULL, 0);
    return;
  }
  if (x->nmembers > 1)
    d->stats.shortcuts++;
  dvms_forward(d, x, isp, x->members, x->nmembers); /* the shortcut */
}

static void on_isp(struct dvms *d, struct dvms_node *x, struct dvms_isp *isp) {
  struct dvms_isp_ack *ack = (struct dvms_isp_ack *)msg_new(DVMS_ISP_ACK, sizeof *ack);
  if (ack) {
    ack->hop = isp->hop;
    tp_send(&d->tp, x->id, isp->h.from, &ack->h);
  }
  handle_token(d, x, isp);
}

static void on_isp_ack(struct dvms_node *x, const struct dvms_isp_ack *a) {
  unsuspect(x, a->h.from);
  for (int32_t i = 0; i < x->nhops; i++)
    if (x->hops[i].id == a->hop) {
      free(x->hops[i].isp);
      x->hops[i] = x->hops[--x->nhops];
      return;
    }
}

static void on_hop_timeout(struct dvms *d, struct dvms_node *x, uint64_t id) {
  for (int32_t i = 0; i < x->nhops; i++) {
    if (x->hops[i].id != id)
      continue;
    struct dvms_hop h = x->hops[i];
    x->hops[i] = x->hops[--x->nhops];
    dvms_suspect(d, x, h.to);
    h.isp->merge = 0;
    handle_token(d, x, h.isp); /* as if it came back: route it again */
    free(h.isp);
    return;
  }
}

static void reply_reserve(struct dvms *d, struct dvms_node *x, const struct dvms_reserve *r,
                          bool ok) {
  struct node_snap *s = ok ? d->tp.ops->snapshot(d->tp.ctx, x->id) : NULL;
  int32_t nves = s ? s->nves : 0;
  struct dvms_reserve_ack *a = (struct dvms_reserve_ack *)msg_new(
      DVMS_RESERVE_ACK, sizeof(struct dvms_reserve_ack) + (size_t)nves * sizeof(struct snap_ve));
  if (a) {
    a->part = r->part;
    a->version = r->version;
    a->ok = s != NULL;
    if (s)
      memcpy(&a->snap, s, node_snap_size(nves));
    tp_send(&d->tp, x->id, r->h.from, &a->h);
  }
  free(s);
}

static void on_reserve(struct dvms *d, struct dvms_node *x, const struct dvms_reserve *r) {
  bool merged_in = r->prev_part && x->part == r->prev_part;
  bool ok = !x->locked && ((x->part && x->part == r->part && r->version > x->version) || merged_in);
  if (ok && dvms_set_members(x, r->nodes, r->n) < 0)
    ok = false;
  if (!ok) {
    reply_reserve(d, x, r, false);
    return;
  }
  if (merged_in && x->initiator == x->id)
    count_isp_end(d, x); /* its own ISP lives on inside the merged partition */
  if (x->lead) {         /* a newer leader holds the partition now */
    dvms_lead_free(x->lead);
    x->lead = NULL;
  }
  x->part = r->part;
  x->version = r->version;
  x->leader = r->h.from;
  x->initiator = r->initiator;
  x->pstate = r->state;
  x->last_update = tp_now(&d->tp);
  reply_reserve(d, x, r, true);
}

static void on_commit(struct dvms *d, struct dvms_node *x, const struct dvms_ctl *c) {
  bool ok = x->part == c->part && x->version == c->version && x->leader == c->h.from;
  if (ok) {
    x->locked = true;
    x->last_update = tp_now(&d->tp);
  }
  dvms_send_ctl(d, x->id, c->h.from, DVMS_COMMIT_ACK, c->part, c->version, ok);
}

static void on_update(struct dvms *d, struct dvms_node *x, const struct dvms_ctl *u) {
  if (x->part != u->part || u->version < x->version || x->lead)
    return;
  x->leader = u->h.from;
  x->version = u->version;
  x->pstate = u->arg;
  x->last_update = tp_now(&d->tp);
}

static void check_destination(struct dvms *d, struct dvms_node *x, const struct apply_migrate *m) {
  d->stats.exclusivity_checks++;
  const struct dvms_node *y = m->dst >= 0 && m->dst < d->cfg.nodes ? &d->nodes[m->dst] : NULL;
  if (y && y->part == x->part && y->locked && y->leader == x->leader)
    return;
  char msg[160];
  snprintf(msg, sizeof msg, "node %d migrates ve %d to node %d, which is not locked in its partition",
           x->id, m->ve, m->dst);
  sched_run_stats_fail(&d->stats, &d->stats.exclusivity_violations, msg);
}

static void on_migrate(struct dvms *d, struct dvms_node *x, const struct apply_migrate *m) {
  bool ok = x->part && x->part == m->tag && x->version == m->version &&
            x->leader == m->h.from && x->locked;
  if (ok && d->cfg.check)
    check_destination(d, x, m);
  apply_local_migrate(&x->local, &d->tp, x->id, m, ok);
}

static void on_message(void *agent, int32_t node, struct msg *m) {
  struct dvms *d = agent;
  struct dvms_node *x = &d->nodes[node];
  switch (m->kind) {
  case DVMS_ISP:
    on_isp(d, x, (struct dvms_isp *)m);
    break;
  case DVMS_ISP_ACK:
    on_isp_ack(x, (struct dvms_isp_ack *)m);
    break;
  case DVMS_RESERVE:
    on_reserve(d, x, (struct dvms_reserve *)m);
    break;
  case DVMS_COMMIT:
    on_commit(d, x, (struct dvms_ctl *)m);
    break;
  case DVMS_UPDATE:
    on_update(d, x, (struct dvms_ctl *)m);
    break;
  case DVMS_DISSOLVE:
    if (x->part == ((struct dvms_ctl *)m)->part && !x->lead)
      dvms_leave(d, x, ((struct dvms_ctl *)m)->arg);
    break;
  case APPLY_MIGRATE:
    on_migrate(d, x, (struct apply_migrate *)m);
    break;
  default:
    dvms_lead_message(d, x, m);
    break;
  }
  free(m);
}

static void on_member_timeout(struct dvms *d, struct dvms_node *x, uint64_t gen) {
  if (gen != (x->member_gen & ((1ULL << 56) - 1)) || !x->part)
    return;
  if (!x->lead && tp_now(&d->tp) - x->last_update >= d->cfg.partition_timeout) {
    if (x->initiator == x->id)
      d->stats.timeouts++;
    dvms_leave(d, x, END_TIMEOUT);
    return;
  }
  if (x->lead)
    x->last_update = tp_now(&d->tp); /* a holder does not time itself out */
  dvms_arm_member_timeout(d, x);
}

static void on_timer(void *agent, int32_t node, uint64_t token) {
  struct dvms *d = agent;
  struct dvms_node *x = &d->nodes[node];
  uint64_t v = TM_VALUE(token);
  switch (TM_KIND(token)) {
  case TM_MEMBER:
    on_member_timeout(d, x, v);
    break;
  case TM_HOP:
    on_hop_timeout(d, x, v);
    break;
  case TM_TICK:
    x->tick_armed = false;
    if (x->level != LOAD_OK && !x->part && !x->local.n)
      start_isp(d, x);
    else if (x->level != LOAD_OK)
      arm_tick(d, x);
    break;
  case TM_RETRY:
    x->retry_armed = false;
    if (x->level != LOAD_OK && !x->part)
      start_isp(d, x);
    break;
  default:
    dvms_lead_timer(d, x, TM_KIND(token), v, token);
    break;
  }
}

static void on_migrated(void *agent, int32_t node, uint64_t token, bool ok) {
  struct dvms *d = agent;
  struct dvms_node *x = &d->nodes[node];
  if (!apply_local_migrated(&x->local, &d->tp, node, token, ok))
    return;
  /* Its monitor held back while the VE left: act on what is left now. */
  if (!x->local.n && !x->part && x->level != LOAD_OK && d->cfg.monitor_period <= 0 &&
      !x->retry_armed)
    start_isp(d, x);
}

static void on_load(void *agent, int32_t node, int level) {
  struct dvms *d = agent;
  struct dvms_node *x = &d->nodes[node];
  bool escalates = level == LOAD_OVER && x->level != LOAD_OVER;
  x->level = level;
  if (level == LOAD_OK)
    return;
  if (d->cfg.monitor_period > 0)
    arm_tick(d, x);
  else if (!x->part && (!x->retry_armed || escalates))
    start_isp(d, x); /* an overload does not wait for a hot node's backoff */
}

const struct agent_ops dvms_agent_ops = {
    .message = on_message, .timer = on_timer, .migrated = on_migrated, .load = on_load,
};

struct dvms *dvms_new(const struct dvms_config *c, const struct transport *t, err_t *e) {
  if (c->nodes <= 0 || c->nves < 0)
    return err_set(e, EINVAL, "dvms: need nodes (got %d)", c->nodes), NULL;
  if (c->min_partition < 2)
    return err_set(e, EINVAL, "dvms: a partition needs at least 2 nodes to solve, not %d",
                   c->min_partition),
           NULL;
  struct dvms *d = calloc(1, sizeof *d);
  if (!d)
    return err_set(e, ENOMEM, "dvms: out of memory"), NULL;
  d->cfg = *c;
  d->tp = *t;
  d->nodes = calloc(c->nodes, sizeof *d->nodes);
  d->mark = calloc(c->nodes, sizeof *d->mark);
  if (!d->nodes || !d->mark) {
    dvms_free(d);
    return err_set(e, ENOMEM, "dvms: out of memory for %d nodes", c->nodes), NULL;
  }
  for (int32_t i = 0; i < c->nodes; i++) {
    d->nodes[i].id = i;
    d->nodes[i].leader = d->nodes[i].initiator = -1;
    rng_seed(&d->nodes[i].rng, c->seed, 1000 + (uint64_t)i);
  }
  if (view_init(&d->view, c->nodes, c->nves, c->target, c->fill, e) < 0 ||
      !(d->solver = sched_solver_new(e))) {
    dvms_free(d);
    return NULL;
  }
  return d;
}

void dvms_free(struct dvms *d) {
  if (!d)
    return;
  if (d->nodes)
    for (int32_t i = 0; i < d->cfg.nodes; i++) {
      struct dvms_node *x = &d->nodes[i];
      if (x->lead)
        dvms_lead_free(x->lead);
      for (int32_t h = 0; h < x->nhops; h++)
        free(x->hops[h].isp);
      free(x->hops);
      free(x->members);
      free(x->suspects);
      apply_local_free(&x->local);
    }
  free(d->nodes);
  free(d->mark);
  view_free(&d->view);
  sched_solver_free(d->solver);
  sched_run_stats_free(&d->stats);
  free(d);
}

struct sched_run_stats *dvms_stats(struct dvms *d) {
  return &d->stats;
}

uint64_t dvms_node_partition(const struct dvms *d, int32_t node) {
  return d->nodes[node].part;
}
