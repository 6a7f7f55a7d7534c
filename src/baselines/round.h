/* A coordinator's scheduling round, shared by the centralized (Entropy)
 * and hierarchical (Snooze group manager) baselines: ask a set of nodes
 * for their state, solve over the nodes that answered, charge the solver's
 * time, apply the plan (proto/apply.h), report. The host side answers
 * state requests and runs the migrations its coordinator orders. */
#ifndef CAPSULE_BASELINES_ROUND_H
#define CAPSULE_BASELINES_ROUND_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/apply.h"
#include "proto/stats.h"
#include "proto/transport.h"
#include "proto/view.h"
#include "sched/constraints.h"
#include "sched/solver.h"
#include "util/error.h"

enum { ROUND_STATE_REQ = 10, ROUND_STATE = 11 };

struct round_state_req {
  struct msg h;
  uint64_t tag;
};

struct round_state {
  struct msg h;
  uint64_t tag;
  uint8_t overloaded; /* the node's monitor says it is over its threshold */
  struct node_snap snap;
};

enum round_phase { ROUND_IDLE, ROUND_GATHERING, ROUND_SOLVING, ROUND_APPLYING };

/* How a scheduler's coordinators run their rounds (part of the Entropy
 * and Snooze configurations). */
struct round_config {
  bool yield;             /* no prevention while the network is congested */
  double reply_timeout;  /* a node silent this long is left out of the round */
  double step_timeout;   /* longest a plan step may take */
  /* Prevention and headroom (1, 1, 1 in VMPlaceS): a node above `threshold`
   * of its CPU is solved down to `target`, and destinations are filled up
   * to `fill` (proto/view.h). */
  double threshold, target, fill;
  const struct sched_cstrs *cstrs;
  struct sched_solve_opts solve;
  bool check;            /* check every plan with the independent checker */
};

/* What a round's coordinator shares with the others of its scheduler: the
 * configuration, and a solver with its scratch picture of the cluster. */
struct round_env {
  const struct transport *tp;
  struct sched_run_stats *stats;
  struct round_config cfg;
  struct view view;
  struct sched_solver *solver;
};

/* For `nodes` nodes and `nves` VEs; round_env_free undoes it, also after a
 * failure. */
int round_env_init(struct round_env *env, const struct transport *tp,
                   struct sched_run_stats *stats, const struct round_config *cfg, int32_t nodes,
                   int32_t nves, err_t *e);
void round_env_free(struct round_env *env);

struct round {
  int32_t self;
  enum round_phase phase;
  uint64_t tag;               /* this round's id; timers carry it */
  int32_t *nodes, n, cap;     /* asked */
  struct node_snap **snaps;   /* answers, per asked node */
  int32_t waiting;
  int32_t *solved, nsolved;   /* the nodes that answered */
  int status;
  struct sched_plan plan;
  struct apply_run run;
  double started;
};

/* Timer tokens: the top byte, then the round's tag. */
enum { ROUND_TM_REPLIES = 0xe1, ROUND_TM_SOLVED = 0xe2, ROUND_TM_APPLY = 0xe3 };
#define ROUND_TOKEN(kind, tag) (((uint64_t)(kind) << 56) | ((tag) & ((1ULL << 40) - 1)) << 16)
static inline bool round_token(uint64_t token) {
  int k = (int)(token >> 56);
  return k == ROUND_TM_REPLIES || k == ROUND_TM_SOLVED || k == ROUND_TM_APPLY;
}

void round_init(struct round *r, int32_t self);
void round_free(struct round *r);

/* Start a round over `nodes` (the coordinator is not one of them). */
void round_start(struct round *r, struct round_env *env, const int32_t *nodes, int32_t n);

/* Feed the coordinator's messages and timers; both return true when the
 * round has just ended (r->phase is IDLE again). */
bool round_message(struct round *r, struct round_env *env, const struct msg *m);
bool round_timer(struct round *r, struct round_env *env, uint64_t token);

/* The host side: answer a state request. */
void round_answer(const struct transport *tp, int32_t node, const struct round_state_req *q,
                  bool overloaded);

#endif
