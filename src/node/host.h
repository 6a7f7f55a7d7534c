/* The Local Resources Tracker of a node agent: the host's containers (the
 * engine's records under <root>/containers) and what they use, from their
 * cgroups (<parent>/<id>, engine.h's CAPSULE_CGROUP_PARENT): CPU over a
 * sliding window, memory now. It gives every container the agent sees a
 * VE id for the protocols, kept in <root>/node/ves.json: the slot of the
 * host that first saw it times HOST_VES_PER_SLOT plus a counter, so ids
 * are unique in the cluster without asking anyone, and a container keeps
 * its id when it moves (the move carries it).
 *
 * CPU in thousandths of a CPU, memory in MB (struct node_snap). A
 * container's demand over the window is the CPU time it used plus the
 * time its tasks waited for a CPU while runnable (on a saturated host, or
 * machine, what it gets is no measure of what it wants), at most its CPU
 * limit. */
#ifndef CAPSULE_NODE_HOST_H
#define CAPSULE_NODE_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/transport.h"
#include "util/error.h"

enum { HOST_WINDOW = 7, HOST_VES_PER_SLOT = 256, HOST_SLOTS = 256 };
#define HOST_NVES (HOST_SLOTS * HOST_VES_PER_SLOT)

struct host_ve {
  char id[65];
  int32_t ve;
  int32_t quota;     /* its CPU limit, 0: none */
  int32_t demand;    /* over the window */
  int32_t mem;
  uint64_t usage[HOST_WINDOW]; /* cumulated CPU + wait ns, oldest first */
  double at[HOST_WINDOW];
  int32_t nsamples;
  bool seen;
};

struct host {
  char *root, *parent;
  int32_t slot;
  int32_t cpu_cap, mem_cap;
  int32_t demand;             /* the sum over the VEs */
  struct host_ve *ves;
  int32_t nves, cap;
  uint32_t next;              /* next counter of this slot's VE ids */
  json_t *ids;                /* container id -> VE id, as saved */
};

/* `cpus` > 0 sets the capacity; else the parent's CPU quota, else the
 * machine's CPUs. */
int host_init(struct host *h, const char *root, int32_t slot, double cpus, err_t *e);
void host_free(struct host *h);

/* Look at the containers and their cgroups again (every half second). */
int host_sample(struct host *h, double now, err_t *e);

/* enum load_level: the demand against the capacity and `target`. */
int host_level(const struct host *h, double target);

/* This node's snapshot (heap; NULL on ENOMEM), VEs in `moving` flagged. */
struct node_snap *host_snapshot(const struct host *h, int32_t node);

struct host_ve *host_find(struct host *h, int32_t ve);

/* A container that arrived by a move keeps the VE id it had. */
int host_adopt(struct host *h, const char *id, int32_t ve, err_t *e);

#endif
