/* DVMS internals shared by dvms.c (membership, the token's route, the
 * monitor) and lead.c (the leader: reservation, solve, commit, apply,
 * park and merge). Not a public header. */
#ifndef CAPSULE_DVMS_INTERNAL_H
#define CAPSULE_DVMS_INTERNAL_H

#include "dvms/dvms.h"
#include "proto/apply.h"
#include "proto/view.h"
#include "sched/plan.h"
#include "util/array.h"
#include "util/rng.h"

enum dvms_msg_kind {
  DVMS_ISP = 100,     /* the token: a partition looking for a free node */
  DVMS_ISP_ACK,       /* the token arrived (failure detection per hop) */
  DVMS_RESERVE,       /* leader -> members: I lead this version, confirm */
  DVMS_RESERVE_ACK,   /* member -> leader: yes with my state, or no */
  DVMS_COMMIT,        /* leader -> members: lock for the plan */
  DVMS_COMMIT_ACK,
  DVMS_UPDATE,        /* leader -> members: still alive (and the partition's state) */
  DVMS_DISSOLVE,      /* leader -> members: the partition is over */
};

enum dvms_pstate { PSTATE_GROWING, PSTATE_BLOCKED };

/* Why a partition ended (DISSOLVE, and the initiator's statistics). */
enum dvms_end {
  END_SOLVED,     /* a plan was applied */
  END_RESOLVED,   /* nothing to do any more */
  END_STALE,      /* its initiator left */
  END_GAVE_UP,    /* parked and nothing joined */
  END_TIMEOUT,    /* the leader went silent */
  END_FAILED,     /* the plan failed or a member refused to commit */
  END_MERGED,     /* absorbed into another partition */
};

struct dvms_isp {
  struct msg h;
  uint64_t part;
  uint64_t hop;      /* the sender's hop id, echoed by ISP_ACK */
  int32_t initiator;
  uint32_t version;
  uint32_t wander;   /* hops since a node last joined */
  uint8_t state;
  uint8_t merge;     /* sent to a parked partition's holder to be merged */
  uint8_t urgent;    /* its initiator is overloaded, not just hot */
  int32_t n;
  int32_t nodes[];   /* members, the initiator first */
};

struct dvms_isp_ack {
  struct msg h;
  uint64_t hop;
};

struct dvms_reserve {
  struct msg h;
  uint64_t part, prev_part; /* prev_part: the partition a merge absorbs */
  uint32_t version;
  int32_t initiator;
  uint8_t state;
  int32_t n;
  int32_t nodes[];
};

struct dvms_reserve_ack {
  struct msg h;
  uint64_t part;
  uint32_t version;
  uint8_t ok;
  struct node_snap snap; /* when ok */
};

struct dvms_ctl { /* COMMIT, COMMIT_ACK, UPDATE, DISSOLVE */
  struct msg h;
  uint64_t part;
  uint32_t version;
  uint8_t arg; /* COMMIT_ACK: ok; UPDATE: state; DISSOLVE: enum dvms_end */
};

/* Timer tokens: the kind in the top byte, a generation or id below. */
enum dvms_timer {
  TM_MEMBER = 1,   /* a member's partition timeout check */
  TM_HOP,          /* a token hop not acknowledged */
  TM_PHASE,        /* the leader's reserve/commit round or solve charge ended */
  TM_KEEPALIVE,
  TM_PARK,
  TM_APPLY,        /* plan step timeout (proto/apply.h) */
  TM_TICK,         /* VMPlaceS-style periodic monitor */
  TM_RETRY,        /* start a new ISP after a backoff */
};
#define TM_TOKEN(kind, v) (((uint64_t)(kind) << 56) | ((v) & ((1ULL << 56) - 1)))
#define TM_KIND(tok) ((int)((tok) >> 56))
#define TM_VALUE(tok) ((tok) & ((1ULL << 56) - 1))

enum lead_phase { LEAD_RESERVING, LEAD_SOLVING, LEAD_COMMITTING, LEAD_APPLYING, LEAD_PARKED };

/* The partition as its current holder (leader, or initiator while parked)
 * knows it. */
struct dvms_lead {
  uint64_t part, prev_part;
  int32_t initiator;
  uint32_t version;
  enum lead_phase phase;
  int32_t *nodes, n, cap;
  struct node_snap **snaps; /* per member, this round */
  uint8_t *answer;          /* per member: 0 waiting, 1 yes, 2 no */
  int32_t waiting;
  uint64_t gen;             /* generation of its phase and keepalive timers */
  bool urgent;              /* the initiator is overloaded, not just hot */
  int status;               /* the solver's answer */
  struct sched_plan plan;
  struct apply_run run;
};

struct dvms_hop { /* a token sent, waiting for its ISP_ACK */
  uint64_t id;
  int32_t to;
  struct dvms_isp *isp; /* a copy, to resend elsewhere */
};

struct dvms_node {
  int32_t id;
  rng_t rng;
  int level;             /* what the local monitor last said (load_level) */
  bool tick_armed, retry_armed;
  uint8_t gave_up;       /* its ISPs that gave up in a row */
  uint32_t seq;          /* ids of partitions it initiates */
  /* membership: what the leader last said */
  uint64_t part;         /* 0 = free */
  uint32_t version;
  int32_t leader, initiator;
  uint8_t pstate;
  bool locked;           /* committed to the leader's plan */
  int32_t *members, nmembers, members_cap;
  double last_update, since;
  uint64_t member_gen;
  uint64_t ka_gen;       /* generation of the keepalive chain */
  uint64_t apply_seq;    /* plan runs it coordinated */
  struct dvms_lead *lead; /* while it holds its partition */
  struct dvms_hop *hops;
  int32_t nhops, hops_cap;
  uint64_t hop_seq;
  int32_t *suspects, nsuspects, suspects_cap;
  struct apply_local local;
};

struct dvms {
  struct dvms_config cfg;
  struct transport tp;
  struct dvms_node *nodes;
  uint32_t *mark, mark_gen; /* scratch for walking the ring */
  struct view view;     /* scratch picture for solving, reloaded per solve */
  struct sched_solver *solver;
  struct sched_run_stats stats;
};

/* dvms.c */
bool dvms_ids_has(const int32_t *ids, int32_t n, int32_t id);
void dvms_send_ctl(struct dvms *d, int32_t from, int32_t to, uint16_t kind, uint64_t part,
                   uint32_t version, uint8_t arg);
void dvms_suspect(struct dvms *d, struct dvms_node *x, int32_t node);
void dvms_send_token(struct dvms *d, struct dvms_node *x, const struct dvms_lead *l);
void dvms_forward(struct dvms *d, struct dvms_node *x, struct dvms_isp *isp,
                  const int32_t *skip, int32_t nskip);
void dvms_leave(struct dvms *d, struct dvms_node *x, enum dvms_end why);
void dvms_arm_member_timeout(struct dvms *d, struct dvms_node *x);
int dvms_set_members(struct dvms_node *x, const int32_t *nodes, int32_t n);

/* lead.c */
void dvms_lead_free(struct dvms_lead *l);
void dvms_join(struct dvms *d, struct dvms_node *x, const struct dvms_isp *isp);
void dvms_park(struct dvms *d, struct dvms_node *x, const struct dvms_isp *isp);
void dvms_merge(struct dvms *d, struct dvms_node *x, const struct dvms_isp *isp);
void dvms_end(struct dvms *d, struct dvms_node *x, enum dvms_end why);
void dvms_lead_message(struct dvms *d, struct dvms_node *x, struct msg *m);
void dvms_lead_timer(struct dvms *d, struct dvms_node *x, int kind, uint64_t value,
                     uint64_t token);

#endif
