/* The simulated cluster: the sched core's model (hosts with CPU and memory
 * capacities, VEs with demands and their placement) as the ground truth,
 * plus what only the simulator needs: each VE's dirty-page intensity, the
 * migration in flight, and the violation accounting. SimGrid never sees a
 * VE (a SimGrid VM costs O(#VMs) per engine step; see docs/SIMULATION.md).
 * Overload transitions come from
 * the model's viability callback, so they are detected when a load or a
 * placement changes rather than by polling. */
#ifndef CAPSULE_SIM_CLUSTER_H
#define CAPSULE_SIM_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "sched/model.h"
#include "util/error.h"

struct sim_vm {
  int dirty_pct; /* dirty-page intensity for the live-migration model */
  int migrating; /* destination host while a migration runs, else -1 */
};

struct sim_host {
  bool overloaded;   /* demand > capacity: in violation */
  int level;         /* what the scheduler's monitor last reported (load_level) */
  double over_since; /* start of the current violation episode */
  double violation;  /* cumulated violation time of this host */
  int episodes;
};

/* The scheduler's monitor: called whenever a host's load level (enum
 * load_level: within the threshold, above it, above the capacity) changes. */
typedef void (*level_fn)(void *data, int host, int level);

struct cluster {
  struct sched_model m; /* placement and demands: the truth */
  struct sim_host *hosts;
  struct sim_vm *vms;
  double now;           /* time of the change being applied */
  /* violation accounting, integrated piecewise between changes */
  int n_overloaded;
  double last_change;
  double violation;     /* host-seconds in violation up to last_change */
  double demand_area;   /* integral of the total CPU demand over time */
  long long total_demand;
  double *episode_len;  /* lengths of the closed episodes */
  size_t n_episodes, episodes_cap;
  double threshold;      /* fraction of the CPU capacity; 1 by default */
  level_fn on_level;
  void *on_level_data;
};

struct cluster_spec {
  int nhosts, nvms;
  int host_cpu, host_mem; /* per host: units, MB */
  int vm_mem;             /* per VM, MB */
};

/* 0 when the VMs fit the hosts' memory; -1 with a one-line reason (an
 * impossible platform) otherwise. */
int cluster_spec_check(const struct cluster_spec *spec, err_t *e);

/* Places VM j on host j mod nhosts (balanced round-robin, as VMPlaceS does)
 * with zero CPU demand. Fails with a clear message on zero hosts or when the
 * VMs cannot fit in memory. */
int cluster_init(struct cluster *c, const struct cluster_spec *spec, err_t *e);
void cluster_free(struct cluster *c);

static inline int cluster_nhosts(const struct cluster *c) {
  return c->m.nnodes;
}
static inline int cluster_nvms(const struct cluster *c) {
  return c->m.nves;
}
static inline int cluster_host_of(const struct cluster *c, int vm) {
  return c->m.ves[vm].host;
}
static inline int cluster_demand(const struct cluster *c, int vm) {
  return (int)c->m.ves[vm].demand[SCHED_CPU];
}

void cluster_set_demand(struct cluster *c, int vm, int demand, double now);
/* Move a VM at the end of its migration; -1 only on ENOMEM. */
int cluster_move_vm(struct cluster *c, int vm, int dst, double now, err_t *e);

/* Host-seconds in violation up to `now`, counting open episodes. */
double cluster_violation_at(const struct cluster *c, double now);

/* Close the episodes still open at the end of the run (counted with their
 * truncated length). */
void cluster_finish(struct cluster *c, double now);

/* Time-averaged CPU demand over capacity, in percent, from 0 to `now`. */
double cluster_mean_load_pct(const struct cluster *c, double now);

#endif
