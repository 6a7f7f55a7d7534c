/* The solver on thousands of random small instances (offline nodes, ready
 * and pinned VEs) with random constraints:
 *  - against the checker: every plan the solver calls a solution must pass
 *    the independent checker, and applying it must leave the partition
 *    viable with every constraint in scope satisfied;
 *  - against exhaustive enumeration on tiny instances: when the solver says
 *    "no solution", no target with a valid plan must exist (always, without
 *    constraints; with constraints, rare misses are counted and bounded).
 * Fixed seeds: the run is the same each time. */
#include <string.h>

#include "check.h"
#include "sched_fixture.h"
#include "util/rng.h"

#define RUNS 3000

static int32_t pick(rng_t *r, int32_t n) {
  return (int32_t)rng_below(r, (uint64_t)n);
}

/* A random id list of 1..max distinct ids below n, as JSON. */
static void id_list(rng_t *r, int32_t n, int32_t max, char *out, size_t size) {
  int32_t k = 1 + pick(r, max), used = 0;
  bool seen[64] = {false};
  size_t len = (size_t)snprintf(out, size, "[");
  for (int32_t i = 0; i < k; i++) {
    int32_t id = pick(r, n);
    if (seen[id])
      continue;
    seen[id] = true;
    len += (size_t)snprintf(out + len, size - len, "%s%d", used++ ? "," : "", id);
  }
  snprintf(out + len, size - len, "]");
}

/* "[lo,lo+1,...,hi-1]" */
static void put_range(char *out, size_t size, int32_t lo, int32_t hi) {
  size_t len = (size_t)snprintf(out, size, "[");
  for (int32_t i = lo; i < hi; i++)
    len += (size_t)snprintf(out + len, size - len, "%s%d", i > lo ? "," : "", i);
  snprintf(out + len, size - len, "]");
}

/* One random constraint over nv VEs and nn nodes. */
static void random_cstr(rng_t *r, int32_t nv, int32_t nn, char *out, size_t size) {
  char ves[256], nodes[256], more[256];
  id_list(r, nv, 4, ves, sizeof(ves));
  id_list(r, nn, nn > 2 ? nn - 1 : 1, nodes, sizeof(nodes));
  const char *cont = pick(r, 3) == 0 ? "true" : "false";
  int32_t half = nn / 2 > 0 ? nn / 2 : 1;
  switch (pick(r, 14)) {
  case 0:
    snprintf(out, size, "{\"id\":\"ban\",\"vms\":%s,\"nodes\":%s,\"continuous\":%s}", ves, nodes,
             cont);
    break;
  case 1:
    snprintf(out, size, "{\"id\":\"fence\",\"vms\":%s,\"nodes\":%s,\"continuous\":%s}", ves,
             nodes, cont);
    break;
  case 2:
    snprintf(out, size, "{\"id\":\"spread\",\"vms\":%s,\"continuous\":%s}", ves, cont);
    break;
  case 3:
    snprintf(out, size, "{\"id\":\"gather\",\"vms\":%s,\"continuous\":%s}", ves, cont);
    break;
  case 4: {
    /* two disjoint groups: the nodes below half, and the rest */
    char low[128], high[128];
    put_range(low, sizeof(low), 0, half);
    put_range(high, sizeof(high), half, nn);
    snprintf(more, sizeof(more), half < nn ? "[%s,%s]" : "[%s]", low, high);
    snprintf(out, size, "{\"id\":\"among\",\"vms\":%s,\"parts\":%s,\"continuous\":%s}", ves,
             more, cont);
    break;
  }
  case 5:
    snprintf(out, size, "{\"id\":\"lonely\",\"vms\":%s,\"continuous\":%s}", ves, cont);
    break;
  case 6:
    snprintf(out, size, "{\"id\":\"root\",\"vms\":%s}", ves);
    break;
  case 7:
    snprintf(out, size, "{\"id\":\"resourceCapacity\",\"nodes\":%s,\"rc\":\"cpu\",\"amount\":%d,"
             "\"continuous\":%s}", nodes, 50 + pick(r, 300), cont);
    break;
  case 8:
    snprintf(out, size, "{\"id\":\"runningCapacity\",\"nodes\":%s,\"amount\":%d,"
             "\"continuous\":%s}", nodes, 1 + pick(r, 6), cont);
    break;
  case 9: {
    char other[256];
    id_list(r, nv, 3, other, sizeof(other));
    /* split needs disjoint groups: keep the second only if it shares nothing */
    bool clash = false;
    for (char *p = other + 1; *p && !clash;) {
      int id = (int)strtol(p, &p, 10);
      char probe[16];
      snprintf(probe, sizeof(probe), "[%d]", id);
      clash = strstr(ves, probe) || strstr(ves, probe + 1) != NULL;
      p += *p == ',' || *p == ']';
    }
    if (clash)
      snprintf(out, size, "{\"id\":\"spread\",\"vms\":%s}", ves);
    else
      snprintf(out, size, "{\"id\":\"split\",\"parts\":[%s,%s],\"continuous\":%s}", ves, other,
               cont);
    break;
  }
  case 10:
    snprintf(out, size, "{\"id\":\"running\",\"vms\":%s}", ves);
    break;
  case 11:
    snprintf(out, size, "{\"id\":\"offline\",\"node\":%d}", pick(r, nn));
    break;
  case 12:
    snprintf(out, size, "{\"id\":\"online\",\"node\":%d}", pick(r, nn));
    break;
  default:
    snprintf(out, size, "{\"id\":\"quarantine\",\"node\":%d}", pick(r, nn));
  }
}

/* Parse and seal the constraints of `texts` into a fresh set; false (the
 * set emptied) when one is refused, e.g. split groups that overlap. */
static bool load_set(struct sched_cstrs *c, const struct sched_model *m, char texts[][1024],
                     int32_t n) {
  sched_cstrs_free(c);
  sched_cstrs_init(c);
  err_t e = ERR_INIT;
  bool ok = true;
  for (int32_t i = 0; i < n && ok; i++) {
    json_error_t je;
    json_t *j = json_loads(texts[i], 0, &je);
    json_t *list = j ? json_pack("[o]", j) : NULL;
    ok = list && sched_cstrs_load_json(c, list, "random", &e) == 0;
    json_decref(list);
  }
  ok = ok && sched_cstrs_seal(c, m, &e) == 0;
  if (!ok) {
    sched_cstrs_free(c);
    sched_cstrs_init(c);
  }
  return ok;
}

static void test_against_checker(void) {
  rng_t r;
  rng_seed(&r, 2024, 0);
  err_t e = ERR_INIT;
  struct sched_solver *s = sched_solver_new(&e);
  struct sched_plan p;
  sched_plan_init(&p);
  int solved = 0, refused = 0, with_pivots = 0;
  for (int run = 0; run < RUNS; run++) {
    int32_t nn = 2 + pick(&r, 5), per = 2 + pick(&r, 4), nv = nn * per;
    struct sched_model m;
    fx_model(&m, nn, 100, 400, nv);
    /* sometimes the last node is off, a VE is ready (not running) or pinned */
    bool last_off = pick(&r, 5) == 0;
    for (int32_t v = 0; v < nv; v++)
      fx_ve(&m, v, pick(&r, last_off ? nn - 1 : nn), 5 * (1 + pick(&r, 10)),
            10 * (1 + pick(&r, 8)));
    if (last_off)
      sched_node_set_online(&m, nn - 1, false);
    if (pick(&r, 4) == 0)
      fx_ok(sched_ve_place(&m, pick(&r, nv), SCHED_NOWHERE, &e), &e, "ready");
    if (pick(&r, 4) == 0)
      sched_ve_set_pinned(&m, pick(&r, nv), true);
    struct sched_cstrs c;
    sched_cstrs_init(&c);
    int32_t ncstr = pick(&r, 4), kept = 0;
    static char texts[4][1024];
    for (int32_t k = 0; k < ncstr; k++) {
      random_cstr(&r, nv, nn, texts[kept], sizeof(texts[kept]));
      if (load_set(&c, &m, texts, kept + 1))
        kept++;
      else
        refused++;
    }
    CHECK(load_set(&c, &m, texts, kept));
    /* a partition of all nodes or of a random prefix */
    int32_t part[8], np = pick(&r, 2) ? nn : 1 + pick(&r, nn);
    for (int32_t i = 0; i < np; i++)
      part[i] = i;
    struct sched_solve_opts o = {.seed = (uint64_t)run, .effort_limit = 3000};
    struct sched_solve_stats st;
    int rc = sched_solve(s, &m, part, np, c.n ? &c : NULL, &o, &p, &st, &e);
    CHECK(rc >= 0);
    if (rc == SCHED_SOLVED) {
      solved++;
      with_pivots += p.pivots > 0;
      err_t ce = ERR_INIT;
      int crc = sched_check_plan(&m, c.n ? &c : NULL, &p, part, np, &ce);
      if (crc < 0)
        fprintf(stderr, "run %d: checker refuses the solver's plan: %s\n", run, ce.msg);
      CHECK(crc == 0);
      CHECK(sched_plan_apply(&m, &p, &e) == 0);
      crc = sched_check_config(&m, c.n ? &c : NULL, part, np, &ce);
      if (crc < 0)
        fprintf(stderr, "run %d: after the plan: %s\n", run, ce.msg);
      CHECK(crc == 0);
    }
    sched_cstrs_free(&c);
    sched_model_free(&m);
  }
  fprintf(stderr, "sched_random: %d of %d solved (%d through pivots), %d constraints refused\n",
          solved, RUNS, with_pivots, refused);
  /* the instances are mixed: some solved, some not, a few need pivots */
  CHECK(solved > RUNS / 4 && solved < RUNS);
  sched_plan_free(&p);
  sched_solver_free(s);
}

/* Does any target (each VE on any node, pinned ones staying) have a plan
 * that the checker accepts? Tiny instances only: nnodes^nves targets. */
static bool solution_exists(const struct sched_model *m, const struct sched_cstrs *c) {
  int64_t targets = 1;
  for (int32_t v = 0; v < m->nves; v++)
    targets *= m->nnodes;
  struct sched_move mv[8];
  int32_t part[4];
  for (int32_t i = 0; i < m->nnodes; i++)
    part[i] = i;
  struct sched_plan p;
  sched_plan_init(&p);
  bool found = false;
  for (int64_t code = 0; code < targets && !found; code++) {
    int32_t k = 0;
    bool pinned_moves = false;
    int64_t x = code;
    for (int32_t v = 0; v < m->nves; v++, x /= m->nnodes) {
      int32_t dst = (int32_t)(x % m->nnodes);
      if (m->ves[v].host == dst)
        continue;
      pinned_moves |= m->ves[v].pinned || m->ves[v].host == SCHED_NOWHERE;
      mv[k++] = (struct sched_move){v, dst};
    }
    err_t e = ERR_INIT;
    found = !pinned_moves && sched_plan_build(&p, m, mv, k, part, m->nnodes, c, &e) == 0 &&
            sched_check_plan(m, c, &p, part, m->nnodes, &e) == 0;
  }
  sched_plan_free(&p);
  return found;
}

static void test_against_enumeration(bool constrained) {
  rng_t r;
  rng_seed(&r, constrained ? 11 : 10, 0);
  err_t e = ERR_INIT;
  struct sched_solver *s = sched_solver_new(&e);
  struct sched_plan p;
  sched_plan_init(&p);
  int solvable = 0, missed = 0, unsound = 0;
  for (int run = 0; run < RUNS; run++) {
    int32_t nn = 2 + pick(&r, 2), nv = 3 + pick(&r, 4);
    struct sched_model m;
    fx_model(&m, nn, 100, 400, nv);
    for (int32_t v = 0; v < nv; v++)
      fx_ve(&m, v, pick(&r, nn), 5 * (1 + pick(&r, 14)), 10 * (1 + pick(&r, 8)));
    struct sched_cstrs c;
    sched_cstrs_init(&c);
    static char text[1][1024];
    if (constrained) {
      random_cstr(&r, nv, nn, text[0], sizeof(text[0]));
      load_set(&c, &m, text, 1);
    }
    const struct sched_cstrs *cp = c.n ? &c : NULL;
    struct sched_solve_opts o = {.seed = (uint64_t)run};
    int rc = sched_solve(s, &m, NULL, 0, cp, &o, &p, NULL, &e);
    bool exists = solution_exists(&m, cp);
    solvable += exists;
    missed += exists && rc == SCHED_NO_SOLUTION;
    unsound += !exists && rc == SCHED_SOLVED;
    sched_cstrs_free(&c);
    sched_model_free(&m);
  }
  fprintf(stderr, "sched_random: %s: %d of %d tiny instances solvable, the solver missed %d\n",
          constrained ? "one random constraint" : "no constraint", solvable, RUNS, missed);
  CHECK(unsound == 0);
  CHECK(solvable > RUNS / 2);
  if (constrained)
    CHECK(missed * 100 <= solvable); /* lonely swaps between groups, mostly */
  else
    CHECK(missed == 0);
  sched_plan_free(&p);
  sched_solver_free(s);
}

int main(void) {
  test_against_checker();
  test_against_enumeration(false);
  test_against_enumeration(true);
  return check_report("sched_random");
}
