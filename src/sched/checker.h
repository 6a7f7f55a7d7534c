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
 *  - every action fits the state it runs in (the VE is on src, src != dst,
 *    the destination is online, a VE appears at most once per step, a node
 *    boots while off and shuts down when empty);
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

/* 0 when `p`, applied to `m`, is valid under `c` (sealed, or NULL) and
 * leaves `partition` (npartition nodes; NULL = none beyond the touched ones)
 * viable. -1 with e->code EINVAL and the first violation in e->msg
 * ("step 2, migrate ve 12 node 3 -> node 7: node 7 over cpu capacity: 730 >
 * 700"), or ENOMEM. */
int sched_check_plan(const struct sched_model *m, const struct sched_cstrs *c,
                     const struct sched_plan *p, const int32_t *partition, int32_t npartition,
                     err_t *e);

/* 0 when the current configuration of `m` is viable on `nodes` (NULL = every
 * node) and satisfies every constraint of `c` in scope of those nodes (as at
 * the end of sched_check_plan); -1 with the first violation otherwise. */
int sched_check_config(const struct sched_model *m, const struct sched_cstrs *c,
                       const int32_t *nodes, int32_t nnodes, err_t *e);

#endif
