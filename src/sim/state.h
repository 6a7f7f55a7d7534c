/* The state of one capsule-sim run, shared by its parts (run.c sets it up
 * and drives it, report.c writes what it measured). */
#ifndef CAPSULE_SIM_STATE_H
#define CAPSULE_SIM_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sched/constraints.h"
#include "sim/cluster.h"
#include "sim/load.h"
#include "sim/schedulers.h"
#include "sim/sim.h"
#include "sim/simnet.h"

struct sim_state {
  const struct sim_opts *o;
  struct cluster cl;
  struct simnet net;
  struct sim_sched sched;
  struct sched_cstrs cstrs;
  bool have_cstrs;
  struct load_model load;
  uint64_t load_events;
  double next_sample;
  FILE *series; /* series.csv, when writing results */
};

#endif
