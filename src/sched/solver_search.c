/* The exact phase: depth-first search over moves, by iterative deepening on
 * the number of VEs moved, with branch and bound on the cost. Each level
 * fixes one problem of the target: a VE without a place, a VE whose place
 * breaks a constraint, the most overloaded node, or a capacity constraint
 * over its limit. A move may overload its destination, which a deeper level
 * then relieves: that is how chains (A -> B -> C) and swaps are found. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched/solver_state.h"

#define MAX_DEPTH 12     /* VEs moved at most */
#define TIME_CHECK 256   /* search nodes between two clock reads */

struct search {
  struct sched_solver *s;
  int32_t limit;     /* moves allowed at this iteration */
  int64_t cheapest_at_limit; /* memory of the `limit` lightest movable VEs */
  bool found, stop;
  struct sched_plan probe; /* to check that a target has a plan */
};

static int32_t moved_count(const struct sched_solver *s) {
  int32_t n = 0;
  for (int32_t v = 0; v < s->nv; v++)
    n += s->ves[v].orig >= 0 && s->ves[v].host != s->ves[v].orig;
  return n;
}

/* Keep arr (*n values, at most cap) sorted with the cap largest values
 * seen (or smallest, when !largest). */
static void keep_best(int64_t *arr, int32_t *n, int32_t cap, int64_t v, bool largest) {
  int32_t j = *n;
  if (j == cap) {
    if (largest ? v <= arr[cap - 1] : v >= arr[cap - 1])
      return;
    j = cap - 1;
  } else {
    (*n)++;
  }
  while (j > 0 && (largest ? arr[j - 1] < v : arr[j - 1] > v)) {
    arr[j] = arr[j - 1];
    j--;
  }
  arr[j] = v;
}

#define TOP 16

/* Fewest VEs that can relieve node n of its CPU excess: its unmoved movable
 * VEs, biggest first. A dead end (INT32_MAX / 2) when all of them cannot. */
static int32_t evictions_needed(const struct sched_solver *s, int32_t n) {
  const struct lnode *x = &s->nodes[n];
  int64_t excess = x->used[SCHED_CPU] - x->cap[SCHED_CPU];
  if (excess <= 0)
    return 1; /* over on memory only */
  int64_t top[TOP];
  int32_t k = 0, candidates = 0;
  for (int32_t i = 0; i < x->nves; i++) {
    const struct lve *v = &s->ves[x->ves[i]];
    if (v->movable && v->host == v->orig) {
      candidates++;
      keep_best(top, &k, TOP, v->demand[SCHED_CPU], true);
    }
  }
  for (int32_t i = 0; i < k; i++) {
    excess -= top[i];
    if (excess <= 0)
      return i + 1;
  }
  return candidates > TOP ? TOP + 1 : INT32_MAX / 2;
}

/* Moves still needed, at least: enough evictions for each overloaded node,
 * one per VE off the target. */
static int32_t moves_lower_bound(const struct sched_solver *s) {
  int32_t lb = 0;
  for (int32_t n = 0; n < s->nn; n++)
    if (!solver_node_ok(s, n))
      lb += evictions_needed(s, n);
  for (int32_t v = 0; v < s->nv; v++)
    lb += s->ves[v].host < 0 && s->ves[v].orig >= 0;
  return lb;
}

enum problem { NONE, PLACE, MISPLACED, OVERLOAD, CAPSUM };

/* What to fix next: a VE without a place, a VE whose place breaks a
 * constraint, the most overloaded node, a capacity constraint over its
 * limit; `what` is the VE, node or index in sums. */
static enum problem next_problem(struct sched_solver *s, int32_t *what) {
  for (int32_t v = 0; v < s->nv; v++) {
    const struct lve *x = &s->ves[v];
    if (x->host < 0 && (x->orig >= 0 || x->needs_run)) {
      *what = v;
      return PLACE;
    }
    if (x->host >= 0 && !solver_allows(s, v, x->host)) {
      *what = v;
      return MISPLACED;
    }
  }
  int32_t worst = -1;
  int64_t excess = 0;
  for (int32_t n = 0; n < s->nn; n++) {
    if (solver_node_ok(s, n))
      continue;
    const struct lnode *x = &s->nodes[n];
    int64_t e = x->used[SCHED_CPU] - x->cap[SCHED_CPU];
    if (worst < 0 || e > excess) {
      worst = n;
      excess = e;
    }
  }
  if (worst >= 0) {
    *what = worst;
    return OVERLOAD;
  }
  int32_t at = solver_capsum_violated(s);
  if (at >= 0) {
    *what = at;
    return CAPSUM;
  }
  return NONE;
}

static bool same_ve_shape(const struct sched_solver *s, int32_t a, int32_t b) {
  if (!s->ves[b].movable || s->ves[a].demand[SCHED_CPU] != s->ves[b].demand[SCHED_CPU] ||
      s->ves[a].demand[SCHED_MEM] != s->ves[b].demand[SCHED_MEM] ||
      s->ves[a].orig != s->ves[b].orig)
    return false;
  int32_t na = 0, nb = 0;
  if (s->c) {
    sched_cstrs_of_ve(s->c, s->ves[a].id, &na);
    sched_cstrs_of_ve(s->c, s->ves[b].id, &nb);
  }
  return na == 0 && nb == 0;
}

/* Without constraints, two nodes with the same usage and capacity are
 * interchangeable destinations. */
static bool same_node_shape(const struct sched_solver *s, int32_t a, int32_t b) {
  const struct lnode *x = &s->nodes[a], *y = &s->nodes[b];
  return !s->c && x->accepts == y->accepts && !memcmp(x->used, y->used, sizeof(x->used)) &&
         !memcmp(x->cap, y->cap, sizeof(x->cap));
}

static int dfs(struct search *st);

/* Destinations of v, most room first; returns -1 on ENOMEM. */
static int branch_dests(struct search *st, int32_t v, int32_t from, int32_t cstr) {
  struct sched_solver *s = st->s;
  int32_t *order = malloc(sizeof(int32_t) * s->nn);
  if (!order)
    return -1;
  int32_t n = 0;
  const struct sched_cstr *x = cstr >= 0 ? &s->c->items[cstr] : NULL;
  for (int32_t d = 0; d < s->nn; d++) {
    if (d == from || !s->nodes[d].accepts)
      continue;
    if (s->nodes[d].used[SCHED_MEM] + s->ves[v].demand[SCHED_MEM] > s->nodes[d].cap[SCHED_MEM])
      continue;
    if (x && sched_ids_contain(x->nodes, x->nnodes, s->nodes[d].id))
      continue;
    if (!solver_allows_over_capacity(s, v, d))
      continue;
    bool twin = false;
    for (int32_t i = 0; i < n && !twin; i++)
      twin = same_node_shape(s, order[i], d);
    if (!twin)
      order[n++] = d;
  }
  /* insertion sort by CPU slack, descending, then rank */
  for (int32_t i = 1; i < n; i++) {
    int32_t d = order[i], j = i;
    int64_t sd = s->nodes[d].cap[SCHED_CPU] - s->nodes[d].used[SCHED_CPU];
    while (j > 0) {
      int32_t p = order[j - 1];
      int64_t sp = s->nodes[p].cap[SCHED_CPU] - s->nodes[p].used[SCHED_CPU];
      if (sp > sd || (sp == sd && s->nodes[p].rank < s->nodes[d].rank))
        break;
      order[j] = p;
      j--;
    }
    order[j] = d;
  }
  int32_t back = s->ves[v].host;
  int r = 0;
  for (int32_t i = 0; i < n && !st->stop && r == 0; i++) {
    if (solver_set_host(s, v, order[i]) < 0)
      r = -1;
    else
      r = dfs(st);
  }
  free(order);
  if (r == 0 && solver_set_host(s, v, back) < 0)
    r = -1;
  return r;
}

/* VEs that may leave node n (not moved yet: each VE moves at most once). */
static int branch_evictions(struct search *st, int32_t n, int32_t cstr) {
  struct sched_solver *s = st->s;
  const struct lnode *x = &s->nodes[n];
  int32_t cnt = x->nves;
  int32_t *list = malloc(sizeof(int32_t) * (cnt ? cnt : 1));
  if (!list)
    return -1;
  int32_t k = 0;
  for (int32_t i = 0; i < cnt; i++) {
    int32_t v = x->ves[i];
    if (s->ves[v].movable && s->ves[v].host == s->ves[v].orig)
      list[k++] = v;
  }
  /* biggest first */
  for (int32_t i = 1; i < k; i++) {
    int32_t v = list[i], j = i;
    while (j > 0 && (s->ves[list[j - 1]].demand[SCHED_CPU] < s->ves[v].demand[SCHED_CPU] ||
                     (s->ves[list[j - 1]].demand[SCHED_CPU] == s->ves[v].demand[SCHED_CPU] &&
                      s->ves[list[j - 1]].id > s->ves[v].id))) {
      list[j] = list[j - 1];
      j--;
    }
    list[j] = v;
  }
  int r = 0;
  for (int32_t i = 0; i < k && !st->stop && r == 0; i++) {
    bool twin = false;
    for (int32_t j = 0; j < i && !twin; j++)
      twin = same_ve_shape(s, list[j], list[i]);
    if (!twin)
      r = branch_dests(st, list[i], n, cstr);
  }
  free(list);
  return r;
}

/* A target with a plan: keep it when its plan copies less memory (pivot
 * hops included) than the best so far. */
/* VE v breaks a constraint where it is: move it, or move what it clashes
 * with: its neighbours (spread, lonely, split), the other members of its
 * gather or among. */
static int branch_misplaced(struct search *st, int32_t v) {
  struct sched_solver *s = st->s;
  int32_t host = s->ves[v].host;
  int r = s->ves[v].host == s->ves[v].orig ? 0 : branch_dests(st, v, host, -1);
  if (r == 0 && !st->stop)
    r = branch_evictions(st, host, -1);
  int32_t n;
  const int32_t *idx = sched_cstrs_of_ve(s->c, s->ves[v].id, &n);
  for (int32_t i = 0; i < n && r == 0 && !st->stop; i++) {
    const struct sched_cstr *x = &s->c->items[idx[i]];
    if (x->kind != SCHED_GATHER && x->kind != SCHED_AMONG)
      continue;
    for (int32_t k = 0; k < x->nves && r == 0 && !st->stop; k++) {
      int32_t u = solver_ve_local(s, x->ves[k]);
      if (u >= 0 && u != v && s->ves[u].movable && s->ves[u].host >= 0 &&
          s->ves[u].host == s->ves[u].orig && s->ves[u].host != host)
        r = branch_dests(st, u, s->ves[u].host, -1);
    }
  }
  return r;
}

static int record_solution(struct search *st) {
  struct sched_solver *s = st->s;
  err_t e = ERR_INIT;
  int r = solver_make_plan(s, &st->probe, &e);
  if (r < 0)
    return -1;
  if (r == 1)
    return 0; /* no ordering reaches this target */
  int64_t cost = st->probe.mem_moved;
  if (st->found && cost >= s->best_cost)
    return 0;
  int32_t *hosts = realloc(s->best_host, sizeof(int32_t) * s->nv);
  if (!hosts)
    return -1;
  s->best_host = hosts;
  for (int32_t v = 0; v < s->nv; v++)
    hosts[v] = s->ves[v].host;
  s->best_cost = cost;
  st->found = true;
  /* iterative deepening ruled out fewer moves; nothing with this many
   * moves copies less than the lightest VEs would */
  if (cost <= st->cheapest_at_limit)
    st->stop = true;
  return 0;
}

static int dfs(struct search *st) {
  struct sched_solver *s = st->s;
  if (++s->effort > s->effort_limit ||
      (s->effort % TIME_CHECK == 0 && solver_out_of_time(s))) {
    st->stop = true;
    return 0;
  }
  int32_t moved = moved_count(s);
  if (moved + moves_lower_bound(s) > st->limit)
    return 0;
  /* the target's cost is a lower bound of its plan's */
  if (st->found && solver_target_cost(s, NULL) >= s->best_cost)
    return 0;
  int32_t what;
  switch (next_problem(s, &what)) {
  case NONE:
    return record_solution(st);
  case PLACE:
    return branch_dests(st, what, s->ves[what].host, -1);
  case MISPLACED:
    return branch_misplaced(st, what);
  case OVERLOAD:
    return branch_evictions(st, what, -1);
  case CAPSUM: {
    const struct sched_cstr *x = &s->c->items[s->sums[what].cstr];
    for (int32_t j = 0; j < x->nnodes && !st->stop; j++) {
      int32_t n = solver_node_local(s, x->nodes[j]);
      if (n >= 0 && branch_evictions(st, n, s->sums[what].cstr) < 0)
        return -1;
    }
    return 0;
  }
  default:
    return 0;
  }
}

/* Memory of the k lightest movable VEs (a lower bound of any plan moving k). */
static int64_t lightest_moves(const struct sched_solver *s, int32_t k) {
  int64_t light[MAX_DEPTH];
  int32_t n = 0;
  for (int32_t v = 0; v < s->nv; v++)
    if (s->ves[v].movable && s->ves[v].orig >= 0)
      keep_best(light, &n, k, s->ves[v].demand[SCHED_MEM], false);
  int64_t sum = 0;
  for (int32_t i = 0; i < n; i++)
    sum += light[i];
  return sum;
}

int solver_search(struct sched_solver *s, err_t *e) {
  struct search st = {.s = s};
  sched_plan_init(&st.probe);
  s->best_cost = 0;
  int32_t max_depth = s->nv < MAX_DEPTH ? s->nv : MAX_DEPTH;
  int r = 0;
  for (st.limit = 1; st.limit <= max_depth && !st.found && !st.stop && r == 0; st.limit++) {
    st.cheapest_at_limit = lightest_moves(s, st.limit);
    r = dfs(&st);
  }
  sched_plan_free(&st.probe);
  if (r < 0)
    return err_set(e, ENOMEM, "solver: out of memory");
  if (!st.found) {
    if (!st.stop)
      s->why = "no viable configuration within the moves searched";
    return 0;
  }
  for (int32_t v = 0; v < s->nv; v++)
    if (solver_set_host(s, v, s->best_host[v]) < 0)
      return err_set(e, ENOMEM, "solver: out of memory");
  return 1;
}
