/* The Entropy and Snooze baselines over the deterministic in-memory
 * transport: one overload each, their timing (Entropy waits for its period,
 * Snooze's group manager acts at once), checked plans, a failed node left
 * out of Entropy's round, and a dead Snooze group manager whose local
 * controllers join another one. */
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

/* 8 hosts and Entropy's service node, plans checked. */
static struct entropy *entropy_open(struct memnet *n) {
  err_t e = ERR_INIT;
  if (memnet_init(n, 8, 1, CPU, MEM, 16, VE_MEM, &e) < 0)
    return NULL;
  struct entropy_config c;
  entropy_config_default(&c, 8, 16);
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
  struct entropy *x = entropy_open(&n);
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
  struct entropy *x = entropy_open(&n);
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

static struct snooze *snooze_open(struct memnet *n, int hosts, int group) {
  err_t e = ERR_INIT;
  struct snooze_config c;
  snooze_config_default(&c, hosts, 2 * hosts);
  c.group = group;
  c.round.check = true;
  if (memnet_init(n, hosts, snooze_services(&c), CPU, MEM, 2 * hosts, VE_MEM, &e) < 0)
    return NULL;
  struct snooze *s = snooze_new(&c, &n->tp, &e);
  if (s)
    memnet_set_agent(n, &snooze_agent_ops, s);
  return s;
}

static void test_snooze_reacts(void) {
  struct memnet n;
  struct snooze *s = snooze_open(&n, 8, 4);
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
  struct snooze *s = snooze_open(&n, 8, 4);
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

int main(void) {
  test_entropy_period();
  test_entropy_failed_node();
  test_apply_audited();
  test_snooze_reacts();
  test_snooze_gm_dies();
  return check_report("proto_baselines");
}
