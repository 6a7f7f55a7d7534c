/* The independent checker. It replays the plan on an overlay of the model
 * (only the nodes and VEs the plan touches are copied) and evaluates each
 * constraint as a whole over the replayed state: per step for the transition
 * (continuous) rules, at the end for the discrete ones. */
#include "sched/checker.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"

struct cnode {
  int32_t id;
  int64_t used[SCHED_NRES];
  int64_t incoming[SCHED_NRES]; /* arrivals of the current step */
  int32_t nves;
  bool online, booting, in_partition;
};

struct cve {
  int32_t id;
  int32_t host;     /* at the start of the current step */
  int32_t arriving; /* destination during the current step, or -1 */
  int32_t start;    /* in the initial configuration */
};

struct replay {
  const struct sched_model *m;
  const struct sched_cstrs *c;
  const struct sched_plan *p;
  struct cnode *nodes; /* sorted by id */
  int32_t nn;
  struct cve *ves;     /* sorted by id */
  int32_t nv;
  int32_t step;
  bool confined; /* every node an action names must be in the partition */
  bool live;     /* m is the live state (sched_check_opts) */
  const int64_t (*arriving)[SCHED_NRES]; /* sched_check_opts */
};

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

static struct cnode *cnode(const struct replay *r, int32_t id) {
  struct cnode key = {.id = id};
  return bsearch(&key, r->nodes, r->nn, sizeof(*r->nodes), cmp_i32);
}

static struct cve *cve(const struct replay *r, int32_t id) {
  struct cve key = {.id = id};
  return bsearch(&key, r->ves, r->nv, sizeof(*r->ves), cmp_i32);
}

static int32_t host_now(const struct replay *r, int32_t ve) {
  const struct cve *v = cve(r, ve);
  return v ? v->host : r->m->ves[ve].host;
}

static bool online_now(const struct replay *r, int32_t node) {
  const struct cnode *n = cnode(r, node);
  return n ? n->online : r->m->nodes[node].online;
}

static void describe(const struct sched_action *a, char *buf, size_t size) {
  switch (a->kind) {
  case SCHED_MIGRATE:
    snprintf(buf, size, "migrate ve %d node %d -> node %d", a->ve, a->src, a->dst);
    break;
  case SCHED_BOOT_VE:
    snprintf(buf, size, "boot ve %d on node %d", a->ve, a->dst);
    break;
  case SCHED_BOOT_NODE:
    snprintf(buf, size, "boot node %d", a->dst);
    break;
  case SCHED_SHUTDOWN_NODE:
    snprintf(buf, size, "shut down node %d", a->dst);
    break;
  default:
    snprintf(buf, size, "action of unknown kind %d", (int)a->kind);
  }
}

static int fail_at(struct replay *r, const struct sched_action *a, err_t *e, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
static int fail_at(struct replay *r, const struct sched_action *a, err_t *e, const char *fmt,
                   ...) {
  char what[128], why[512];
  describe(a, what, sizeof(what));
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  return err_set(e, EINVAL, "step %d, %s: %s", r->step, what, why);
}

/* A violation that demands changing since the plan was made explain: on
 * the live state, the plan is stale rather than wrong. */
static int drifted(const struct replay *r, int rc, err_t *e) {
  if (r->live)
    e->code = ESTALE;
  return rc;
}

/* ---- building the overlay ---- */

static int32_t sort_unique(int32_t *v, int32_t n) {
  if (n == 0)
    return 0;
  qsort(v, n, sizeof(*v), cmp_i32);
  int32_t k = 0;
  for (int32_t i = 0; i < n; i++)
    if (k == 0 || v[k - 1] != v[i])
      v[k++] = v[i];
  return k;
}

static int check_ids(const struct replay *r, err_t *e) {
  for (int32_t i = 0; i < r->p->nactions; i++) {
    const struct sched_action *a = &r->p->actions[i];
    bool node_action = a->kind == SCHED_BOOT_NODE || a->kind == SCHED_SHUTDOWN_NODE;
    if ((unsigned)a->kind > SCHED_SHUTDOWN_NODE || a->dst < 0 || a->dst >= r->m->nnodes ||
        (!node_action && (a->ve < 0 || a->ve >= r->m->nves)) ||
        (a->kind == SCHED_MIGRATE && (a->src < 0 || a->src >= r->m->nnodes)))
      return err_set(e, EINVAL, "plan action %d: kind or id out of range", i);
  }
  if (r->p->nsteps < 0 || (r->p->nsteps > 0 && (r->p->step_start[0] != 0 ||
                                                r->p->step_start[r->p->nsteps] != r->p->nactions)))
    return err_set(e, EINVAL, "plan: steps do not cover its %d actions", r->p->nactions);
  for (int32_t k = 0; k < r->p->nsteps; k++)
    if (r->p->step_start[k + 1] < r->p->step_start[k])
      return err_set(e, EINVAL, "plan: step %d ends before it starts", k);
  if (r->p->nsteps == 0 && r->p->nactions)
    return err_set(e, EINVAL, "plan: %d actions outside any step", r->p->nactions);
  return 0;
}

static int build_overlay(struct replay *r, const int32_t *partition, int32_t npartition) {
  int32_t *nodes = NULL, nn = 0, ncap = 0, *ves = NULL, nv = 0, vcap = 0;
  int rc = -1;
  for (int32_t i = 0; i < r->p->nactions; i++) {
    const struct sched_action *a = &r->p->actions[i];
    if (array_push_i32(&nodes, &nn, &ncap, a->dst) < 0 ||
        (a->kind == SCHED_MIGRATE && array_push_i32(&nodes, &nn, &ncap, a->src) < 0) ||
        (a->ve >= 0 && array_push_i32(&ves, &nv, &vcap, a->ve) < 0))
      goto out;
  }
  for (int32_t i = 0; i < npartition; i++)
    if (array_push_i32(&nodes, &nn, &ncap, partition[i]) < 0)
      goto out;
  nn = sort_unique(nodes, nn);
  nv = sort_unique(ves, nv);
  r->nodes = calloc(nn ? nn : 1, sizeof(*r->nodes));
  r->ves = calloc(nv ? nv : 1, sizeof(*r->ves));
  if (!r->nodes || !r->ves)
    goto out;
  for (int32_t i = 0; i < nn; i++) {
    const struct sched_node *g = &r->m->nodes[nodes[i]];
    struct cnode *n = &r->nodes[i];
    n->id = nodes[i];
    memcpy(n->used, g->used, sizeof(n->used));
    n->nves = g->nves;
    n->online = g->online;
  }
  r->nn = nn;
  for (int32_t i = 0; i < nv; i++)
    r->ves[i] = (struct cve){ves[i], r->m->ves[ves[i]].host, -1, r->m->ves[ves[i]].host};
  r->nv = nv;
  for (int32_t i = 0; i < npartition; i++)
    cnode(r, partition[i])->in_partition = true;
  rc = 0;
out:
  free(nodes);
  free(ves);
  return rc;
}

/* ---- one step ---- */

/* Each action must fit the state at the start of its step. */
static int check_action(struct replay *r, const struct sched_action *a, err_t *e) {
  struct cnode *dst = cnode(r, a->dst);
  if (r->confined) {
    int32_t outside = !dst->in_partition ? a->dst
                      : a->kind == SCHED_MIGRATE && !cnode(r, a->src)->in_partition ? a->src
                                                                                      : -1;
    if (outside >= 0)
      return fail_at(r, a, e, "node %d is outside the partition the scheduler was given",
                     outside);
  }
  if (a->kind == SCHED_BOOT_NODE)
    return dst->online ? fail_at(r, a, e, "node %d is already online", a->dst) : 0;
  if (a->kind == SCHED_SHUTDOWN_NODE) {
    if (!dst->online)
      return fail_at(r, a, e, "node %d is already offline", a->dst);
    if (dst->nves)
      return fail_at(r, a, e, "node %d still hosts %d VEs", a->dst, dst->nves);
    return 0;
  }
  struct cve *v = cve(r, a->ve);
  if (v->arriving >= 0)
    return fail_at(r, a, e, "ve %d already moves in this step", a->ve);
  if (a->kind == SCHED_MIGRATE && v->host != a->src)
    return fail_at(r, a, e, "ve %d is on node %d, not on node %d", a->ve, v->host, a->src);
  /* pinned in the model: a migration the plan did not start is under way
   * (those of the plan's earlier steps have ended before its next one) */
  if (a->kind == SCHED_MIGRATE && r->m->ves[a->ve].pinned)
    return fail_at(r, a, e, "ve %d is already migrating", a->ve);
  if (a->kind == SCHED_BOOT_VE && v->host != SCHED_NOWHERE)
    return fail_at(r, a, e, "ve %d already runs on node %d", a->ve, v->host);
  if (a->kind == SCHED_MIGRATE && a->src == a->dst)
    return fail_at(r, a, e, "source and destination are the same");
  if (!dst->online)
    return fail_at(r, a, e, "node %d is offline", a->dst);
  const int64_t *d = r->m->ves[a->ve].demand;
  if (a->mem != d[SCHED_MEM])
    return drifted(r, fail_at(r, a, e, "carries %lld MB but ve %d has %lld MB",
                              (long long)a->mem, a->ve, (long long)d[SCHED_MEM]), e);
  if (a->cpu != d[SCHED_CPU])
    return drifted(r, fail_at(r, a, e, "carries %lld cpu but ve %d demands %lld",
                              (long long)a->cpu, a->ve, (long long)d[SCHED_CPU]), e);
  v->arriving = a->dst;
  for (int k = 0; k < SCHED_NRES; k++)
    dst->incoming[k] += r->m->ves[a->ve].demand[k];
  return 0;
}

static const char *const res_name[SCHED_NRES] = {"cpu", "memory"};

/* A node that receives VEs holds, during the step, everything it hosted at
 * the start plus everything arriving. */
static int check_capacity(struct replay *r, const struct sched_action *a, err_t *e) {
  const struct cnode *n = cnode(r, a->dst);
  const struct sched_node *g = &r->m->nodes[a->dst];
  for (int k = 0; k < SCHED_NRES; k++) {
    int64_t outside = r->arriving ? r->arriving[a->dst][k] : 0;
    int64_t need = n->used[k] + n->incoming[k] + outside;
    if (need <= g->cap[k])
      continue;
    char also[64] = "";
    if (outside)
      snprintf(also, sizeof also, " (%lld arriving from outside the plan)", (long long)outside);
    return drifted(r, fail_at(r, a, e, "node %d over %s capacity: %lld > %lld%s", a->dst,
                              res_name[k], (long long)need, (long long)g->cap[k], also), e);
  }
  return 0;
}

static bool member(const struct sched_cstr *x, int32_t ve) {
  return sched_ids_contain(x->ves, x->nves, ve);
}

/* Where x's VEs all were in the initial configuration: one node (gather)
 * or one group (among); -1 when they were apart or none ran. */
static int32_t initial_place(const struct replay *r, const struct sched_cstr *x) {
  int32_t place = -1;
  for (int32_t k = 0; k < x->nves; k++) {
    const struct cve *v = cve(r, x->ves[k]);
    int32_t h = v ? v->start : r->m->ves[x->ves[k]].host;
    if (h == SCHED_NOWHERE)
      continue;
    int32_t p = x->kind == SCHED_AMONG ? sched_cstr_group_of(x, h) : h;
    if (p < 0 || (place >= 0 && p != place))
      return -1;
    place = p;
  }
  return place;
}

/* Calls visit(u) for each VE on `node` during the step; stops at false. */
static bool each_on(const struct replay *r, int32_t node, bool (*visit)(const void *, int32_t),
                    const void *data) {
  const struct sched_node *g = &r->m->nodes[node];
  for (int32_t i = 0; i < g->nves; i++)
    if (!cve(r, g->ves[i]) && !visit(data, g->ves[i]))
      return false;
  for (int32_t i = 0; i < r->nv; i++)
    if ((r->ves[i].host == node || r->ves[i].arriving == node) && !visit(data, r->ves[i].id))
      return false;
  return true;
}

/* Is VE ve the plan's business: moved by it, not running (every solve
 * answers for ready VEs), or on a node of the plan or the partition? */
static bool ve_in_scope(const struct replay *r, int32_t ve) {
  const struct cve *v = cve(r, ve);
  int32_t start = v ? v->start : r->m->ves[ve].host;
  return v || start == SCHED_NOWHERE || cnode(r, start) != NULL;
}

struct mix {
  const struct replay *r;
  const struct sched_cstr *x;
  int32_t ve;
  bool blamed; /* the conflicts of ve count whoever the other VE is */
};

/* False when u and ve may not be together under x, and the plan answers for
 * one of them. */
static bool may_mix(const void *data, int32_t u) {
  const struct mix *mx = data;
  const struct sched_cstr *x = mx->x;
  if (u == mx->ve)
    return true;
  bool clash;
  switch (x->kind) {
  case SCHED_SPREAD:
    clash = member(x, u) && member(x, mx->ve);
    break;
  case SCHED_LONELY:
    clash = member(x, u) != member(x, mx->ve);
    break;
  case SCHED_SPLIT: {
    int32_t gu = sched_cstr_group_of(x, u), gv = sched_cstr_group_of(x, mx->ve);
    clash = gu >= 0 && gv >= 0 && gu != gv;
    break;
  }
  default:
    clash = false;
  }
  return !clash || !(mx->blamed || ve_in_scope(mx->r, u));
}

static int64_t set_usage(const struct replay *r, const struct sched_cstr *x, bool during) {
  int64_t sum = 0;
  for (int32_t j = 0; j < x->nnodes; j++) {
    const struct cnode *n = cnode(r, x->nodes[j]);
    const struct sched_node *g = &r->m->nodes[x->nodes[j]];
    if (x->kind == SCHED_RUNNING_CAPACITY)
      sum += n ? n->nves : g->nves;
    else if (x->kind == SCHED_RESOURCE_CAPACITY)
      sum += n ? n->used[x->rc] + (during ? n->incoming[x->rc] : 0) : g->used[x->rc];
    else
      sum += n ? (n->online || (during && n->booting)) : g->online;
  }
  if (during && x->kind == SCHED_RUNNING_CAPACITY)
    for (int32_t i = 0; i < r->nv; i++)
      sum += r->ves[i].arriving >= 0 && sched_ids_contain(x->nodes, x->nnodes, r->ves[i].arriving);
  return sum;
}

/* The transition rules of constraints.h for action a under constraint x. */
static int check_transition(struct replay *r, const struct sched_cstr *x,
                            const struct sched_action *a, err_t *e) {
  const char *name = sched_cstr_kind_name(x->kind);
  bool moves = a->kind == SCHED_MIGRATE;
  bool arrives = a->kind == SCHED_MIGRATE || a->kind == SCHED_BOOT_VE;
  bool mine = a->ve >= 0 && member(x, a->ve);
  bool to_set = sched_ids_contain(x->nodes, x->nnodes, a->dst);
  /* root and quarantine hold over the whole plan whatever their flag */
  if (x->kind == SCHED_ROOT && moves && mine)
    return fail_at(r, a, e, "root: ve %d may not be relocated", a->ve);
  if (x->kind == SCHED_QUARANTINE && moves &&
      (to_set || sched_ids_contain(x->nodes, x->nnodes, a->src)))
    return fail_at(r, a, e, "quarantine: nothing may enter or leave node %d",
                   to_set ? a->dst : a->src);
  if (!x->continuous || !arrives)
    return 0;
  switch (x->kind) {
  case SCHED_BAN:
    if (mine && to_set)
      return fail_at(r, a, e, "continuous ban: node %d is banned for ve %d", a->dst, a->ve);
    break;
  case SCHED_FENCE:
    if (mine && !to_set)
      return fail_at(r, a, e, "continuous fence: node %d is outside the fence of ve %d", a->dst,
                     a->ve);
    break;
  case SCHED_GATHER:
    if (mine && moves && initial_place(r, x) >= 0)
      return fail_at(r, a, e, "continuous gather: gathered ve %d may not move", a->ve);
    break;
  case SCHED_AMONG: {
    int32_t group = mine ? initial_place(r, x) : -1;
    if (group >= 0 && sched_cstr_group_of(x, a->dst) != group)
      return fail_at(r, a, e, "continuous among: ve %d leaves its group", a->ve);
    break;
  }
  case SCHED_SPREAD:
  case SCHED_LONELY:
  case SCHED_SPLIT: {
    struct mix mx = {r, x, a->ve, true};
    bool concerned = x->kind == SCHED_LONELY || mine;
    if (concerned && !each_on(r, a->dst, may_mix, &mx))
      return fail_at(r, a, e, "continuous %s: ve %d would share node %d with a VE it must not",
                     name, a->ve, a->dst);
    break;
  }
  case SCHED_RESOURCE_CAPACITY:
  case SCHED_RUNNING_CAPACITY:
    if (to_set && set_usage(r, x, true) > x->amount)
      return fail_at(r, a, e, "continuous %s: %lld > %lld on its nodes during the step", name,
                     (long long)set_usage(r, x, true), (long long)x->amount);
    break;
  default:
    break;
  }
  return 0;
}

static int check_transitions(struct replay *r, const struct sched_action *a, err_t *e) {
  if (!r->c)
    return 0;
  for (int32_t i = 0; i < r->c->n; i++)
    if (check_transition(r, &r->c->items[i], a, e) < 0)
      return -1;
  return 0;
}

static void land(struct replay *r, const struct sched_action *a) {
  struct cnode *dst = cnode(r, a->dst);
  if (a->kind == SCHED_BOOT_NODE || a->kind == SCHED_SHUTDOWN_NODE) {
    dst->online = a->kind == SCHED_BOOT_NODE;
    dst->booting = false;
    return;
  }
  struct cve *v = cve(r, a->ve);
  const int64_t *d = r->m->ves[a->ve].demand;
  if (a->kind == SCHED_MIGRATE) {
    struct cnode *src = cnode(r, a->src);
    for (int k = 0; k < SCHED_NRES; k++)
      src->used[k] -= d[k];
    src->nves--;
  }
  for (int k = 0; k < SCHED_NRES; k++)
    dst->used[k] += d[k];
  dst->nves++;
  v->host = a->dst;
  v->arriving = -1;
}

static int max_online_during(struct replay *r, int32_t first, int32_t end, err_t *e) {
  if (!sched_cstrs_has(r->c, SCHED_MAX_ONLINE))
    return 0;
  for (int32_t i = 0; i < r->c->n; i++) {
    const struct sched_cstr *x = &r->c->items[i];
    if (x->kind == SCHED_MAX_ONLINE && x->continuous && set_usage(r, x, true) > x->amount)
      for (int32_t j = first; j < end; j++)
        if (r->p->actions[j].kind == SCHED_BOOT_NODE &&
            sched_ids_contain(x->nodes, x->nnodes, r->p->actions[j].dst))
          return fail_at(r, &r->p->actions[j], e, "continuous maxOnline: more than %lld nodes on",
                         (long long)x->amount);
  }
  return 0;
}

static int replay_step(struct replay *r, err_t *e) {
  int32_t first = r->p->step_start[r->step], end = r->p->step_start[r->step + 1];
  const struct sched_action *acts = r->p->actions;
  for (int32_t i = first; i < end; i++) {
    if (check_action(r, &acts[i], e) < 0)
      return -1;
    if (acts[i].kind == SCHED_BOOT_NODE)
      cnode(r, acts[i].dst)->booting = true;
  }
  for (int32_t i = first; i < end; i++) {
    bool arrives = acts[i].kind == SCHED_MIGRATE || acts[i].kind == SCHED_BOOT_VE;
    if ((arrives && check_capacity(r, &acts[i], e) < 0) || check_transitions(r, &acts[i], e) < 0)
      return -1;
  }
  if (max_online_during(r, first, end, e) < 0)
    return -1;
  for (int32_t i = first; i < end; i++)
    land(r, &acts[i]);
  for (int32_t j = 0; j < r->nn; j++)
    memset(r->nodes[j].incoming, 0, sizeof(r->nodes[j].incoming));
  return 0;
}

/* ---- the final configuration ---- */

static bool in_overlay_node(const struct replay *r, int32_t node) {
  return node != SCHED_NOWHERE && cnode(r, node) != NULL;
}

/* Does the plan or the partition concern x? It does when it names a VE the
 * plan moves, a VE on a node of the plan or the partition, a VE that does
 * not run (every solve answers for ready VEs), or one of those nodes. */
static bool in_scope(const struct replay *r, const struct sched_cstr *x) {
  for (int32_t k = 0; k < x->nves; k++) {
    int32_t host = r->m->ves[x->ves[k]].host;
    if (cve(r, x->ves[k]) || host == SCHED_NOWHERE || in_overlay_node(r, host))
      return true;
  }
  for (int32_t j = 0; j < x->nnodes; j++)
    if (in_overlay_node(r, x->nodes[j]))
      return true;
  return false;
}

static int final_fail(const struct sched_cstr *x, int32_t i, err_t *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int final_fail(const struct sched_cstr *x, int32_t i, err_t *e, const char *fmt, ...) {
  char why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  return err_set(e, EINVAL, "at the end: %s #%d: %s", sched_cstr_kind_name(x->kind), i, why);
}

static int node_viable_now(const struct replay *r, int32_t node) {
  const struct cnode *n = cnode(r, node);
  const struct sched_node *g = &r->m->nodes[node];
  if (!n)
    return sched_node_viable(r->m, node);
  if (n->nves == 0)
    return true;
  return n->online && n->used[SCHED_CPU] <= g->cap[SCHED_CPU] &&
         n->used[SCHED_MEM] <= g->cap[SCHED_MEM];
}

/* A member of gather or among that sits apart from v (another node, or
 * another group), where the plan answers for v or for it; -1 if none. */
static int32_t apart_from(const struct replay *r, const struct sched_cstr *x, int32_t v,
                          bool mine) {
  int32_t h = host_now(r, v);
  int32_t place = x->kind == SCHED_AMONG ? sched_cstr_group_of(x, h) : h;
  for (int32_t k = 0; k < x->nves; k++) {
    int32_t u = x->ves[k], hu = host_now(r, u);
    if (u == v || hu == SCHED_NOWHERE)
      continue;
    int32_t pu = x->kind == SCHED_AMONG ? sched_cstr_group_of(x, hu) : hu;
    if (pu != place && (mine || ve_in_scope(r, u)))
      return u;
  }
  return -1;
}

/* The discrete meaning of x over the final state, for the VEs and nodes the
 * plan answers for. */
static int check_final_cstr(const struct replay *r, const struct sched_cstr *x, int32_t i,
                            err_t *e) {
  for (int32_t k = 0; k < x->nves; k++) {
    int32_t v = x->ves[k], h = host_now(r, v);
    bool mine = ve_in_scope(r, v);
    switch (x->kind) {
    case SCHED_BAN:
      if (mine && h != SCHED_NOWHERE && sched_ids_contain(x->nodes, x->nnodes, h))
        return final_fail(x, i, e, "ve %d runs on banned node %d", v, h);
      break;
    case SCHED_FENCE:
      if (mine && h != SCHED_NOWHERE && !sched_ids_contain(x->nodes, x->nnodes, h))
        return final_fail(x, i, e, "ve %d runs on node %d, outside its fence", v, h);
      break;
    case SCHED_RUNNING:
      if (mine && h == SCHED_NOWHERE)
        return final_fail(x, i, e, "ve %d is not running", v);
      break;
    case SCHED_PRESERVE:
      if (mine && r->m->ves[v].demand[x->rc] < x->amount)
        return final_fail(x, i, e, "ve %d is granted %lld %s, less than %lld", v,
                          (long long)r->m->ves[v].demand[x->rc], res_name[x->rc],
                          (long long)x->amount);
      if (mine && h != SCHED_NOWHERE && !node_viable_now(r, h))
        return final_fail(x, i, e, "ve %d runs on overloaded node %d", v, h);
      break;
    case SCHED_AMONG:
      if (mine && h != SCHED_NOWHERE && sched_cstr_group_of(x, h) < 0)
        return final_fail(x, i, e, "ve %d runs on node %d, in none of the groups", v, h);
      /* fall through */
    case SCHED_GATHER:
      if (h != SCHED_NOWHERE) {
        int32_t u = apart_from(r, x, v, mine);
        if (u >= 0)
          return final_fail(x, i, e, "ve %d runs on node %d, apart from ve %d on node %d", v, h,
                            u, host_now(r, u));
      }
      break;
    case SCHED_SPREAD:
    case SCHED_LONELY:
    case SCHED_SPLIT:
      if (h != SCHED_NOWHERE) {
        struct mix mx = {r, x, v, mine};
        if (!each_on(r, h, may_mix, &mx))
          return final_fail(x, i, e, "ve %d shares node %d with a VE it must not", v, h);
      }
      break;
    default:
      break;
    }
  }
  for (int32_t j = 0; j < x->nnodes; j++) {
    bool on = online_now(r, x->nodes[j]);
    if (!cnode(r, x->nodes[j]))
      continue;
    if (x->kind == SCHED_ONLINE && !on)
      return final_fail(x, i, e, "node %d is offline", x->nodes[j]);
    if (x->kind == SCHED_OFFLINE && on)
      return final_fail(x, i, e, "node %d is online", x->nodes[j]);
  }
  if ((x->kind == SCHED_RESOURCE_CAPACITY || x->kind == SCHED_RUNNING_CAPACITY ||
       x->kind == SCHED_MAX_ONLINE) && set_usage(r, x, false) > x->amount)
    return final_fail(x, i, e, "%lld > %lld on its nodes", (long long)set_usage(r, x, false),
                      (long long)x->amount);
  return 0;
}

static int check_final(const struct replay *r, err_t *e) {
  for (int32_t j = 0; j < r->nn; j++)
    if (!node_viable_now(r, r->nodes[j].id)) {
      const struct cnode *n = &r->nodes[j];
      const struct sched_node *g = &r->m->nodes[n->id];
      return err_set(e, EINVAL, "at the end: node %d is not viable: cpu %lld/%lld, memory "
                     "%lld/%lld%s", n->id, (long long)n->used[SCHED_CPU],
                     (long long)g->cap[SCHED_CPU], (long long)n->used[SCHED_MEM],
                     (long long)g->cap[SCHED_MEM], n->online ? "" : ", offline");
    }
  for (int32_t i = 0; r->c && i < r->c->n; i++)
    if (in_scope(r, &r->c->items[i]) && check_final_cstr(r, &r->c->items[i], i, e) < 0)
      return -1;
  return 0;
}

static int check(const struct sched_model *m, const struct sched_cstrs *c,
                 const struct sched_plan *p, const struct sched_check_opts *o, err_t *e) {
  if (c && (!c->sealed || c->nves != m->nves || c->nnodes != m->nnodes))
    return err_set(e, EINVAL, "checker: constraints are not sealed for this model");
  int32_t npartition = o->partition ? o->npartition : 0;
  for (int32_t i = 0; i < npartition; i++)
    if (o->partition[i] < 0 || o->partition[i] >= m->nnodes)
      return err_set(e, EINVAL, "checker: partition node %d out of range", o->partition[i]);
  struct replay r = {.m = m, .c = c && c->n ? c : NULL, .p = p,
                     .confined = o->partition != NULL, .live = o->live,
                     .arriving = o->arriving};
  if (check_ids(&r, e) < 0)
    return -1;
  if (o->first_step < 0 || o->first_step > p->nsteps)
    return err_set(e, EINVAL, "checker: step %d is not one of the plan's %d", o->first_step,
                   p->nsteps);
  if (build_overlay(&r, o->partition, npartition) < 0) {
    free(r.nodes);
    free(r.ves);
    return err_set(e, ENOMEM, "checker: out of memory");
  }
  int rc = 0;
  for (r.step = o->first_step; rc == 0 && r.step < p->nsteps; r.step++)
    rc = replay_step(&r, e);
  if (rc == 0 && !o->live)
    rc = check_final(&r, e);
  free(r.nodes);
  free(r.ves);
  return rc;
}

int sched_check_plan(const struct sched_model *m, const struct sched_cstrs *c,
                     const struct sched_plan *p, const int32_t *partition, int32_t npartition,
                     err_t *e) {
  struct sched_check_opts o = {.partition = partition, .npartition = npartition};
  return check(m, c, p, &o, e);
}

int sched_check_plan_opts(const struct sched_model *m, const struct sched_cstrs *c,
                          const struct sched_plan *p, const struct sched_check_opts *o,
                          err_t *e) {
  return check(m, c, p, o, e);
}

int sched_check_config(const struct sched_model *m, const struct sched_cstrs *c,
                       const int32_t *nodes, int32_t nnodes, err_t *e) {
  struct sched_plan empty;
  sched_plan_init(&empty);
  struct sched_check_opts o = {.partition = nodes, .npartition = nnodes};
  if (nodes)
    return check(m, c, &empty, &o, e);
  int32_t *all = malloc(sizeof(*all) * (m->nnodes ? m->nnodes : 1));
  if (!all)
    return err_set(e, ENOMEM, "checker: out of memory");
  for (int32_t i = 0; i < m->nnodes; i++)
    all[i] = i;
  o = (struct sched_check_opts){.partition = all, .npartition = m->nnodes};
  int rc = check(m, c, &empty, &o, e);
  free(all);
  return rc;
}
