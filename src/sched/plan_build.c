/* Ordering a target into steps: each migration goes in the first step where
 * its destination has room for it (on top of what is there and what else
 * arrives in that step) and no continuous constraint forbids the arrival;
 * when nothing can move, a cycle is broken by sending one waiting VE to a
 * pivot node first, as Entropy does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched/plan.h"
#include "util/array.h"

struct pending {
  int32_t ve;
  int32_t cur;  /* where it is now (SCHED_NOWHERE for a ready VE) */
  int32_t dst;
  int32_t step; /* step it was scheduled in this round, or -1 */
  int32_t hop;  /* the pivot it goes to this step, or -1 */
  bool pivoted;
};

struct tnode {
  int32_t id;
  int64_t used[SCHED_NRES];   /* at the start of the step */
  int64_t coming[SCHED_NRES]; /* arrivals during the step */
  int32_t nves;               /* at the start of the step */
  int64_t cap[SCHED_NRES];
  int32_t ready_at;           /* first step it may receive VEs; -1 never */
  bool pivot_ok;              /* in the pivot set, and not leaving */
  bool stop_wanted, stopped;
};

struct builder {
  const struct sched_model *m;
  const struct sched_cstrs *c;
  struct sched_plan *p;
  struct pending *mv;  /* sorted by ve for lookups; `order` gives the schedule order */
  int32_t nmv;
  int32_t *order;
  struct tnode *nodes; /* sorted by id */
  int32_t nn;
  int32_t step;
};

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

static int cmp_pending(const void *a, const void *b) {
  return cmp_i32(&((const struct pending *)a)->ve, &((const struct pending *)b)->ve);
}

static struct tnode *tnode_of(struct builder *b, int32_t id) {
  int32_t lo = 0, hi = b->nn;
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (b->nodes[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < b->nn && b->nodes[lo].id == id ? &b->nodes[lo] : NULL;
}

static struct pending *pending_of(struct builder *b, int32_t ve) {
  struct pending key = {.ve = ve};
  return bsearch(&key, b->mv, b->nmv, sizeof(*b->mv), cmp_pending);
}

/* Is VE u on `node` during the current step (there at its start, or arriving)? */
static bool present_on(struct builder *b, int32_t u, int32_t node) {
  struct pending *x = pending_of(b, u);
  if (!x)
    return b->m->ves[u].host == node;
  return x->cur == node || (x->step == b->step && (x->hop >= 0 ? x->hop : x->dst) == node);
}

/* Calls fn on each VE present on `node` during the step until it returns
 * false; returns false then. */
static bool each_present(struct builder *b, int32_t node, bool (*fn)(void *, int32_t),
                         void *data) {
  const struct sched_node *g = &b->m->nodes[node];
  for (int32_t i = 0; i < g->nves; i++)
    if (!pending_of(b, g->ves[i]) && !fn(data, g->ves[i]))
      return false;
  for (int32_t i = 0; i < b->nmv; i++)
    if (present_on(b, b->mv[i].ve, node) && !fn(data, b->mv[i].ve))
      return false;
  return true;
}

struct arrival {
  const struct sched_cstrs *c;
  int32_t ve;
};

/* May `u`, present on the node, share it with the arriving VE during a step,
 * under the continuous spread, lonely and split constraints of either? */
static bool share_ok(void *data, int32_t u) {
  struct arrival *a = data;
  if (u == a->ve)
    return true;
  for (int side = 0; side < 2; side++) {
    int32_t x = side ? u : a->ve, y = side ? a->ve : u;
    int32_t n;
    const int32_t *idx = sched_cstrs_of_ve(a->c, x, &n);
    for (int32_t i = 0; i < n; i++) {
      const struct sched_cstr *k = &a->c->items[idx[i]];
      if (!k->continuous)
        continue;
      bool y_in = sched_ids_contain(k->ves, k->nves, y);
      if ((k->kind == SCHED_SPREAD && y_in) || (k->kind == SCHED_LONELY && !y_in))
        return false;
      if (k->kind == SCHED_SPLIT) {
        int32_t gy = sched_cstr_group_of(k, y);
        if (gy >= 0 && gy != sched_cstr_group_of(k, x))
          return false;
      }
    }
  }
  return true;
}

/* The group of among constraint x that holds all its running VEs in the
 * initial configuration, or -1. */
static int32_t initial_group(const struct sched_model *m, const struct sched_cstr *x) {
  int32_t g = -1;
  for (int32_t k = 0; k < x->nves; k++) {
    int32_t h = m->ves[x->ves[k]].host;
    if (h == SCHED_NOWHERE)
      continue;
    int32_t gk = sched_cstr_group_of(x, h);
    if (gk < 0 || (g >= 0 && gk != g))
      return -1;
    g = gk;
  }
  return g;
}

/* Usage of a capacity constraint's node set during the step: what is there
 * at its start plus what arrives (a VE moving inside the set counts twice,
 * as it occupies both ends while it moves). */
static int64_t set_usage(struct builder *b, const struct sched_cstr *x) {
  int64_t sum = 0;
  for (int32_t j = 0; j < x->nnodes; j++) {
    const struct tnode *t = tnode_of(b, x->nodes[j]);
    const struct sched_node *g = &b->m->nodes[x->nodes[j]];
    if (x->kind == SCHED_RUNNING_CAPACITY)
      sum += t ? t->nves : g->nves;
    else
      sum += t ? t->used[x->rc] + t->coming[x->rc] : g->used[x->rc];
  }
  if (x->kind == SCHED_RUNNING_CAPACITY)
    for (int32_t i = 0; i < b->nmv; i++) {
      const struct pending *q = &b->mv[i];
      int32_t to = q->hop >= 0 ? q->hop : q->dst;
      sum += q->step == b->step && sched_ids_contain(x->nodes, x->nnodes, to);
    }
  return sum;
}

/* The continuous rules of constraints.h for VE ve arriving on node. */
static bool continuous_ok(struct builder *b, int32_t ve, int32_t node) {
  const struct sched_cstrs *c = b->c;
  if (!c)
    return true;
  int32_t n;
  const int32_t *idx = sched_cstrs_of_ve(c, ve, &n);
  for (int32_t i = 0; i < n; i++) {
    const struct sched_cstr *x = &c->items[idx[i]];
    if (!x->continuous)
      continue;
    bool in = sched_ids_contain(x->nodes, x->nnodes, node);
    if ((x->kind == SCHED_BAN && in) || (x->kind == SCHED_FENCE && !in))
      return false;
    if (x->kind == SCHED_AMONG) {
      int32_t g = initial_group(b->m, x);
      if (g >= 0 && sched_cstr_group_of(x, node) != g)
        return false;
    }
  }
  idx = sched_cstrs_of_node(c, node, &n);
  for (int32_t i = 0; i < n; i++) {
    const struct sched_cstr *x = &c->items[idx[i]];
    if (!x->continuous ||
        (x->kind != SCHED_RESOURCE_CAPACITY && x->kind != SCHED_RUNNING_CAPACITY))
      continue;
    int64_t add = x->kind == SCHED_RUNNING_CAPACITY ? 1 : b->m->ves[ve].demand[x->rc];
    if (set_usage(b, x) + add > x->amount)
      return false;
  }
  if (sched_cstrs_has(c, SCHED_SPREAD) || sched_cstrs_has(c, SCHED_LONELY) ||
      sched_cstrs_has(c, SCHED_SPLIT)) {
    struct arrival a = {c, ve};
    if (!each_present(b, node, share_ok, &a))
      return false;
  }
  return true;
}

static bool has_room(const struct tnode *t, const struct sched_ve *v) {
  for (int r = 0; r < SCHED_NRES; r++)
    if (t->used[r] + t->coming[r] + v->demand[r] > t->cap[r])
      return false;
  return true;
}

static int push_action(struct builder *b, enum sched_action_kind kind, int32_t ve, int32_t src,
                       int32_t dst, bool pivot) {
  struct sched_plan *p = b->p;
  if (array_reserve((void **)&p->actions, &p->actions_cap, p->nactions + 1,
                    sizeof(*p->actions)) < 0)
    return -1;
  struct sched_action *a = &p->actions[p->nactions++];
  *a = (struct sched_action){kind, ve, src, dst, 0, 0, pivot};
  if (ve >= 0) {
    a->mem = b->m->ves[ve].demand[SCHED_MEM];
    a->cpu = b->m->ves[ve].demand[SCHED_CPU];
  }
  if (kind == SCHED_MIGRATE) {
    p->migrations++;
    p->pivots += pivot;
    p->mem_moved += a->mem;
  }
  return 0;
}

/* Close the current step (if it holds anything). */
static int close_step(struct builder *b) {
  struct sched_plan *p = b->p;
  if (array_reserve((void **)&p->step_start, &p->steps_cap, p->nsteps + 2,
                    sizeof(*p->step_start)) < 0)
    return -1;
  if (p->nsteps == 0)
    p->step_start[0] = 0;
  if (p->nactions > p->step_start[p->nsteps])
    p->step_start[++p->nsteps] = p->nactions;
  return 0;
}

/* Schedule q's arrival (at its destination, or at pivot t) in this step. */
static int schedule(struct builder *b, struct pending *q, struct tnode *t, bool pivot) {
  const struct sched_ve *v = &b->m->ves[q->ve];
  for (int r = 0; r < SCHED_NRES; r++)
    t->coming[r] += v->demand[r];
  q->step = b->step;
  q->hop = pivot ? t->id : -1;
  q->pivoted |= pivot;
  if (q->cur == SCHED_NOWHERE)
    return push_action(b, SCHED_BOOT_VE, q->ve, -1, t->id, false);
  return push_action(b, SCHED_MIGRATE, q->ve, q->cur, t->id, pivot);
}

/* Every waiting move whose destination has room and no rule against it. */
static int schedule_ready(struct builder *b, int32_t *count) {
  for (int32_t i = 0; i < b->nmv; i++) {
    struct pending *q = &b->mv[b->order[i]];
    if (q->cur == q->dst)
      continue;
    struct tnode *t = tnode_of(b, q->dst);
    if (t->ready_at < 0 || t->ready_at > b->step || !has_room(t, &b->m->ves[q->ve]) ||
        !continuous_ok(b, q->ve, q->dst))
      continue;
    if (schedule(b, q, t, false) < 0)
      return -1;
    (*count)++;
  }
  return 0;
}

/* Nothing can move: send one waiting VE to the pivot with the most room.
 * 1 done, 0 no pivot anywhere, -1 ENOMEM. */
static int schedule_pivot(struct builder *b) {
  for (int32_t i = 0; i < b->nmv; i++) {
    struct pending *q = &b->mv[b->order[i]];
    if (q->cur == q->dst || q->cur == SCHED_NOWHERE || q->pivoted)
      continue;
    struct tnode *best = NULL;
    for (int32_t j = 0; j < b->nn; j++) {
      struct tnode *t = &b->nodes[j];
      if (!t->pivot_ok || t->id == q->cur || t->id == q->dst || t->ready_at < 0 ||
          t->ready_at > b->step || !has_room(t, &b->m->ves[q->ve]))
        continue;
      int64_t room = t->cap[SCHED_CPU] - t->used[SCHED_CPU] - t->coming[SCHED_CPU];
      if (best && room <= best->cap[SCHED_CPU] - best->used[SCHED_CPU] - best->coming[SCHED_CPU])
        continue;
      if (continuous_ok(b, q->ve, t->id))
        best = t;
    }
    if (best)
      return schedule(b, q, best, true) < 0 ? -1 : 1;
  }
  return 0;
}

static int stuck_error(struct builder *b, err_t *e) {
  char list[128] = "";
  size_t len = 0;
  int shown = 0;
  for (int32_t i = 0; i < b->nmv && shown < 4; i++) {
    const struct pending *q = &b->mv[b->order[i]];
    if (q->cur == q->dst)
      continue;
    len += snprintf(list + len, sizeof(list) - len, "%s%d", shown ? ", " : "", q->ve);
    shown++;
  }
  return err_set(e, EAGAIN, "plan: migrations of ves %s wait on each other and no pivot node has "
                 "room", list);
}

/* The end of a step: departures free their sources, arrivals land. */
static int32_t finish_step(struct builder *b) {
  int32_t done = 0;
  for (int32_t i = 0; i < b->nmv; i++) {
    struct pending *q = &b->mv[i];
    if (q->step != b->step)
      continue;
    const struct sched_ve *v = &b->m->ves[q->ve];
    struct tnode *to = tnode_of(b, q->hop >= 0 ? q->hop : q->dst);
    if (q->cur != SCHED_NOWHERE) {
      struct tnode *from = tnode_of(b, q->cur);
      for (int r = 0; r < SCHED_NRES; r++)
        from->used[r] -= v->demand[r];
      from->nves--;
    }
    for (int r = 0; r < SCHED_NRES; r++)
      to->used[r] += v->demand[r];
    to->nves++;
    q->cur = to->id;
    q->step = q->hop = -1;
    done += q->cur == q->dst;
  }
  for (int32_t j = 0; j < b->nn; j++)
    memset(b->nodes[j].coming, 0, sizeof(b->nodes[j].coming));
  return done;
}

/* Node actions: boots in step 0, shutdowns once the node is empty. */
static int schedule_nodes(struct builder *b, int32_t *count) {
  for (int32_t j = 0; j < b->nn; j++) {
    struct tnode *t = &b->nodes[j];
    const struct sched_node *g = &b->m->nodes[t->id];
    if (b->step == 0 && !g->online && t->ready_at == 1) {
      if (push_action(b, SCHED_BOOT_NODE, -1, -1, t->id, false) < 0)
        return -1;
      (*count)++;
    }
    if (t->stop_wanted && !t->stopped && t->nves == 0) {
      bool awaited = false;
      for (int32_t i = 0; i < b->nmv && !awaited; i++)
        awaited = b->mv[i].dst == t->id && b->mv[i].cur != t->id;
      if (awaited)
        continue;
      if (push_action(b, SCHED_SHUTDOWN_NODE, -1, -1, t->id, false) < 0)
        return -1;
      t->stopped = true;
      (*count)++;
    }
  }
  return 0;
}

/* The nodes the plan may touch: sources, destinations, pivots; their state. */
static int collect_nodes(struct builder *b, const int32_t *pivots, int32_t npivots) {
  int32_t *ids = NULL, n = 0, cap = 0, *pv = NULL;
  for (int32_t i = 0; i < b->nmv; i++)
    if ((b->mv[i].cur != SCHED_NOWHERE && array_push_i32(&ids, &n, &cap, b->mv[i].cur) < 0) ||
        array_push_i32(&ids, &n, &cap, b->mv[i].dst) < 0)
      goto nomem;
  for (int32_t i = 0; pivots && i < npivots; i++)
    if (array_push_i32(&ids, &n, &cap, pivots[i]) < 0)
      goto nomem;
  if (n)
    qsort(ids, n, sizeof(*ids), cmp_i32);
  pv = malloc(sizeof(*pv) * (npivots > 0 ? npivots : 1));
  b->nodes = calloc(n ? n : 1, sizeof(*b->nodes));
  if (!pv || !b->nodes)
    goto nomem;
  if (pivots && npivots) {
    memcpy(pv, pivots, sizeof(*pv) * npivots);
    qsort(pv, npivots, sizeof(*pv), cmp_i32);
  }
  for (int32_t i = 0; i < n; i++) {
    if (i && ids[i] == ids[i - 1])
      continue;
    int32_t id = ids[i];
    const struct sched_node *g = &b->m->nodes[id];
    struct tnode *t = &b->nodes[b->nn++];
    t->id = id;
    memcpy(t->used, g->used, sizeof(t->used));
    memcpy(t->cap, g->cap, sizeof(t->cap));
    t->nves = g->nves;
    bool in_set = !pivots || sched_ids_contain(pv, npivots, id);
    bool wanted_on = in_set && sched_cstrs_node_has(b->c, id, SCHED_ONLINE);
    t->stop_wanted = in_set && g->online && sched_cstrs_node_has(b->c, id, SCHED_OFFLINE);
    bool awaited = false;
    for (int32_t k = 0; k < b->nmv && !awaited; k++)
      awaited = b->mv[k].dst == id;
    /* an offline node boots in step 0 if the plan needs it or it must be on */
    t->ready_at = g->online ? 0 : (awaited || wanted_on) ? 1 : -1;
    t->pivot_ok = in_set && !t->stop_wanted && !sched_cstrs_node_has(b->c, id, SCHED_QUARANTINE);
  }
  free(ids);
  free(pv);
  return 0;
nomem:
  free(ids);
  free(pv);
  return -1;
}

static int check_moves(const struct sched_model *m, const struct sched_move *moves,
                       int32_t nmoves, const int32_t *pivots, int32_t npivots, err_t *e) {
  for (int32_t i = 0; i < nmoves; i++)
    if (moves[i].ve < 0 || moves[i].ve >= m->nves || moves[i].dst < 0 ||
        moves[i].dst >= m->nnodes)
      return err_set(e, EINVAL, "plan: move %d (ve %d to node %d): id out of range", i,
                     moves[i].ve, moves[i].dst);
  for (int32_t i = 0; pivots && i < npivots; i++)
    if (pivots[i] < 0 || pivots[i] >= m->nnodes)
      return err_set(e, EINVAL, "plan: pivot node %d out of range", pivots[i]);
  return 0;
}

/* The moves to make, sorted by VE for lookups; `order` keeps the caller's. */
static int collect_moves(struct builder *b, const struct sched_move *moves, int32_t nmoves,
                         err_t *e) {
  b->mv = malloc(sizeof(*b->mv) * (nmoves ? nmoves : 1));
  b->order = malloc(sizeof(*b->order) * (nmoves ? nmoves : 1));
  if (!b->mv || !b->order)
    return err_set(e, ENOMEM, "plan: out of memory");
  for (int32_t i = 0; i < nmoves; i++) {
    int32_t cur = b->m->ves[moves[i].ve].host;
    if (cur != moves[i].dst)
      b->mv[b->nmv++] = (struct pending){moves[i].ve, cur, moves[i].dst, -1, -1, false};
  }
  qsort(b->mv, b->nmv, sizeof(*b->mv), cmp_pending);
  for (int32_t i = 1; i < b->nmv; i++)
    if (b->mv[i].ve == b->mv[i - 1].ve)
      return err_set(e, EINVAL, "plan: ve %d is moved twice", b->mv[i].ve);
  /* schedule in the caller's order */
  int32_t k = 0;
  for (int32_t i = 0; i < nmoves; i++) {
    struct pending *q = pending_of(b, moves[i].ve);
    if (q)
      b->order[k++] = (int32_t)(q - b->mv);
  }
  return 0;
}

static int run_steps(struct builder *b, err_t *e) {
  int32_t remaining = b->nmv;
  for (b->step = 0;; b->step++) {
    int32_t count = 0;
    if (schedule_nodes(b, &count) < 0 || schedule_ready(b, &count) < 0)
      return err_set(e, ENOMEM, "plan: out of memory");
    if (count == 0 && remaining > 0) {
      int r = schedule_pivot(b);
      if (r < 0)
        return err_set(e, ENOMEM, "plan: out of memory");
      if (r == 0)
        return stuck_error(b, e);
      count = 1;
    }
    if (count == 0)
      return 0;
    remaining -= finish_step(b);
    if (close_step(b) < 0)
      return err_set(e, ENOMEM, "plan: out of memory");
  }
}

int sched_plan_build(struct sched_plan *p, const struct sched_model *m,
                     const struct sched_move *moves, int32_t nmoves, const int32_t *pivots,
                     int32_t npivots, const struct sched_cstrs *c, err_t *e) {
  sched_plan_clear(p);
  if (c && c->n == 0)
    c = NULL;
  if (c && (!c->sealed || c->nves != m->nves || c->nnodes != m->nnodes))
    return err_set(e, EINVAL, "plan: constraints are not sealed for this model");
  if (nmoves < 0 || npivots < 0)
    return err_set(e, EINVAL, "plan: negative count");
  if (check_moves(m, moves, nmoves, pivots, npivots, e) < 0)
    return -1;
  struct builder b = {.m = m, .c = c, .p = p};
  int r = collect_moves(&b, moves, nmoves, e);
  if (r == 0 && collect_nodes(&b, pivots, npivots) < 0)
    r = err_set(e, ENOMEM, "plan: out of memory");
  if (r == 0 && close_step(&b) < 0)
    r = err_set(e, ENOMEM, "plan: out of memory");
  if (r == 0)
    r = run_steps(&b, e);
  free(b.mv);
  free(b.order);
  free(b.nodes);
  if (r < 0)
    sched_plan_clear(p);
  return r;
}
