#include "baselines/snooze.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/round.h"
#include "proto/apply.h"
#include "util/array.h"

enum snooze_msg_kind {
  SN_JOIN = 300, /* LC -> GL: give me a GM */
  SN_ASSIGN,     /* GL -> LC: report to this GM */
  SN_LC_BEAT,    /* LC -> GM: alive, and whether overloaded (sent on changes too) */
  SN_GM_BEAT,    /* GM -> its LCs: alive */
  SN_GM_SUMMARY, /* GM -> GL: alive, with its number of LCs */
};

struct sn_msg {
  struct msg h;
  int32_t arg; /* ASSIGN: the GM; LC_BEAT: overloaded; GM_SUMMARY: LCs */
};

enum { TM_BEAT = 1, TM_SCHEDULE = 2 };

struct lc {
  int32_t gm;     /* -1 while joining */
  double gm_seen;
  bool overloaded;
  struct apply_local local;
};

struct gm {
  int32_t *lcs, n, cap; /* n LCs; the three arrays are indexed alike */
  double *seen;
  int32_t seen_cap;
  uint8_t *over;
  int32_t over_cap;
  struct round round;
  double last_call;
  bool pending, armed;
};

struct snooze {
  struct snooze_config cfg;
  struct transport tp;
  int32_t ngm;
  struct lc *lc;
  struct gm *gm;
  double *gm_seen; /* GL: per GM */
  int32_t *gm_lcs; /* GL: LCs per GM */
  struct sched_run_stats stats;
  struct round_env env;
};

void snooze_config_default(struct snooze_config *c, int32_t nodes, int32_t nves) {
  memset(c, 0, sizeof *c);
  c->nodes = nodes;
  c->nves = nves;
  c->group = 32;
  c->heartbeat = 3;
  c->timeout = 6;
  c->min_gap = 1;
  c->pull = 0.07;
  c->round.reply_timeout = 1;
  c->round.step_timeout = 300;
  c->round.solve.time_limit = 10;
}

int32_t snooze_services(const struct snooze_config *c) {
  return 1 + (c->nodes + c->group - 1) / c->group;
}

static int32_t gl_node(const struct snooze *s) {
  return s->cfg.nodes;
}
static int32_t gm_node(const struct snooze *s, int32_t g) {
  return s->cfg.nodes + 1 + g;
}

static void send(struct snooze *s, int32_t from, int32_t to, uint16_t kind, int32_t arg) {
  struct sn_msg *m = (struct sn_msg *)msg_new(kind, sizeof *m);
  if (!m)
    return; /* heartbeats and rejoins recover */
  m->arg = arg;
  tp_send(&s->tp, from, to, &m->h);
}

/* ---- group leader ---- */

static bool gm_alive(const struct snooze *s, int32_t g) {
  double now = tp_now(&s->tp);
  return now < s->cfg.timeout || now - s->gm_seen[g] <= s->cfg.timeout;
}

static void gl_join(struct snooze *s, int32_t lc) {
  int32_t best = -1;
  for (int32_t g = 0; g < s->ngm; g++)
    if (gm_alive(s, g) && (best < 0 || s->gm_lcs[g] < s->gm_lcs[best]))
      best = g;
  if (best < 0)
    return; /* no GM alive: the LC asks again at its next beat */
  s->gm_lcs[best]++;
  send(s, gl_node(s), lc, SN_ASSIGN, gm_node(s, best));
}

/* ---- group managers ---- */

static int32_t gm_index_of_lc(const struct gm *m, int32_t lc) {
  for (int32_t i = 0; i < m->n; i++)
    if (m->lcs[i] == lc)
      return i;
  return -1;
}

static int32_t gm_register(struct gm *m, int32_t lc) {
  int32_t i = gm_index_of_lc(m, lc);
  if (i >= 0)
    return i;
  if (array_reserve((void **)&m->lcs, &m->cap, m->n + 1, sizeof *m->lcs) < 0 ||
      array_reserve((void **)&m->seen, &m->seen_cap, m->n + 1, sizeof *m->seen) < 0 ||
      array_reserve((void **)&m->over, &m->over_cap, m->n + 1, sizeof *m->over) < 0)
    return -1;
  m->lcs[m->n] = lc;
  m->over[m->n] = 0;
  return m->n++;
}

static void gm_trigger(struct snooze *s, int32_t g) {
  struct gm *m = &s->gm[g];
  m->pending = true;
  if (m->armed || m->round.phase != ROUND_IDLE)
    return;
  double wait = m->last_call + s->cfg.min_gap - tp_now(&s->tp);
  m->armed = true;
  tp_timer(&s->tp, gm_node(s, g), wait > s->cfg.pull ? wait : s->cfg.pull, TM_SCHEDULE);
}

static void gm_round_ended(struct snooze *s, int32_t g) {
  struct gm *m = &s->gm[g];
  m->last_call = tp_now(&s->tp);
  for (int32_t i = 0; i < m->n; i++)
    if (m->over[i]) {
      gm_trigger(s, g);
      return;
    }
}

static void gm_beat(struct snooze *s, int32_t g) {
  struct gm *m = &s->gm[g];
  double now = tp_now(&s->tp);
  for (int32_t i = 0; i < m->n;) {
    if (now - m->seen[i] > s->cfg.timeout) { /* the LC is dead */
      m->n--;
      m->lcs[i] = m->lcs[m->n];
      m->seen[i] = m->seen[m->n];
      m->over[i] = m->over[m->n];
      s->stats.suspected++;
      continue;
    }
    send(s, gm_node(s, g), m->lcs[i], SN_GM_BEAT, 0);
    i++;
  }
  send(s, gm_node(s, g), gl_node(s), SN_GM_SUMMARY, m->n);
}

static void gm_message(struct snooze *s, int32_t g, struct msg *msg) {
  struct gm *m = &s->gm[g];
  if (msg->kind == SN_LC_BEAT) {
    int32_t i = gm_register(m, msg->from);
    if (i < 0)
      return;
    m->seen[i] = tp_now(&s->tp);
    m->over[i] = ((struct sn_msg *)msg)->arg != 0;
    if (m->over[i])
      gm_trigger(s, g);
  } else if (round_message(&m->round, &s->env, msg)) {
    gm_round_ended(s, g);
  }
}

static void gm_timer(struct snooze *s, int32_t g, uint64_t token) {
  struct gm *m = &s->gm[g];
  if (token == TM_BEAT) {
    gm_beat(s, g);
    tp_timer(&s->tp, gm_node(s, g), s->cfg.heartbeat, TM_BEAT);
  } else if (token == TM_SCHEDULE) {
    m->armed = false;
    if (m->pending && m->round.phase == ROUND_IDLE && m->n) {
      m->pending = false;
      round_start(&m->round, &s->env, m->lcs, m->n);
      if (m->round.phase == ROUND_IDLE)
        gm_round_ended(s, g);
    }
  } else if (round_timer(&m->round, &s->env, token)) {
    gm_round_ended(s, g);
  }
}

/* ---- local controllers ---- */

static void lc_beat(struct snooze *s, int32_t n) {
  struct lc *c = &s->lc[n];
  if (c->gm >= 0 && tp_now(&s->tp) - c->gm_seen > s->cfg.timeout) {
    c->gm = -1; /* its GM is dead: join again */
    s->stats.suspected++;
  }
  if (c->gm < 0)
    send(s, n, gl_node(s), SN_JOIN, 0);
  else
    send(s, n, c->gm, SN_LC_BEAT, c->overloaded);
}

static void lc_message(struct snooze *s, int32_t n, struct msg *m) {
  struct lc *c = &s->lc[n];
  switch (m->kind) {
  case SN_ASSIGN:
    c->gm = ((struct sn_msg *)m)->arg;
    c->gm_seen = tp_now(&s->tp);
    send(s, n, c->gm, SN_LC_BEAT, c->overloaded);
    break;
  case SN_GM_BEAT:
    if (m->from == c->gm)
      c->gm_seen = tp_now(&s->tp);
    break;
  case ROUND_STATE_REQ:
    if (m->from == c->gm)
      round_answer(&s->tp, n, (struct round_state_req *)m, c->overloaded);
    break;
  case APPLY_MIGRATE:
    apply_local_migrate(&c->local, &s->tp, n, (struct apply_migrate *)m, m->from == c->gm);
    break;
  default:
    break;
  }
}

/* ---- dispatch ---- */

/* Components start at different instants: spread their beats over the
 * period (golden-ratio offsets) instead of having them all at once. */
static double phase(const struct snooze *s, int32_t node) {
  double f = node * 0.6180339887498949;
  return s->cfg.heartbeat * (1 + (f - (int64_t)f));
}

static void on_start(void *agent, int32_t node) {
  struct snooze *s = agent;
  if (node < s->cfg.nodes)
    send(s, node, gl_node(s), SN_JOIN, 0);
  if (node != gl_node(s))
    tp_timer(&s->tp, node, phase(s, node), TM_BEAT);
}

static void on_message(void *agent, int32_t node, struct msg *m) {
  struct snooze *s = agent;
  if (node < s->cfg.nodes) {
    lc_message(s, node, m);
  } else if (node == gl_node(s)) {
    if (m->kind == SN_JOIN) {
      gl_join(s, m->from);
    } else if (m->kind == SN_GM_SUMMARY) {
      int32_t g = m->from - gm_node(s, 0);
      if (g >= 0 && g < s->ngm) {
        s->gm_seen[g] = tp_now(&s->tp);
        s->gm_lcs[g] = ((struct sn_msg *)m)->arg;
      }
    }
  } else if (node - gm_node(s, 0) < s->ngm) {
    gm_message(s, node - gm_node(s, 0), m);
  }
  free(m);
}

static void on_timer(void *agent, int32_t node, uint64_t token) {
  struct snooze *s = agent;
  if (node < s->cfg.nodes) {
    lc_beat(s, node);
    tp_timer(&s->tp, node, s->cfg.heartbeat, TM_BEAT);
  } else if (node > gl_node(s) && node - gm_node(s, 0) < s->ngm) {
    gm_timer(s, node - gm_node(s, 0), token);
  }
}

static void on_migrated(void *agent, int32_t node, uint64_t token, bool ok) {
  struct snooze *s = agent;
  apply_local_migrated(&s->lc[node].local, &s->tp, node, token, ok);
}

static void on_load(void *agent, int32_t node, int level) {
  struct snooze *s = agent;
  struct lc *c = &s->lc[node];
  c->overloaded = level != LOAD_OK; /* over its threshold: hot or overloaded */
  if (c->gm >= 0) /* the GM learns at once (VMPlaceS's GM polls every 70 ms) */
    send(s, node, c->gm, SN_LC_BEAT, c->overloaded);
}

const struct agent_ops snooze_agent_ops = {
    .start = on_start, .message = on_message, .timer = on_timer, .migrated = on_migrated,
    .load = on_load,
};

struct snooze *snooze_new(const struct snooze_config *c, const struct transport *t, err_t *e) {
  if (c->nodes <= 0 || c->group <= 0)
    return err_set(e, EINVAL, "snooze: need nodes and groups of at least one LC"), NULL;
  struct snooze *s = calloc(1, sizeof *s);
  if (!s)
    return err_set(e, ENOMEM, "snooze: out of memory"), NULL;
  s->cfg = *c;
  s->tp = *t;
  s->ngm = snooze_services(c) - 1;
  s->lc = calloc(c->nodes, sizeof *s->lc);
  s->gm = calloc(s->ngm, sizeof *s->gm);
  s->gm_seen = calloc(s->ngm, sizeof *s->gm_seen);
  s->gm_lcs = calloc(s->ngm, sizeof *s->gm_lcs);
  if (!s->lc || !s->gm || !s->gm_seen || !s->gm_lcs) {
    snooze_free(s);
    return err_set(e, ENOMEM, "snooze: out of memory for %d nodes", c->nodes), NULL;
  }
  for (int32_t i = 0; i < c->nodes; i++)
    s->lc[i].gm = -1;
  for (int32_t g = 0; g < s->ngm; g++)
    round_init(&s->gm[g].round, gm_node(s, g));
  if (round_env_init(&s->env, &s->tp, &s->stats, &c->round, c->nodes, c->nves, e) < 0) {
    snooze_free(s);
    return NULL;
  }
  return s;
}

void snooze_free(struct snooze *s) {
  if (!s)
    return;
  for (int32_t i = 0; s->lc && i < s->cfg.nodes; i++)
    apply_local_free(&s->lc[i].local);
  for (int32_t g = 0; s->gm && g < s->ngm; g++) {
    free(s->gm[g].lcs);
    free(s->gm[g].seen);
    free(s->gm[g].over);
    round_free(&s->gm[g].round);
  }
  free(s->lc);
  free(s->gm);
  free(s->gm_seen);
  free(s->gm_lcs);
  round_env_free(&s->env);
  sched_run_stats_free(&s->stats);
  free(s);
}

struct sched_run_stats *snooze_stats(struct snooze *s) {
  return &s->stats;
}

int32_t snooze_lc_manager(const struct snooze *s, int32_t lc) {
  return s->lc[lc].gm;
}
