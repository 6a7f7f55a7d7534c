/* The schedulers capsule-sim can run, by name, behind one shape. */
#ifndef CAPSULE_SIM_SCHEDULERS_H
#define CAPSULE_SIM_SCHEDULERS_H

#include <stdint.h>

#include "proto/stats.h"
#include "proto/transport.h"
#include "sched/constraints.h"
#include "sim/sim.h"
#include "util/error.h"

struct sim_sched {
  const char *name;
  void *state;
  const struct agent_ops *ops; /* NULL: no scheduler */
  struct sched_run_stats *stats;
  void (*free)(void *state);
};

/* "none, dvms, ..." for messages. */
extern const char sim_sched_names[];

/* Service nodes the scheduler needs on top of the hosting nodes; -1 with
 * `e` set for an unknown name. */
int sim_sched_services(const char *name, int hosts, const struct sim_opts *o, err_t *e);

/* Refuse protocol ideas for a scheduler that is not capsule's DVMS. */
int sim_sched_check_ideas(const struct sim_opts *o, err_t *e);

int sim_sched_create(struct sim_sched *s, const struct sim_opts *o, const struct transport *tp,
                     const struct sched_cstrs *cstrs, err_t *e);
void sim_sched_free(struct sim_sched *s);

/* What a run's scheduler does, once the ideas and the explicit flags are
 * resolved: its ideas (enum sim_idea), the CPU fraction above which the
 * monitor reports a node hot, the target a solved node ends at or below
 * (never above the threshold: a node solved for being hot must end cool,
 * or it would start over at once) and the fill level of destinations
 * (never above the target), and the admission control of migrations
 * (by default as many as the backbone carries at the NICs' speed). */
struct sim_policy {
  int ideas;
  double threshold, target, fill;
  int admission; /* migrations the backbone admits at once, 0: no admission control */
};
void sim_sched_policy(const struct sim_opts *o, struct sim_policy *p);

#endif
