/* The placement solver: from a non-viable configuration and a partition
 * (a set of nodes), a viable target configuration of the partition that
 * satisfies the constraints at the lowest migration cost, and the plan that
 * reaches it.
 *
 * Ownership: model/solver/plan/checker are the sched core. The protocols and
 * the simulator code against this header; keep the signatures stable.
 *
 * Scope: only VEs hosted on partition nodes (and ready VEs with a `running`
 * constraint) may move, and only to partition nodes; VEs outside stay where
 * they are and still count for the constraints that name them. Pinned VEs,
 * root VEs and VEs on quarantined nodes never move.
 *
 * Objective (docs/SCHEDULER-SOLVER.md): minimise the memory the plan copies
 * (a live migration's duration is roughly its VE's memory over the
 * bandwidth), pivot hops included; then the number of migrations; then, among
 * equally cheap targets, keep the most CPU slack on the nodes involved, so the
 * next load change is less likely to overload them again.
 *
 * Method: a constraint-aware repair heuristic (evict the cheapest set of VEs
 * that relieves each overloaded node, place them worst-fit-decreasing on
 * nodes that accept them), then, if that fails on a small partition, a
 * bounded depth-first search over chains of moves (iterative deepening on the
 * number of migrations, branch and bound on cost) that can also prove that
 * the partition has no solution. The result is deterministic for a given
 * seed as long as the time limit is not what stops the search (the effort
 * limit is deterministic; the time limit is a safety net). */
#ifndef CAPSULE_SCHED_SOLVER_H
#define CAPSULE_SCHED_SOLVER_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/constraints.h"
#include "sched/model.h"
#include "sched/plan.h"
#include "util/error.h"

enum sched_status {
  SCHED_NO_SOLUTION = 0, /* no viable configuration found in this partition */
  SCHED_SOLVED = 1,      /* plan reaches one (empty when already viable) */
};

struct sched_solve_opts {
  uint64_t seed;         /* breaks ties between equivalent choices */
  double time_limit;     /* seconds of wall time; <= 0: none */
  uint64_t effort_limit; /* search nodes of the exact phase; 0: the default (20,000) */
};

struct sched_solve_stats {
  double seconds;      /* wall time of the call */
  double cpu_seconds;  /* CPU time of the calling thread during the call (what the
                          solve cost, whatever else the machine runs) */
  int32_t nodes, ves;  /* partition size: nodes, VEs hosted there */
  int32_t moved;       /* VEs whose host changes */
  uint64_t effort;     /* search nodes explored by the exact phase */
  bool searched;       /* the heuristic failed and the exact phase ran */
  bool timed_out;      /* the time limit stopped the search */
  const char *why;     /* when NO_SOLUTION: a static reason, e.g.
                          "partition lacks cpu capacity" */
};

/* A reusable workspace (scratch memory sized to the model, kept between
 * calls so that solving a small partition of a large cluster costs no more
 * than the partition). Not thread-safe: one per thread. */
struct sched_solver;

struct sched_solver *sched_solver_new(err_t *e);
void sched_solver_free(struct sched_solver *s);

/* Solve the partition `nodes` (nnodes ids, no duplicates; NULL = every node,
 * the centralized case) of model `m` under constraints `c` (sealed for `m`,
 * or NULL for none). On SCHED_SOLVED `plan` holds the plan (see plan.h);
 * on SCHED_NO_SOLUTION it is empty. `stats` may be NULL. Returns -1 with
 * `e` set on bad input (node out of range or listed twice, unsealed
 * constraints) or ENOMEM. The model is not modified. */
int sched_solve(struct sched_solver *s, const struct sched_model *m, const int32_t *nodes,
                int32_t nnodes, const struct sched_cstrs *c, const struct sched_solve_opts *opts,
                struct sched_plan *plan, struct sched_solve_stats *stats, err_t *e);

#endif
