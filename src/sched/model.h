/* The placement model: nodes with CPU and memory capacities, virtual
 * environments (VEs) with CPU and memory demands, and the configuration,
 * which is the mapping of every running VE to its host node.
 *
 * Ownership: model/solver/plan/checker are the sched core (model.*,
 * constraints*, solver*, plan*, checker*, btrplace*). The protocols (DVMS,
 * Entropy, Snooze) and the simulator code against these headers; keep the
 * signatures stable.
 *
 * The model is the live state of a whole cluster (10,000 nodes and 100,000
 * VEs in the largest experiment), so every update is O(1): each node keeps
 * the sums of its VEs' demands and its list of VEs, and the model keeps the
 * set of non-viable nodes. Nothing ever rescans the cluster.
 *
 * A node is viable when it hosts nothing, or when it is online and the sums
 * of its VEs' demands fit its capacity for every resource. The model is
 * viable when every node is. Placement constraints are not part of the model
 * (see constraints.h); viability here is resource viability only.
 *
 * Ids are dense: nodes 0..nnodes-1, VEs 0..nves-1. Units are the caller's
 * (the simulator uses CPU units where one vCPU = 100, and MB of memory). */
#ifndef CAPSULE_SCHED_MODEL_H
#define CAPSULE_SCHED_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

enum sched_resource { SCHED_CPU = 0, SCHED_MEM = 1 };
#define SCHED_NRES 2

/* A VE that is not running anywhere (BtrPlace's "ready" state). */
#define SCHED_NOWHERE (-1)

struct sched_node {
  int64_t cap[SCHED_NRES];  /* capacity per resource */
  int64_t used[SCHED_NRES]; /* sum of the demands of the VEs hosted here */
  int32_t *ves;             /* the VEs hosted here, in no particular order */
  int32_t nves, ves_cap;
  int32_t bad_slot;         /* index in model.bad while non-viable, else -1 */
  bool online;
};

struct sched_ve {
  int64_t demand[SCHED_NRES];
  int32_t host;  /* node id, or SCHED_NOWHERE */
  int32_t slot;  /* index in nodes[host].ves */
  bool pinned;   /* the solver must not move it (e.g. a migration is in flight) */
};

/* Called whenever a node turns non-viable (viable == false) or viable again. */
typedef void (*sched_viability_fn)(void *data, int32_t node, bool viable);

struct sched_model {
  int32_t nnodes, nves;
  struct sched_node *nodes;
  struct sched_ve *ves;
  int32_t *bad;  /* the non-viable nodes, in no particular order */
  int32_t nbad;
  sched_viability_fn on_viability; /* optional; set directly */
  void *on_viability_data;
};

/* A model of `nnodes` online nodes with zero capacity and `nves` VEs with
 * zero demand, all SCHED_NOWHERE. Fails on a negative size or ENOMEM. */
int sched_model_init(struct sched_model *m, int32_t nnodes, int32_t nves, err_t *e);
void sched_model_free(struct sched_model *m);

/* A deep copy (the callback is not copied). */
int sched_model_copy(struct sched_model *dst, const struct sched_model *src, err_t *e);

void sched_node_set_capacity(struct sched_model *m, int32_t node, int64_t cpu, int64_t mem);
/* An offline node hosting VEs is non-viable. */
void sched_node_set_online(struct sched_model *m, int32_t node, bool online);

void sched_ve_set_demand(struct sched_model *m, int32_t ve, int64_t cpu, int64_t mem);
/* The hot path of the simulator: one VE's CPU demand changes. */
void sched_ve_set_cpu(struct sched_model *m, int32_t ve, int64_t cpu);
void sched_ve_set_pinned(struct sched_model *m, int32_t ve, bool pinned);

/* Run `ve` on `node`, or stop it with SCHED_NOWHERE. No capacity check: the
 * model represents any configuration, viable or not. Fails on ids out of
 * range (EINVAL) and ENOMEM. The other setters trust their ids. */
int sched_ve_place(struct sched_model *m, int32_t ve, int32_t node, err_t *e);

static inline bool sched_node_viable(const struct sched_model *m, int32_t node) {
  return m->nodes[node].bad_slot < 0;
}

static inline bool sched_model_viable(const struct sched_model *m) {
  return m->nbad == 0;
}

/* Capacity left for resource `rc` (negative when over capacity). */
static inline int64_t sched_node_slack(const struct sched_model *m, int32_t node, int rc) {
  return m->nodes[node].cap[rc] - m->nodes[node].used[rc];
}

#endif
