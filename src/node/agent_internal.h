/* What agent.c (membership, the transport, the loop, status) and
 * agent_moves.c (moves, their checks, moves in doubt) share. Not a public
 * header. */
#ifndef CAPSULE_NODE_AGENT_INTERNAL_H
#define CAPSULE_NODE_AGENT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dvms/dvms.h"
#include "node/agent.h"
#include "node/host.h"
#include "node/move.h"
#include "node/net.h"
#include "proto/timeq.h"
#include "sched/plan.h"

struct member {
  char addr[48];
  double heard;
  bool present;
  struct net_conn *out;
};

enum move_kind { MV_IN, MV_OUT, MV_RESOLVE };

struct move {
  struct net_watch w; /* the worker's pidfd */
  struct agent *a;
  pid_t pid;
  enum move_kind kind;
  bool keep;             /* MV_RESOLVE: start the copy again (else remove it) */
  uint64_t token;
  int32_t ve, peer;
  double started;
  struct net_conn *conn; /* an arrival: where to answer */
  char cid[65], idfile[4096];
};

struct deferred {
  struct msg *m; /* a message to self, or NULL: a migration that could not start */
  uint64_t token;
};

struct agent {
  struct node_opts o;
  int32_t self;
  struct net net;
  struct host host;
  struct dvms *d;
  struct transport tp;
  struct member members[HOST_SLOTS];
  struct timeq timers;
  struct deferred *def;
  int32_t ndef, defcap;
  struct move **moves;
  int32_t nmoves, movescap;
  struct net_watch ctl;
  struct move_env env;
  int level, events_fd;
  double t0;
  bool stop;
  uint64_t migrations[3]; /* per enum move_outcome */
  char *members_saved;    /* <root>/node/members as last written */
};

enum { NODE_EVENTS_MAX = 1 << 20 };

double agent_now(const struct agent *a);
/* The ring slot of "ip:port" (its last byte), -1 when malformed. */
int32_t agent_slot_of(const char *addr);
/* One line of <root>/node/events.jsonl; takes `ev`. */
void agent_event(struct agent *a, json_t *ev);
/* The connection to send to member `slot` (dialed on first use). */
struct net_conn *agent_conn_to(struct agent *a, int32_t slot);
/* Watch worker `pid`; NULL (the worker killed) when that fails. */
struct move *agent_add_move(struct agent *a, pid_t pid, enum move_kind kind, int32_t ve,
                            int32_t peer);
bool agent_moving(const struct agent *a, int32_t ve);
/* Steps `first`.. of `p` against this host's live state (sched/checker). */
int agent_recheck(struct agent *a, const struct sched_plan *p, int32_t first,
                  const int32_t *nodes, int32_t n, err_t *e);
/* Frames about moves. */
void agent_arrival(struct agent *a, struct net_conn *c, const uint8_t *p, size_t len);
void agent_on_where(struct agent *a, struct net_conn *c, const uint8_t *p, size_t len);
void agent_on_here(struct agent *a, struct net_conn *c, const uint8_t *p, size_t len);
void agent_ask_doubts(struct agent *a);

#endif
