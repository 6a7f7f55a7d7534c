/* Plan ordering: dependencies become steps, cycles go through a pivot, node
 * actions, replay and JSON. */
#include <string.h>

#include "check.h"
#include "sched_fixture.h"

static int build(struct sched_plan *p, const struct sched_model *m, const struct sched_move *mv,
                 int32_t n, const int32_t *pivots, int32_t np, const struct sched_cstrs *c,
                 err_t *e) {
  return sched_plan_build(p, m, mv, n, pivots, np, c, e);
}

/* A -> B can only start once B -> C has freed B. */
static void test_dependency_order(void) {
  struct sched_model m;
  fx_model(&m, 3, 100, 1000, 3);
  fx_ve(&m, 0, 0, 60, 10); /* on A, goes to B */
  fx_ve(&m, 1, 1, 80, 20); /* on B (full for 0), goes to C */
  fx_ve(&m, 2, 2, 10, 30);
  struct sched_move mv[] = {{0, 1}, {1, 2}};
  struct sched_plan p;
  sched_plan_init(&p);
  err_t e = ERR_INIT;
  CHECK(build(&p, &m, mv, 2, NULL, 0, NULL, &e) == 0);
  CHECK(p.nsteps == 2);
  int32_t n;
  const struct sched_action *s0 = sched_plan_step(&p, 0, &n);
  CHECK(n == 1 && s0[0].ve == 1 && s0[0].src == 1 && s0[0].dst == 2 && s0[0].mem == 20);
  const struct sched_action *s1 = sched_plan_step(&p, 1, &n);
  CHECK(n == 1 && s1[0].ve == 0 && s1[0].src == 0 && s1[0].dst == 1 && s1[0].cpu == 60);
  CHECK(p.migrations == 2 && p.pivots == 0 && p.mem_moved == 30);
  CHECK(sched_check_plan(&m, NULL, &p, NULL, 0, &e) == 0);
  CHECK(sched_plan_apply(&m, &p, &e) == 0);
  CHECK(m.ves[0].host == 1 && m.ves[1].host == 2);
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* Independent migrations share one step. */
static void test_parallel_step(void) {
  struct sched_model m;
  fx_model(&m, 4, 100, 1000, 2);
  fx_ve(&m, 0, 0, 50, 10);
  fx_ve(&m, 1, 1, 50, 10);
  struct sched_move mv[] = {{0, 2}, {1, 3}};
  struct sched_plan p;
  sched_plan_init(&p);
  err_t e = ERR_INIT;
  CHECK(build(&p, &m, mv, 2, NULL, 0, NULL, &e) == 0);
  CHECK(p.nsteps == 1 && p.nactions == 2);
  /* both onto one node with room for one: two steps? no: the second waits
   * for nothing that leaves, so it can never fit -> a pivot cannot help */
  struct sched_move crowd[] = {{0, 2}, {1, 2}};
  sched_node_set_capacity(&m, 2, 60, 1000);
  CHECK(build(&p, &m, crowd, 2, NULL, 0, NULL, &e) < 0);
  CHECK(e.code == EAGAIN);
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* A and B each wait for the other: one VE goes through pivot C first. */
static void test_cycle_pivot(void) {
  struct sched_model m;
  fx_model(&m, 3, 100, 1000, 5);
  fx_ve(&m, 0, 0, 50, 10);
  fx_ve(&m, 1, 0, 40, 10); /* A: 90, sends 1 to B: no room there for 40 */
  fx_ve(&m, 2, 1, 60, 10);
  fx_ve(&m, 3, 1, 35, 10); /* B: 95, sends 3 to A: no room there for 35 */
  fx_ve(&m, 4, 2, 30, 10); /* C: 30, room for either */
  struct sched_move mv[] = {{1, 1}, {3, 0}};
  struct sched_plan p;
  sched_plan_init(&p);
  err_t e = ERR_INIT;
  int32_t part[] = {0, 1, 2};
  /* without C among the pivots, no order exists */
  CHECK(build(&p, &m, mv, 2, part, 2, NULL, &e) < 0);
  CHECK(e.code == EAGAIN);
  CHECK(strstr(e.msg, "no pivot") != NULL);
  CHECK(build(&p, &m, mv, 2, part, 3, NULL, &e) == 0);
  CHECK(p.pivots == 1 && p.migrations == 3);
  CHECK(p.nsteps == 3);
  int32_t n;
  const struct sched_action *s0 = sched_plan_step(&p, 0, &n);
  CHECK(n == 1 && s0[0].pivot && s0[0].dst == 2);
  int32_t moved = s0[0].ve;
  const struct sched_action *last = sched_plan_step(&p, p.nsteps - 1, &n);
  CHECK(n == 1 && last[0].ve == moved && last[0].src == 2 && !last[0].pivot);
  CHECK(sched_check_plan(&m, NULL, &p, part, 3, &e) == 0);
  CHECK(sched_plan_apply(&m, &p, &e) == 0);
  CHECK(m.ves[1].host == 1 && m.ves[3].host == 0 && m.ves[4].host == 2);
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* Continuous spread: the arrival waits until the sibling has left. */
static void test_continuous_spread_orders(void) {
  struct sched_model m;
  fx_model(&m, 3, 100, 1000, 2);
  fx_ve(&m, 0, 0, 10, 10);
  fx_ve(&m, 1, 1, 10, 10);
  struct sched_move mv[] = {{0, 1}, {1, 2}};
  struct sched_plan p;
  sched_plan_init(&p);
  err_t e = ERR_INIT;
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  fx_cstr(&c, "{\"id\":\"spread\",\"vms\":[0,1]}");
  CHECK(sched_cstrs_seal(&c, &m, &e) == 0);
  CHECK(build(&p, &m, mv, 2, NULL, 0, &c, &e) == 0);
  CHECK(p.nsteps == 1); /* discrete: only the end counts */
  sched_cstrs_free(&c);
  sched_cstrs_init(&c);
  fx_cstr(&c, "{\"id\":\"spread\",\"vms\":[0,1],\"continuous\":true}");
  CHECK(sched_cstrs_seal(&c, &m, &e) == 0);
  CHECK(build(&p, &m, mv, 2, NULL, 0, &c, &e) == 0);
  CHECK(p.nsteps == 2);
  int32_t n;
  CHECK(sched_plan_step(&p, 0, &n)[0].ve == 1);
  CHECK(sched_check_plan(&m, &c, &p, NULL, 0, &e) == 0);
  sched_cstrs_free(&c);
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* Ready VEs boot, offline destinations boot first, emptied nodes stop. */
static void test_node_and_boot_actions(void) {
  struct sched_model m;
  fx_model(&m, 3, 100, 1000, 3);
  fx_ve(&m, 0, 0, 30, 10);
  sched_ve_set_demand(&m, 1, 20, 10); /* ready */
  fx_ve(&m, 2, 1, 20, 10);
  sched_node_set_online(&m, 2, false);
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  fx_cstr(&c, "{\"id\":\"offline\",\"node\":1}");
  err_t e = ERR_INIT;
  CHECK(sched_cstrs_seal(&c, &m, &e) == 0);
  struct sched_move mv[] = {{1, 0}, {2, 2}};
  int32_t part[] = {0, 1, 2};
  struct sched_plan p;
  sched_plan_init(&p);
  CHECK(build(&p, &m, mv, 2, part, 3, &c, &e) == 0);
  int boots = 0, node_boots = 0, stops = 0;
  for (int32_t i = 0; i < p.nactions; i++) {
    boots += p.actions[i].kind == SCHED_BOOT_VE;
    node_boots += p.actions[i].kind == SCHED_BOOT_NODE && p.actions[i].dst == 2;
    stops += p.actions[i].kind == SCHED_SHUTDOWN_NODE && p.actions[i].dst == 1;
  }
  CHECK(boots == 1 && node_boots == 1 && stops == 1);
  CHECK(p.nsteps == 3); /* boot node 2 | migrate onto it | shut node 1 down */
  CHECK(sched_check_plan(&m, &c, &p, part, 3, &e) == 0);
  CHECK(sched_plan_apply(&m, &p, &e) == 0);
  CHECK(m.ves[1].host == 0 && m.ves[2].host == 2 && !m.nodes[1].online && m.nodes[2].online);
  json_t *j = sched_plan_to_json(&p);
  CHECK(j && json_array_size(json_object_get(j, "steps")) == 3);
  CHECK(json_integer_value(json_object_get(j, "migrations")) == 1);
  json_t *first = json_array_get(json_array_get(json_object_get(j, "steps"), 0), 0);
  CHECK(first && json_object_get(first, "action"));
  json_decref(j);
  sched_cstrs_free(&c);
  sched_plan_free(&p);
  sched_model_free(&m);
}

static void test_bad_moves(void) {
  struct sched_model m;
  fx_model(&m, 2, 100, 1000, 2);
  fx_ve(&m, 0, 0, 10, 10);
  fx_ve(&m, 1, 0, 10, 10);
  struct sched_plan p;
  sched_plan_init(&p);
  err_t e = ERR_INIT;
  struct sched_move twice[] = {{0, 1}, {0, 1}};
  CHECK(build(&p, &m, twice, 2, NULL, 0, NULL, &e) < 0 && e.code == EINVAL);
  CHECK(strstr(e.msg, "twice") != NULL);
  struct sched_move far[] = {{0, 7}};
  CHECK(build(&p, &m, far, 1, NULL, 0, NULL, &e) < 0 && strstr(e.msg, "out of range"));
  /* a move to the current host is no move */
  struct sched_move stay[] = {{0, 0}};
  CHECK(build(&p, &m, stay, 1, NULL, 0, NULL, &e) == 0 && p.nactions == 0);
  /* replaying an action that does not match the model fails */
  struct sched_action wrong = {SCHED_MIGRATE, 1, 1, 0, 10, 10, false};
  CHECK(sched_action_apply(&m, &wrong, &e) < 0 && strstr(e.msg, "runs on node 0"));
  sched_plan_free(&p);
  sched_model_free(&m);
}

int main(void) {
  test_dependency_order();
  test_parallel_step();
  test_cycle_pivot();
  test_continuous_spread_orders();
  test_node_and_boot_actions();
  test_bad_moves();
  return check_report("sched_plan");
}
