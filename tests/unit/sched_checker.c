/* The independent checker catches broken plans: capacity exceeded mid-plan,
 * constraints violated during a step or at the end, actions that do not fit
 * the state. */
#include <string.h>

#include "check.h"
#include "sched_fixture.h"

/* An action's cpu left to the fixture: the VE's demand in the model. */
#define ITS_CPU (-1)

/* A hand-written plan: action i runs in step steps[i] (non-decreasing);
 * actions with ITS_CPU carry their VE's CPU demand in m, as a solver's do. */
static void hand_plan(const struct sched_model *m, struct sched_plan *p,
                      const struct sched_action *a, const int *steps, int n) {
  sched_plan_free(p);
  p->actions = malloc(sizeof(*a) * (n ? n : 1));
  p->step_start = calloc((size_t)(n ? steps[n - 1] + 2 : 1), sizeof(int32_t));
  CHECK_FATAL(p->actions && p->step_start);
  if (n)
    memcpy(p->actions, a, sizeof(*a) * n);
  for (int i = 0; i < n; i++)
    if (p->actions[i].ve >= 0 && p->actions[i].cpu == ITS_CPU)
      p->actions[i].cpu = m->ves[p->actions[i].ve].demand[SCHED_CPU];
  p->nactions = p->actions_cap = n;
  p->nsteps = n ? steps[n - 1] + 1 : 0;
  for (int k = 0, i = 0; k < p->nsteps; k++) {
    while (i < n && steps[i] == k)
      i++;
    p->step_start[k + 1] = i;
  }
}

static struct sched_action mig(int32_t ve, int32_t src, int32_t dst, int64_t mem) {
  return (struct sched_action){SCHED_MIGRATE, ve, src, dst, mem, ITS_CPU, false};
}

/* A check's outcome is the one wanted: success (want NULL), or a failure
 * with error code `code` and `want` in its message. */
static int judged(int rc, const err_t *e, const char *want, int code) {
  if (want == NULL)
    return rc == 0 || (fprintf(stderr, "unexpected: %s\n", e->msg), 0);
  if (rc == 0)
    return fprintf(stderr, "accepted a plan that should fail with \"%s\"\n", want), 0;
  if (!strstr(e->msg, want))
    return fprintf(stderr, "message \"%s\" lacks \"%s\"\n", e->msg, want), 0;
  return e->code == code || (fprintf(stderr, "code %d, not %d\n", e->code, code), 0);
}

/* The result of checking, and the message when it fails. */
static int verdict(const struct sched_model *m, const struct sched_cstrs *c,
                   const struct sched_plan *p, const int32_t *part, int32_t n, const char *want) {
  err_t e = ERR_INIT;
  return judged(sched_check_plan(m, c, p, part, n, &e), &e, want, EINVAL);
}

/* Node 0 overloaded (120), nodes 1 and 2 at 30 of 100. */
static void three_nodes(struct sched_model *m) {
  fx_model(m, 3, 100, 1000, 5);
  fx_ve(m, 0, 0, 60, 10);
  fx_ve(m, 1, 0, 60, 10);
  fx_ve(m, 2, 1, 30, 10);
  fx_ve(m, 3, 2, 30, 10);
  sched_ve_set_demand(m, 4, 10, 10); /* ready */
}

static void test_capacity(void) {
  struct sched_model m;
  three_nodes(&m);
  struct sched_plan p;
  sched_plan_init(&p);
  int32_t part[] = {0, 1, 2};
  struct sched_action ok[] = {mig(1, 0, 1, 10)};
  hand_plan(&m, &p, ok, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, part, 3, NULL));
  /* the empty plan leaves node 0 overloaded */
  hand_plan(&m, &p, NULL, NULL, 0);
  CHECK(verdict(&m, NULL, &p, part, 3, "node 0 is not viable"));
  /* without a partition only touched nodes must end viable */
  CHECK(verdict(&m, NULL, &p, NULL, 0, NULL));
  /* two arrivals in one step on a node with room for one */
  sched_node_set_capacity(&m, 1, 150, 1000);
  struct sched_action both[] = {mig(0, 0, 1, 10), mig(1, 0, 1, 10)};
  hand_plan(&m, &p, both, (int[]){0, 0}, 2);
  CHECK(verdict(&m, NULL, &p, NULL, 0, NULL));
  sched_node_set_capacity(&m, 1, 140, 1000);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "step 0, migrate ve 0 node 0 -> node 1: node 1 over cpu "
                                       "capacity: 150 > 140"));
  /* a swap in one step: node 1 still holds the VE that leaves it, though it
   * would fit at the end (node 1: 60 of 80, node 0: 90 of 100) */
  sched_node_set_capacity(&m, 1, 80, 1000);
  struct sched_action swap[] = {mig(1, 0, 1, 10), mig(2, 1, 0, 10)};
  hand_plan(&m, &p, swap, (int[]){0, 0}, 2);
  CHECK(verdict(&m, NULL, &p, part, 3, "node 1 over cpu capacity: 90 > 80"));
  /* and in two steps, whichever goes first overloads its destination */
  hand_plan(&m, &p, swap, (int[]){0, 1}, 2);
  CHECK(verdict(&m, NULL, &p, part, 3, "step 0, migrate ve 1 node 0 -> node 1: node 1 over cpu"));
  struct sched_action swap_back[] = {mig(2, 1, 0, 10), mig(1, 0, 1, 10)};
  hand_plan(&m, &p, swap_back, (int[]){0, 1}, 2);
  CHECK(verdict(&m, NULL, &p, part, 3, "step 0, migrate ve 2 node 1 -> node 0: node 0 over cpu"));
  sched_node_set_capacity(&m, 1, 100, 1000);
  /* memory counts too */
  sched_node_set_capacity(&m, 2, 100, 15);
  struct sched_action to2[] = {mig(1, 0, 2, 10)};
  hand_plan(&m, &p, to2, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "node 2 over memory capacity: 20 > 15"));
  sched_plan_free(&p);
  sched_model_free(&m);
}

static void test_actions_fit_state(void) {
  struct sched_model m;
  three_nodes(&m);
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_action wrong_src[] = {mig(1, 2, 1, 10)};
  hand_plan(&m, &p, wrong_src, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "ve 1 is on node 0, not on node 2"));
  struct sched_action twice[] = {mig(1, 0, 1, 10), mig(1, 0, 2, 10)};
  hand_plan(&m, &p, twice, (int[]){0, 0}, 2);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "already moves in this step"));
  struct sched_action mem[] = {mig(1, 0, 1, 999)};
  hand_plan(&m, &p, mem, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "carries 999 MB"));
  struct sched_action boot_running[] = {{SCHED_BOOT_VE, 1, -1, 1, 10, 0, false}};
  hand_plan(&m, &p, boot_running, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "already runs"));
  struct sched_action stop_busy[] = {{SCHED_SHUTDOWN_NODE, -1, -1, 1, 0, 0, false}};
  hand_plan(&m, &p, stop_busy, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "still hosts 1 VEs"));
  /* arriving on a node that only boots in the same step */
  sched_node_set_online(&m, 2, false);
  sched_ve_place(&m, 3, SCHED_NOWHERE, &(err_t)ERR_INIT);
  struct sched_action early[] = {{SCHED_BOOT_NODE, -1, -1, 2, 0, 0, false}, mig(1, 0, 2, 10)};
  hand_plan(&m, &p, early, (int[]){0, 0}, 2);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "node 2 is offline"));
  hand_plan(&m, &p, early, (int[]){0, 1}, 2);
  CHECK(verdict(&m, NULL, &p, NULL, 0, NULL));
  /* steps that do not cover the actions */
  p.step_start[p.nsteps] = 1;
  CHECK(verdict(&m, NULL, &p, NULL, 0, "steps do not cover"));
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* A VE whose migration is under way (pinned in the model) cannot be moved
 * again, whatever room its destination has. */
static void test_migrating_ve(void) {
  struct sched_model m;
  three_nodes(&m);
  struct sched_plan p;
  sched_plan_init(&p);
  int32_t part[] = {0, 1, 2};
  struct sched_action to1[] = {mig(1, 0, 1, 10)};
  hand_plan(&m, &p, to1, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, part, 3, NULL));
  sched_ve_set_pinned(&m, 1, true);
  CHECK(verdict(&m, NULL, &p, part, 3, "step 0, migrate ve 1 node 0 -> node 1: ve 1 is already "
                                       "migrating"));
  CHECK(verdict(&m, NULL, &p, NULL, 0, "ve 1 is already migrating"));
  /* another VE of the same node may go */
  struct sched_action other[] = {mig(0, 0, 1, 10)};
  hand_plan(&m, &p, other, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, part, 3, NULL));
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* A scheduler acts only on the nodes it was given: a destination, a source,
 * a boot or a power action outside its partition is refused. */
static void test_outside_partition(void) {
  struct sched_model m;
  three_nodes(&m);
  struct sched_plan p;
  sched_plan_init(&p);
  int32_t part01[] = {0, 1}, part12[] = {1, 2};
  struct sched_action to2[] = {mig(1, 0, 2, 10)};
  hand_plan(&m, &p, to2, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, NULL, 0, NULL)); /* no partition: no bound */
  CHECK(verdict(&m, NULL, &p, part01, 2, "step 0, migrate ve 1 node 0 -> node 2: node 2 is "
                                         "outside the partition the scheduler was given"));
  CHECK(verdict(&m, NULL, &p, part12, 2, "node 0 is outside the partition"));
  struct sched_action boot[] = {{SCHED_BOOT_VE, 4, -1, 2, 10, ITS_CPU, false}};
  hand_plan(&m, &p, boot, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, part01, 2, "boot ve 4 on node 2: node 2 is outside"));
  struct sched_action off[] = {{SCHED_SHUTDOWN_NODE, -1, -1, 2, 0, 0, false}};
  hand_plan(&m, &p, off, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, part01, 2, "shut down node 2: node 2 is outside"));
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* An action carries its VE's demand: a plan made from other demands than
 * the model's is refused, for CPU as for memory. */
static void test_demand_mismatch(void) {
  struct sched_model m;
  three_nodes(&m);
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_action low[] = {{SCHED_MIGRATE, 1, 0, 1, 10, 50, false}};
  hand_plan(&m, &p, low, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "migrate ve 1 node 0 -> node 1: carries 50 cpu but ve 1 "
                                       "demands 60"));
  struct sched_action boot[] = {{SCHED_BOOT_VE, 4, -1, 1, 10, 0, false}};
  hand_plan(&m, &p, boot, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "carries 0 cpu but ve 4 demands 10"));
  struct sched_action mem[] = {{SCHED_MIGRATE, 1, 0, 1, 11, ITS_CPU, false}};
  hand_plan(&m, &p, mem, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &p, NULL, 0, "carries 11 MB but ve 1 has 10 MB"));
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* The error code and message of a check against the live state. */
static int live_verdict(const struct sched_model *m, const struct sched_plan *p,
                        const int32_t *part, int32_t n, int32_t first, const char *want,
                        int code) {
  err_t e = ERR_INIT;
  struct sched_check_opts o = {.partition = part, .npartition = n, .first_step = first,
                               .live = true};
  return judged(sched_check_plan_opts(m, NULL, p, &o, &e), &e, want, code);
}

/* Against the cluster as it is when a step starts: the steps still to run
 * are checked on the live demands and placements; a demand that changed
 * since the plan was made makes it stale (ESTALE), a VE elsewhere or
 * already migrating makes it wrong (EINVAL); the end state is not the
 * plan's promise any more. */
static void test_live_state(void) {
  struct sched_model m;
  three_nodes(&m);
  struct sched_plan p;
  sched_plan_init(&p);
  int32_t part[] = {0, 1, 2};
  /* two steps: VE 1 to node 1, then VE 0 to node 2 */
  struct sched_action two[] = {mig(1, 0, 1, 10), mig(0, 0, 2, 10)};
  hand_plan(&m, &p, two, (int[]){0, 1}, 2);
  CHECK(live_verdict(&m, &p, part, 3, 0, NULL, 0));
  /* at step 1, step 0 has run: VE 1 is on node 1 now */
  err_t e = ERR_INIT;
  fx_ok(sched_ve_place(&m, 1, 1, &e), &e, "step 0 ran");
  CHECK(live_verdict(&m, &p, part, 3, 1, NULL, 0));
  /* replaying step 0 again on that state finds VE 1 elsewhere: wrong */
  CHECK(live_verdict(&m, &p, part, 3, 0, "ve 1 is on node 1, not on node 0", EINVAL));
  /* VE 0's demand rose since the plan was made: stale */
  sched_ve_set_cpu(&m, 0, 70);
  CHECK(live_verdict(&m, &p, part, 3, 1, "step 1, migrate ve 0 node 0 -> node 2: carries 60 cpu "
                                         "but ve 0 demands 70", ESTALE));
  sched_ve_set_cpu(&m, 0, 60);
  /* node 2's own load rose: the arrival no longer fits, stale */
  sched_ve_set_cpu(&m, 3, 50);
  CHECK(live_verdict(&m, &p, part, 3, 1, "node 2 over cpu capacity: 110 > 100", ESTALE));
  sched_ve_set_cpu(&m, 3, 30);
  /* node 1 overloaded by its own load (60 + 50 > 100): not the remaining
   * steps' business on the live state, though the end state would fail the
   * plan's own check */
  sched_ve_set_cpu(&m, 2, 50);
  CHECK(live_verdict(&m, &p, part, 3, 1, NULL, 0));
  struct sched_plan rest;
  sched_plan_init(&rest);
  struct sched_action last[] = {mig(0, 0, 2, 10)};
  hand_plan(&m, &rest, last, (int[]){0}, 1);
  CHECK(verdict(&m, NULL, &rest, part, 3, "node 1 is not viable"));
  /* a migration under way, and a node outside the partition: wrong */
  sched_ve_set_pinned(&m, 0, true);
  CHECK(live_verdict(&m, &p, part, 3, 1, "ve 0 is already migrating", EINVAL));
  sched_ve_set_pinned(&m, 0, false);
  int32_t part01[] = {0, 1};
  CHECK(live_verdict(&m, &p, part01, 2, 1, "node 2 is outside the partition", EINVAL));
  CHECK(live_verdict(&m, &p, part, 3, 3, "step 3 is not one of the plan's 2", EINVAL));
  /* a VE migrating to node 2 for someone else occupies it already */
  int64_t arriving[3][SCHED_NRES] = {{0}};
  struct sched_check_opts o = {.partition = part, .npartition = 3, .first_step = 1, .live = true,
                               .arriving = arriving};
  CHECK(sched_check_plan_opts(&m, NULL, &p, &o, &e) == 0);
  arriving[2][SCHED_CPU] = 20;
  CHECK(sched_check_plan_opts(&m, NULL, &p, &o, &e) < 0 && e.code == ESTALE &&
        strstr(e.msg, "node 2 over cpu capacity: 110 > 100 (20 arriving from outside the plan)"));
  arriving[2][SCHED_CPU] = 10; /* exactly full */
  CHECK(sched_check_plan_opts(&m, NULL, &p, &o, &e) == 0);
  sched_plan_free(&rest);
  sched_plan_free(&p);
  sched_model_free(&m);
}

static void seal(struct sched_cstrs *c, const struct sched_model *m, const char *json) {
  sched_cstrs_free(c);
  sched_cstrs_init(c);
  fx_cstr(c, json);
  err_t e = ERR_INIT;
  fx_ok(sched_cstrs_seal(c, m, &e), &e, json);
}

static void test_constraints(void) {
  struct sched_model m;
  three_nodes(&m);
  sched_node_set_capacity(&m, 1, 200, 1000);
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  struct sched_action to1[] = {mig(1, 0, 1, 10)};
  hand_plan(&m, &p, to1, (int[]){0}, 1);

  seal(&c, &m, "{\"id\":\"ban\",\"vm\":1,\"nodes\":[1]}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "at the end: ban #0: ve 1 runs on banned node 1"));
  seal(&c, &m, "{\"id\":\"fence\",\"vm\":1,\"nodes\":[0,2]}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "outside its fence"));
  seal(&c, &m, "{\"id\":\"root\",\"vm\":1}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "root: ve 1 may not be relocated"));
  seal(&c, &m, "{\"id\":\"quarantine\",\"node\":1}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "quarantine"));
  seal(&c, &m, "{\"id\":\"spread\",\"vms\":[1,2]}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "spread #0: ve 1 shares node 1"));
  seal(&c, &m, "{\"id\":\"lonely\",\"vms\":[1]}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "lonely"));
  seal(&c, &m, "{\"id\":\"split\",\"parts\":[[1],[2]]}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "split"));
  seal(&c, &m, "{\"id\":\"gather\",\"vms\":[0,1]}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "gather #0: ve 0 runs on node 0, apart from ve 1 on node 1"));
  seal(&c, &m, "{\"id\":\"among\",\"vms\":[0,1],\"parts\":[[0],[1,2]]}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "among #0: ve 0 runs on node 0, apart from ve 1 on node 1"));
  seal(&c, &m, "{\"id\":\"resourceCapacity\",\"nodes\":[1,2],\"rc\":\"cpu\",\"amount\":100}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "resourceCapacity #0: 120 > 100"));
  seal(&c, &m, "{\"id\":\"runningCapacity\",\"nodes\":[1],\"amount\":1}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "runningCapacity #0: 2 > 1"));
  seal(&c, &m, "{\"id\":\"running\",\"vm\":4}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "ve 4 is not running"));
  seal(&c, &m, "{\"id\":\"preserve\",\"vm\":1,\"rc\":\"cpu\",\"amount\":80}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "granted 60 cpu, less than 80"));
  seal(&c, &m, "{\"id\":\"online\",\"node\":2}");
  sched_node_set_online(&m, 2, false);
  sched_ve_place(&m, 3, SCHED_NOWHERE, &(err_t)ERR_INIT);
  CHECK(verdict(&m, &c, &p, NULL, 0, NULL)); /* node 2 is none of this plan's business */
  int32_t all[] = {0, 1, 2};
  CHECK(verdict(&m, &c, &p, all, 3, "node 2 is offline"));
  seal(&c, &m, "{\"id\":\"maxOnline\",\"nodes\":[0,1,2],\"amount\":1}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "maxOnline #0: 2 > 1"));
  /* discrete constraints that hold at the end pass */
  seal(&c, &m, "{\"id\":\"ban\",\"vm\":1,\"nodes\":[2]}");
  CHECK(verdict(&m, &c, &p, NULL, 0, NULL));
  /* a constraint the plan does not concern is not its fault */
  seal(&c, &m, "{\"id\":\"ban\",\"vm\":2,\"nodes\":[1]}");
  struct sched_action far[] = {{SCHED_BOOT_VE, 4, -1, 0, 10, ITS_CPU, false}};
  sched_ve_place(&m, 1, 1, &(err_t)ERR_INIT);
  hand_plan(&m, &p, far, (int[]){0}, 1);
  CHECK(verdict(&m, &c, &p, NULL, 0, NULL));
  int32_t part01[] = {0, 1};
  CHECK(verdict(&m, &c, &p, part01, 2, "ban #0"));
  sched_cstrs_free(&c);
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* Continuous rules are checked per step, not only at the end. */
static void test_continuous(void) {
  struct sched_model m;
  fx_model(&m, 3, 100, 1000, 3);
  fx_ve(&m, 0, 0, 10, 10);
  fx_ve(&m, 1, 1, 10, 10);
  fx_ve(&m, 2, 2, 10, 10);
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  /* 0 goes to node 1 while 1 leaves it: together during the step */
  struct sched_action moves[] = {mig(0, 0, 1, 10), mig(1, 1, 0, 10)};
  hand_plan(&m, &p, moves, (int[]){0, 0}, 2);
  seal(&c, &m, "{\"id\":\"spread\",\"vms\":[0,1]}");
  CHECK(verdict(&m, &c, &p, NULL, 0, NULL));
  seal(&c, &m, "{\"id\":\"spread\",\"vms\":[0,1],\"continuous\":true}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "step 0, migrate ve 0 node 0 -> node 1: continuous spread"));
  /* a pivot hop through a banned node breaks a continuous ban only */
  struct sched_action hop[] = {mig(0, 0, 2, 10), mig(0, 2, 1, 10)};
  hand_plan(&m, &p, hop, (int[]){0, 1}, 2);
  seal(&c, &m, "{\"id\":\"ban\",\"vm\":0,\"nodes\":[2]}");
  CHECK(verdict(&m, &c, &p, NULL, 0, NULL));
  seal(&c, &m, "{\"id\":\"ban\",\"vm\":0,\"nodes\":[2],\"continuous\":true}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "step 0, migrate ve 0 node 0 -> node 2: continuous ban"));
  seal(&c, &m, "{\"id\":\"among\",\"vms\":[0],\"parts\":[[0,1],[2]],\"continuous\":true}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "continuous among"));
  seal(&c, &m, "{\"id\":\"resourceCapacity\",\"nodes\":[1,2],\"rc\":\"cpu\",\"amount\":25,"
               "\"continuous\":true}");
  CHECK(verdict(&m, &c, &p, NULL, 0, "continuous resourceCapacity: 30 > 25"));
  sched_cstrs_free(&c);
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* The checker agrees with a plan the builder made, then catches the same
 * plan once one of its steps is merged with the next. */
static void test_built_plan_tampered(void) {
  struct sched_model m;
  fx_model(&m, 3, 100, 1000, 3);
  fx_ve(&m, 0, 0, 60, 10);
  fx_ve(&m, 1, 1, 80, 10);
  fx_ve(&m, 2, 2, 10, 10);
  struct sched_move mv[] = {{0, 1}, {1, 2}};
  struct sched_plan p;
  sched_plan_init(&p);
  err_t e = ERR_INIT;
  CHECK(sched_plan_build(&p, &m, mv, 2, NULL, 0, NULL, &e) == 0 && p.nsteps == 2);
  CHECK(verdict(&m, NULL, &p, NULL, 0, NULL));
  p.step_start[1] = p.step_start[2];
  p.nsteps = 1;
  CHECK(verdict(&m, NULL, &p, NULL, 0, "over cpu capacity"));
  sched_plan_free(&p);
  sched_model_free(&m);
}

static void test_config(void) {
  struct sched_model m;
  three_nodes(&m);
  err_t e = ERR_INIT;
  CHECK(sched_check_config(&m, NULL, NULL, 0, &e) < 0 && strstr(e.msg, "node 0 is not viable"));
  int32_t others[] = {1, 2};
  CHECK(sched_check_config(&m, NULL, others, 2, &e) == 0);
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  fx_cstr(&c, "{\"id\":\"ban\",\"vm\":0,\"nodes\":[1]}");
  struct sched_cstrs unsealed = c;
  CHECK(sched_check_config(&m, &unsealed, others, 2, &e) < 0 && strstr(e.msg, "not sealed"));
  sched_cstrs_free(&c);
  sched_model_free(&m);
}

int main(void) {
  test_capacity();
  test_actions_fit_state();
  test_migrating_ve();
  test_outside_partition();
  test_demand_mismatch();
  test_live_state();
  test_constraints();
  test_continuous();
  test_built_plan_tampered();
  test_config();
  return check_report("sched_checker");
}
