/* The agent's moves: starting and watching their workers, checking plans
 * and arrivals against live state, answering, and moves in doubt. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/agent_internal.h"
#include "sched/checker.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/syscalls.h"

void on_worker(struct net *n, struct net_watch *w, uint32_t events);

struct move *agent_add_move(struct agent *a, pid_t pid, enum move_kind kind, int32_t ve,
                             int32_t peer) {
  struct move *mv = calloc(1, sizeof *mv);
  err_t e = ERR_INIT;
  if (!mv || array_reserve((void **)&a->moves, &a->movescap, a->nmoves + 1, sizeof *a->moves) < 0)
    goto fail;
  *mv = (struct move){.w = {.fd = sys_pidfd_open(pid, 0), .fn = on_worker}, .a = a, .pid = pid,
                      .kind = kind, .ve = ve, .peer = peer, .started = agent_now(a)};
  if (mv->w.fd < 0 || net_watch_add(&a->net, &mv->w, EPOLLIN, &e) < 0)
    goto fail;
  a->moves[a->nmoves++] = mv;
  return mv;
fail:
  if (mv && mv->w.fd >= 0)
    close(mv->w.fd);
  free(mv);
  kill(pid, SIGKILL); /* a worker nobody watches would report to no one */
  waitpid(pid, NULL, 0);
  return NULL;
}

int agent_recheck(struct agent *a, const struct sched_plan *p, int32_t first,
                   const int32_t *nodes, int32_t n, err_t *e) {
  struct sched_model m;
  if (sched_model_init(&m, HOST_SLOTS, HOST_NVES, e) < 0)
    return -1;
  for (int32_t j = 0; j < HOST_SLOTS; j++)
    sched_node_set_capacity(&m, j, INT32_MAX, INT32_MAX);
  sched_node_set_capacity(&m, a->self, a->host.cpu_cap, a->host.mem_cap);
  int rc = 0;
  for (int32_t i = 0; i < a->host.nves && rc == 0; i++) {
    const struct host_ve *v = &a->host.ves[i];
    sched_ve_set_demand(&m, v->ve, v->demand, v->mem);
    rc = sched_ve_place(&m, v->ve, a->self, e);
  }
  for (int32_t i = p->step_start[first]; i < p->nactions && rc == 0; i++) {
    const struct sched_action *x = &p->actions[i];
    if (x->kind != SCHED_MIGRATE)
      continue;
    struct sched_ve *v = &m.ves[x->ve];
    if (x->src == a->self && v->host == a->self &&
        fabs((double)(v->demand[SCHED_CPU] - x->cpu)) <= (double)x->cpu / 5)
      sched_ve_set_demand(&m, x->ve, x->cpu, v->demand[SCHED_MEM]);
    if (v->host == SCHED_NOWHERE && x->src != a->self) {
      sched_ve_set_demand(&m, x->ve, x->cpu, x->mem);
      rc = sched_ve_place(&m, x->ve, x->src, e);
    }
  }
  struct sched_check_opts o = {.partition = nodes, .npartition = n, .first_step = first,
                               .live = true};
  if (rc == 0)
    rc = sched_check_plan_opts(&m, NULL, p, &o, e);
  sched_model_free(&m);
  return rc;
}

/* ---- moves ---- */

static void answer(struct agent *a, struct net_conn *c, bool ok, const char *why) {
  char buf[256];
  buf[0] = ok;
  size_t n = (size_t)snprintf(buf + 1, sizeof buf - 1, "%s", why);
  if (c)
    net_send(&a->net, c, FRAME_MOVED, buf, 1 + n);
}

void agent_arrival(struct agent *a, struct net_conn *c, const uint8_t *p, size_t len) {
  int32_t cpu = 0, mem = 0, ve = move_payload_ve(p, len, &cpu, &mem), src = agent_slot_of(c->peer);
  err_t e = ERR_INIT;
  if (ve < 0 || src < 0 || src == a->self)
    return answer(a, c, false, "malformed move");
  /* The move as a one-step plan, checked against this host as it is. */
  struct sched_action act = {.kind = SCHED_MIGRATE, .ve = ve, .src = src, .dst = a->self,
                             .mem = mem, .cpu = cpu};
  int32_t starts[2] = {0, 1};
  struct sched_plan plan = {.actions = &act, .nactions = 1, .step_start = starts, .nsteps = 1,
                            .migrations = 1};
  if (host_find(&a->host, ve) || agent_recheck(a, &plan, 0, NULL, 0, &e) < 0) {
    agent_event(a, json_pack("{s:s, s:i, s:s, s:s}", "type", "arrival-refused", "ve", ve, "from",
                       c->peer, "reason", e.msg[0] ? e.msg : "already here"));
    return answer(a, c, false, e.msg[0] ? e.msg : "already here");
  }
  char idfile[4096];
  snprintf(idfile, sizeof idfile, "%s/node/tmp/in-%d.id", a->o.root, ve);
  pid_t pid = move_in_start(&a->env, p, len, idfile, &e);
  struct move *mv = pid > 0 ? agent_add_move(a, pid, MV_IN, ve, src) : NULL;
  if (!mv)
    return answer(a, c, false, "cannot start");
  mv->conn = c;
  snprintf(mv->idfile, sizeof mv->idfile, "%s", idfile);
}

static const char *const outcome_names[] = {"ok", "rolled-back", "in-doubt"};

void on_worker(struct net *n, struct net_watch *w, uint32_t events) {
  struct move *mv = (struct move *)w;
  struct agent *a = mv->a;
  int st = 0;
  (void)events;
  if (waitpid(mv->pid, &st, WNOHANG) <= 0)
    return;
  net_watch_del(n, w);
  close(w->fd);
  for (int32_t i = 0; i < a->nmoves; i++)
    if (a->moves[i] == mv)
      a->moves[i] = a->moves[--a->nmoves];
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : MOVE_ROLLED_BACK;
  double took = agent_now(a) - mv->started;
  if (mv->kind == MV_RESOLVE) {
    char doubt[4096];
    snprintf(doubt, sizeof doubt, "%s/node/doubt/%d", a->o.root, mv->ve);
    if (code == 0)
      unlink(doubt);
    agent_event(a, json_pack("{s:s, s:i, s:s, s:s, s:b}", "type", "doubt-resolved", "ve", mv->ve,
                       "container", mv->cid, "action", mv->keep ? "started" : "removed", "ok",
                       code == 0));
  } else if (mv->kind == MV_OUT) {
    int o = code <= MOVE_IN_DOUBT ? code : MOVE_ROLLED_BACK;
    a->migrations[o]++;
    agent_event(a, json_pack("{s:s, s:i, s:s, s:s, s:s, s:f, s:s}", "type", "migration", "ve", mv->ve,
                       "container", mv->cid, "from", a->o.listen, "to", a->members[mv->peer].addr,
                       "duration", took, "outcome", outcome_names[o]));
    dvms_agent_ops.migrated(a->d, a->self, mv->token, o == MOVE_OK);
  } else {
    size_t len = 0;
    err_t e = ERR_INIT;
    _cleanup_free_ char *id = read_file_at(AT_FDCWD, mv->idfile, 128, &len, &e);
    unlink(mv->idfile);
    bool ok = code == 0 && id && strlen(id) == 64 && host_adopt(&a->host, id, mv->ve, &e) == 0;
    const char *why = ok ? "started" : id && code ? id : "the worker failed";
    agent_event(a, json_pack("{s:s, s:i, s:s, s:s, s:f, s:b, s:s}", "type", "arrival", "ve", mv->ve,
                       "container", ok ? id : "", "from", a->members[mv->peer].addr, "duration",
                       took, "ok", ok, "reason", why));
    answer(a, mv->conn, ok, why);
  }
  free(mv);
}

/* ---- moves in doubt ---- */

/* The container id and destination of VE `ve`'s move in doubt. */
static bool doubt_of(struct agent *a, int32_t ve, char id[65], char dst[48]) {
  char path[4096];
  size_t len = 0;
  err_t e = ERR_INIT;
  snprintf(path, sizeof path, "%s/node/doubt/%d", a->o.root, ve);
  _cleanup_free_ char *t = read_file_at(AT_FDCWD, path, 256, &len, &e);
  return t && sscanf(t, "%64s %47s", id, dst) == 2 && strlen(id) == 64 &&
         strspn(id, "0123456789abcdef") == 64 && agent_slot_of(dst) >= 0 && agent_slot_of(dst) != a->self;
}

static bool resolving(const struct agent *a, int32_t ve) {
  for (int32_t i = 0; i < a->nmoves; i++)
    if (a->moves[i]->kind == MV_RESOLVE && a->moves[i]->ve == ve)
      return true;
  return false;
}

/* Ask each destination of a move in doubt where its VE is. */
void agent_ask_doubts(struct agent *a) {
  char path[4096], id[65], dst[48];
  snprintf(path, sizeof path, "%s/node/doubt", a->o.root);
  _cleanup_closedir_ DIR *d = opendir(path);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    char *end;
    long ve = strtol(de->d_name, &end, 10);
    if (end == de->d_name || *end || ve < 0 || ve >= HOST_NVES || resolving(a, (int32_t)ve) ||
        !doubt_of(a, (int32_t)ve, id, dst))
      continue;
    struct member *m = &a->members[agent_slot_of(dst)];
    if (!m->addr[0]) {
      snprintf(m->addr, sizeof m->addr, "%s", dst);
      m->heard = agent_now(a);
    }
    struct net_conn *c = agent_conn_to(a, agent_slot_of(dst));
    int32_t v = (int32_t)ve;
    if (c)
      net_send(&a->net, c, FRAME_WHERE, &v, sizeof v);
  }
}

void agent_on_where(struct agent *a, struct net_conn *c, const uint8_t *p, size_t len) {
  int32_t ve;
  if (len != sizeof ve)
    return;
  memcpy(&ve, p, sizeof ve);
  uint8_t ans[5];
  memcpy(ans, &ve, sizeof ve);
  ans[4] = host_find(&a->host, ve) ? MOVE_THERE : MOVE_ABSENT;
  for (int32_t i = 0; i < a->nmoves; i++)
    if (a->moves[i]->kind == MV_IN && a->moves[i]->ve == ve)
      ans[4] = MOVE_ARRIVING;
  net_send(&a->net, c, FRAME_HERE, ans, sizeof ans);
}

void agent_on_here(struct agent *a, struct net_conn *c, const uint8_t *p, size_t len) {
  int32_t ve;
  char id[65], dst[48];
  if (len != 5)
    return;
  memcpy(&ve, p, sizeof ve);
  if (p[4] == MOVE_ARRIVING || p[4] > MOVE_ARRIVING || resolving(a, ve) ||
      !doubt_of(a, ve, id, dst) || strcmp(dst, c->peer))
    return;
  err_t e = ERR_INIT;
  bool keep = p[4] == MOVE_ABSENT;
  pid_t pid = move_resolve_start(&a->env, id, keep, &e);
  struct move *mv = pid > 0 ? agent_add_move(a, pid, MV_RESOLVE, ve, agent_slot_of(dst)) : NULL;
  if (mv) {
    mv->keep = keep;
    snprintf(mv->cid, sizeof mv->cid, "%s", id);
  }
}

