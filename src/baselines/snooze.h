/* The hierarchical baseline, Snooze (Feller, Rilling, Morin, CCGRID 2012)
 * as VMPlaceS modelled it: a group leader (GL), group managers (GMs) with
 * about 32 local controllers (LCs, one per hosting node) each, heartbeats
 * at every level, and, in each GM, the sched core solver over its group
 * whenever one of its LCs is overloaded (at most once a second, as
 * VMPlaceS's event-driven GM). LCs join through the GL, which assigns them
 * to the live GM with the fewest LCs; an LC whose GM goes silent joins
 * again. The GL's own election (ZooKeeper in Snooze) is not modelled. */
#ifndef CAPSULE_BASELINES_SNOOZE_H
#define CAPSULE_BASELINES_SNOOZE_H

#include <stdbool.h>
#include <stdint.h>

#include "baselines/round.h"
#include "proto/stats.h"
#include "proto/transport.h"
#include "sched/constraints.h"
#include "sched/solver.h"
#include "util/error.h"

struct snooze_config {
  int32_t nodes, nves;   /* LCs are nodes 0..nodes-1, the GL node `nodes`, then the GMs */
  int32_t group;         /* LCs per GM: the number of GMs is ceil(nodes / group) */
  double heartbeat;      /* 3 s in VMPlaceS */
  double timeout;        /* 6 s: a component silent this long is dead */
  double min_gap;        /* 1 s between two scheduling calls of a GM */
  double pull;           /* 70 ms: how late a GM notices an overload */
  struct round_config round;
};

void snooze_config_default(struct snooze_config *c, int32_t nodes, int32_t nves);
/* Service nodes: the GL and the GMs. */
int32_t snooze_services(const struct snooze_config *c);

struct snooze;
struct snooze *snooze_new(const struct snooze_config *c, const struct transport *t, err_t *e);
void snooze_free(struct snooze *s);
struct sched_run_stats *snooze_stats(struct snooze *s);
/* For tests: the GM an LC currently reports to (-1 while joining). */
int32_t snooze_lc_manager(const struct snooze *s, int32_t lc);
extern const struct agent_ops snooze_agent_ops;

#endif
