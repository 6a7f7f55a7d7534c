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
#ifndef CAPSULE_PROTO_VIEW_H
#define CAPSULE_PROTO_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/transport.h"
#include "sched/model.h"
#include "util/error.h"

enum { SNAP_VE_MIGRATING = 1 }; /* struct snap_ve.flags */

struct view {
  struct sched_model m;
  /* The CPU a node the solver fixes may keep, and the CPU a node may be
   * filled up to by arrivals, as fractions of its capacity (1 = up to the
   * capacity). Filling below the target leaves destinations room for their
   * own load changes. */
  double target, fill;
};

int view_init(struct view *v, int32_t nnodes, int32_t nves, double target, double fill,
              err_t *e);
void view_free(struct view *v);
/* Change the target and fill levels for the next loads (0 or out of range:
 * up to the capacity; the fill never above the target). */
void view_set_levels(struct view *v, double target, double fill);

/* Load a node's snapshot: capacities, and its VEs with their demands
 * (migrating ones pinned). A `strict` node, or one over its capacity, must
 * end at or below the target; any other keeps its load but receives
 * nothing beyond the target. EINVAL on ids out of the view's range. */
int view_load(struct view *v, const struct node_snap *s, bool strict, err_t *e);

/* The other way: a node's snapshot from a model that stands for the real
 * node (the simulators' truth), pinned VEs reported as migrating. Heap;
 * NULL on ENOMEM. */
struct node_snap *view_snapshot(const struct sched_model *m, int32_t node);

#endif
