/* The independent plan checker: replays a plan on its initial configuration
 * and verifies, at every step and at the end, that no node is pushed over
 * capacity and that every constraint holds (constraints.h gives the rules).
 * It shares no logic with the solver or the plan builder: they reason per VE
 * ("may this VE go there?"), the checker evaluates each constraint over each
 * replayed state. It is what proves a plan valid, in tests and in the
 * simulator.
 *
 * Ownership: model/solver/plan/checker are the sched core. The protocols and
 * the simulator code against this header; keep the signatures stable.
 *
 * What a valid plan is:
 *  - every action fits the state it runs in (the VE is on src and not
 *    migrating already, src != dst, the destination is online, a VE appears
 *    at most once per step, a node boots while off and shuts down when
 *    empty) and carries the VE's demand (CPU and memory) as the model has it;
 *  - when a partition is given, every node an action names is in it (a
 *    scheduler acts only on the nodes it was given);
 *  - every node that receives a VE in a step has room for everything present
 *    there during that step (VEs that leave in the same step still count);
 *  - no action breaks a continuous rule of constraints.h;
 *  - at the end, every node the plan touched and every node of `partition`
 *    is viable, and every constraint that names a VE or node the plan
 *    touched, or a partition node or a VE hosted on one, holds. */
#ifndef CAPSULE_SCHED_CHECKER_H
#define CAPSULE_SCHED_CHECKER_H

#include <stdint.h>

#include "sched/constraints.h"
#include "sched/model.h"
#include "sched/plan.h"
#include "util/error.h"

/* 0 when `p`, applied to `m`, is valid under `c` (sealed, or NULL), names
 * only nodes of `partition` (npartition nodes; NULL = any node) and leaves
 * them viable. -1 with e->code EINVAL and the first violation in e->msg
 * ("step 2, migrate ve 12 node 3 -> node 7: node 7 over cpu capacity: 730 >
 * 700"), or ENOMEM. */
int sched_check_plan(const struct sched_model *m, const struct sched_cstrs *c,
                     const struct sched_plan *p, const int32_t *partition, int32_t npartition,
                     err_t *e);

/* How a plan is checked against the live state of a cluster as it is being
 * applied (the simulator's truth, not the view the solver was given). */
struct sched_check_opts {
  const int32_t *partition;  /* the nodes the scheduler was given; NULL = any */
  int32_t npartition;
  int32_t first_step;        /* the steps before it have run: replay from it */
  /* `m` is the live state: the steps still to run are checked as above,
   * but not the end state (the load keeps moving: a plan whose steps all
   * fit is still safe to run, though it may not fix everything). A
   * violation that the VEs' demands changing since the plan was made
   * explains (an action's demand, a destination's capacity) fails with
   * e->code ESTALE: the plan is stale rather than wrong. */
  bool live;
  /* Per node (m->nnodes entries; NULL = none): the demands of VEs that are
   * migrating to it now, outside the plan. They occupy it already, as a
   * plan's own arrivals do during their step (plan.h), though the model
   * still places them on their sources. */
  const int64_t (*arriving)[SCHED_NRES];
};

int sched_check_plan_opts(const struct sched_model *m, const struct sched_cstrs *c,
                          const struct sched_plan *p, const struct sched_check_opts *o,
                          err_t *e);

/* 0 when the current configuration of `m` is viable on `nodes` (NULL = every
 * node) and satisfies every constraint of `c` in scope of those nodes (as at
 * the end of sched_check_plan); -1 with the first violation otherwise. */
int sched_check_config(const struct sched_model *m, const struct sched_cstrs *c,
                       const int32_t *nodes, int32_t nnodes, err_t *e);

#endif
