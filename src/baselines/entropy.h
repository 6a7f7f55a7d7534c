/* The centralized baseline, as VMPlaceS drove Entropy (CentralizedResolver):
 * one service node, every period, gathers the state of every hosting node,
 * solves over the whole cluster with the sched core solver when a node is
 * overloaded, waits for the solver's time (charged as simulated time),
 * applies the plan and waits for every migration, then sleeps until the
 * next period (at once if the round took longer). */
#ifndef CAPSULE_BASELINES_ENTROPY_H
#define CAPSULE_BASELINES_ENTROPY_H

#include <stdbool.h>
#include <stdint.h>

#include "baselines/round.h"
#include "proto/stats.h"
#include "proto/transport.h"
#include "sched/constraints.h"
#include "sched/solver.h"
#include "util/error.h"

struct entropy_config {
  int32_t nodes, nves;   /* hosting nodes 0..nodes-1; the service is node `nodes` */
  double period;         /* 30 s in VMPlaceS */
  struct round_config round;
};

void entropy_config_default(struct entropy_config *c, int32_t nodes, int32_t nves);

struct entropy;
struct entropy *entropy_new(const struct entropy_config *c, const struct transport *t, err_t *e);
void entropy_free(struct entropy *x);
struct sched_run_stats *entropy_stats(struct entropy *x);
extern const struct agent_ops entropy_agent_ops;

#endif
