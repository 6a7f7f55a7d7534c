/* Placement constraints with Entropy/BtrPlace semantics.
 *
 * Ownership: model/solver/plan/checker are the sched core. The protocols and
 * the simulator code against this header; keep the signatures stable.
 *
 * A constraint restricts the final configuration (discrete) or also every
 * intermediate state of the reconfiguration plan (continuous). A plan may
 * start from a configuration that violates constraints (that is what it
 * repairs); the continuous rules say what its actions may never do, even for
 * the length of one step. During a step a migrating VE occupies both its
 * source and its destination. The exact rules, per kind (docs/SCHEDULER-SOLVER.md):
 *
 *   ban(ves, nodes)          the VEs do not run on `nodes`.
 *                            continuous: no action ever brings them there.
 *   fence(ves, nodes)        the VEs run on `nodes` only.
 *                            continuous: no action brings them elsewhere.
 *   root(ves)                the VEs are never moved (continuous by nature).
 *   spread(ves)              the running VEs are on pairwise distinct nodes.
 *                            continuous: no VE arrives on a node where another
 *                            one of the set is present during that step.
 *   gather(ves)              the running VEs share one node.
 *                            continuous: once gathered, none of them moves.
 *   among(ves, groups)       the running VEs are all inside one node group
 *                            (groups are disjoint). "latency" is among with
 *                            latency zones as groups. continuous: once inside
 *                            one group, no action brings one of them outside.
 *   lonely(ves)              nodes hosting one of the VEs host only VEs of the
 *                            set. continuous: no arrival mixes the set with
 *                            others on a node during a step.
 *   split(ve groups)         VEs of different groups never share a node.
 *                            continuous: no arrival mixes two groups.
 *   quarantine(nodes)        no VE leaves or enters these nodes (continuous).
 *   resourceCapacity(nodes, rc, amount)  sum of `rc` used on `nodes` <= amount.
 *                            continuous: also during every step that brings
 *                            a VE into the set.
 *   runningCapacity(nodes, amount)  at most `amount` VEs run on `nodes`;
 *                            continuous: as resourceCapacity.
 *   maxOnline(nodes, amount) at most `amount` of `nodes` are online.
 *   online(nodes), offline(nodes)  node state at the end; offline nodes are
 *                            emptied first, then shut down.
 *   running(ves)             the VEs run at the end (ready ones are booted).
 *   preserve(ves, rc, amount) each VE gets at least `amount` of `rc`: its
 *                            demand must be >= amount (BtrPlace's way of
 *                            stating a load increase; see
 *                            sched_cstrs_apply_preserve) and its host viable.
 */
#ifndef CAPSULE_SCHED_CONSTRAINTS_H
#define CAPSULE_SCHED_CONSTRAINTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/model.h"
#include "util/error.h"

enum sched_cstr_kind {
  SCHED_BAN,
  SCHED_FENCE,
  SCHED_ROOT,
  SCHED_SPREAD,
  SCHED_GATHER,
  SCHED_AMONG,
  SCHED_LONELY,
  SCHED_SPLIT,
  SCHED_QUARANTINE,
  SCHED_RESOURCE_CAPACITY,
  SCHED_RUNNING_CAPACITY,
  SCHED_MAX_ONLINE,
  SCHED_ONLINE,
  SCHED_OFFLINE,
  SCHED_RUNNING,
  SCHED_PRESERVE,
  SCHED_CSTR_KINDS
};

/* One constraint. Arrays are owned by the set once added; add() copies them
 * and sorts each one (each group on its own for among and split).
 *   ves     the VEs it applies to (split: all groups concatenated)
 *   nodes   the nodes (among: all groups concatenated)
 *   groups  among / split only: ngroups + 1 offsets into nodes / ves;
 *           group g is [groups[g], groups[g+1])
 *   rc, amount  resourceCapacity, preserve (rc, amount); runningCapacity,
 *           maxOnline (amount) */
struct sched_cstr {
  enum sched_cstr_kind kind;
  bool continuous;
  int32_t *ves;
  int32_t nves;
  int32_t *nodes;
  int32_t nnodes;
  int32_t *groups;
  int32_t ngroups;
  int rc;
  int64_t amount;
};

/* A set of constraints, with indexes from VE and node to the constraints
 * that name them (built by sched_cstrs_seal). */
struct sched_cstrs {
  struct sched_cstr *items;
  int32_t n, cap;
  bool sealed;        /* cleared by every add */
  uint32_t kinds;     /* bit (1 << kind) for each kind present */
  int32_t nves, nnodes;     /* the model size it was sealed for */
  int32_t *ve_off, *ve_idx; /* CSR: constraints naming VE v are ve_idx[ve_off[v]..ve_off[v+1]) */
  int32_t *node_off, *node_idx; /* the same for nodes */
};

void sched_cstrs_init(struct sched_cstrs *c);
void sched_cstrs_free(struct sched_cstrs *c);

/* Copy `spec` into the set (spec's arrays stay the caller's). Checks its
 * shape: e.g. ban needs VEs and nodes, among needs >= 1 group; fails with
 * EINVAL naming the kind and the problem. */
int sched_cstrs_add(struct sched_cstrs *c, const struct sched_cstr *spec, err_t *e);

/* Check every id against the model (EINVAL "ban #3: node 12000 out of range
 * (model has 10000 nodes)"), check among groups are disjoint, and build the
 * indexes. Required before solving or checking; cheap to call again. */
int sched_cstrs_seal(struct sched_cstrs *c, const struct sched_model *m, err_t *e);

/* The constraints naming VE `ve` (valid once sealed). */
static inline const int32_t *sched_cstrs_of_ve(const struct sched_cstrs *c, int32_t ve,
                                               int32_t *n) {
  *n = c->ve_off[ve + 1] - c->ve_off[ve];
  return c->ve_idx + c->ve_off[ve];
}

/* The constraints naming `node` (valid once sealed). */
static inline const int32_t *sched_cstrs_of_node(const struct sched_cstrs *c, int32_t node,
                                                 int32_t *n) {
  *n = c->node_off[node + 1] - c->node_off[node];
  return c->node_idx + c->node_off[node];
}

static inline bool sched_cstrs_has(const struct sched_cstrs *c, enum sched_cstr_kind k) {
  return c && (c->kinds & (1u << k));
}

/* Index of the group of among/split constraint `c` holding `id` (a node for
 * among, a VE for split), or -1. */
int32_t sched_cstr_group_of(const struct sched_cstr *c, int32_t id);

/* True when a constraint of kind k names `node` (c sealed, or NULL). */
bool sched_cstrs_node_has(const struct sched_cstrs *c, int32_t node, enum sched_cstr_kind k);

/* "ban", "fence", ... as in the JSON format; NULL for an unknown kind. */
const char *sched_cstr_kind_name(enum sched_cstr_kind k);

/* True when `id` is in the sorted array (binary search). */
bool sched_ids_contain(const int32_t *sorted, int32_t n, int32_t id);

/* Raise each VE's demand to the amount its preserve constraints guarantee
 * (c sealed for m). */
void sched_cstrs_apply_preserve(const struct sched_cstrs *c, struct sched_model *m);

/* The constraints file format (docs/SCHEDULER-SOLVER.md): a JSON array of
 * constraint objects, or an object whose "constraints" member is one, close
 * to BtrPlace's JSON: {"id": "ban", "vms": [1, 2], "nodes": [0],
 * "continuous": true}. Keys: "vm"/"vms", "node"/"nodes", "parts" (among:
 * node groups; split: VE groups), "rc" ("cpu"/"uCpu" or "mem"/"memory"),
 * "amount". Errors name the entry: "constraints[3] (spread): vms: expected
 * an array, got string". Ids are checked against the model by seal. */
int sched_cstrs_load_json(struct sched_cstrs *c, json_t *list, const char *where, err_t *e);
int sched_cstrs_load_file(struct sched_cstrs *c, const char *path, err_t *e);

#endif
