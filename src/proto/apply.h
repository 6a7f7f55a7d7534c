/* Applying a reconfiguration plan over the transport, shared by DVMS,
 * Entropy and Snooze. The coordinator (a DVMS leader, the Entropy service,
 * a Snooze group manager) sends MIGRATE to each migration's source node,
 * which starts the live migration and answers MIGRATED when it ends. The
 * steps of the plan run one after the other, the migrations of a step in
 * parallel (sched/plan.h) except that a node takes part in one migration
 * at a time. A step that does not end within the step timeout (a node
 * died) fails the plan. */
#ifndef CAPSULE_PROTO_APPLY_H
#define CAPSULE_PROTO_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/transport.h"
#include "sched/plan.h"
#include "util/error.h"

enum { APPLY_MIGRATE = 1, APPLY_MIGRATED = 2 };

struct apply_migrate {
  struct msg h;
  uint64_t tag;     /* the coordinator's run (a DVMS partition id, a round) */
  uint32_t version; /* the coordinator's partition version, for authorization */
  uint32_t idx;     /* the action's index in the plan */
  int32_t ve, dst;
};

struct apply_migrated {
  struct msg h;
  uint64_t tag;
  uint32_t idx;
  uint8_t ok;
};

enum apply_status { APPLY_RUNNING, APPLY_DONE, APPLY_FAILED };
enum { APPLY_MAX_DRAINS = 4 };
enum { ACTION_WAITING, ACTION_SENT, ACTION_DONE };

/* One plan being applied by a coordinator. */
struct apply_run {
  struct sched_plan plan;
  int32_t *nodes, nnodes, nodes_cap; /* the nodes the coordinator was given */
  int32_t coordinator;
  uint64_t tag;
  uint32_t version;
  int32_t step;      /* the step running */
  int32_t waiting;   /* its migrations not sent yet */
  int32_t inflight;  /* sent, not answered yet */
  uint8_t *state;    /* per action: ACTION_* */
  bool failed;
  bool active;
  double started;    /* when the first step started */
  uint64_t timer;    /* token of the running step's timeout */
  double step_timeout;
  uint32_t done_migrations, failed_migrations;
  uint32_t drains;   /* step timeouts spent waiting for a failed step's migrations */
};

void apply_init(struct apply_run *r);
void apply_free(struct apply_run *r);

/* Take the plan (swapped out of `plan`, which is left empty), made for
 * `nodes` (the n nodes the coordinator was given), and start its first
 * step. `timer_token` is armed for `step_timeout` s on every step; the
 * coordinator passes it back through apply_timeout(). Every step is first
 * offered to the transport's audit, which may refuse it (the plan fails).
 * Returns the status: DONE at once for a plan without migrations. */
enum apply_status apply_start(struct apply_run *r, const struct transport *t,
                              int32_t coordinator, uint64_t tag, uint32_t version,
                              struct sched_plan *plan, const int32_t *nodes, int32_t n,
                              uint64_t timer_token, double step_timeout);

/* The coordinator got MIGRATED `m` (ignored unless it belongs to this run
 * and its running step). */
enum apply_status apply_on_migrated(struct apply_run *r, const struct transport *t,
                                    const struct apply_migrated *m);

/* The step timer with `token` fired: a step still running after it fails
 * the plan. Its migrations in flight are waited for (the run stays
 * RUNNING, nothing new is launched) up to APPLY_MAX_DRAINS more step
 * timeouts, so that the coordinator keeps their nodes until they end. */
enum apply_status apply_timeout(struct apply_run *r, const struct transport *t, uint64_t token);

/* The source-node side: migrations this node runs for coordinators, so
 * that their end can be reported. One table per node. */
struct apply_local {
  struct apply_local_slot {
    uint64_t token;
    int32_t coordinator;
    uint64_t tag;
    uint32_t idx;
  } *slots;
  int32_t n, cap;
  uint64_t next_token;
};

void apply_local_free(struct apply_local *l);

/* Node `node` received MIGRATE `m`, already authorized by the protocol
 * (`ok` false: refused). Starts the migration, or answers MIGRATED with ok
 * false at once when refused or out of memory. */
void apply_local_migrate(struct apply_local *l, const struct transport *t, int32_t node,
                         const struct apply_migrate *m, bool ok);

/* The transport reported the end of a migration on `node`: tell its
 * coordinator. Returns false when the token is not one of this table's. */
bool apply_local_migrated(struct apply_local *l, const struct transport *t, int32_t node,
                          uint64_t token, bool ok);

#endif
