#include "baselines/round.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/checker.h"

int round_env_init(struct round_env *env, const struct transport *tp,
                   struct sched_run_stats *stats, const struct round_config *cfg, int32_t nodes,
                   int32_t nves, err_t *e) {
  *env = (struct round_env){.tp = tp, .stats = stats, .cfg = *cfg};
  if (!(env->cfg.threshold > 0))
    env->cfg.threshold = 1;
  if (view_init(&env->view, nodes, nves, cfg->target, cfg->fill, e) < 0)
    return -1;
  return (env->solver = sched_solver_new(e)) ? 0 : -1;
}

void round_env_free(struct round_env *env) {
  view_free(&env->view);
  sched_solver_free(env->solver);
  env->solver = NULL;
}

void round_init(struct round *r, int32_t self) {
  memset(r, 0, sizeof *r);
  r->self = self;
  sched_plan_init(&r->plan);
  apply_init(&r->run);
}

static void drop_answers(struct round *r) {
  for (int32_t i = 0; r->snaps && i < r->n; i++) {
    free(r->snaps[i]);
    r->snaps[i] = NULL;
  }
}

void round_free(struct round *r) {
  drop_answers(r);
  free(r->snaps);
  free(r->nodes);
  free(r->solved);
  sched_plan_free(&r->plan);
  apply_free(&r->run);
  memset(r, 0, sizeof *r);
}

static void end(struct round *r) {
  drop_answers(r);
  r->phase = ROUND_IDLE;
}

void round_start(struct round *r, struct round_env *env, const int32_t *nodes, int32_t n) {
  drop_answers(r);
  r->tag++;
  r->started = tp_now(env->tp);
  if (n > r->cap) {
    int32_t *p = realloc(r->nodes, (size_t)n * sizeof *p);
    int32_t *q = p ? realloc(r->solved, (size_t)n * sizeof *q) : NULL;
    struct node_snap **s = q ? realloc(r->snaps, (size_t)n * sizeof *s) : NULL;
    if (p)
      r->nodes = p;
    if (q)
      r->solved = q;
    if (s)
      r->snaps = s;
    if (!s)
      return; /* out of memory: the round does not happen */
    r->cap = n;
  }
  r->n = n;
  memcpy(r->nodes, nodes, (size_t)n * sizeof *nodes);
  memset(r->snaps, 0, (size_t)n * sizeof *r->snaps);
  r->waiting = 0;
  r->phase = ROUND_GATHERING;
  for (int32_t i = 0; i < n; i++) {
    struct round_state_req *q = (struct round_state_req *)msg_new(ROUND_STATE_REQ, sizeof *q);
    if (!q)
      continue;
    q->tag = r->tag;
    tp_send(env->tp, r->self, nodes[i], &q->h);
    r->waiting++;
  }
  tp_timer(env->tp, r->self, env->cfg.reply_timeout, ROUND_TOKEN(ROUND_TM_REPLIES, r->tag));
}

static void check_plan(struct round *r, struct round_env *env) {
  err_t e = ERR_INIT;
  env->stats->checks++;
  if (sched_check_plan(&env->view.m, env->cfg.cstrs, &r->plan, r->solved, r->nsolved, &e) < 0) {
    char msg[ERR_MSG_MAX + 64];
    snprintf(msg, sizeof msg, "plan of node %d over %d nodes: %s", r->self, r->nsolved, e.msg);
    sched_run_stats_fail(env->stats, &env->stats->check_failures, msg);
  }
}

/* Above the threshold: the monitor's "hot", which prevention solves. */
static bool snap_hot(const struct node_snap *s, double threshold) {
  int64_t used = 0;
  for (int32_t i = 0; i < s->nves; i++)
    used += s->ves[i].cpu;
  return used > threshold * s->cpu_cap;
}

/* Load the answers into the view, with the prevention and headroom
 * policy or without it (every level at the capacity); true when a node
 * needs the solver. */
static bool load(struct round *r, struct round_env *env, bool policy) {
  err_t e = ERR_INIT;
  bool bad = false;
  bool yield = policy && env->cfg.yield && env->cfg.threshold < 1 && tp_congested(env->tp);
  double threshold = policy && !yield ? env->cfg.threshold : 1;
  env->stats->yielded += yield;
  view_set_levels(&env->view, policy ? env->cfg.target : 1, policy ? env->cfg.fill : 1);
  r->nsolved = 0;
  for (int32_t i = 0; i < r->n; i++) {
    if (!r->snaps[i] ||
        view_load(&env->view, r->snaps[i], snap_hot(r->snaps[i], threshold), &e) < 0)
      continue;
    r->solved[r->nsolved++] = r->nodes[i];
    bad |= !sched_node_viable(&env->view.m, r->nodes[i]);
  }
  return bad;
}

/* One solver call over the loaded view; returns the time it is charged. */
static double solve_once(struct round *r, struct round_env *env) {
  err_t e = ERR_INIT;
  struct sched_solve_stats st = {0};
  struct sched_solve_opts opts = env->cfg.solve;
  opts.seed ^= r->tag;
  int rc = sched_solve(env->solver, &env->view.m, r->solved, r->nsolved, env->cfg.cstrs, &opts,
                       &r->plan, &st, &e);
  r->status = rc < 0 ? SCHED_NO_SOLUTION : rc;
  if (r->status == SCHED_SOLVED) {
    env->stats->solved++;
    if (env->cfg.check && r->plan.nactions)
      check_plan(r, env);
  } else {
    env->stats->no_solution++;
  }
  return sched_run_stats_solve(env->stats, env->tp, r->self, r->nsolved, &st);
}

/* Solve over the nodes that answered, if one of them needs it. The
 * policies are goals, not conditions: a cluster-wide plan that cannot give
 * every hot node and destination its slack is solved again as plain
 * repair, as DVMS's small partitions give up prevention and grow. */
static bool solve(struct round *r, struct round_env *env) {
  if (!load(r, env, true)) {
    end(r);
    return true;
  }
  env->stats->events++;
  double delay = solve_once(r, env);
  bool policy = env->cfg.threshold < 1 || env->view.target < 1 || env->view.fill < 1;
  if (r->status != SCHED_SOLVED && policy && load(r, env, false)) {
    env->stats->relaxed++;
    delay += solve_once(r, env);
  }
  r->phase = ROUND_SOLVING;
  tp_timer(env->tp, r->self, delay, ROUND_TOKEN(ROUND_TM_SOLVED, r->tag));
  return false;
}

static bool applied(struct round *r, struct round_env *env, enum apply_status st) {
  if (st == APPLY_RUNNING)
    return false;
  env->stats->migrations += r->run.done_migrations;
  env->stats->migrations_failed += r->run.failed_migrations;
  if (st == APPLY_DONE)
    series_add(&env->stats->apply_time, tp_now(env->tp) - r->run.started);
  else
    env->stats->plans_failed++;
  end(r);
  return true;
}

static bool apply(struct round *r, struct round_env *env) {
  if (r->status != SCHED_SOLVED || !r->plan.nactions) {
    end(r);
    return true;
  }
  env->stats->plans++;
  env->stats->pivots += r->plan.pivots;
  r->phase = ROUND_APPLYING;
  enum apply_status st = apply_start(&r->run, env->tp, r->self, r->tag, 0, &r->plan,
                                     r->solved, r->nsolved, ROUND_TOKEN(ROUND_TM_APPLY, r->tag),
                                     env->cfg.step_timeout);
  return applied(r, env, st);
}

bool round_message(struct round *r, struct round_env *env, const struct msg *m) {
  if (m->kind == ROUND_STATE && r->phase == ROUND_GATHERING) {
    const struct round_state *a = (const struct round_state *)m;
    if (a->tag != r->tag)
      return false;
    for (int32_t i = 0; i < r->n; i++) {
      if (r->nodes[i] != a->h.from || r->snaps[i])
        continue;
      size_t size = node_snap_size(a->snap.nves);
      if ((r->snaps[i] = malloc(size)))
        memcpy(r->snaps[i], &a->snap, size);
      if (--r->waiting == 0)
        return solve(r, env);
      return false;
    }
  } else if (m->kind == APPLY_MIGRATED && r->phase == ROUND_APPLYING) {
    return applied(r, env, apply_on_migrated(&r->run, env->tp, (const struct apply_migrated *)m));
  }
  return false;
}

bool round_timer(struct round *r, struct round_env *env, uint64_t token) {
  int kind = (int)(token >> 56);
  if (kind == ROUND_TM_REPLIES && r->phase == ROUND_GATHERING &&
      token == ROUND_TOKEN(ROUND_TM_REPLIES, r->tag)) {
    for (int32_t i = 0; i < r->n; i++)
      env->stats->suspected += !r->snaps[i];
    return solve(r, env); /* with the nodes that answered */
  }
  if (kind == ROUND_TM_SOLVED && r->phase == ROUND_SOLVING &&
      token == ROUND_TOKEN(ROUND_TM_SOLVED, r->tag))
    return apply(r, env);
  if (kind == ROUND_TM_APPLY && r->phase == ROUND_APPLYING)
    return applied(r, env, apply_timeout(&r->run, env->tp, token));
  return false;
}

void round_answer(const struct transport *tp, int32_t node, const struct round_state_req *q,
                  bool overloaded) {
  struct node_snap *s = tp->ops->snapshot(tp->ctx, node);
  if (!s)
    return; /* the coordinator's reply timeout covers it */
  struct round_state *a = (struct round_state *)msg_new(
      ROUND_STATE, sizeof(struct round_state) + (size_t)s->nves * sizeof(struct snap_ve));
  if (a) {
    a->tag = q->tag;
    a->overloaded = overloaded;
    memcpy(&a->snap, s, node_snap_size(s->nves));
    tp_send(tp, node, q->h.from, &a->h);
  }
  free(s);
}
