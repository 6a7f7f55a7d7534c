/* capsule-sim: what one simulation run is given and what it measures. */
#ifndef CAPSULE_SIM_SIM_H
#define CAPSULE_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/stats.h"
#include "sim/simnet.h"
#include "util/error.h"

#define SIM_MAX_FAILURES 16

/* The ideas of capsule's DVMS, each a switch for the ablation
 * (docs/SIMULATION.md, "Ablation"). The protocol's four are DVMS's own;
 * the two policies apply to every scheduler. Leader election is not a
 * switch: a partition without a leader has nobody to solve it. */
enum sim_idea {
  IDEA_EVENTS = 1,      /* act on the monitor's notification (else look every second) */
  IDEA_RING = 2,        /* grow along the ring, solve from 2 nodes (else VMPlaceS's growth) */
  IDEA_SHORTCUTS = 4,   /* a busy node sends a token past its whole partition */
  IDEA_MERGE = 8,       /* park a partition that went round, merge tokens into it */
  IDEA_PREVENTION = 16, /* act on hot nodes (above 98 %), not only overloaded ones */
  IDEA_HEADROOM = 32,   /* solved nodes end at 95 %, destinations filled to 87 % */
  IDEA_ADMISSION = 64,  /* migrations wait for room on the backbone (proto/admit.h) */
  IDEA_YIELD = 128,     /* no prevention while migrations wait for the backbone */
  IDEA_BOUNDED = 256,   /* repair partitions of 16 nodes at most, exponential back-off */
};
#define SIM_IDEAS_PROTOCOL (IDEA_EVENTS | IDEA_RING | IDEA_SHORTCUTS | IDEA_MERGE | IDEA_BOUNDED)
#define SIM_IDEAS_POLICY (IDEA_PREVENTION | IDEA_HEADROOM | IDEA_ADMISSION | IDEA_YIELD)
#define SIM_IDEAS_ALL (SIM_IDEAS_PROTOCOL | SIM_IDEAS_POLICY)

/* "events,ring,..." (or "none") into buf, for reports. */
void sim_ideas_format(int ideas, char *buf, size_t size);
/* Parse "all", "none" or a comma-separated list of idea names. */
int sim_ideas_parse(const char *s, int *ideas, err_t *e);

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
  int ideas;               /* enum sim_idea set; -1: the scheduler's own (sim_sched_ideas) */
  double threshold;        /* a node above it is reported hot; 0: from the ideas */
  double target;           /* a node solved for its load ends at or below it; 0: ideas */
  double fill;             /* destinations are filled up to it; 0: from the ideas */
  int admission;           /* migrations on the backbone at once; -1: from the ideas, 0: any */
  double admission_wait;   /* seconds a migration may wait for admission */
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
