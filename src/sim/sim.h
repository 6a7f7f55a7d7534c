/* capsule-sim: what one simulation run is given and what it measures. */
#ifndef CAPSULE_SIM_SIM_H
#define CAPSULE_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/stats.h"
#include "sim/simnet.h"
#include "util/error.h"

#define SIM_MAX_FAILURES 16

struct sim_opts {
  const char *scheduler;   /* none, dvms, dvms-vmplaces, entropy, snooze */
  int hosts, vms;
  double duration;         /* simulated seconds */
  double load_mean, load_std; /* of each VM's demand, % of one vCPU */
  double period;           /* each VM changes load on average every period s */
  uint64_t seed;
  const char *out;         /* directory for the results, or NULL */
  const char *constraints; /* constraints file, or NULL */
  bool check;              /* check every plan and partition exclusivity; fail the run if not */
  double sample;           /* seconds between rows of the time series */
  int host_cpu, host_mem, vm_mem; /* units, MB, MB */
  double backbone;         /* bytes/s; 0 = the default for the size */
  struct charge_model charge;
  double threshold;        /* DVMS: start an ISP above it */
  double target;           /* DVMS: the ISP's node is solved down to it */
  double fill;             /* DVMS: destinations are filled up to it */
  int proactive_max;       /* DVMS: nodes an ISP for a hot node may grow to */
  double entropy_period;
  int snooze_group;        /* local controllers per group manager */
  int nfail;
  struct sim_failure {
    int node;
    double at;
  } fail[SIM_MAX_FAILURES];
};

void sim_opts_default(struct sim_opts *o);

/* 0 when the options are in range and fit together (o->vms < 0 stands for
 * 10 per host); -1 with a one-line reason naming the option otherwise. */
int sim_opts_check(const struct sim_opts *o, err_t *e);

/* What a run measured (filled by sim_run). */
struct sim_result {
  double violation;        /* host-seconds in violation */
  double violation_pct;    /* of host-time */
  uint64_t episodes;
  double episode_median, episode_mean, episode_p95;
  double mean_load_pct;
  uint64_t load_events;
  double wall;             /* seconds */
  double cpu;              /* seconds of CPU (user + system) */
  long peak_rss_kb;
};

/* Run one simulation; writes summary.json, series.csv, nodes.csv and the
 * platform into o->out when set. Check failures make it fail (after the
 * files are written). */
int sim_run(const struct sim_opts *o, struct sim_result *r, err_t *e);

#endif
