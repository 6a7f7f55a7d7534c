/* The world as a scheduling agent on one node sees it: messages to other
 * nodes, timers, its own node's VEs, and live migrations of its own VEs.
 *
 * DVMS, Entropy and Snooze are written against this interface only, as
 * event handlers that never block, so the same code runs in the simulator
 * (src/sim/, over SimGrid) and in the in-memory test transport now, and over
 * TCP in the node agent later. An agent touches nothing of another node: all
 * it learns of one comes in a message.
 *
 * Nodes are numbered 0..n-1 (hosting nodes, on a ring in id order) and
 * n..n+s-1 (service nodes of the centralized and hierarchical baselines).
 * Every call is made from the node's own event handler, for that node. */
#ifndef CAPSULE_PROTO_TRANSPORT_H
#define CAPSULE_PROTO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct sched_plan;

/* Every message starts with this header. Kinds are namespaced per protocol
 * (proto/apply.h: 1.., DVMS: 100.., Entropy: 200.., Snooze: 300..). */
struct msg {
  uint16_t kind;
  int32_t from, to;
  uint32_t bytes; /* size on the wire: what the simulated network carries */
};

/* One VE as its host's Local Resources Tracker reports it. */
struct snap_ve {
  int32_t ve;
  int32_t cpu, mem;
  uint32_t flags; /* SNAP_VE_* (proto/view.h) */
};

/* A node's report on itself: capacities and the VEs it runs right now. */
struct node_snap {
  int32_t node;
  int32_t cpu_cap, mem_cap;
  int32_t nves;
  struct snap_ve ves[];
};

static inline size_t node_snap_size(int32_t nves) {
  return sizeof(struct node_snap) + (size_t)nves * sizeof(struct snap_ve);
}

/* What a computation (a solver call) cost, for simulators that charge it as
 * simulated time. */
struct work_cost {
  double wall;          /* measured seconds */
  double cpu;           /* measured seconds of CPU of the thread that computed */
  int32_t nodes, ves;   /* problem size */
};

struct transport_ops {
  double (*now)(void *ctx);
  /* Send `m` (heap, m->bytes set) from node `from` to node `to`. The
   * transport owns it from now on and hands it to the receiver, which frees
   * it. A message to a failed node is lost silently. */
  void (*send)(void *ctx, int32_t from, int32_t to, struct msg *m);
  /* Call the agent's timer handler on `node` with `token` after `delay` s.
   * Timers are never cancelled: handlers ignore stale tokens. */
  void (*timer)(void *ctx, int32_t node, double delay, uint64_t token);
  /* The node's own VEs right now (heap; the caller frees). NULL on ENOMEM. */
  struct node_snap *(*snapshot)(void *ctx, int32_t node);
  /* Start the live migration of `ve`, which runs on `node`, to `dst`. The
   * agent's migrated handler runs on `node` when it ends (ok false when it
   * failed: the VE stayed). */
  void (*migrate)(void *ctx, int32_t node, int32_t ve, int32_t dst, uint64_t token);
  /* Seconds to wait before the result of a computation may be used: 0 on a
   * real node (the time was spent), the charged time in a simulator. */
  double (*charge)(void *ctx, int32_t node, const struct work_cost *w);
  /* Optional (NULL: none). An observer that sees the cluster's real state,
   * not the agents' views (the simulator's independent checker), checks
   * the steps from `first_step` on of plan `p`, which `coordinator` is
   * about to run on `nodes` (the n nodes it was given). -1 with `e` set
   * refuses them: the plan fails there. A real node refuses a migration
   * that does not fit it in the same way. */
  int (*audit)(void *ctx, int32_t coordinator, const struct sched_plan *p, int32_t first_step,
               const int32_t *nodes, int32_t n, err_t *e);
  /* Optional (NULL: never). The network that carries migrations is
   * congested: migrations wait to be admitted (proto/admit.h). A policy may
   * then keep the network for repairs and hold prevention back. */
  bool (*congested)(void *ctx);
};

struct transport {
  const struct transport_ops *ops;
  void *ctx;
};

static inline double tp_now(const struct transport *t) {
  return t->ops->now(t->ctx);
}
static inline void tp_send(const struct transport *t, int32_t from, int32_t to, struct msg *m) {
  m->from = from;
  m->to = to;
  t->ops->send(t->ctx, from, to, m);
}
static inline void tp_timer(const struct transport *t, int32_t node, double delay,
                            uint64_t token) {
  t->ops->timer(t->ctx, node, delay, token);
}

static inline bool tp_congested(const struct transport *t) {
  return t->ops->congested && t->ops->congested(t->ctx);
}

/* The events a transport delivers to the agents of a scheduler. `agent` is
 * the scheduler's state; `node` the node the event is for. */
struct agent_ops {
  /* Optional: once per node when the agents start (services arm timers). */
  void (*start)(void *agent, int32_t node);
  void (*message)(void *agent, int32_t node, struct msg *m); /* takes ownership */
  void (*timer)(void *agent, int32_t node, uint64_t token);
  void (*migrated)(void *agent, int32_t node, uint64_t token, bool ok);
  /* The local monitor: the node's load level changed (enum load_level). */
  void (*load)(void *agent, int32_t node, int level);
};

/* What a node's monitor reports: its CPU demand is within its scheduler's
 * threshold, above it (hot: worth acting before it overloads), or above
 * the capacity (overloaded: its VEs do not get what they ask for). */
enum load_level { LOAD_OK, LOAD_HOT, LOAD_OVER };

/* A message of `bytes` bytes (at least sizeof(struct msg)), zeroed, with
 * its kind set; NULL on ENOMEM. */
struct msg *msg_new(uint16_t kind, size_t bytes);

#endif
