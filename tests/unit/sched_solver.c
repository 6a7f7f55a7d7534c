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
  int crc;
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
  int crc;
  CHECK(fx_solve_checked(&m, NULL, 0, NULL, 1, &p, &st, &crc, &ce) == SCHED_SOLVED);
  CHECK(p.nactions == 0 && p.nsteps == 0);
  sched_plan_free(&p);
  sched_model_free(&m);
}

int main(void) {
  test_simple_repair();
  test_already_viable();
  return check_report("sched_solver");
}
