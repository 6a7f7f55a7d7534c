/* DVMS, the Distributed Virtual Machine Scheduler (Quesnel, Lèbre, Südholt,
 * CCPE 2012), written against the transport (proto/transport.h).
 *
 * A node whose VEs ask for more CPU than it has starts an Iterative
 * Scheduling Procedure (ISP): it reserves itself and sends the event, a
 * token listing the partition's nodes, to the next free node on the ring.
 * A free node that gets the token joins the partition and becomes its
 * leader: it confirms the reservation of every member (each answers with
 * its current state, or refuses if it left), runs the sched core solver on
 * the partition, and, if a plan exists, has every member commit to it,
 * applies it (the migrations) and dissolves the partition. Without a plan
 * the token moves on. A node already in another partition forwards the
 * token past that whole partition in one hop (the shortcut to its
 * first-out node). A token that comes all the way back to its initiator
 * means every node is busy: the partition parks there (Blocked) and the
 * next travelling token that reaches one of its nodes merges into it, which
 * always reduces the number of partitions, so partitions cannot wait on
 * each other forever; a parked partition that nothing joins gives up. A
 * node that does not answer within the hop timeout is treated as failed and
 * skipped. Members dissolve a partition whose leader has been silent for
 * the partition timeout. docs/SIMULATION.md describes the protocol and its
 * messages in full.
 *
 * The same code, configured as VMPlaceS's port of DVMS (random next node,
 * partitions of at least 4 nodes before the solver runs, an empty plan
 * counted as a failure, no merges: a Blocked partition waits for its
 * timeout, a monitor that looks every second), is the baseline the
 * improvements are measured against (dvms/vmplaces.h). */
#ifndef CAPSULE_DVMS_DVMS_H
#define CAPSULE_DVMS_DVMS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/stats.h"
#include "proto/transport.h"
#include "sched/constraints.h"
#include "sched/solver.h"
#include "util/error.h"

enum dvms_next {
  DVMS_NEXT_RING,   /* the next node on the ring outside the partition */
  DVMS_NEXT_RANDOM, /* a random node outside the partition (VMPlaceS) */
};

struct dvms_config {
  int32_t nodes;           /* hosting nodes, forming the ring 0..nodes-1 */
  int32_t nves;            /* VE ids are 0..nves-1 */
  enum dvms_next next;
  int32_t min_partition;   /* nodes a partition needs before the solver runs */
  bool empty_plan_fails;   /* VMPlaceS: "nothing to do" counts as no solution */
  bool merge;              /* park Blocked partitions and merge tokens into them */
  bool shortcuts;          /* a busy node sends a token past its whole partition */
  double monitor_period;   /* 0: act on the overload notification; else look every period */
  double partition_timeout;/* members leave after this long without news of the leader */
  double keepalive;        /* how often a busy leader refreshes its members */
  double hop_timeout;      /* a node silent this long is treated as failed */
  double park_timeout;     /* a parked partition nothing joined gives up after this */
  double retry_delay;      /* an overloaded node waits up to this before a new ISP */
  int32_t proactive_max;   /* an ISP for a hot (not overloaded) node stops at this size */
  int32_t max_partition;   /* any ISP gives up at this size (0: never), to retry later */
  double proactive_backoff;/* and its node waits about this long before trying again */
  int32_t relax_after;     /* a repair partition beyond this size drops headroom (0: never) */
  int32_t giveup_doublings;/* a node whose ISPs gave up k times in a row waits 2^k times
                            * longer, k at most this (0: always the same) */
  double step_timeout;     /* longest a plan step may take */
  bool yield;              /* a hot node starts no ISP while the network is congested */
  double target;           /* headroom: a solved node ends at or below this fraction */
  double fill;             /* and destinations are filled up to this one */
  uint64_t seed;
  const struct sched_cstrs *cstrs; /* sealed for a model of nodes x nves, or NULL */
  struct sched_solve_opts solve;
  bool check;              /* check every plan and every partition's exclusivity */
};

/* The defaults of capsule's DVMS. */
void dvms_config_default(struct dvms_config *c, int32_t nodes, int32_t nves);

/* DVMS's protocol ideas, each a switch for the ablation (docs/SIMULATION.md).
 * Leader election has none: the node that joins leads, and a partition
 * without a leader would have nobody to solve it. */
enum {
  DVMS_IDEA_EVENTS = 1,    /* act on the monitor's notification; else look every second */
  DVMS_IDEA_RING = 2,      /* grow along the ring and solve from 2 nodes, an empty plan ending
                            * the ISP; else VMPlaceS's: a random node, from 4, growing on */
  DVMS_IDEA_SHORTCUTS = 4, /* a busy node skips its partition; else only itself */
  DVMS_IDEA_MERGE = 8,     /* park and merge; else a Blocked partition waits for its timeout */
  DVMS_IDEA_BOUNDED = 16,  /* repair partitions stop at 16 nodes, drop headroom beyond 8, and
                            * a node whose ISPs keep giving up backs off exponentially; else
                            * 64 nodes, headroom kept, and a fixed delay */
  DVMS_IDEAS_ALL = 31,
};

/* Switch off, in a configuration, the ideas not in `ideas`. */
void dvms_config_ideas(struct dvms_config *c, unsigned ideas);

struct dvms;

/* The agents of nodes 0..nodes-1 (a node agent would create one for its
 * node; the simulator runs them all in one process). */
struct dvms *dvms_new(const struct dvms_config *c, const struct transport *t, err_t *e);
void dvms_free(struct dvms *d);

extern const struct agent_ops dvms_agent_ops;

struct sched_run_stats *dvms_stats(struct dvms *d);

/* For an agent that knows its ring's membership (the node agent, where the
 * ring's ids are slots, most of them empty): `peer` is absent or present
 * again, as `node` sees it. An absent node is skipped as a suspected one
 * is, without waiting for a hop timeout. */
void dvms_set_present(struct dvms *d, int32_t node, int32_t peer, bool present);

/* Whether `m`, `bytes` long, as it came from the network, is a well-formed
 * DVMS or plan message (proto/apply.h) for this configuration: a known
 * kind, its size consistent with its counts, ids in range. */
bool dvms_msg_valid(const struct dvms *d, const struct msg *m, size_t bytes);

/* For tests: the partition node `node` belongs to (0 = free), and whether
 * it is locked into a plan being applied. */
uint64_t dvms_node_partition(const struct dvms *d, int32_t node);

#endif
