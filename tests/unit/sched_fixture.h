/* Small builders shared by the sched_* unit tests. */
#ifndef CAPSULE_TESTS_SCHED_FIXTURE_H
#define CAPSULE_TESTS_SCHED_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sched/checker.h"
#include "sched/constraints.h"
#include "sched/model.h"
#include "sched/plan.h"
#include "sched/solver.h"

/* Abort the test binary on a setup failure: nothing after it makes sense. */
static inline void fx_ok(int rc, const err_t *e, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "setup failed: %s: %s\n", what, e->msg);
    exit(2);
  }
}

/* nnodes nodes of (cpu, mem) capacity and nves VEs, all unplaced. */
static inline void fx_model(struct sched_model *m, int32_t nnodes, int64_t cpu, int64_t mem,
                            int32_t nves) {
  err_t e = ERR_INIT;
  fx_ok(sched_model_init(m, nnodes, nves, &e), &e, "model");
  for (int32_t i = 0; i < nnodes; i++)
    sched_node_set_capacity(m, i, cpu, mem);
}

static inline void fx_ve(struct sched_model *m, int32_t ve, int32_t node, int64_t cpu,
                         int64_t mem) {
  err_t e = ERR_INIT;
  sched_ve_set_demand(m, ve, cpu, mem);
  fx_ok(sched_ve_place(m, ve, node, &e), &e, "place");
}

/* Add a constraint from its JSON text, e.g. {"id":"ban","vms":[1],"nodes":[0]}. */
static inline void fx_cstr(struct sched_cstrs *c, const char *json) {
  err_t e = ERR_INIT;
  json_error_t je;
  json_t *j = json_loads(json, 0, &je);
  if (!j) {
    fprintf(stderr, "setup failed: bad JSON %s\n", json);
    exit(2);
  }
  json_t *list = json_pack("[O]", j);
  fx_ok(sched_cstrs_load_json(c, list, "test", &e), &e, json);
  json_decref(list);
  json_decref(j);
}

/* Solve, then check the plan with the independent checker; returns the
 * status (or -1) and leaves the plan in p. */
static inline int fx_solve_checked(const struct sched_model *m, const int32_t *part, int32_t n,
                                   const struct sched_cstrs *c, uint64_t seed,
                                   struct sched_plan *p, struct sched_solve_stats *st,
                                   int *check_rc, err_t *check_err) {
  err_t e = ERR_INIT;
  struct sched_solver *s = sched_solver_new(&e);
  struct sched_solve_opts o = {.seed = seed, .time_limit = 5};
  int r = sched_solve(s, m, part, n, c, &o, p, st, &e);
  sched_solver_free(s);
  if (r < 0) {
    fprintf(stderr, "solve error: %s\n", e.msg);
    return -1;
  }
  *check_rc = r == SCHED_SOLVED ? sched_check_plan(m, c, p, part, n, check_err) : 0;
  if (*check_rc < 0)
    fprintf(stderr, "checker: %s\n", check_err->msg);
  return r;
}

#endif
