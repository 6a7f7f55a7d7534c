/* The solver: repairs, constraints honoured, no solution, determinism. */
#include <string.h>

#include "check.h"
#include "sched_fixture.h"

/* Four nodes of 700 units; node 0 overloaded (760), the others have room. */
static void overload_model(struct sched_model *m) {
  fx_model(m, 4, 700, 32768, 40);
  int64_t load[4] = {76, 60, 50, 40};
  for (int32_t v = 0; v < 40; v++)
    fx_ve(m, v, v % 4, load[v % 4], 1024);
}

static void test_simple_repair(void) {
  struct sched_model m;
  overload_model(&m);
  CHECK(!sched_model_viable(&m));
  CHECK(m.nbad == 1 && m.bad[0] == 0);
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  err_t ce = ERR_INIT;
  int crc = 0;
  int r = fx_solve_checked(&m, NULL, 0, NULL, 1, &p, &st, &crc, &ce);
  CHECK(r == SCHED_SOLVED);
  CHECK(crc == 0);
  CHECK(p.migrations == 1); /* one VE of 76 relieves an excess of 60 */
  CHECK(p.mem_moved == 1024);
  CHECK(st.moved == 1 && !st.searched);
  err_t e = ERR_INIT;
  CHECK(sched_plan_apply(&m, &p, &e) == 0);
  CHECK(sched_model_viable(&m));
  sched_plan_free(&p);
  sched_model_free(&m);
}

static void test_already_viable(void) {
  struct sched_model m;
  fx_model(&m, 2, 700, 4096, 2);
  fx_ve(&m, 0, 0, 100, 1024);
  fx_ve(&m, 1, 1, 100, 1024);
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  err_t ce = ERR_INIT;
  int crc = 0;
  CHECK(fx_solve_checked(&m, NULL, 0, NULL, 1, &p, &st, &crc, &ce) == SCHED_SOLVED);
  CHECK(p.nactions == 0 && p.nsteps == 0);
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* Solve the whole model under the constraint in `json` (or none); the plan
 * must pass the checker. Returns the status. */
static int solve_with(struct sched_model *m, const char *json, struct sched_plan *p,
                      struct sched_solve_stats *st) {
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  err_t e = ERR_INIT;
  if (json) {
    fx_cstr(&c, json);
    fx_ok(sched_cstrs_seal(&c, m, &e), &e, json);
  }
  int crc = 0;
  err_t ce = ERR_INIT;
  int r = fx_solve_checked(m, NULL, 0, json ? &c : NULL, 7, p, st, &crc, &ce);
  CHECK(crc == 0);
  if (r == SCHED_SOLVED) {
    CHECK(sched_plan_apply(m, p, &e) == 0);
    CHECK(sched_check_config(m, json ? &c : NULL, NULL, 0, &e) == 0);
  }
  sched_cstrs_free(&c);
  return r;
}

/* Node 0 overloaded by 10 (ves 0..2 of 40), nodes 1 and 2 half empty. */
static void small_overload(struct sched_model *m) {
  fx_model(m, 3, 110, 1000, 5);
  fx_ve(m, 0, 0, 40, 10);
  fx_ve(m, 1, 0, 40, 10);
  fx_ve(m, 2, 0, 40, 10);
  fx_ve(m, 3, 1, 50, 10);
  fx_ve(m, 4, 2, 60, 10);
}

static void test_constraints_honoured(void) {
  static const struct {
    const char *json;
    int32_t ve, not_on, must_on; /* -1: no expectation */
  } cases[] = {
      {"{\"id\":\"ban\",\"vms\":[0,1,2],\"nodes\":[1]}", 0, 1, -1},
      {"{\"id\":\"fence\",\"vms\":[0,1,2],\"nodes\":[0,2]}", -1, -1, -1},
      {"{\"id\":\"root\",\"vms\":[0,1]}", 2, -1, -1},
      {"{\"id\":\"spread\",\"vms\":[0,3,4]}", -1, -1, -1},
      {"{\"id\":\"lonely\",\"vms\":[3]}", -1, -1, -1},
      {"{\"id\":\"among\",\"vms\":[0,1,2,4],\"parts\":[[0,2],[1]]}", -1, -1, -1},
      {"{\"id\":\"split\",\"parts\":[[0,1,2],[3]]}", -1, -1, -1},
      {"{\"id\":\"quarantine\",\"node\":2}", -1, -1, -1},
      {"{\"id\":\"resourceCapacity\",\"nodes\":[1],\"rc\":\"cpu\",\"amount\":60}", -1, -1, -1},
      {"{\"id\":\"runningCapacity\",\"nodes\":[2],\"amount\":1}", -1, -1, -1},
      {"{\"id\":\"spread\",\"vms\":[0,4],\"continuous\":true}", -1, -1, -1},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    struct sched_model m;
    small_overload(&m);
    struct sched_plan p;
    sched_plan_init(&p);
    struct sched_solve_stats st;
    int r = solve_with(&m, cases[i].json, &p, &st);
    if (r != SCHED_SOLVED)
      fprintf(stderr, "case %s: %s\n", cases[i].json, st.why);
    CHECK(r == SCHED_SOLVED);
    CHECK(sched_model_viable(&m));
    if (cases[i].ve >= 0 && cases[i].not_on < 0)
      CHECK(m.ves[cases[i].ve].host != 0); /* root pinned 0 and 1: 2 had to go */
    sched_plan_free(&p);
    sched_model_free(&m);
  }
}

/* gather: the gathered pair moves together, away from the overload. */
static void test_gather_moves_as_block(void) {
  struct sched_model m;
  fx_model(&m, 2, 100, 1000, 4);
  fx_ve(&m, 0, 0, 30, 10);
  fx_ve(&m, 1, 0, 30, 10);
  fx_ve(&m, 2, 0, 50, 10); /* node 0: 110 */
  fx_ve(&m, 3, 1, 60, 10); /* node 1: room for 40 */
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  /* alone, the 50 cannot go anywhere: the two 30s must move, together */
  CHECK(solve_with(&m, "{\"id\":\"gather\",\"vms\":[0,1]}", &p, &st) == SCHED_NO_SOLUTION);
  sched_node_set_capacity(&m, 1, 130, 1000);
  CHECK(solve_with(&m, "{\"id\":\"gather\",\"vms\":[0,1]}", &p, &st) == SCHED_SOLVED);
  CHECK(m.ves[0].host == m.ves[1].host);
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* offline: a node to evacuate and shut down; online: a node to boot;
 * running: a ready VE to start. */
static void test_node_states(void) {
  struct sched_model m;
  fx_model(&m, 3, 100, 1000, 4);
  fx_ve(&m, 0, 0, 30, 10);
  fx_ve(&m, 1, 0, 30, 10);
  fx_ve(&m, 2, 1, 60, 10);
  sched_ve_set_demand(&m, 3, 50, 10); /* ready */
  sched_node_set_online(&m, 2, false);
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  fx_cstr(&c, "{\"id\":\"offline\",\"node\":0}");
  fx_cstr(&c, "{\"id\":\"online\",\"node\":2}");
  fx_cstr(&c, "{\"id\":\"running\",\"vm\":3}");
  err_t e = ERR_INIT;
  CHECK(sched_cstrs_seal(&c, &m, &e) == 0);
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  int crc = 0;
  CHECK(fx_solve_checked(&m, NULL, 0, &c, 1, &p, &st, &crc, &e) == SCHED_SOLVED && crc == 0);
  CHECK(sched_plan_apply(&m, &p, &e) == 0);
  CHECK(!m.nodes[0].online && m.nodes[0].nves == 0 && m.nodes[2].online);
  CHECK(m.ves[3].host != SCHED_NOWHERE);
  CHECK(sched_check_config(&m, &c, NULL, 0, &e) == 0);
  sched_cstrs_free(&c);
  sched_plan_free(&p);
  sched_model_free(&m);
}

static void test_no_solution(void) {
  struct sched_model m;
  /* not enough CPU in the partition */
  fx_model(&m, 4, 100, 1000, 7);
  for (int32_t v = 0; v < 7; v++)
    fx_ve(&m, v, v < 4 ? 0 : v - 3, 60, 10); /* node 0: 240; others 60 */
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  int crc = 0;
  err_t e = ERR_INIT;
  int32_t part[] = {0, 1};
  CHECK(fx_solve_checked(&m, part, 2, NULL, 1, &p, &st, &crc, &e) == SCHED_NO_SOLUTION);
  CHECK(st.why && strstr(st.why, "cpu capacity"));
  CHECK(p.nactions == 0);
  /* the whole model: 420 of 400, still short */
  CHECK(fx_solve_checked(&m, NULL, 0, NULL, 1, &p, &st, &crc, &e) == SCHED_NO_SOLUTION);
  sched_node_set_capacity(&m, 3, 300, 1000);
  CHECK(fx_solve_checked(&m, NULL, 0, NULL, 1, &p, &st, &crc, &e) == SCHED_SOLVED && crc == 0);
  /* enough capacity in total but it cannot be packed: 3 x 60 on 2 x 100 */
  sched_model_free(&m);
  fx_model(&m, 2, 100, 1000, 3);
  fx_ve(&m, 0, 0, 60, 10);
  fx_ve(&m, 1, 0, 60, 10);
  fx_ve(&m, 2, 1, 60, 10);
  CHECK(fx_solve_checked(&m, NULL, 0, NULL, 1, &p, &st, &crc, &e) == SCHED_NO_SOLUTION);
  CHECK(st.searched && !st.timed_out && st.why != NULL);
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* The partition bounds what moves and where to. */
static void test_partition_scope(void) {
  struct sched_model m;
  fx_model(&m, 6, 100, 1000, 8);
  fx_ve(&m, 0, 0, 60, 10);
  fx_ve(&m, 1, 0, 60, 10); /* node 0: 120 */
  fx_ve(&m, 2, 1, 90, 10); /* node 1: no room */
  fx_ve(&m, 3, 2, 70, 10); /* node 2: room for 30 only */
  fx_ve(&m, 4, 4, 120, 10); /* node 4 overloaded, outside the partition */
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  int crc = 0;
  err_t e = ERR_INIT;
  int32_t small[] = {0, 1, 2};
  CHECK(fx_solve_checked(&m, small, 3, NULL, 1, &p, &st, &crc, &e) == SCHED_NO_SOLUTION);
  int32_t grown[] = {0, 1, 2, 3};
  CHECK(fx_solve_checked(&m, grown, 4, NULL, 1, &p, &st, &crc, &e) == SCHED_SOLVED && crc == 0);
  CHECK(p.migrations == 1 && p.actions[0].dst == 3 && p.actions[0].src == 0);
  CHECK(st.nodes == 4 && st.ves == 4);
  /* a pinned VE stays: the other one goes */
  sched_ve_set_pinned(&m, 0, true);
  CHECK(fx_solve_checked(&m, grown, 4, NULL, 1, &p, &st, &crc, &e) == SCHED_SOLVED);
  CHECK(p.migrations == 1 && p.actions[0].ve == 1);
  sched_plan_free(&p);
  sched_model_free(&m);
}

/* The heuristic cannot place any evicted VE directly; the search finds the
 * chain A -> B -> C. */
static void test_search_chain(void) {
  struct sched_model m;
  fx_model(&m, 3, 100, 1000, 5);
  fx_ve(&m, 0, 0, 60, 1);
  fx_ve(&m, 1, 0, 50, 1); /* A: 110 */
  fx_ve(&m, 2, 1, 45, 1);
  fx_ve(&m, 3, 1, 40, 1); /* B: 85, room for 15 */
  fx_ve(&m, 4, 2, 55, 1); /* C: 55, room for 45 */
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  CHECK(solve_with(&m, NULL, &p, &st) == SCHED_SOLVED);
  CHECK(st.searched);
  CHECK(p.migrations == 2 && p.nsteps == 2 && p.pivots == 0);
  CHECK(sched_model_viable(&m));
  sched_plan_free(&p);
  sched_model_free(&m);
}

static void swap_model(struct sched_model *m) {
  fx_model(m, 3, 100, 1000, 5);
  fx_ve(m, 0, 0, 60, 1);
  fx_ve(m, 1, 0, 45, 1); /* A: 105 */
  fx_ve(m, 2, 1, 50, 1);
  fx_ve(m, 3, 1, 40, 1); /* B: 90 */
  fx_ve(m, 4, 2, 50, 1); /* C: 50 */
}

/* The only repair swaps two VEs between A and B, which lack room for each
 * other's; the plan goes through C, which ban keeps out of the target but
 * not out of the plan. */
static void test_swap_through_pivot(void) {
  struct sched_model m;
  swap_model(&m);
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  const char *ban = "{\"id\":\"ban\",\"vms\":[0,1,2,3],\"nodes\":[2]}";
  CHECK(solve_with(&m, ban, &p, &st) == SCHED_SOLVED);
  CHECK(p.pivots == 1 && p.migrations == 3 && p.nsteps == 3);
  CHECK(m.nodes[0].nves == 2 && m.nodes[1].nves == 2 && m.nodes[2].nves == 1);
  /* with a continuous ban the pivot is forbidden too: no plan */
  sched_model_free(&m);
  swap_model(&m);
  const char *cban = "{\"id\":\"ban\",\"vms\":[0,1,2,3],\"nodes\":[2],\"continuous\":true}";
  CHECK(solve_with(&m, cban, &p, &st) == SCHED_NO_SOLUTION);
  /* without the ban, C simply takes one VE */
  sched_model_free(&m);
  swap_model(&m);
  CHECK(solve_with(&m, NULL, &p, &st) == SCHED_SOLVED);
  CHECK(p.pivots == 0 && p.migrations == 1 && p.actions[0].dst == 2);
  sched_plan_free(&p);
  sched_model_free(&m);
}

static bool same_plan(const struct sched_plan *a, const struct sched_plan *b) {
  if (a->nactions != b->nactions || a->nsteps != b->nsteps)
    return false;
  for (int32_t i = 0; i < a->nactions; i++)
    if (a->actions[i].ve != b->actions[i].ve || a->actions[i].dst != b->actions[i].dst ||
        a->actions[i].src != b->actions[i].src)
      return false;
  return memcmp(a->step_start, b->step_start, sizeof(int32_t) * (a->nsteps + 1)) == 0;
}

/* Identical nodes make many equally good answers: the seed picks one, and
 * the same seed always picks the same. */
static void test_determinism(void) {
  struct sched_model m;
  fx_model(&m, 16, 700, 32768, 160);
  for (int32_t v = 0; v < 160; v++)
    fx_ve(&m, v, v / 10, v < 10 ? 80 : 50, 1024);
  struct sched_plan p[3];
  err_t e = ERR_INIT;
  struct sched_solver *s = sched_solver_new(&e);
  int differs = 0;
  for (uint64_t seed = 1; seed <= 8; seed++) {
    for (int k = 0; k < 3; k++) {
      sched_plan_init(&p[k]);
      struct sched_solve_opts o = {.seed = k < 2 ? seed : seed + 100};
      CHECK(sched_solve(s, &m, NULL, 0, NULL, &o, &p[k], NULL, &e) == SCHED_SOLVED);
    }
    CHECK(same_plan(&p[0], &p[1]));
    differs += !same_plan(&p[0], &p[2]);
    for (int k = 0; k < 3; k++)
      sched_plan_free(&p[k]);
  }
  CHECK(differs > 0);
  sched_solver_free(s);
  sched_model_free(&m);
}

/* A hopeless partition with a tiny search budget ends quickly. */
static void test_effort_limit(void) {
  struct sched_model m;
  fx_model(&m, 8, 100, 1000, 24);
  for (int32_t v = 0; v < 24; v++)
    fx_ve(&m, v, v % 8, 33, 1);   /* 99 each */
  sched_ve_set_cpu(&m, 0, 36);     /* node 0: 102; 2 units short nowhere */
  err_t e = ERR_INIT;
  struct sched_solver *s = sched_solver_new(&e);
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  struct sched_solve_opts o = {.seed = 1, .effort_limit = 50};
  CHECK(sched_solve(s, &m, NULL, 0, NULL, &o, &p, &st, &e) == SCHED_NO_SOLUTION);
  CHECK(st.effort <= 51);
  sched_plan_free(&p);
  sched_solver_free(s);
  sched_model_free(&m);
}

static void test_bad_input(void) {
  struct sched_model m;
  small_overload(&m);
  err_t e = ERR_INIT;
  struct sched_solver *s = sched_solver_new(&e);
  struct sched_plan p;
  sched_plan_init(&p);
  int32_t far[] = {0, 9};
  CHECK(sched_solve(s, &m, far, 2, NULL, NULL, &p, NULL, &e) < 0);
  CHECK(strstr(e.msg, "node 9 out of range") != NULL);
  int32_t dup[] = {0, 1, 0};
  CHECK(sched_solve(s, &m, dup, 3, NULL, NULL, &p, NULL, &e) < 0);
  CHECK(strstr(e.msg, "node 0 twice") != NULL);
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  fx_cstr(&c, "{\"id\":\"ban\",\"vm\":0,\"nodes\":[1]}");
  CHECK(sched_solve(s, &m, NULL, 0, &c, NULL, &p, NULL, &e) < 0);
  CHECK(strstr(e.msg, "not sealed") != NULL);
  /* the workspace still solves after errors */
  CHECK(sched_cstrs_seal(&c, &m, &e) == 0);
  CHECK(sched_solve(s, &m, NULL, 0, &c, NULL, &p, NULL, &e) == SCHED_SOLVED);
  sched_cstrs_free(&c);
  sched_plan_free(&p);
  sched_solver_free(s);
  sched_model_free(&m);
}

int main(void) {
  test_simple_repair();
  test_already_viable();
  test_constraints_honoured();
  test_gather_moves_as_block();
  test_node_states();
  test_no_solution();
  test_partition_scope();
  test_search_chain();
  test_swap_through_pivot();
  test_determinism();
  test_effort_limit();
  test_bad_input();
  return check_report("sched_solver");
}
