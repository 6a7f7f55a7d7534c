/* The Entropy and Snooze baselines over the deterministic in-memory
 * transport: one overload each, their timing (Entropy waits for its period,
 * Snooze's group manager acts at once), checked plans, a failed node left
 * out of Entropy's round, and a dead Snooze group manager whose local
 * controllers join another one; prevention and headroom given to Entropy
 * and Snooze (acting on a hot node before it overloads, and a policy with
 * no plan relaxed to plain repair); prevention yielding to a congested
 * network. */
#include <errno.h>
#include <stdlib.h>

#include "../unit/check.h"
#include "baselines/entropy.h"
#include "baselines/snooze.h"
#include "proto/memnet.h"
#include "sched/checker.h"

#define CPU 100
#define MEM 32768
#define VE_MEM 1024

/* `hosts` hosts with two VEs each (VE j on host j % hosts); host 0 is
 * pushed to 120 % at time `at`. */
static void overload_host0(struct memnet *n, double at) {
  memnet_run(n, at);
  memnet_set_cpu(n, 0, 70);
  memnet_set_cpu(n, n->hosts, 50);
}

static double when_viable(struct memnet *n, double until) {
  for (double t = n->now; t <= until; t += 0.1) {
    memnet_run(n, t);
    if (sched_model_viable(&n->world))
      return t;
  }
  return -1;
}

/* Prevention and headroom: (1, 1, 1) is VMPlaceS's plain repair. */
struct policy {
  double threshold, target, fill;
  bool yield;
};
static const struct policy plain = {1, 1, 1};

static void set_policy(struct memnet *n, struct round_config *c, struct policy p) {
  n->threshold = p.threshold; /* the monitor's hot level */
  c->threshold = p.threshold;
  c->target = p.target;
  c->fill = p.fill;
  c->yield = p.yield;
}

/* 8 hosts and Entropy's service node, plans checked. */
static struct entropy *entropy_open(struct memnet *n, struct policy p) {
  err_t e = ERR_INIT;
  if (memnet_init(n, 8, 1, CPU, MEM, 16, VE_MEM, &e) < 0)
    return NULL;
  struct entropy_config c;
  entropy_config_default(&c, 8, 16);
  set_policy(n, &c.round, p);
  c.round.check = true;
  struct entropy *x = entropy_new(&c, &n->tp, &e);
  if (x)
    memnet_set_agent(n, &entropy_agent_ops, x);
  else
    memnet_free(n);
  return x;
}

static void test_entropy_period(void) {
  struct memnet n;
  struct entropy *x = entropy_open(&n, plain);
  CHECK(x != NULL);
  if (!x)
    return;
  overload_host0(&n, 31); /* just after the first round */
  double fixed = when_viable(&n, 200);
  /* the next round is at 60 s; one migration takes 10 s */
  CHECK(fixed >= 70 && fixed < 71);
  struct sched_run_stats *st = entropy_stats(x);
  CHECK(st->plans == 1 && st->migrations == 1);
  CHECK(st->checks == 1 && st->check_failures == 0);
  CHECK(st->partition_size.n == 1 && st->partition_size.v[0] == 8);
  entropy_free(x);
  memnet_free(&n);
}

static void test_entropy_failed_node(void) {
  struct memnet n;
  struct entropy *x = entropy_open(&n, plain);
  CHECK(x != NULL);
  if (!x)
    return;
  memnet_fail(&n, 5);
  overload_host0(&n, 1);
  CHECK(when_viable(&n, 200) > 0);
  struct sched_run_stats *st = entropy_stats(x);
  CHECK(st->suspected >= 1);
  CHECK(st->partition_size.n >= 1 && st->partition_size.v[0] == 7);
  /* nothing was sent to the dead node */
  CHECK(n.world.nodes[5].nves == 2);
  CHECK(st->check_failures == 0);
  entropy_free(x);
  memnet_free(&n);
}

static struct snooze *snooze_open(struct memnet *n, int hosts, int group, struct policy p) {
  err_t e = ERR_INIT;
  struct snooze_config c;
  snooze_config_default(&c, hosts, 2 * hosts);
  c.group = group;
  c.round.check = true;
  if (memnet_init(n, hosts, snooze_services(&c), CPU, MEM, 2 * hosts, VE_MEM, &e) < 0)
    return NULL;
  set_policy(n, &c.round, p);
  struct snooze *s = snooze_new(&c, &n->tp, &e);
  if (s)
    memnet_set_agent(n, &snooze_agent_ops, s);
  return s;
}

static void test_snooze_reacts(void) {
  struct memnet n;
  struct snooze *s = snooze_open(&n, 8, 4, plain);
  CHECK(s != NULL);
  if (!s)
    return;
  memnet_run(&n, 20);
  /* every LC joined a GM; 8 LCs over 2 GMs of 4 */
  int per_gm[2] = {0, 0};
  for (int i = 0; i < 8; i++) {
    int32_t gm = snooze_lc_manager(s, i);
    CHECK(gm == 9 || gm == 10);
    if (gm == 9 || gm == 10)
      per_gm[gm - 9]++;
  }
  CHECK(per_gm[0] == 4 && per_gm[1] == 4);
  overload_host0(&n, 20);
  double fixed = when_viable(&n, 100);
  /* noticed after the 70 ms pull, one migration of 10 s */
  CHECK(fixed >= 30 && fixed < 31);
  struct sched_run_stats *st = snooze_stats(s);
  CHECK(st->plans == 1 && st->migrations == 1);
  CHECK(st->partition_size.n == 1 && st->partition_size.v[0] == 4);
  CHECK(st->check_failures == 0);
  /* the VE stayed within host 0's group */
  int gm0 = snooze_lc_manager(s, 0);
  for (int v = 0; v < 16; v++)
    if (n.world.ves[v].host != v % 8)
      CHECK(snooze_lc_manager(s, n.world.ves[v].host) == gm0);
  snooze_free(s);
  memnet_free(&n);
}

static void test_snooze_gm_dies(void) {
  struct memnet n;
  struct snooze *s = snooze_open(&n, 8, 4, plain);
  if (!s) {
    CHECK(0);
    return;
  }
  memnet_run(&n, 20);
  int32_t gm0 = snooze_lc_manager(s, 0);
  memnet_fail(&n, gm0);
  memnet_run(&n, 40); /* LCs notice after 6 s without beats and join again */
  for (int i = 0; i < 8; i++)
    CHECK(snooze_lc_manager(s, i) >= 0 && snooze_lc_manager(s, i) != gm0);
  overload_host0(&n, 40);
  CHECK(when_viable(&n, 100) > 0);
  CHECK(snooze_stats(s)->suspected >= 4);
  CHECK(snooze_stats(s)->check_failures == 0);
  snooze_free(s);
  memnet_free(&n);
}

/* An audit as the simulator's: the plan's remaining steps against the
 * memnet's world (the real cluster), or a refusal of everything. */
static struct {
  bool refuse;
  int calls, refused, nodes;
} audit;

static int audit_world(void *ctx, int32_t coordinator, const struct sched_plan *p,
                       int32_t first, const int32_t *nodes, int32_t n, err_t *e) {
  (void)coordinator;
  audit.calls++;
  audit.nodes = n;
  struct sched_check_opts o = {.partition = nodes, .npartition = n, .first_step = first,
                               .live = true};
  if (!audit.refuse && sched_check_plan_opts(&((struct memnet *)ctx)->world, NULL, p, &o, e) == 0)
    return 0;
  audit.refused++;
  return audit.refuse ? err_set(e, EINVAL, "refused by the test") : -1;
}

/* Every step a coordinator starts goes through the transport's audit with
 * the nodes it was given; a refused step fails the plan before any
 * migration starts. */
static void test_apply_audited(void) {
  for (int refuse = 0; refuse <= 1; refuse++) {
    struct memnet n;
    err_t e = ERR_INIT;
    CHECK_FATAL(memnet_init(&n, 8, 1, CPU, MEM, 16, VE_MEM, &e) == 0);
    struct transport_ops ops = *n.tp.ops;
    ops.audit = audit_world;
    n.tp.ops = &ops;
    audit.refuse = refuse;
    audit.calls = audit.refused = audit.nodes = 0;
    struct entropy_config c;
    entropy_config_default(&c, 8, 16);
    c.round.check = true;
    struct entropy *x = entropy_new(&c, &n.tp, &e);
    CHECK_FATAL(x != NULL);
    memnet_set_agent(&n, &entropy_agent_ops, x);
    overload_host0(&n, 31);
    memnet_run(&n, 100);
    struct sched_run_stats *st = entropy_stats(x);
    CHECK(audit.calls >= 1 && audit.nodes == 8);
    if (refuse) {
      CHECK(audit.refused == audit.calls);
      CHECK(st->plans >= 1 && st->plans_failed == st->plans && st->migrations == 0);
      CHECK(n.migrations == 0 && !sched_model_viable(&n.world));
    } else {
      CHECK(audit.refused == 0);
      CHECK(st->plans == 1 && st->plans_failed == 0 && n.migrations == 1);
      CHECK(sched_model_viable(&n.world));
    }
    entropy_free(x);
    memnet_free(&n);
  }
}

/* Host 0 goes hot (99 of 100) at 31 s, never overloaded. With
 * prevention, Entropy's next round solves it down to the target before any
 * violation; without, nothing moves. */
static void test_entropy_prevention(void) {
  static const struct policy prevention = {0.98, 0.95, 1};
  for (int on = 0; on < 2; on++) {
    struct memnet n;
    struct entropy *x = entropy_open(&n, on ? prevention : plain);
    CHECK_FATAL(x != NULL);
    memnet_run(&n, 31);
    memnet_set_cpu(&n, 0, 60);
    memnet_set_cpu(&n, 8, 39);
    memnet_run(&n, 200);
    struct sched_run_stats *st = entropy_stats(x);
    int64_t used = n.world.nodes[0].used[SCHED_CPU];
    if (on) {
      CHECK(st->plans == 1 && st->migrations == 1);
      CHECK(used <= 95);
    } else {
      CHECK(st->plans == 0 && st->migrations == 0);
      CHECK(used == 99);
    }
    CHECK(st->check_failures == 0);
    entropy_free(x);
    memnet_free(&n);
  }
}

/* Yield: host 0 is hot from 31 s while the network is congested; with the
 * policy, Entropy's rounds leave it alone (no prevention) until the
 * congestion ends at 100 s, and the round at 120 s solves it; without,
 * the round at 60 s does. */
static void test_entropy_yield(void) {
  for (int on = 0; on < 2; on++) {
    struct memnet n;
    struct entropy *x = entropy_open(&n, (struct policy){0.98, 0.95, 1, on});
    CHECK_FATAL(x != NULL);
    n.congested = true;
    memnet_run(&n, 31);
    memnet_set_cpu(&n, 0, 60);
    memnet_set_cpu(&n, 8, 39);
    memnet_run(&n, 100);
    struct sched_run_stats *st = entropy_stats(x);
    CHECK(st->plans == (on ? 0u : 1u));
    CHECK(on ? st->yielded >= 2 : st->yielded == 0);
    n.congested = false;
    memnet_run(&n, 200);
    CHECK(st->plans == 1 && st->migrations == 1);
    CHECK(n.world.nodes[0].used[SCHED_CPU] <= 95);
    CHECK(st->check_failures == 0);
    entropy_free(x);
    memnet_free(&n);
  }
}

/* Headroom that no plan can give (destinations filled to 30 %, the VEs to
 * move are 50 and 70): the round is solved again as plain repair, which
 * fixes the overload; with a fill that fits, destinations keep it. */
static void test_entropy_headroom(void) {
  static const struct policy tight = {1, 1, 0.3}, roomy = {1, 1, 0.6};
  for (int fits = 0; fits < 2; fits++) {
    struct memnet n;
    struct entropy *x = entropy_open(&n, fits ? roomy : tight);
    CHECK_FATAL(x != NULL);
    memnet_set_cpu(&n, 1, 20); /* host 1 holds 20 already */
    overload_host0(&n, 31);
    CHECK(when_viable(&n, 200) > 0);
    struct sched_run_stats *st = entropy_stats(x);
    CHECK(st->plans == 1 && st->migrations == 1);
    CHECK(st->relaxed == (fits ? 0u : 1u));
    for (int h = 1; h < 8 && fits; h++)
      CHECK(n.world.nodes[h].used[SCHED_CPU] <= 60);
    CHECK(st->check_failures == 0);
    entropy_free(x);
    memnet_free(&n);
  }
}

/* Snooze with prevention: the group manager hears of a hot node at once
 * and moves a VE off it before it overloads. */
static void test_snooze_prevention(void) {
  static const struct policy prevention = {0.98, 0.95, 1};
  struct memnet n;
  struct snooze *s = snooze_open(&n, 8, 4, prevention);
  CHECK_FATAL(s != NULL);
  memnet_run(&n, 20);
  memnet_set_cpu(&n, 0, 60);
  memnet_set_cpu(&n, 8, 39);
  memnet_run(&n, 40);
  struct sched_run_stats *st = snooze_stats(s);
  CHECK(st->plans == 1 && st->migrations == 1);
  CHECK(n.world.nodes[0].used[SCHED_CPU] <= 95);
  CHECK(st->check_failures == 0);
  snooze_free(s);
  memnet_free(&n);
}

int main(void) {
  test_entropy_prevention();
  test_entropy_headroom();
  test_entropy_yield();
  test_snooze_prevention();
  test_entropy_period();
  test_entropy_failed_node();
  test_apply_audited();
  test_snooze_reacts();
  test_snooze_gm_dies();
  return check_report("proto_baselines");
}
