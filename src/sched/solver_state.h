/* Internal to the solver: the partition's tentative target configuration,
 * shared by the repair heuristic (solver_repair.c), the exact search
 * (solver_search.c) and the constraint filter (solver_fit.c).
 *
 * Everything is indexed locally: partition nodes 0..L-1 and the VEs they
 * host (plus ready VEs to boot) 0..V-1, so a solve costs O(partition) even
 * in a 10,000-node model. Global -> local maps are stamped with an epoch so
 * they never need clearing. */
#ifndef CAPSULE_SCHED_SOLVER_STATE_H
#define CAPSULE_SCHED_SOLVER_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sched/solver.h"
#include "util/rng.h"

struct lnode {
  int32_t id;                /* global id */
  int64_t cap[SCHED_NRES];   /* 0 when it must end empty (offline) */
  int64_t used[SCHED_NRES];  /* target usage */
  int32_t *ves;              /* local VEs in the target, unordered */
  int32_t nves, ves_cap;
  uint32_t rank;             /* seeded tie-break among equal choices */
  bool accepts;              /* may receive VEs (online or booted, not quarantined) */
};

struct lve {
  int32_t id;                /* global id */
  int64_t demand[SCHED_NRES];
  int32_t orig;              /* local node in the initial configuration, -1 if ready */
  int32_t host;              /* local node in the target, -1 if not placed */
  int32_t slot;              /* index in nodes[host].ves */
  bool movable;
  bool needs_run;            /* ready VE with a running constraint */
};

/* Running usage of a resourceCapacity / runningCapacity constraint in scope. */
struct capsum {
  int32_t cstr;
  int64_t value; /* sum of rc (resourceCapacity) or count (runningCapacity) over its nodes */
};

struct sched_solver {
  const struct sched_model *m;
  const struct sched_cstrs *c; /* NULL when there are none */
  struct lnode *nodes;
  int32_t nn, nodes_cap;
  struct lve *ves;
  int32_t nv, ves_cap;
  /* global -> local, valid where stamp == epoch */
  int32_t *node_local, *ve_local;
  uint32_t *node_stamp, *ve_stamp;
  int32_t map_nodes, map_ves;
  uint32_t epoch;
  struct capsum *sums;          /* capacity constraints in scope */
  int32_t nsums, sums_cap;
  int32_t *cstr_sum;            /* constraint index -> index in sums, or -1 */
  int32_t cstr_sum_size;
  rng_t rng;
  struct timespec deadline;
  bool has_deadline, timed_out;
  uint64_t effort, effort_limit;
  /* scratch */
  int32_t *queue, *queue2, *scratch;
  int32_t queue_cap, queue2_cap, scratch_cap;
  struct sched_move *moves;
  int32_t moves_cap;
  int32_t *best_host;           /* the best target found (local hosts) */
  int64_t best_cost;
  const char *why;
};

/* Local index of a global VE / node, or -1 outside the partition. */
static inline int32_t solver_ve_local(const struct sched_solver *s, int32_t ve) {
  return s->ve_stamp[ve] == s->epoch ? s->ve_local[ve] : -1;
}
static inline int32_t solver_node_local(const struct sched_solver *s, int32_t node) {
  return s->node_stamp[node] == s->epoch ? s->node_local[node] : -1;
}

/* Global host of any VE in the tentative target (SCHED_NOWHERE if none). */
static inline int32_t solver_host_of(const struct sched_solver *s, int32_t ve) {
  int32_t l = solver_ve_local(s, ve);
  if (l < 0)
    return s->m->ves[ve].host;
  return s->ves[l].host < 0 ? SCHED_NOWHERE : s->nodes[s->ves[l].host].id;
}

/* Move local VE v to local node n (-1 = take it off); keeps usage and the
 * capacity-constraint sums in step. Fails only on ENOMEM. */
int solver_set_host(struct sched_solver *s, int32_t v, int32_t n);

/* Resources: does v fit on n on top of the current target? */
static inline bool solver_fits(const struct sched_solver *s, int32_t v, int32_t n) {
  const struct lnode *x = &s->nodes[n];
  for (int r = 0; r < SCHED_NRES; r++)
    if (x->used[r] + s->ves[v].demand[r] > x->cap[r])
      return false;
  return true;
}

static inline bool solver_node_ok(const struct sched_solver *s, int32_t n) {
  const struct lnode *x = &s->nodes[n];
  return x->used[SCHED_CPU] <= x->cap[SCHED_CPU] && x->used[SCHED_MEM] <= x->cap[SCHED_MEM];
}

/* Constraints (solver_fit.c): may local VE v be on local node n in the
 * target, given where every other VE is? v's own current position is ignored. */
bool solver_allows(struct sched_solver *s, int32_t v, int32_t n);
/* The same but for capacity constraints, which the search may break for a
 * while and repair deeper, as it does with node capacity. */
bool solver_allows_over_capacity(struct sched_solver *s, int32_t v, int32_t n);

/* Capacity constraints in scope that the target violates: the index in sums
 * of the first one, or -1. */
int32_t solver_capsum_violated(const struct sched_solver *s);

/* Gather and among: take off the members that are away from the place most
 * of them share, so the per-VE repair can bring them there. */
int solver_unplace_set_minorities(struct sched_solver *s);

/* True when the whole target is viable and satisfies every constraint. */
bool solver_target_ok(struct sched_solver *s);

/* The time limit, checked every so often. */
bool solver_out_of_time(struct sched_solver *s);

/* Cost of the current target: memory of the VEs whose host changes (ready
 * VEs booted count nothing: booting is not optional). */
int64_t solver_target_cost(const struct sched_solver *s, int32_t *moved);

/* The heuristic (solver_repair.c) and the exact search (solver_search.c):
 * 1 when the target is now a solution, 0 when not found, -1 on ENOMEM. */
int solver_repair(struct sched_solver *s, err_t *e);
int solver_search(struct sched_solver *s, err_t *e);

/* Build the plan for the current target into p: 0, 1 when no ordering
 * exists (a cycle without pivot), -1 on ENOMEM. */
int solver_make_plan(struct sched_solver *s, struct sched_plan *p, err_t *e);

#endif
