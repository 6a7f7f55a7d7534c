/* What the scheduling protocols count while they run, in one shape for
 * DVMS, Entropy and Snooze, so that the simulator reports them side by
 * side: events, outcomes, partition sizes, solve and plan-application
 * times, migrations, and the results of the independent checks. */
#ifndef CAPSULE_PROTO_STATS_H
#define CAPSULE_PROTO_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/transport.h"
#include "sched/solver.h"

/* A growing list of samples, for medians and percentiles. */
struct series {
  double *v;
  size_t n, cap;
  double sum, max;
};

void series_add(struct series *s, double x);
void series_free(struct series *s);
/* The q-quantile (0..1) by nearest rank; 0 when empty. Sorts the samples. */
double series_quantile(struct series *s, double q);
static inline double series_mean(const struct series *s) {
  return s->n ? s->sum / (double)s->n : 0;
}

struct sched_run_stats {
  uint64_t events;        /* scheduling events: ISPs started, overload reports, rounds */
  uint64_t solves, solved, no_solution;
  uint64_t resolved;      /* nothing left to do when the solver looked */
  uint64_t gave_up;       /* the whole ring was traversed without a solution */
  uint64_t timeouts;      /* partitions dissolved by their members' timeout */
  uint64_t stale;         /* events dropped because their initiator left or recovered */
  uint64_t aborted;       /* plans not started: a node refused to commit */
  uint64_t merges;
  uint64_t shortcuts;     /* tokens a busy node sent past its whole partition */
  uint64_t relaxed;       /* rounds solved again without prevention and headroom */
  uint64_t yielded;       /* prevention held back while the network was congested */
  uint64_t isp_started, isp_ended;
  uint64_t plans, plans_failed;
  uint64_t migrations, migrations_failed, pivots;
  uint64_t suspected;     /* nodes treated as failed after a timeout */
  uint64_t tokens_lost;   /* ISP tokens dropped after wandering too long */
  uint64_t checks, check_failures;
  uint64_t exclusivity_checks, exclusivity_violations;
  char first_failure[256];
  struct series partition_size; /* nodes, at each solver call */
  struct series solve_wall;     /* seconds of wall time per solver call */
  struct series solve_cpu;      /* seconds of CPU time per solver call */
  struct series solve_charged;  /* simulated seconds charged per solver call */
  struct series apply_time;     /* simulated seconds to apply a plan */
  struct series isp_time;       /* simulated seconds from an event to its end */
};

void sched_run_stats_free(struct sched_run_stats *s);

/* Count a solver call by `node` over `nodes` nodes (its partition size),
 * and return what the transport charges for it: the delay before its
 * result may be used. */
double sched_run_stats_solve(struct sched_run_stats *s, const struct transport *t, int32_t node,
                             int32_t nodes, const struct sched_solve_stats *st);

/* Record a failed check (keeps the first message). */
void sched_run_stats_fail(struct sched_run_stats *s, uint64_t *counter, const char *msg);

#endif
