/* The repair heuristic: take misplaced VEs off and place them, then relieve
 * each overloaded node by evicting the cheapest set of VEs that can be placed
 * elsewhere, worst-fit-decreasing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched/solver_state.h"
#include "util/array.h"

#define MAX_SET 3          /* eviction sets enumerated up to this size */
#define MAX_CANDIDATES 16  /* VEs of one node considered for eviction sets */
#define MAX_SETS_SCORED 64 /* equally cheap sets compared by the slack they leave */
#define SCORE_ALL_BELOW 256 /* partitions up to this size compare sets; larger take the first */

/* The node with the most room left for v after placing it (worst fit), among
 * those that accept it; skips `exclude` and, when cstr >= 0, the nodes of
 * that capacity constraint. Ties go to the seeded rank. -1 if none. */
static int32_t best_dest(struct sched_solver *s, int32_t v, int32_t exclude, int32_t cstr) {
  const struct sched_cstr *x = cstr >= 0 ? &s->c->items[cstr] : NULL;
  int32_t best = -1;
  int64_t best_slack = 0;
  for (int32_t n = 0; n < s->nn; n++) {
    if (n == exclude || !s->nodes[n].accepts || !solver_fits(s, v, n))
      continue;
    int64_t slack = s->nodes[n].cap[SCHED_CPU] - s->nodes[n].used[SCHED_CPU];
    if (best >= 0 && (slack < best_slack ||
                      (slack == best_slack && s->nodes[n].rank >= s->nodes[best].rank)))
      continue;
    if (x && sched_ids_contain(x->nodes, x->nnodes, s->nodes[n].id))
      continue;
    if (!solver_allows(s, v, n))
      continue;
    best = n;
    best_slack = slack;
  }
  return best;
}

static int cmp_cpu_desc(const void *a, const void *b, void *data) {
  const struct sched_solver *s = data;
  const struct lve *x = &s->ves[*(const int32_t *)a], *y = &s->ves[*(const int32_t *)b];
  if (x->demand[SCHED_CPU] != y->demand[SCHED_CPU])
    return x->demand[SCHED_CPU] > y->demand[SCHED_CPU] ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

/* Place the n VEs of list (off the target) biggest first; on failure the
 * ones placed stay placed and 0 is returned. */
static int place_all(struct sched_solver *s, int32_t *list, int32_t n, int32_t exclude,
                     int32_t cstr) {
  qsort_r(list, n, sizeof(*list), cmp_cpu_desc, s);
  for (int32_t i = 0; i < n; i++) {
    int32_t d = best_dest(s, list[i], exclude, cstr);
    if (d < 0)
      return 0;
    if (solver_set_host(s, list[i], d) < 0)
      return -1;
  }
  return 1;
}

struct evict_set {
  int8_t idx[MAX_SET];
  int8_t n;
  int64_t cost;
};

static int cmp_set(const void *a, const void *b) {
  const struct evict_set *x = a, *y = b;
  if (x->cost != y->cost)
    return x->cost < y->cost ? -1 : 1;
  if (x->n != y->n)
    return x->n - y->n;
  return memcmp(x->idx, y->idx, sizeof(x->idx));
}

struct relief {
  struct sched_solver *s;
  int32_t node;
  int32_t cand[MAX_CANDIDATES];
  int32_t ncand;
  int64_t excess[SCHED_NRES];
  struct evict_set *sets;
  int32_t nsets, sets_cap;
};

static int add_set(struct relief *r, const int8_t *idx, int n) {
  int64_t freed[SCHED_NRES] = {0}, cost = 0;
  for (int i = 0; i < n; i++) {
    const struct lve *v = &r->s->ves[r->cand[idx[i]]];
    for (int k = 0; k < SCHED_NRES; k++)
      freed[k] += v->demand[k];
    /* moving back a VE that an earlier eviction brought here costs nothing
     * extra, but moving one away from its origin costs its memory */
    cost += v->orig == r->node ? v->demand[SCHED_MEM] : 0;
  }
  for (int k = 0; k < SCHED_NRES; k++)
    if (freed[k] < r->excess[k])
      return 0;
  if (array_reserve((void **)&r->sets, &r->sets_cap, r->nsets + 1, sizeof(*r->sets)) < 0)
    return -1;
  struct evict_set *e = &r->sets[r->nsets++];
  memset(e, 0, sizeof(*e));
  memcpy(e->idx, idx, n);
  e->n = (int8_t)n;
  e->cost = cost;
  return 0;
}

/* Every subset of up to MAX_SET candidates that covers the excess. */
static int enumerate_sets(struct relief *r) {
  int8_t idx[MAX_SET];
  for (int a = 0; a < r->ncand; a++) {
    idx[0] = (int8_t)a;
    if (add_set(r, idx, 1) < 0)
      return -1;
    for (int b = a + 1; b < r->ncand; b++) {
      idx[1] = (int8_t)b;
      if (add_set(r, idx, 2) < 0)
        return -1;
      for (int c = b + 1; c < r->ncand && MAX_SET >= 3; c++) {
        idx[2] = (int8_t)c;
        if (add_set(r, idx, 3) < 0)
          return -1;
      }
    }
  }
  if (r->nsets)
    qsort(r->sets, r->nsets, sizeof(*r->sets), cmp_set);
  return 0;
}

/* Try evicting set e: 1 placed (and kept when `keep`), 0 not placeable,
 * -1 ENOMEM. *score is the least CPU slack left on the node and the
 * destinations. */
static int try_set(struct relief *r, const struct evict_set *e, bool keep, int64_t *score) {
  struct sched_solver *s = r->s;
  int32_t list[MAX_SET];
  for (int i = 0; i < e->n; i++) {
    list[i] = r->cand[e->idx[i]];
    if (solver_set_host(s, list[i], -1) < 0)
      return -1;
  }
  int ok = place_all(s, list, e->n, r->node, -1);
  if (ok < 0)
    return -1;
  int64_t least = s->nodes[r->node].cap[SCHED_CPU] - s->nodes[r->node].used[SCHED_CPU];
  for (int i = 0; i < e->n && ok; i++) {
    const struct lnode *d = &s->nodes[s->ves[list[i]].host];
    if (d->cap[SCHED_CPU] - d->used[SCHED_CPU] < least)
      least = d->cap[SCHED_CPU] - d->used[SCHED_CPU];
  }
  *score = least;
  if (ok && keep)
    return 1;
  for (int i = 0; i < e->n; i++)
    if (solver_set_host(s, list[i], r->node) < 0)
      return -1;
  return ok;
}

/* The equally cheapest placeable sets, compared by the slack they leave. */
static int relieve_by_sets(struct relief *r) {
  struct sched_solver *s = r->s;
  bool compare = s->nn <= SCORE_ALL_BELOW;
  for (int32_t i = 0; i < r->nsets;) {
    int32_t level_end = i;
    while (level_end < r->nsets && r->sets[level_end].cost == r->sets[i].cost &&
           r->sets[level_end].n == r->sets[i].n)
      level_end++;
    int32_t best = -1, scored = 0;
    int64_t best_score = 0;
    for (int32_t j = i; j < level_end && scored < MAX_SETS_SCORED; j++) {
      int64_t score;
      int ok = try_set(r, &r->sets[j], false, &score);
      if (ok < 0)
        return -1;
      if (!ok)
        continue;
      scored++;
      if (best < 0 || score > best_score) {
        best = j;
        best_score = score;
      }
      if (!compare)
        break;
    }
    if (best >= 0) {
      int64_t score;
      return try_set(r, &r->sets[best], true, &score);
    }
    i = level_end;
  }
  return 0;
}

/* Larger sets: evict biggest first until the excess is covered, then try
 * the smallest first (small VEs fit the gaps the big ones do not). */
static int relieve_greedy(struct relief *r, bool smallest_first) {
  struct sched_solver *s = r->s;
  struct lnode *x = &s->nodes[r->node];
  int32_t n = 0, *list = s->queue;
  if (array_reserve((void **)&s->queue, &s->queue_cap, x->nves, sizeof(int32_t)) < 0)
    return -1;
  list = s->queue;
  for (int32_t i = 0; i < x->nves; i++)
    if (s->ves[x->ves[i]].movable)
      list[n++] = x->ves[i];
  qsort_r(list, n, sizeof(*list), cmp_cpu_desc, s);
  int32_t take = 0;
  int64_t freed[SCHED_NRES] = {0};
  for (; take < n; take++) {
    bool covered = true;
    for (int k = 0; k < SCHED_NRES; k++)
      covered = covered && freed[k] >= r->excess[k];
    if (covered)
      break;
    int32_t v = list[smallest_first ? n - 1 - take : take];
    for (int k = 0; k < SCHED_NRES; k++)
      freed[k] += s->ves[v].demand[k];
  }
  for (int k = 0; k < SCHED_NRES; k++)
    if (freed[k] < r->excess[k])
      return 0;
  int32_t *chosen = smallest_first ? list + n - take : list;
  if (take == 0 || array_reserve((void **)&s->queue2, &s->queue2_cap, take, sizeof(int32_t)) < 0)
    return take == 0 ? 0 : -1;
  memcpy(s->queue2, chosen, sizeof(int32_t) * take);
  for (int32_t i = 0; i < take; i++)
    if (solver_set_host(s, s->queue2[i], -1) < 0)
      return -1;
  int ok = place_all(s, s->queue2, take, r->node, -1);
  if (ok != 0)
    return ok;
  for (int32_t i = 0; i < take; i++)
    if (solver_set_host(s, s->queue2[i], r->node) < 0)
      return -1;
  return 0;
}

/* Bring node n back within its capacity: 1 done, 0 failed, -1 ENOMEM. */
static int relieve(struct sched_solver *s, int32_t n, struct relief *r) {
  struct lnode *x = &s->nodes[n];
  r->s = s;
  r->node = n;
  r->nsets = 0;
  r->ncand = 0;
  for (int k = 0; k < SCHED_NRES; k++)
    r->excess[k] = x->used[k] - x->cap[k];
  if (array_reserve((void **)&s->scratch, &s->scratch_cap, x->nves, sizeof(int32_t)) < 0)
    return -1;
  int32_t nmov = 0;
  for (int32_t i = 0; i < x->nves; i++)
    if (s->ves[x->ves[i]].movable)
      s->scratch[nmov++] = x->ves[i];
  qsort_r(s->scratch, nmov, sizeof(int32_t), cmp_cpu_desc, s);
  r->ncand = nmov < MAX_CANDIDATES ? nmov : MAX_CANDIDATES;
  memcpy(r->cand, s->scratch, sizeof(int32_t) * r->ncand);
  if (enumerate_sets(r) < 0)
    return -1;
  int ok = relieve_by_sets(r);
  if (ok == 0)
    ok = relieve_greedy(r, false);
  if (ok == 0)
    ok = relieve_greedy(r, true);
  return ok;
}

/* The overloaded node with the largest CPU excess (then memory), or -1. */
static int32_t worst_node(const struct sched_solver *s) {
  int32_t worst = -1;
  int64_t worst_excess[SCHED_NRES] = {0};
  for (int32_t n = 0; n < s->nn; n++) {
    if (solver_node_ok(s, n))
      continue;
    const struct lnode *x = &s->nodes[n];
    int64_t cpu = x->used[SCHED_CPU] - x->cap[SCHED_CPU];
    int64_t mem = x->used[SCHED_MEM] - x->cap[SCHED_MEM];
    if (worst < 0 || cpu > worst_excess[SCHED_CPU] ||
        (cpu == worst_excess[SCHED_CPU] && mem > worst_excess[SCHED_MEM])) {
      worst = n;
      worst_excess[SCHED_CPU] = cpu;
      worst_excess[SCHED_MEM] = mem;
    }
  }
  return worst;
}

/* A capacity constraint over its limit: move its VEs out of its node set,
 * biggest first, until it holds. */
static int relieve_capsum(struct sched_solver *s, int32_t at) {
  int32_t cstr = s->sums[at].cstr;
  const struct sched_cstr *x = &s->c->items[cstr];
  for (int32_t j = 0; j < x->nnodes && s->sums[at].value > x->amount; j++) {
    int32_t n = solver_node_local(s, x->nodes[j]);
    if (n < 0)
      continue;
    while (s->sums[at].value > x->amount) {
      int32_t pick = -1;
      for (int32_t i = 0; i < s->nodes[n].nves; i++) {
        int32_t v = s->nodes[n].ves[i];
        if (s->ves[v].movable && (pick < 0 || cmp_cpu_desc(&v, &pick, s) < 0))
          pick = v;
      }
      if (pick < 0)
        break;
      if (solver_set_host(s, pick, -1) < 0)
        return -1;
      int ok = place_all(s, &pick, 1, n, cstr);
      if (ok <= 0)
        return ok;
    }
  }
  return s->sums[at].value <= x->amount;
}

int solver_repair(struct sched_solver *s, err_t *e) {
  struct relief r = {0};
  int ok = 1;
  if (solver_unplace_set_minorities(s) < 0)
    goto nomem;
  /* VEs whose place breaks a constraint go off first, then everything off
   * the target is placed */
  for (int32_t v = 0; v < s->nv; v++)
    if (s->ves[v].host >= 0 && s->ves[v].movable && !solver_allows(s, v, s->ves[v].host) &&
        solver_set_host(s, v, -1) < 0)
      goto nomem;
  if (array_reserve((void **)&s->queue2, &s->queue2_cap, s->nv, sizeof(int32_t)) < 0)
    goto nomem;
  int32_t n = 0;
  for (int32_t v = 0; v < s->nv; v++)
    if (s->ves[v].host < 0 && (s->ves[v].orig >= 0 || s->ves[v].needs_run))
      s->queue2[n++] = v;
  ok = place_all(s, s->queue2, n, -1, -1);
  for (int32_t node; ok == 1 && (node = worst_node(s)) >= 0;) {
    ok = relieve(s, node, &r);
    if (ok == 1 && !solver_node_ok(s, node))
      ok = 0;
  }
  for (int32_t at; ok == 1 && (at = solver_capsum_violated(s)) >= 0;)
    ok = relieve_capsum(s, at);
  free(r.sets);
  if (ok < 0)
    return err_set(e, ENOMEM, "solver: out of memory");
  return ok == 1 && solver_target_ok(s);
nomem:
  free(r.sets);
  return err_set(e, ENOMEM, "solver: out of memory");
}
