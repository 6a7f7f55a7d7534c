#include "baselines/entropy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/round.h"
#include "proto/apply.h"

enum { TM_PERIOD = 1 };

struct entropy {
  struct entropy_config cfg;
  struct transport tp;
  struct sched_run_stats stats;
  struct round_env env;
  struct round round;
  int32_t *hosts;
  struct apply_local *local; /* per hosting node */
  bool *overloaded;          /* per hosting node: what its monitor says */
};

void entropy_config_default(struct entropy_config *c, int32_t nodes, int32_t nves) {
  memset(c, 0, sizeof *c);
  c->nodes = nodes;
  c->nves = nves;
  c->period = 30;
  c->round.reply_timeout = 1;
  c->round.step_timeout = 300;
  c->round.solve.time_limit = 10;
}

static void next_round(struct entropy *x) {
  /* VMPlaceS sleeps period - duration after each round. */
  double due = x->round.started + x->cfg.period - tp_now(&x->tp);
  tp_timer(&x->tp, x->cfg.nodes, due > 0 ? due : 0, TM_PERIOD);
}

static void on_start(void *agent, int32_t node) {
  struct entropy *x = agent;
  if (node == x->cfg.nodes)
    tp_timer(&x->tp, node, x->cfg.period, TM_PERIOD);
}

static void on_message(void *agent, int32_t node, struct msg *m) {
  struct entropy *x = agent;
  if (node == x->cfg.nodes) {
    if (round_message(&x->round, &x->env, m))
      next_round(x);
  } else if (node < x->cfg.nodes) {
    if (m->kind == ROUND_STATE_REQ)
      round_answer(&x->tp, node, (struct round_state_req *)m, x->overloaded[node]);
    else if (m->kind == APPLY_MIGRATE)
      apply_local_migrate(&x->local[node], &x->tp, node, (struct apply_migrate *)m,
                          m->from == x->cfg.nodes);
  }
  free(m);
}

static void on_timer(void *agent, int32_t node, uint64_t token) {
  struct entropy *x = agent;
  if (node != x->cfg.nodes)
    return;
  if (token == TM_PERIOD) {
    if (x->round.phase == ROUND_IDLE) {
      round_start(&x->round, &x->env, x->hosts, x->cfg.nodes);
      if (x->round.phase == ROUND_IDLE)
        next_round(x);
    }
  } else if (round_timer(&x->round, &x->env, token)) {
    next_round(x);
  }
}

static void on_migrated(void *agent, int32_t node, uint64_t token, bool ok) {
  struct entropy *x = agent;
  apply_local_migrated(&x->local[node], &x->tp, node, token, ok);
}

static void on_load(void *agent, int32_t node, int level) {
  struct entropy *x = agent;
  x->overloaded[node] = level != LOAD_OK; /* over its threshold: in the next round's state */
}

const struct agent_ops entropy_agent_ops = {
    .start = on_start, .message = on_message, .timer = on_timer, .migrated = on_migrated,
    .load = on_load,
};

struct entropy *entropy_new(const struct entropy_config *c, const struct transport *t, err_t *e) {
  if (c->nodes <= 0 || !(c->period > 0))
    return err_set(e, EINVAL, "entropy: need nodes and a positive period"), NULL;
  struct entropy *x = calloc(1, sizeof *x);
  if (!x)
    return err_set(e, ENOMEM, "entropy: out of memory"), NULL;
  x->cfg = *c;
  x->tp = *t;
  x->hosts = calloc(c->nodes, sizeof *x->hosts);
  x->local = calloc(c->nodes, sizeof *x->local);
  x->overloaded = calloc(c->nodes, sizeof *x->overloaded);
  if (!x->hosts || !x->local || !x->overloaded) {
    entropy_free(x);
    return err_set(e, ENOMEM, "entropy: out of memory for %d nodes", c->nodes), NULL;
  }
  for (int32_t i = 0; i < c->nodes; i++)
    x->hosts[i] = i;
  round_init(&x->round, c->nodes);
  if (round_env_init(&x->env, &x->tp, &x->stats, &c->round, c->nodes, c->nves, e) < 0) {
    entropy_free(x);
    return NULL;
  }
  return x;
}

void entropy_free(struct entropy *x) {
  if (!x)
    return;
  for (int32_t i = 0; x->local && i < x->cfg.nodes; i++)
    apply_local_free(&x->local[i]);
  free(x->local);
  free(x->hosts);
  free(x->overloaded);
  round_free(&x->round);
  round_env_free(&x->env);
  sched_run_stats_free(&x->stats);
  free(x);
}

struct sched_run_stats *entropy_stats(struct entropy *x) {
  return &x->stats;
}
