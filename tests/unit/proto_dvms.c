/* DVMS on small rings over the deterministic in-memory transport: one
 * event, concurrent events whose partitions meet (shortcuts, parking,
 * merges), failed nodes, the VMPlaceS configuration, each idea's switch
 * for the ablation (prevention, shortcuts, events, ring, merge, yield,
 * bounded), and a
 * random-load stress run. Every run checks every plan with the independent checker and
 * the exclusivity of partitions (check mode), and that every ISP ends. */
#include <stdlib.h>

#include "../unit/check.h"
#include "dvms/dvms.h"
#include "dvms/vmplaces.h"
#include "proto/memnet.h"
#include "util/rng.h"

#define MEM 32768
#define VE_MEM 1024

struct ring {
  struct memnet net;
  struct dvms *d;
  struct sched_run_stats *st;
};

/* `hosts` hosts of `cpu` units, `per_host` VEs each (VE j on host j % hosts). */
static int ring_open_cpu(struct ring *r, int hosts, int cpu, int per_host,
                         const struct dvms_config *cfg_in) {
  err_t e = ERR_INIT;
  if (memnet_init(&r->net, hosts, 0, cpu, MEM, hosts * per_host, VE_MEM, &e) < 0) {
    fprintf(stderr, "memnet: %s\n", e.msg);
    return -1;
  }
  struct dvms_config cfg;
  if (cfg_in)
    cfg = *cfg_in;
  else
    dvms_config_default(&cfg, hosts, hosts * per_host);
  cfg.nodes = hosts;
  cfg.nves = hosts * per_host;
  cfg.check = true;
  r->d = dvms_new(&cfg, &r->net.tp, &e);
  if (!r->d) {
    fprintf(stderr, "dvms: %s\n", e.msg);
    memnet_free(&r->net);
    return -1;
  }
  memnet_set_agent(&r->net, &dvms_agent_ops, r->d);
  r->st = dvms_stats(r->d);
  return 0;
}

#define CPU 100
static int ring_open(struct ring *r, int hosts, int per_host, const struct dvms_config *cfg) {
  return ring_open_cpu(r, hosts, CPU, per_host, cfg);
}

static void ring_close(struct ring *r) {
  dvms_free(r->d);
  memnet_free(&r->net);
}

static int ve_of(const struct ring *r, int host, int k) {
  return host + k * r->net.hosts;
}

/* The CPU demands of host h's two VEs. */
static void set_host(struct ring *r, int h, int a, int b) {
  memnet_set_cpu(&r->net, ve_of(r, h, 0), a);
  memnet_set_cpu(&r->net, ve_of(r, h, 1), b);
}

static bool all_free(const struct ring *r) {
  for (int i = 0; i < r->net.hosts; i++)
    if (dvms_node_partition(r->d, i))
      return false;
  return true;
}

static void check_invariants(const struct ring *r) {
  CHECK(r->st->check_failures == 0);
  CHECK(r->st->exclusivity_violations == 0);
  CHECK(!r->net.oom);
  if (r->st->first_failure[0])
    fprintf(stderr, "first failure: %s\n", r->st->first_failure);
}

/* One overloaded node: its neighbour joins, the solver moves one VE there. */
static void test_one_event(void) {
  struct ring r;
  if (ring_open(&r, 6, 2, NULL) < 0) {
    CHECK(0);
    return;
  }
  set_host(&r, 0, 70, 50); /* node 0: 120 > 100 */
  memnet_run(&r.net, 100);
  CHECK(sched_model_viable(&r.net.world));
  CHECK(r.st->isp_started == 1);
  CHECK(r.st->isp_ended == 1);
  CHECK(r.st->plans == 1);
  CHECK(r.st->migrations == 1);
  CHECK(r.st->partition_size.n == 1 && r.st->partition_size.v[0] == 2);
  /* the VE went to the next node on the ring */
  int moved = r.net.world.ves[ve_of(&r, 0, 0)].host == 0 ? ve_of(&r, 0, 1) : ve_of(&r, 0, 0);
  CHECK(r.net.world.ves[moved].host == 1);
  CHECK(r.st->checks == 1);
  CHECK(r.st->exclusivity_checks >= 2);
  CHECK(all_free(&r));
  check_invariants(&r);
  ring_close(&r);
}

/* A migration slower than the step timeout fails the plan, but the leader
 * keeps both nodes locked in the partition until the VE has arrived: a node
 * never serves a second partition while a VE is still leaving or reaching
 * it. */
static void test_slow_migration_keeps_partition(void) {
  struct ring r;
  if (ring_open(&r, 6, 2, NULL) < 0) {
    CHECK(0);
    return;
  }
  r.net.migration_time = 300; /* the step timeout is 120 s */
  set_host(&r, 0, 70, 50);
  memnet_run(&r.net, 200);
  uint64_t part = dvms_node_partition(r.d, 0);
  CHECK(part != 0);
  CHECK(dvms_node_partition(r.d, 1) == part);
  CHECK(r.st->plans == 1 && r.st->migrations == 0);
  /* a second overload meanwhile, with fast migrations: it cannot take
   * node 0 or 1 (check mode verifies exclusivity) */
  r.net.migration_time = 1;
  set_host(&r, 2, 70, 50);
  memnet_run(&r.net, 1000);
  CHECK(r.st->plans == 2 && r.st->plans_failed == 1);
  CHECK(sched_model_viable(&r.net.world));
  CHECK(r.net.world.ves[ve_of(&r, 0, 0)].host == 1 || r.net.world.ves[ve_of(&r, 0, 1)].host == 1);
  CHECK(r.st->isp_started == r.st->isp_ended);
  CHECK(all_free(&r));
  check_invariants(&r);
  ring_close(&r);
}

/* An overload that vanishes before anyone acts ends the ISP without a plan. */
static void test_event_resolves_itself(void) {
  struct ring r;
  if (ring_open(&r, 4, 2, NULL) < 0) {
    CHECK(0);
    return;
  }
  set_host(&r, 2, 70, 50);
  memnet_set_cpu(&r.net, ve_of(&r, 2, 1), 10); /* gone at the same instant */
  memnet_run(&r.net, 100);
  CHECK(r.st->isp_started == 1);
  CHECK(r.st->isp_ended == 1);
  CHECK(r.st->resolved == 1);
  CHECK(r.st->migrations == 0);
  CHECK(all_free(&r));
  check_invariants(&r);
  ring_close(&r);
}

/* Nodes 0..3 overloaded at once, room only on 4..7: the tokens skip each
 * other's partitions (shortcuts) and every overload is solved. */
static void test_concurrent_events_meet(void) {
  struct ring r;
  if (ring_open(&r, 8, 2, NULL) < 0) {
    CHECK(0);
    return;
  }
  for (int h = 0; h < 4; h++) {
    set_host(&r, h, 100, 10);
  }
  for (int h = 4; h < 8; h++) {
    set_host(&r, h, 25, 25);
  }
  memnet_run(&r.net, 500);
  CHECK(sched_model_viable(&r.net.world));
  CHECK(r.st->isp_started >= 4);
  CHECK(r.st->isp_ended == r.st->isp_started);
  CHECK(r.st->migrations == 4);
  CHECK(all_free(&r));
  /* every overloaded node's small VE left it */
  for (int h = 0; h < 4; h++)
    CHECK(r.net.world.nodes[h].used[SCHED_CPU] <= CPU);
  check_invariants(&r);
  ring_close(&r);
}

/* Four overloaded nodes and room for all of them on node 4 only: the
 * partitions contend for it; the losers' tokens come back to their
 * initiators, which park, and later tokens merge into parked partitions.
 * Every overload is solved in the end. */
static void test_contention_merges(void) {
  struct ring r;
  if (ring_open(&r, 5, 2, NULL) < 0) {
    CHECK(0);
    return;
  }
  for (int h = 0; h < 4; h++) {
    set_host(&r, h, 100, 10);
  }
  memnet_set_cpu(&r.net, ve_of(&r, 4, 0), 20);
  memnet_run(&r.net, 2000);
  fprintf(stderr, "contention: %llu ISPs, %llu merges, %llu gave up, %llu migrations\n",
          (unsigned long long)r.st->isp_started, (unsigned long long)r.st->merges,
          (unsigned long long)r.st->gave_up, (unsigned long long)r.st->migrations);
  CHECK(sched_model_viable(&r.net.world));
  CHECK(r.st->merges >= 1);
  CHECK(r.st->migrations == 4);
  CHECK(r.st->isp_ended == r.st->isp_started);
  CHECK(all_free(&r));
  check_invariants(&r);
  ring_close(&r);
}

/* Four overloaded nodes and no room anywhere: every ISP must end (parked
 * partitions merge, then give up), none may spin forever. */
static void test_no_solution_ends(void) {
  struct ring r;
  if (ring_open(&r, 4, 2, NULL) < 0) {
    CHECK(0);
    return;
  }
  for (int h = 0; h < 4; h++) {
    set_host(&r, h, 60, 50);
  }
  memnet_run(&r.net, 60);
  CHECK(r.st->merges >= 1);
  CHECK(r.st->gave_up >= 1);
  CHECK(r.st->migrations == 0);
  /* calm down: demands drop, and every ISP in flight must end */
  for (int h = 0; h < 4; h++)
    memnet_set_cpu(&r.net, ve_of(&r, h, 1), 0);
  memnet_run(&r.net, 200);
  CHECK(r.st->isp_ended == r.st->isp_started);
  CHECK(all_free(&r));
  check_invariants(&r);
  ring_close(&r);
}

/* Node 1 is down: node 0's token times out there, node 1 is suspected and
 * skipped, node 2 joins. */
static void test_failed_node_skipped(void) {
  struct ring r;
  if (ring_open(&r, 6, 2, NULL) < 0) {
    CHECK(0);
    return;
  }
  memnet_fail(&r.net, 1);
  set_host(&r, 0, 70, 50);
  memnet_run(&r.net, 100);
  CHECK(sched_model_viable(&r.net.world));
  CHECK(r.st->suspected >= 1);
  CHECK(r.st->migrations == 1);
  int moved = r.net.world.ves[ve_of(&r, 0, 0)].host == 0 ? ve_of(&r, 0, 1) : ve_of(&r, 0, 0);
  CHECK(r.net.world.ves[moved].host == 2);
  CHECK(r.st->isp_ended == r.st->isp_started);
  check_invariants(&r);
  ring_close(&r);
}

/* A member dies after joining: the next leader's reservation drops it. */
static void test_member_fails_during_growth(void) {
  struct ring r;
  if (ring_open(&r, 6, 2, NULL) < 0) {
    CHECK(0);
    return;
  }
  /* node 0 overloaded; node 1 full, so {0,1} has no solution and the
   * token goes on to 2; node 1 dies right after joining. */
  set_host(&r, 0, 70, 50);
  set_host(&r, 1, 50, 50);
  memnet_run(&r.net, 0.0025); /* node 1 has joined and asked node 0 */
  CHECK(dvms_node_partition(r.d, 1) == dvms_node_partition(r.d, 0));
  memnet_fail(&r.net, 1);
  memnet_run(&r.net, 100);
  CHECK(r.st->migrations == 1);
  CHECK(r.net.world.nodes[0].used[SCHED_CPU] <= CPU);
  CHECK(r.net.world.nodes[1].used[SCHED_CPU] == 100); /* nothing moved to the dead node */
  CHECK(r.st->isp_ended == r.st->isp_started);
  check_invariants(&r);
  ring_close(&r);
}

/* VMPlaceS's DVMS: random next node, no solver before 4 nodes. */
static void test_vmplaces_min_partition(void) {
  struct dvms_config cfg;
  vmplaces_dvms_config(&cfg, 8, 16);
  struct ring r;
  if (ring_open(&r, 8, 2, &cfg) < 0) {
    CHECK(0);
    return;
  }
  set_host(&r, 5, 70, 50);
  memnet_run(&r.net, 100);
  CHECK(sched_model_viable(&r.net.world));
  CHECK(r.st->partition_size.n >= 1);
  for (size_t i = 0; i < r.st->partition_size.n; i++)
    CHECK(r.st->partition_size.v[i] >= 4);
  CHECK(r.st->migrations == 1);
  check_invariants(&r);
  ring_close(&r);
}

/* Random loads on a 32-node ring at ~86 % mean load: invariants hold
 * throughout and every ISP ends once the load stops changing. */
static void test_stress(bool vmplaces) {
  struct dvms_config cfg;
  if (vmplaces)
    vmplaces_dvms_config(&cfg, 32, 320);
  else
    dvms_config_default(&cfg, 32, 320);
  struct ring r;
  if (ring_open_cpu(&r, 32, 70, 10, &cfg) < 0) {
    CHECK(0);
    return;
  }
  /* the VMPlaceS law scaled by 1/10: hosts of 70, 10 VEs of N(6, 2) */
  rng_t rng;
  rng_seed(&rng, 7, 1);
  double t = 0;
  for (int i = 0; i < 20000; i++) {
    t += rng_exponential(&rng, 320.0 / 300.0);
    memnet_run(&r.net, t);
    int ve = (int)rng_below(&rng, 320);
    double g = rng_gaussian(&rng, 6, 2);
    memnet_set_cpu(&r.net, ve, g < 0 ? 0 : g > 10 ? 10 : (int)(g + 0.5));
  }
  memnet_run(&r.net, t + 300);
  CHECK(r.st->isp_started > 100);
  CHECK(r.st->plans > 50);
  CHECK(r.st->isp_ended == r.st->isp_started);
  CHECK(all_free(&r));
  fprintf(stderr, "stress%s: %llu ISPs, %llu plans, %llu migrations, %llu merges, %llu gave up\n",
          vmplaces ? " (vmplaces)" : "", (unsigned long long)r.st->isp_started,
          (unsigned long long)r.st->plans, (unsigned long long)r.st->migrations,
          (unsigned long long)r.st->merges, (unsigned long long)r.st->gave_up);
  check_invariants(&r);
  ring_close(&r);
}

/* The ablation's switches (dvms_config_ideas): each off changes what the
 * protocol does. */
static void ideas_config(struct dvms_config *c, int hosts, unsigned ideas) {
  dvms_config_default(c, hosts, 2 * hosts);
  dvms_config_ideas(c, ideas);
}

/* Without shortcuts, a token that reaches a busy node goes to the next
 * node only, never past the whole partition: no shortcut is counted, and
 * the concurrent overloads are still solved. */
static void test_idea_shortcuts(void) {
  for (int on = 0; on < 2; on++) {
    struct dvms_config cfg;
    ideas_config(&cfg, 8, on ? DVMS_IDEAS_ALL : DVMS_IDEAS_ALL & ~DVMS_IDEA_SHORTCUTS);
    struct ring r;
    CHECK_FATAL(ring_open(&r, 8, 2, &cfg) == 0);
    for (int h = 0; h < 4; h++)
      set_host(&r, h, 100, 10);
    for (int h = 4; h < 8; h++)
      set_host(&r, h, 25, 25);
    memnet_run(&r.net, 500);
    CHECK(sched_model_viable(&r.net.world));
    CHECK(on ? r.st->shortcuts > 0 : r.st->shortcuts == 0);
    CHECK(r.st->isp_ended == r.st->isp_started);
    check_invariants(&r);
    ring_close(&r);
  }
}

/* Without events the monitor looks every second: an overload at 0.5 s
 * starts its ISP at 1 s, not at once. */
static void test_idea_events(void) {
  for (int on = 0; on < 2; on++) {
    struct dvms_config cfg;
    ideas_config(&cfg, 6, on ? DVMS_IDEAS_ALL : DVMS_IDEAS_ALL & ~DVMS_IDEA_EVENTS);
    struct ring r;
    CHECK_FATAL(ring_open(&r, 6, 2, &cfg) == 0);
    memnet_run(&r.net, 0.5);
    set_host(&r, 0, 70, 50);
    memnet_run(&r.net, 0.9);
    CHECK(on ? r.st->isp_started == 1 : r.st->isp_started == 0);
    memnet_run(&r.net, 1.0);
    CHECK(r.st->isp_started == 1);
    memnet_run(&r.net, 100);
    CHECK(sched_model_viable(&r.net.world));
    check_invariants(&r);
    ring_close(&r);
  }
}

/* Without ring growth, a partition solves from 4 nodes (VMPlaceS); with
 * it, from 2, the neighbour on the ring receiving the VE. */
static void test_idea_ring(void) {
  for (int on = 0; on < 2; on++) {
    struct dvms_config cfg;
    ideas_config(&cfg, 8, on ? DVMS_IDEAS_ALL : DVMS_IDEAS_ALL & ~DVMS_IDEA_RING);
    struct ring r;
    CHECK_FATAL(ring_open(&r, 8, 2, &cfg) == 0);
    set_host(&r, 5, 70, 50);
    memnet_run(&r.net, 100);
    CHECK(sched_model_viable(&r.net.world));
    CHECK(r.st->partition_size.n >= 1);
    if (r.st->partition_size.n >= 1)
      CHECK(on ? r.st->partition_size.v[0] == 2 : r.st->partition_size.v[0] >= 4);
    check_invariants(&r);
    ring_close(&r);
  }
}

/* Without merging, the contention of test_contention_merges parks no
 * partition to merge into: no merge happens (the partitions that came
 * round wait for their timeout instead), and the plans still pass. */
static void test_idea_merge(void) {
  struct dvms_config cfg;
  ideas_config(&cfg, 5, DVMS_IDEAS_ALL & ~DVMS_IDEA_MERGE);
  struct ring r;
  CHECK_FATAL(ring_open(&r, 5, 2, &cfg) == 0);
  for (int h = 0; h < 4; h++)
    set_host(&r, h, 100, 10);
  memnet_set_cpu(&r.net, ve_of(&r, 4, 0), 20);
  memnet_run(&r.net, 2000);
  CHECK(r.st->merges == 0);
  CHECK(r.st->migrations >= 1);
  check_invariants(&r);
  ring_close(&r);
}

/* Prevention: a node at 99 % (hot above 98 %, not overloaded) starts an
 * ISP and is solved to its target, with no destination filled beyond the
 * fill level (headroom); without prevention the monitor never reports it. */
static void test_idea_prevention(void) {
  for (int on = 0; on < 2; on++) {
    struct dvms_config cfg;
    dvms_config_default(&cfg, 6, 12);
    cfg.target = 0.95;
    cfg.fill = 0.5;
    struct ring r;
    CHECK_FATAL(ring_open(&r, 6, 2, &cfg) == 0);
    r.net.threshold = on ? 0.98 : 1;
    set_host(&r, 1, 30, 0);
    set_host(&r, 0, 60, 39);
    memnet_run(&r.net, 100);
    CHECK(r.st->isp_started == (on ? 1u : 0u));
    CHECK(r.st->migrations == (on ? 1u : 0u));
    CHECK(r.net.world.nodes[0].used[SCHED_CPU] == (on ? 60 : 99));
    for (int h = 1; h < 6; h++) /* the 39 went where it fits under 50 */
      CHECK(r.net.world.nodes[h].used[SCHED_CPU] <= (h == 1 ? 30 : 50));
    check_invariants(&r);
    ring_close(&r);
  }
}

/* Yield: a hot node starts no ISP while the network is congested (it
 * backs off and tries again); an overloaded one does. Without yield the
 * hot node starts at once. */
static void test_idea_yield(void) {
  for (int on = 0; on < 2; on++) {
    struct dvms_config cfg;
    dvms_config_default(&cfg, 6, 12);
    cfg.target = 0.95;
    cfg.yield = on;
    struct ring r;
    CHECK_FATAL(ring_open(&r, 6, 2, &cfg) == 0);
    r.net.threshold = 0.98;
    r.net.congested = true;
    set_host(&r, 1, 30, 0);
    set_host(&r, 0, 60, 39); /* hot */
    memnet_run(&r.net, 1);
    CHECK(r.st->isp_started == (on ? 0u : 1u));
    CHECK(on ? r.st->yielded == 1 : r.st->yielded == 0);
    set_host(&r, 3, 70, 50); /* overloaded: repairs do not yield */
    memnet_run(&r.net, 2);
    CHECK(r.st->isp_started == (on ? 1u : 2u));
    r.net.congested = false;
    memnet_run(&r.net, 100); /* the hot node's back-off is 5-15 s */
    CHECK(r.st->isp_started >= 2);
    CHECK(r.net.world.nodes[0].used[SCHED_CPU] <= 95);
    CHECK(sched_model_viable(&r.net.world));
    check_invariants(&r);
    ring_close(&r);
  }
}

/* Bounded: an overloaded node with no room anywhere (every other node at
 * 95 of 100, it needs to shed 20) gives up at 16 nodes, not 64, and backs
 * off 1, 2, 4 ... 32 s between tries instead of about 1 s: far fewer ISPs. */
static void test_idea_bounded(void) {
  uint64_t isps[2] = {0, 0};
  for (int on = 0; on < 2; on++) {
    struct dvms_config cfg;
    ideas_config(&cfg, 40, on ? DVMS_IDEAS_ALL : DVMS_IDEAS_ALL & ~DVMS_IDEA_BOUNDED);
    struct ring r;
    CHECK_FATAL(ring_open(&r, 40, 2, &cfg) == 0);
    for (int h = 1; h < 40; h++)
      set_host(&r, h, 50, 45);
    set_host(&r, 0, 70, 50);
    memnet_run(&r.net, 200);
    CHECK(r.st->migrations == 0);
    CHECK(r.st->gave_up >= 1);
    CHECK(r.st->partition_size.max <= (on ? 16 : 40));
    CHECK(on || r.st->partition_size.max > 16);
    isps[on] = r.st->isp_started;
    check_invariants(&r);
    ring_close(&r);
  }
  fprintf(stderr, "bounded: %llu ISPs in 200 s, unbounded %llu\n", (unsigned long long)isps[1],
          (unsigned long long)isps[0]);
  CHECK(isps[1] * 4 < isps[0]);
  CHECK(isps[1] >= 4 && isps[1] <= 14); /* 1, 2, 4, 8, 16, 32, 32 ... s apart (x 0.5-1.5) */
}

int main(void) {
  test_idea_yield();
  test_idea_bounded();
  test_idea_prevention();
  test_idea_shortcuts();
  test_idea_events();
  test_idea_ring();
  test_idea_merge();
  test_one_event();
  test_event_resolves_itself();
  test_slow_migration_keeps_partition();
  test_concurrent_events_meet();
  test_contention_merges();
  test_no_solution_ends();
  test_failed_node_skipped();
  test_member_fails_during_growth();
  test_vmplaces_min_partition();
  test_stress(false);
  test_stress(true);
  return check_report("proto_dvms");
}
