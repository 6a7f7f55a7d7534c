/* The solver's entry point: builds the partition's local problem, runs the
 * repair heuristic, falls back on the exact search, and turns the target
 * into a plan. */
#include "sched/solver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched/solver_state.h"
#include "util/array.h"

#define DEFAULT_EFFORT 20000

struct sched_solver *sched_solver_new(err_t *e) {
  struct sched_solver *s = calloc(1, sizeof(*s));
  if (!s)
    err_set(e, ENOMEM, "solver: out of memory");
  return s;
}

void sched_solver_free(struct sched_solver *s) {
  if (!s)
    return;
  for (int32_t i = 0; i < s->nodes_cap; i++)
    free(s->nodes[i].ves);
  free(s->nodes);
  free(s->ves);
  free(s->node_local);
  free(s->ve_local);
  free(s->node_stamp);
  free(s->ve_stamp);
  free(s->sums);
  free(s->cstr_sum);
  free(s->queue);
  free(s->queue2);
  free(s->scratch);
  free(s->moves);
  free(s->best_host);
  free(s);
}

/* The global -> local maps follow the model's size; stamps start at 0 and
 * the epoch never is 0, so fresh entries read as absent. */
static int resize_map(int32_t **local, uint32_t **stamp, int32_t *size, int32_t need) {
  if (need <= *size)
    return 0;
  int32_t *l = realloc(*local, sizeof(*l) * need);
  if (!l)
    return -1;
  *local = l;
  uint32_t *st = realloc(*stamp, sizeof(*st) * need);
  if (!st)
    return -1;
  memset(st + *size, 0, sizeof(*st) * (need - *size));
  *stamp = st;
  *size = need;
  return 0;
}

static int size_maps(struct sched_solver *s, const struct sched_model *m) {
  if (resize_map(&s->node_local, &s->node_stamp, &s->map_nodes, m->nnodes) < 0 ||
      resize_map(&s->ve_local, &s->ve_stamp, &s->map_ves, m->nves) < 0)
    return -1;
  if (++s->epoch == 0) {
    memset(s->node_stamp, 0, sizeof(uint32_t) * s->map_nodes);
    memset(s->ve_stamp, 0, sizeof(uint32_t) * s->map_ves);
    s->epoch = 1;
  }
  return 0;
}

/* root, or a continuous gather whose members already share a node. */
static bool ve_frozen(const struct sched_cstrs *c, const struct sched_model *m, int32_t ve) {
  if (!c)
    return false;
  int32_t n;
  const int32_t *idx = sched_cstrs_of_ve(c, ve, &n);
  for (int32_t i = 0; i < n; i++) {
    const struct sched_cstr *x = &c->items[idx[i]];
    if (x->kind == SCHED_ROOT)
      return true;
    if (x->kind == SCHED_GATHER && x->continuous) {
      /* gathered: every running member on one node */
      int32_t place = SCHED_NOWHERE;
      bool together = true;
      for (int32_t k = 0; k < x->nves && together; k++) {
        int32_t h = m->ves[x->ves[k]].host;
        together = h == SCHED_NOWHERE || place == SCHED_NOWHERE || h == place;
        if (h != SCHED_NOWHERE)
          place = h;
      }
      if (together && place != SCHED_NOWHERE)
        return true;
    }
  }
  return false;
}

static int add_ve(struct sched_solver *s, int32_t ve, int32_t local_host, bool frozen_node) {
  if (array_reserve((void **)&s->ves, &s->ves_cap, s->nv + 1, sizeof(*s->ves)) < 0)
    return -1;
  const struct sched_ve *g = &s->m->ves[ve];
  struct lve *v = &s->ves[s->nv];
  v->id = ve;
  v->demand[SCHED_CPU] = g->demand[SCHED_CPU];
  v->demand[SCHED_MEM] = g->demand[SCHED_MEM];
  v->orig = local_host;
  v->host = -1;
  v->slot = -1;
  v->needs_run = local_host < 0;
  v->movable = !g->pinned && !frozen_node && !ve_frozen(s->c, s->m, ve);
  s->ve_local[ve] = s->nv;
  s->ve_stamp[ve] = s->epoch;
  s->nv++;
  return 0;
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

static int add_node(struct sched_solver *s, int32_t id) {
  const struct sched_node *g = &s->m->nodes[id];
  struct lnode *x = &s->nodes[s->nn];
  x->id = id;
  x->nves = 0;
  bool offline_wanted = sched_cstrs_node_has(s->c, id, SCHED_OFFLINE);
  bool online = g->online || sched_cstrs_node_has(s->c, id, SCHED_ONLINE);
  bool usable = online && !offline_wanted;
  bool frozen = sched_cstrs_node_has(s->c, id, SCHED_QUARANTINE);
  for (int r = 0; r < SCHED_NRES; r++) {
    x->cap[r] = usable ? g->cap[r] : 0;
    x->used[r] = 0;
  }
  x->accepts = usable && !frozen;
  x->rank = (uint32_t)rng_next(&s->rng);
  s->node_local[id] = s->nn;
  s->node_stamp[id] = s->epoch;
  s->nn++;
  /* VEs in id order, so the result does not depend on the model's history */
  if (array_reserve((void **)&s->queue, &s->queue_cap, g->nves, sizeof(int32_t)) < 0)
    return -1;
  if (g->nves) {
    memcpy(s->queue, g->ves, sizeof(int32_t) * g->nves);
    qsort(s->queue, g->nves, sizeof(int32_t), cmp_i32);
  }
  for (int32_t i = 0; i < g->nves; i++)
    if (add_ve(s, s->queue[i], s->nn - 1, frozen) < 0)
      return -1;
  return 0;
}

/* Ready VEs that a running constraint wants started. */
static int add_ready_ves(struct sched_solver *s) {
  if (!sched_cstrs_has(s->c, SCHED_RUNNING))
    return 0;
  for (int32_t i = 0; i < s->c->n; i++) {
    const struct sched_cstr *x = &s->c->items[i];
    if (x->kind != SCHED_RUNNING)
      continue;
    for (int32_t k = 0; k < x->nves; k++)
      if (s->m->ves[x->ves[k]].host == SCHED_NOWHERE && solver_ve_local(s, x->ves[k]) < 0 &&
          add_ve(s, x->ves[k], -1, false) < 0)
        return -1;
  }
  return 0;
}

/* Running sums of the capacity constraints that name a partition node. */
static int init_capsums(struct sched_solver *s) {
  s->nsums = 0;
  if (!sched_cstrs_has(s->c, SCHED_RESOURCE_CAPACITY) &&
      !sched_cstrs_has(s->c, SCHED_RUNNING_CAPACITY))
    return 0;
  if (array_reserve((void **)&s->cstr_sum, &s->cstr_sum_size, s->c->n, sizeof(int32_t)) < 0)
    return -1;
  for (int32_t i = 0; i < s->c->n; i++)
    s->cstr_sum[i] = -1;
  for (int32_t l = 0; l < s->nn; l++) {
    int32_t n;
    const int32_t *idx = sched_cstrs_of_node(s->c, s->nodes[l].id, &n);
    for (int32_t k = 0; k < n; k++) {
      const struct sched_cstr *x = &s->c->items[idx[k]];
      if ((x->kind != SCHED_RESOURCE_CAPACITY && x->kind != SCHED_RUNNING_CAPACITY) ||
          s->cstr_sum[idx[k]] >= 0)
        continue;
      if (array_reserve((void **)&s->sums, &s->sums_cap, s->nsums + 1, sizeof(*s->sums)) < 0)
        return -1;
      int64_t value = 0;
      /* partition nodes start empty in the local target and fill up as the
       * initial placement is replayed; count only the outside ones here */
      for (int32_t j = 0; j < x->nnodes; j++) {
        const struct sched_node *g = &s->m->nodes[x->nodes[j]];
        if (solver_node_local(s, x->nodes[j]) >= 0)
          continue;
        value += x->kind == SCHED_RUNNING_CAPACITY ? g->nves : g->used[x->rc];
      }
      s->cstr_sum[idx[k]] = s->nsums;
      s->sums[s->nsums++] = (struct capsum){idx[k], value};
    }
  }
  return 0;
}

static void capsums_update(struct sched_solver *s, int32_t v, int32_t n, int sign) {
  int32_t cnt;
  const int32_t *idx = sched_cstrs_of_node(s->c, s->nodes[n].id, &cnt);
  for (int32_t k = 0; k < cnt; k++) {
    int32_t at = s->cstr_sum[idx[k]];
    if (at < 0)
      continue;
    const struct sched_cstr *x = &s->c->items[idx[k]];
    s->sums[at].value += sign * (x->kind == SCHED_RUNNING_CAPACITY ? 1 : s->ves[v].demand[x->rc]);
  }
}

int solver_set_host(struct sched_solver *s, int32_t v, int32_t n) {
  struct lve *x = &s->ves[v];
  if (x->host == n)
    return 0;
  if (n >= 0) {
    struct lnode *d = &s->nodes[n];
    if (array_reserve((void **)&d->ves, &d->ves_cap, d->nves + 1, sizeof(int32_t)) < 0)
      return -1;
  }
  if (x->host >= 0) {
    struct lnode *o = &s->nodes[x->host];
    int32_t last = o->ves[--o->nves];
    o->ves[x->slot] = last;
    s->ves[last].slot = x->slot;
    for (int r = 0; r < SCHED_NRES; r++)
      o->used[r] -= x->demand[r];
    if (s->nsums)
      capsums_update(s, v, x->host, -1);
  }
  x->host = n;
  x->slot = -1;
  if (n >= 0) {
    struct lnode *d = &s->nodes[n];
    x->slot = d->nves;
    d->ves[d->nves++] = v;
    for (int r = 0; r < SCHED_NRES; r++)
      d->used[r] += x->demand[r];
    if (s->nsums)
      capsums_update(s, v, n, +1);
  }
  return 0;
}

int32_t solver_capsum_violated(const struct sched_solver *s) {
  for (int32_t i = 0; i < s->nsums; i++)
    if (s->sums[i].value > s->c->items[s->sums[i].cstr].amount)
      return i;
  return -1;
}

bool solver_out_of_time(struct sched_solver *s) {
  if (s->timed_out)
    return true;
  if (!s->has_deadline)
    return false;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (now.tv_sec > s->deadline.tv_sec ||
      (now.tv_sec == s->deadline.tv_sec && now.tv_nsec >= s->deadline.tv_nsec))
    s->timed_out = true;
  return s->timed_out;
}

int64_t solver_target_cost(const struct sched_solver *s, int32_t *moved) {
  int64_t cost = 0;
  int32_t n = 0;
  for (int32_t v = 0; v < s->nv; v++)
    if (s->ves[v].orig >= 0 && s->ves[v].host != s->ves[v].orig) {
      cost += s->ves[v].demand[SCHED_MEM];
      n++;
    }
  if (moved)
    *moved = n;
  return cost;
}

bool solver_target_ok(struct sched_solver *s) {
  for (int32_t n = 0; n < s->nn; n++)
    if (!solver_node_ok(s, n))
      return false;
  for (int32_t v = 0; v < s->nv; v++) {
    const struct lve *x = &s->ves[v];
    if (x->host < 0 ? x->needs_run : !solver_allows(s, v, x->host))
      return false;
  }
  return solver_capsum_violated(s) < 0;
}

int solver_make_plan(struct sched_solver *s, struct sched_plan *p, err_t *e) {
  if (array_reserve((void **)&s->moves, &s->moves_cap, s->nv, sizeof(*s->moves)) < 0)
    return err_set(e, ENOMEM, "solver: out of memory");
  int32_t nmoves = 0;
  for (int32_t v = 0; v < s->nv; v++)
    if (s->ves[v].host >= 0 && s->ves[v].host != s->ves[v].orig)
      s->moves[nmoves++] = (struct sched_move){s->ves[v].id, s->nodes[s->ves[v].host].id};
  if (array_reserve((void **)&s->queue, &s->queue_cap, s->nn, sizeof(int32_t)) < 0)
    return err_set(e, ENOMEM, "solver: out of memory");
  for (int32_t n = 0; n < s->nn; n++)
    s->queue[n] = s->nodes[n].id;
  err_t sub = ERR_INIT;
  if (sched_plan_build(p, s->m, s->moves, nmoves, s->queue, s->nn, s->c, &sub) == 0)
    return 0;
  if (sub.code == EAGAIN)
    return 1;
  *e = sub;
  return err_wrap(e, "solver");
}

/* The local problem: partition nodes, their VEs, ready VEs to start; the
 * target starts as the initial configuration. */
static int build(struct sched_solver *s, const int32_t *nodes, int32_t nnodes, err_t *e) {
  s->nn = s->nv = 0;
  if (array_reserve((void **)&s->nodes, &s->nodes_cap, nnodes, sizeof(*s->nodes)) < 0)
    return err_set(e, ENOMEM, "solver: out of memory");
  for (int32_t i = 0; i < nnodes; i++) {
    int32_t id = nodes ? nodes[i] : i;
    if (id < 0 || id >= s->m->nnodes)
      return err_set(e, EINVAL, "solver: partition node %d out of range (model has %d nodes)",
                     id, s->m->nnodes);
    if (solver_node_local(s, id) >= 0)
      return err_set(e, EINVAL, "solver: partition lists node %d twice", id);
    if (add_node(s, id) < 0)
      return err_set(e, ENOMEM, "solver: out of memory");
  }
  if (add_ready_ves(s) < 0 || init_capsums(s) < 0)
    return err_set(e, ENOMEM, "solver: out of memory");
  for (int32_t v = 0; v < s->nv; v++)
    if (solver_set_host(s, v, s->ves[v].orig) < 0)
      return err_set(e, ENOMEM, "solver: out of memory");
  return 0;
}

/* A necessary condition: the partition's capacity covers its VEs' demand. */
static const char *capacity_shortfall(const struct sched_solver *s) {
  int64_t demand[SCHED_NRES] = {0}, cap[SCHED_NRES] = {0};
  for (int32_t v = 0; v < s->nv; v++)
    for (int r = 0; r < SCHED_NRES; r++)
      demand[r] += s->ves[v].demand[r];
  for (int32_t n = 0; n < s->nn; n++)
    for (int r = 0; r < SCHED_NRES; r++)
      cap[r] += s->nodes[n].cap[r];
  if (demand[SCHED_CPU] > cap[SCHED_CPU])
    return "partition lacks cpu capacity";
  if (demand[SCHED_MEM] > cap[SCHED_MEM])
    return "partition lacks memory capacity";
  return NULL;
}

static int restore_initial(struct sched_solver *s) {
  for (int32_t v = 0; v < s->nv; v++)
    if (solver_set_host(s, v, s->ves[v].orig) < 0)
      return -1;
  return 0;
}

static void set_deadline(struct sched_solver *s, double limit) {
  s->has_deadline = limit > 0;
  s->timed_out = false;
  if (!s->has_deadline)
    return;
  clock_gettime(CLOCK_MONOTONIC, &s->deadline);
  double whole = (double)(int64_t)limit;
  s->deadline.tv_sec += (time_t)whole;
  s->deadline.tv_nsec += (long)((limit - whole) * 1e9);
  if (s->deadline.tv_nsec >= 1000000000L) {
    s->deadline.tv_sec++;
    s->deadline.tv_nsec -= 1000000000L;
  }
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* Heuristic, then search; 1 solved (plan filled), 0 none, -1 error. */
static int solve_local(struct sched_solver *s, struct sched_plan *plan,
                       struct sched_solve_stats *st, err_t *e) {
  if (solver_target_ok(s)) {
    /* already viable: no move, but nodes may still have to boot or stop */
    int r = solver_make_plan(s, plan, e);
    return r < 0 ? -1 : 1;
  }
  s->why = capacity_shortfall(s);
  if (s->why)
    return 0;
  int r = solver_repair(s, e);
  if (r < 0)
    return -1;
  if (r == 1) {
    r = solver_make_plan(s, plan, e);
    if (r <= 0)
      return r < 0 ? -1 : 1;
  }
  if (restore_initial(s) < 0)
    return err_set(e, ENOMEM, "solver: out of memory");
  st->searched = true;
  r = solver_search(s, e);
  if (r <= 0) {
    if (r == 0 && !s->why)
      s->why = s->timed_out ? "time limit reached" : "no viable configuration found";
    return r;
  }
  r = solver_make_plan(s, plan, e);
  if (r == 1) {
    s->why = "no plan reaches the target: a cycle has no pivot";
    return 0;
  }
  return r < 0 ? -1 : 1;
}

static double thread_cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int sched_solve(struct sched_solver *s, const struct sched_model *m, const int32_t *nodes,
                int32_t nnodes, const struct sched_cstrs *c, const struct sched_solve_opts *opts,
                struct sched_plan *plan, struct sched_solve_stats *stats, err_t *e) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  double cpu0 = thread_cpu();
  struct sched_solve_stats st = {0};
  sched_plan_clear(plan);
  if (c && c->n == 0)
    c = NULL;
  if (c && (!c->sealed || c->nves != m->nves || c->nnodes != m->nnodes))
    return err_set(e, EINVAL, "solver: constraints are not sealed for this model");
  if (!nodes)
    nnodes = m->nnodes;
  if (nnodes < 0)
    return err_set(e, EINVAL, "solver: negative partition size %d", nnodes);
  s->m = m;
  s->c = c;
  s->why = NULL;
  s->effort = 0;
  s->effort_limit = opts && opts->effort_limit ? opts->effort_limit : DEFAULT_EFFORT;
  rng_seed(&s->rng, opts ? opts->seed : 0, 0x5c4ed);
  set_deadline(s, opts ? opts->time_limit : 0);
  if (size_maps(s, m) < 0)
    return err_set(e, ENOMEM, "solver: out of memory for a model of %d nodes", m->nnodes);
  if (build(s, nodes, nnodes, e) < 0)
    return -1;
  int r = solve_local(s, plan, &st, e);
  if (r < 0)
    return -1;
  if (r == 0)
    sched_plan_clear(plan);
  st.nodes = s->nn;
  st.ves = s->nv;
  solver_target_cost(s, &st.moved);
  if (r == 0)
    st.moved = 0;
  st.effort = s->effort;
  st.timed_out = s->timed_out;
  st.why = r == 0 ? s->why : NULL;
  st.seconds = seconds_since(&t0);
  st.cpu_seconds = thread_cpu() - cpu0;
  if (stats)
    *stats = st;
  return r ? SCHED_SOLVED : SCHED_NO_SOLUTION;
}
