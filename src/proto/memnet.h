/* A deterministic in-memory transport: a discrete-event loop with a fixed
 * message latency and a fixed migration time, over a sched core model that
 * stands for the real cluster. It runs the protocols in unit tests (small
 * rings, failed nodes, concurrent events) without SimGrid, and replays
 * exactly: events at the same instant run in the order they were made. */
#ifndef CAPSULE_PROTO_MEMNET_H
#define CAPSULE_PROTO_MEMNET_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/timeq.h"
#include "proto/transport.h"
#include "sched/model.h"
#include "util/error.h"

struct memnet {
  struct transport tp;         /* hand this to the scheduler */
  struct sched_model world;    /* hosting nodes 0..hosts-1 and every VE */
  int32_t hosts, nodes;        /* hosting nodes; all nodes (with services) */
  const struct agent_ops *ops;
  void *agent;
  double now;
  double latency;              /* seconds per message */
  double migration_time;       /* seconds per live migration */
  bool *failed;
  double threshold;            /* the monitor's hot level, fraction of the CPU (1) */
  uint8_t *level;              /* per host: enum load_level last reported */
  struct timeq queue;          /* of struct memnet_event */
  uint64_t messages, bytes, migrations;
  bool oom;                    /* an allocation failed: the run is invalid */
  bool congested;              /* what the transport reports as the network's congestion */
};

/* `hosts` hosting nodes of (cpu, mem) capacity and `services` service
 * nodes; `nves` VEs of `ve_mem` MB and zero CPU, VE j on host j % hosts. */
int memnet_init(struct memnet *n, int32_t hosts, int32_t services, int64_t cpu, int64_t mem,
                int32_t nves, int64_t ve_mem, err_t *e);
void memnet_free(struct memnet *n);

/* Install the scheduler; its start handler runs on every node at once. */
void memnet_set_agent(struct memnet *n, const struct agent_ops *ops, void *agent);

/* Change a VE's CPU demand now; load level changes reach the host's agent
 * as events. */
void memnet_set_cpu(struct memnet *n, int32_t ve, int64_t cpu);

/* From now on the node drops every message and event (a crash). */
void memnet_fail(struct memnet *n, int32_t node);

/* Run events up to time `until` (inclusive); returns the number run. */
int64_t memnet_run(struct memnet *n, double until);

#endif
