/* A reconfiguration plan: the actions that take a configuration to a target
 * one, grouped into steps.
 *
 * Ownership: model/solver/plan/checker are the sched core. The protocols and
 * the simulator code against this header; keep the signatures stable.
 *
 * Steps run one after the other; the actions of one step run in parallel
 * (Entropy's "pools"). During a step a migrating VE occupies both its source
 * and its destination (the destination is reserved when the migration starts,
 * the source is freed when it ends), so a migration is placed in the first
 * step where its destination has room for it on top of what is there and
 * what else arrives in that step. A node is therefore never over capacity
 * because of an arrival, at any step. When migrations wait on each other in
 * a cycle (A -> B and B -> A, both full), one VE of the cycle first goes to a
 * pivot node with spare capacity inside the partition and reaches its
 * destination in a later step, as Entropy does; that costs one extra
 * migration, marked `pivot`.
 *
 * Applying a plan in a simulator: for k in 0..nsteps-1, start every action of
 * sched_plan_step(p, k), wait until all of them have completed, then go on.
 * Each migration carries its VE's memory (the bytes to copy) and CPU demand
 * (for a dirty-page model), so its duration can be simulated. */
#ifndef CAPSULE_SCHED_PLAN_H
#define CAPSULE_SCHED_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/constraints.h"
#include "sched/model.h"
#include "util/error.h"

enum sched_action_kind {
  SCHED_MIGRATE,       /* live-migrate ve from src to dst */
  SCHED_BOOT_VE,       /* start a ready ve on dst */
  SCHED_BOOT_NODE,     /* switch node dst on; it can receive VEs from the next step */
  SCHED_SHUTDOWN_NODE, /* switch node dst off; it was emptied in earlier steps */
};

struct sched_action {
  enum sched_action_kind kind;
  int32_t ve;   /* -1 for node actions */
  int32_t src;  /* source node of a migration, else -1 */
  int32_t dst;  /* destination node, or the node booted / shut down */
  int64_t mem;  /* the VE's memory: what a migration copies */
  int64_t cpu;  /* the VE's CPU demand when the plan was made */
  bool pivot;   /* a hop to a pivot node: the VE moves again later */
};

struct sched_plan {
  struct sched_action *actions; /* ordered by step */
  int32_t nactions, actions_cap;
  int32_t *step_start;          /* step k is actions[step_start[k] .. step_start[k+1]) */
  int32_t nsteps, steps_cap;
  /* summary, filled by sched_plan_build */
  int32_t migrations;           /* SCHED_MIGRATE actions, pivot hops included */
  int32_t pivots;
  int64_t mem_moved;            /* sum of mem over migrations: the plan's cost */
};

/* One VE's place in the target configuration. */
struct sched_move {
  int32_t ve;
  int32_t dst; /* a node; the VE's current host is the source */
};

void sched_plan_init(struct sched_plan *p);
void sched_plan_free(struct sched_plan *p);
/* Empty the plan, keeping its memory. */
void sched_plan_clear(struct sched_plan *p);

/* The actions of step k, 0 <= k < nsteps. */
static inline const struct sched_action *sched_plan_step(const struct sched_plan *p, int32_t k,
                                                         int32_t *n) {
  *n = p->step_start[k + 1] - p->step_start[k];
  return p->actions + p->step_start[k];
}

/* Order the moves into steps (replacing p's content): every move whose
 * destination has room goes in the earliest step possible; cycles are broken
 * through pivot nodes taken from `pivots` (the partition; NULL = only the
 * nodes the moves already touch).
 * Also adds BOOT_NODE for offline destinations and for offline nodes with an
 * online constraint in `pivots`, and SHUTDOWN_NODE for online nodes of
 * `pivots` with an offline constraint, once empty. Respects the continuous
 * constraints of `c` (may be NULL). Moves to the VE's current host are
 * skipped. Fails with EAGAIN when a cycle has no pivot ("plan: migrations of
 * ves 3, 8 wait on each other and no pivot node has room"), EINVAL on bad
 * moves (a VE listed twice, ids out of range). */
int sched_plan_build(struct sched_plan *p, const struct sched_model *m,
                     const struct sched_move *moves, int32_t nmoves, const int32_t *pivots,
                     int32_t npivots, const struct sched_cstrs *c, err_t *e);

/* Apply one action / a whole plan to the model (for replay and tests). Fails
 * with EINVAL when the action does not fit the model (the VE is not on src). */
int sched_action_apply(struct sched_model *m, const struct sched_action *a, err_t *e);
int sched_plan_apply(struct sched_model *m, const struct sched_plan *p, err_t *e);

/* The plan as JSON: {"steps": [[{"action": "migrate", "ve": 3, "src": 1,
 * "dst": 4, "mem": 1024, "pivot": false}, ...], ...], "migrations": ..,
 * "pivots": .., "mem_moved": ..}. NULL on ENOMEM. */
json_t *sched_plan_to_json(const struct sched_plan *p);

#endif
