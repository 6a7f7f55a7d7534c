/* The solver's view of the constraints: may this VE be on that node in the
 * target? Reasoned per VE against the tentative target (the checker, which
 * proves plans, evaluates whole constraints instead). */
#include <stdlib.h>

#include "sched/solver_state.h"
#include "util/array.h"

static bool has_ve(const struct sched_cstr *x, int32_t ve) {
  return sched_ids_contain(x->ves, x->nves, ve);
}

/* Does constraint x (naming VE a) let a share a node with VE b? */
static bool lets_share(const struct sched_cstr *x, int32_t a, int32_t b) {
  switch (x->kind) {
  case SCHED_SPREAD:
    return !has_ve(x, b);
  case SCHED_LONELY:
    return has_ve(x, b);
  case SCHED_SPLIT: {
    int32_t gb = sched_cstr_group_of(x, b);
    return gb < 0 || gb == sched_cstr_group_of(x, a);
  }
  default:
    return true;
  }
}

static bool pair_compatible(const struct sched_cstrs *c, int32_t a, int32_t b) {
  int32_t n;
  const int32_t *idx = sched_cstrs_of_ve(c, a, &n);
  for (int32_t i = 0; i < n; i++)
    if (!lets_share(&c->items[idx[i]], a, b))
      return false;
  /* b's lonely sets exclude a when a is not in them */
  idx = sched_cstrs_of_ve(c, b, &n);
  for (int32_t i = 0; i < n; i++)
    if (c->items[idx[i]].kind == SCHED_LONELY && !has_ve(&c->items[idx[i]], a))
      return false;
  return true;
}

static bool group_consistent(const struct sched_solver *s, const struct sched_cstr *x,
                             int32_t ve, int32_t node) {
  int32_t g = sched_cstr_group_of(x, node);
  if (g < 0)
    return false;
  for (int32_t k = 0; k < x->nves; k++) {
    if (x->ves[k] == ve)
      continue;
    int32_t h = solver_host_of(s, x->ves[k]);
    if (h != SCHED_NOWHERE && sched_cstr_group_of(x, h) != g)
      return false;
  }
  return true;
}

static bool gathered_on(const struct sched_solver *s, const struct sched_cstr *x, int32_t ve,
                        int32_t node) {
  for (int32_t k = 0; k < x->nves; k++) {
    int32_t h = x->ves[k] == ve ? node : solver_host_of(s, x->ves[k]);
    if (h != SCHED_NOWHERE && h != node)
      return false;
  }
  return true;
}

/* ban and fence: the rules that depend on v and n alone. */
static bool unary_rules_allow(const struct sched_solver *s, int32_t ve, int32_t node) {
  int32_t n;
  const int32_t *idx = sched_cstrs_of_ve(s->c, ve, &n);
  for (int32_t i = 0; i < n; i++) {
    const struct sched_cstr *x = &s->c->items[idx[i]];
    bool in = (x->kind == SCHED_BAN || x->kind == SCHED_FENCE) &&
              sched_ids_contain(x->nodes, x->nnodes, node);
    if ((x->kind == SCHED_BAN && in) || (x->kind == SCHED_FENCE && !in))
      return false;
  }
  return true;
}

/* The rules of ve's own constraints: ban, fence, among, gather. */
static bool ve_rules_allow(const struct sched_solver *s, int32_t ve, int32_t node) {
  if (!unary_rules_allow(s, ve, node))
    return false;
  int32_t n;
  const int32_t *idx = sched_cstrs_of_ve(s->c, ve, &n);
  for (int32_t i = 0; i < n; i++) {
    const struct sched_cstr *x = &s->c->items[idx[i]];
    switch (x->kind) {
    case SCHED_AMONG:
      if (!group_consistent(s, x, ve, node))
        return false;
      break;
    case SCHED_GATHER:
      if (!gathered_on(s, x, ve, node))
        return false;
      break;
    default:
      break;
    }
  }
  return true;
}

/* Capacity constraints of the node: would v's arrival exceed one? */
static bool capsums_allow(const struct sched_solver *s, int32_t v, int32_t n) {
  int32_t cnt;
  int32_t node = s->nodes[n].id;
  const int32_t *idx = sched_cstrs_of_node(s->c, node, &cnt);
  int32_t cur = s->ves[v].host >= 0 ? s->nodes[s->ves[v].host].id : SCHED_NOWHERE;
  for (int32_t k = 0; k < cnt; k++) {
    int32_t at = s->cstr_sum[idx[k]];
    if (at < 0)
      continue;
    const struct sched_cstr *x = &s->c->items[idx[k]];
    if (cur != SCHED_NOWHERE && sched_ids_contain(x->nodes, x->nnodes, cur))
      continue; /* v already counts in this set */
    int64_t add = x->kind == SCHED_RUNNING_CAPACITY ? 1 : s->ves[v].demand[x->rc];
    if (s->sums[at].value + add > x->amount)
      return false;
  }
  return true;
}

static bool allows(struct sched_solver *s, int32_t v, int32_t n, bool capsums) {
  const struct lnode *x = &s->nodes[n];
  if (!x->accepts && s->ves[v].orig != n)
    return false;
  if (!s->c)
    return true;
  int32_t ve = s->ves[v].id;
  if (!ve_rules_allow(s, ve, x->id))
    return false;
  if (capsums && s->nsums && !capsums_allow(s, v, n))
    return false;
  if (sched_cstrs_has(s->c, SCHED_SPREAD) || sched_cstrs_has(s->c, SCHED_LONELY) ||
      sched_cstrs_has(s->c, SCHED_SPLIT))
    for (int32_t i = 0; i < x->nves; i++) {
      int32_t u = s->ves[x->ves[i]].id;
      if (u != ve && !pair_compatible(s->c, ve, u))
        return false;
    }
  return true;
}

bool solver_allows(struct sched_solver *s, int32_t v, int32_t n) {
  return allows(s, v, n, true);
}

bool solver_allows_over_capacity(struct sched_solver *s, int32_t v, int32_t n) {
  return allows(s, v, n, false);
}

/* The place most members of a gather (node) or among (group) constraint
 * share in the target: the value with the most members, ties to the lowest. */
static int32_t majority_place(const struct sched_solver *s, const struct sched_cstr *x,
                              int32_t *places) {
  int32_t n = 0;
  for (int32_t k = 0; k < x->nves; k++) {
    int32_t h = solver_host_of(s, x->ves[k]);
    if (h == SCHED_NOWHERE)
      continue;
    places[n++] = x->kind == SCHED_AMONG ? sched_cstr_group_of(x, h) : h;
  }
  int32_t best = -1, best_count = 0;
  for (int32_t i = 0; i < n; i++) {
    int32_t count = 0;
    for (int32_t j = 0; j < n; j++)
      count += places[j] == places[i];
    if (count > best_count || (count == best_count && places[i] < best)) {
      best = places[i];
      best_count = count;
    }
  }
  return best;
}

int solver_unplace_set_minorities(struct sched_solver *s) {
  if (!sched_cstrs_has(s->c, SCHED_GATHER) && !sched_cstrs_has(s->c, SCHED_AMONG))
    return 0;
  for (int32_t v = 0; v < s->nv; v++) {
    int32_t n;
    const int32_t *idx = sched_cstrs_of_ve(s->c, s->ves[v].id, &n);
    for (int32_t i = 0; i < n; i++) {
      const struct sched_cstr *x = &s->c->items[idx[i]];
      if (x->kind != SCHED_GATHER && x->kind != SCHED_AMONG)
        continue;
      if (array_reserve((void **)&s->scratch, &s->scratch_cap, x->nves, sizeof(int32_t)) < 0)
        return -1;
      int32_t place = majority_place(s, x, s->scratch);
      for (int32_t k = 0; k < x->nves; k++) {
        int32_t l = solver_ve_local(s, x->ves[k]);
        if (l < 0 || s->ves[l].host < 0 || !s->ves[l].movable)
          continue;
        int32_t h = s->nodes[s->ves[l].host].id;
        int32_t mine = x->kind == SCHED_AMONG ? sched_cstr_group_of(x, h) : h;
        if (mine != place && solver_set_host(s, l, -1) < 0)
          return -1;
      }
    }
  }
  return 0;
}
