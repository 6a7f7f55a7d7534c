/* A scheduler's picture of the nodes it manages, assembled from the
 * snapshots nodes send it (struct node_snap), as a sched core model the
 * solver can work on. The model has the size of the whole cluster so that
 * ids need no translation, but only the nodes loaded from snapshots are
 * meaningful; loading a node is O(its VEs).
 *
 * One view can serve many agents in one process (the simulator): an agent
 * loads every node it solves over right before solving, so what it sees is
 * only what its snapshots said. A VE that a freshly loaded node no longer
 * reports is marked as nowhere until some snapshot places it again. */
#ifndef CAPSULE_SCHED_TRANSPORT_VIEW_H
#define CAPSULE_SCHED_TRANSPORT_VIEW_H

#include <stdint.h>

#include "sched/model.h"
#include "sched/transport.h"
#include "util/error.h"

enum { SNAP_VE_MIGRATING = 1 }; /* struct snap_ve.flags */

struct view {
  struct sched_model m;
  /* CPU capacity below which a solved node must end up, as a fraction of
   * its capacity (1 = just not overloaded). Nodes already between the
   * target and their capacity keep their load but accept nothing. */
  double target;
};

int view_init(struct view *v, int32_t nnodes, int32_t nves, double target, err_t *e);
void view_free(struct view *v);

/* Load a node's snapshot: capacities, and its VEs with their demands
 * (migrating ones pinned). EINVAL on ids out of the view's range. */
int view_load(struct view *v, const struct node_snap *s, err_t *e);

#endif
