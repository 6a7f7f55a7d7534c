/* The transport (proto/transport.h) on SimGrid: every node is a SimGrid
 * host with a mailbox; messages are SimGrid communications through the
 * simulated network (latency, bandwidth, sharing with migrations). Each
 * node runs two actors: a receiver that takes messages off its mailbox, and
 * the agent, which runs the scheduler's handlers one event at a time and
 * sleeps on a semaphore until its next event or timer. Local events (the
 * monitor's overload notifications, migration ends) are queued directly.
 * Nodes of a run without a scheduler get no actors at all.
 *
 * Live migrations are pre-copy transfers through the same network
 * (sim/migrate.h). */
#ifndef CAPSULE_SIM_SIMNET_H
#define CAPSULE_SIM_SIMNET_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/admit.h"
#include "proto/stats.h"
#include "proto/transport.h"
#include "sched/constraints.h"
#include "sim/cluster.h"
#include "util/error.h"

/* How solver time becomes simulated time. */
enum charge_mode {
  CHARGE_CPU,   /* the solver's measured CPU time (thread CPU clock) */
  CHARGE_MODEL, /* alpha + beta * VEs, calibrated on the solver benchmark: deterministic */
  CHARGE_WALL,  /* the measured wall time (not reproducible, and inflated by the machine's
                   other work) */
  CHARGE_ZERO,
};

struct charge_model {
  enum charge_mode mode;
  double alpha, beta; /* seconds, seconds per VE */
};

struct simnet_node;

struct simnet {
  struct transport tp;
  int32_t hosts, nodes;   /* hosting nodes; all nodes (with service nodes) */
  struct simnet_node *n;
  struct cluster *cl;
  const struct agent_ops *ops;
  void *agent;
  struct charge_model charge;
  double mig_speed;       /* bytes/s a migration may use (VMPlaceS: 125 MB/s) */
  /* what the network and the migrations did */
  uint64_t messages, bytes;
  uint64_t migrations_started, migrations_done, migrations_failed;
  int32_t migrations_active;
  struct series migration_time;
  /* Admission onto the backbone (--admission; proto/admit.h): every
   * migration crosses it on this platform. A migration that waited
   * admit_wait s is refused (it fails, its VE stays). */
  struct admit admit;
  double admit_wait;
  uint64_t migrations_refused;
  /* The independent checker on the cluster's real state (--check): every
   * plan step, when its coordinator starts it (transport.h: audit). */
  bool audit;
  const struct sched_cstrs *cstrs;
  uint64_t audited, refused_stale, refused_invalid;
  int32_t *moving, nmoving, moving_cap;  /* the VEs migrating now */
  int64_t (*arriving)[SCHED_NRES];       /* per host, filled during an audit */
  char first_stale[256], first_invalid[256];
};

/* Look up the hosts of the loaded platform, one per node. */
int simnet_init(struct simnet *s, struct cluster *cl, int32_t services, err_t *e);
void simnet_free(struct simnet *s);

/* Start the actors of every node for this scheduler (before simgrid_run). */
void simnet_start_agents(struct simnet *s, const struct agent_ops *ops, void *agent);

/* The monitor: a host's load level changed (cluster callback). */
void simnet_load(struct simnet *s, int32_t host, int level);

/* From now on the node is down: its actors drop everything. */
void simnet_fail(struct simnet *s, int32_t node);
bool simnet_failed(const struct simnet *s, int32_t node);

/* The live migration of `ve` starts / ends (sim/migrate.c): the audit
 * counts it on its destination meanwhile. -1 on ENOMEM. */
int simnet_moving_add(struct simnet *s, int32_t ve);
void simnet_moving_remove(struct simnet *s, int32_t ve);

/* A migration started through the transport ended on `node`. */
void simnet_migrated(struct simnet *s, int32_t node, uint64_t token, bool ok);

#endif
