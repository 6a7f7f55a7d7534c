#include "node/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dvms/dvms.h"
#include "node/host.h"
#include "node/move.h"
#include "node/net.h"
#include "proto/timeq.h"
#include "proto/view.h"
#include "sched/checker.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/syscalls.h"
#include "util/timefmt.h"

enum { SAMPLE_MS = 500 };

struct member {
  char addr[48];
  double heard;
  bool present;
  struct net_conn *out;
};

struct move {
  struct net_watch w; /* the worker's pidfd */
  struct agent *a;
  pid_t pid;
  bool out;
  uint64_t token;
  int32_t ve, peer;
  double started;
  struct net_conn *conn; /* an arrival: where to answer */
  char cid[65], idfile[4096];
};

struct deferred {
  struct msg *m; /* a message to self, or NULL: a migration that could not start */
  uint64_t token;
};

struct agent {
  struct node_opts o;
  int32_t self;
  struct net net;
  struct host host;
  struct dvms *d;
  struct transport tp;
  struct member members[HOST_SLOTS];
  struct timeq timers;
  struct deferred *def;
  int32_t ndef, defcap;
  struct move **moves;
  int32_t nmoves, movescap;
  struct net_watch ctl;
  struct move_env env;
  int level, events_fd;
  double t0;
  bool stop;
  uint64_t migrations[3]; /* per enum move_outcome */
};

static volatile sig_atomic_t stop_signal;

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(const struct agent *a) {
  return mono() - a->t0;
}

static int32_t slot_of(const char *addr) {
  uint32_t ip;
  uint16_t port;
  err_t e = ERR_INIT;
  return frame_parse_addr(addr, &ip, &port, &e) < 0 ? -1 : ((const uint8_t *)&ip)[3];
}

/* One line of <root>/node/events.jsonl; takes `ev`. */
static void event(struct agent *a, json_t *ev) {
  _cleanup_free_ char *t = rfc3339_now();
  if (!ev)
    return;
  json_object_set_new(ev, "time", json_string(t ? t : ""));
  json_object_set_new(ev, "host", json_string(a->o.listen));
  char *line = json_dumps(ev, JSON_COMPACT);
  json_decref(ev);
  if (line && a->events_fd >= 0) {
    size_t n = strlen(line);
    line[n] = '\n'; /* in the place of the NUL: one write per line */
    if (write_all(a->events_fd, line, n + 1) < 0)
      a->events_fd = -1;
  }
  free(line);
}

/* ---- membership ---- */

static void set_present(struct agent *a, int32_t slot, bool present, const char *why) {
  struct member *m = &a->members[slot];
  if (m->present == present)
    return;
  m->present = present;
  dvms_set_present(a->d, a->self, slot, present);
  event(a, json_pack("{s:s, s:s, s:s}", "type", present ? "member-up" : "member-down", "member",
                     m->addr, "reason", why));
}

static struct net_conn *conn_to(struct agent *a, int32_t slot) {
  struct member *m = &a->members[slot];
  if (!m->out && m->addr[0])
    m->out = net_dial(&a->net, m->addr);
  return m->out;
}

static void ping_all(struct agent *a) {
  char buf[HOST_SLOTS * 56];
  size_t len = (size_t)snprintf(buf, sizeof buf, "%d %s\n", a->self, a->o.listen);
  for (int32_t j = 0; j < HOST_SLOTS; j++)
    if (a->members[j].present)
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%d %s\n", j, a->members[j].addr);
  for (int32_t j = 0; j < HOST_SLOTS; j++) {
    struct member *m = &a->members[j];
    if (j == a->self || !m->addr[0])
      continue;
    struct net_conn *c = conn_to(a, j);
    if (c)
      net_send(&a->net, c, FRAME_PING, buf, len);
  }
}

static void expire(struct agent *a) {
  double t = now(a);
  for (int32_t j = 0; j < HOST_SLOTS; j++) {
    struct member *m = &a->members[j];
    if (m->present && t - m->heard > NODE_MEMBER_TIMEOUT)
      set_present(a, j, false, "silent");
    /* A member we only heard of, that never answered, is forgotten. */
    if (!m->present && m->addr[0] && t - m->heard > 10 * NODE_MEMBER_TIMEOUT &&
        (!a->o.join || strcmp(m->addr, a->o.join)))
      m->addr[0] = 0;
  }
}

static void learn(struct agent *a, const char *text, size_t len) {
  char line[64];
  for (size_t i = 0; i < len;) {
    size_t n = strcspn(text + i, "\n");
    if (n >= sizeof line || n > len - i)
      return;
    memcpy(line, text + i, n);
    line[n] = 0;
    i += n + 1;
    int slot;
    char addr[48];
    if (sscanf(line, "%d %47s", &slot, addr) != 2 || slot != slot_of(addr) || slot == a->self)
      continue;
    struct member *m = &a->members[slot];
    if (!m->addr[0]) {
      snprintf(m->addr, sizeof m->addr, "%s", addr);
      m->heard = now(a);
    }
  }
}

/* ---- the transport DVMS runs on ---- */

static void defer(struct agent *a, struct msg *m, uint64_t token) {
  if (array_reserve((void **)&a->def, &a->defcap, a->ndef + 1, sizeof *a->def) < 0) {
    free(m); /* lost, as on a network: the protocol's timeouts recover */
    return;
  }
  a->def[a->ndef++] = (struct deferred){m, token};
}

static double tp_now_cb(void *ctx) {
  return now(ctx);
}

static void tp_send_cb(void *ctx, int32_t from, int32_t to, struct msg *m) {
  struct agent *a = ctx;
  (void)from;
  if (to == a->self) {
    defer(a, m, 0);
    return;
  }
  struct net_conn *c = to >= 0 && to < HOST_SLOTS && a->members[to].present ? conn_to(a, to) : NULL;
  if (c)
    net_send(&a->net, c, FRAME_MSG, m, m->bytes);
  free(m);
}

static void tp_timer_cb(void *ctx, int32_t node, double delay, uint64_t token) {
  struct agent *a = ctx;
  (void)node;
  timeq_push(&a->timers, (struct timeq_item){.at = now(a) + delay, .token = token});
}

static bool moving(const struct agent *a, int32_t ve) {
  for (int32_t i = 0; i < a->nmoves; i++)
    if (a->moves[i]->out && a->moves[i]->ve == ve)
      return true;
  return false;
}

static struct node_snap *tp_snapshot_cb(void *ctx, int32_t node) {
  struct agent *a = ctx;
  struct node_snap *s = host_snapshot(&a->host, node);
  for (int32_t i = 0; s && i < s->nves; i++)
    if (moving(a, s->ves[i].ve))
      s->ves[i].flags |= SNAP_VE_MIGRATING;
  return s;
}

static void on_worker(struct net *n, struct net_watch *w, uint32_t events);

static struct move *add_move(struct agent *a, pid_t pid, bool out, int32_t ve, int32_t peer) {
  struct move *mv = calloc(1, sizeof *mv);
  err_t e = ERR_INIT;
  if (!mv || array_reserve((void **)&a->moves, &a->movescap, a->nmoves + 1, sizeof *a->moves) < 0)
    goto fail;
  *mv = (struct move){.w = {.fd = sys_pidfd_open(pid, 0), .fn = on_worker}, .a = a, .pid = pid,
                      .out = out, .ve = ve, .peer = peer, .started = now(a)};
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

static void tp_migrate_cb(void *ctx, int32_t node, int32_t ve, int32_t dst, uint64_t token) {
  struct agent *a = ctx;
  (void)node;
  struct host_ve *v = host_find(&a->host, ve);
  err_t e = ERR_INIT;
  pid_t pid = -1;
  if (v && !moving(a, ve) && dst >= 0 && dst < HOST_SLOTS && a->members[dst].present)
    pid = move_out_start(&a->env, v, a->members[dst].addr, &e);
  struct move *mv = pid > 0 ? add_move(a, pid, true, ve, dst) : NULL;
  if (!mv) {
    event(a, json_pack("{s:s, s:i, s:s}", "type", "migration-refused", "ve", ve, "reason",
                       v ? "cannot start" : "not here"));
    defer(a, NULL, token);
    return;
  }
  mv->token = token;
  snprintf(mv->cid, sizeof mv->cid, "%s", v->id);
}

static double tp_charge_cb(void *ctx, int32_t node, const struct work_cost *w) {
  (void)ctx, (void)node, (void)w;
  return 0; /* the time was spent for real */
}

/* The steps of `p` from `first` on against this host's live state: its
 * capacity, its containers and what they use now. The other nodes' sides
 * are theirs to check (an arrival is checked before it is accepted). A
 * VE of this host is taken at the plan's demand when what it uses now is
 * within a fifth of it: sampling noise must not fail every plan. */
static int recheck(struct agent *a, const struct sched_plan *p, int32_t first,
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

static int tp_audit_cb(void *ctx, int32_t coordinator, const struct sched_plan *p,
                       int32_t first_step, const int32_t *nodes, int32_t n, err_t *e) {
  struct agent *a = ctx;
  (void)coordinator;
  int rc = recheck(a, p, first_step, nodes, n, e);
  if (rc < 0)
    event(a, json_pack("{s:s, s:s}", "type", "plan-refused", "reason", e->msg));
  return rc;
}

static const struct transport_ops agent_transport = {
    .now = tp_now_cb, .send = tp_send_cb, .timer = tp_timer_cb, .snapshot = tp_snapshot_cb,
    .migrate = tp_migrate_cb, .charge = tp_charge_cb, .audit = tp_audit_cb};

/* ---- moves ---- */

static void answer(struct agent *a, struct net_conn *c, bool ok, const char *why) {
  char buf[256];
  buf[0] = ok;
  size_t n = (size_t)snprintf(buf + 1, sizeof buf - 1, "%s", why);
  if (c)
    net_send(&a->net, c, FRAME_MOVED, buf, 1 + n);
}

static void arrival(struct agent *a, struct net_conn *c, const uint8_t *p, size_t len) {
  int32_t cpu = 0, mem = 0, ve = move_payload_ve(p, len, &cpu, &mem), src = slot_of(c->peer);
  err_t e = ERR_INIT;
  if (ve < 0 || src < 0 || src == a->self)
    return answer(a, c, false, "malformed move");
  /* The move as a one-step plan, checked against this host as it is. */
  struct sched_action act = {.kind = SCHED_MIGRATE, .ve = ve, .src = src, .dst = a->self,
                             .mem = mem, .cpu = cpu};
  int32_t starts[2] = {0, 1};
  struct sched_plan plan = {.actions = &act, .nactions = 1, .step_start = starts, .nsteps = 1,
                            .migrations = 1};
  if (host_find(&a->host, ve) || recheck(a, &plan, 0, NULL, 0, &e) < 0) {
    event(a, json_pack("{s:s, s:i, s:s, s:s}", "type", "arrival-refused", "ve", ve, "from",
                       c->peer, "reason", e.msg[0] ? e.msg : "already here"));
    return answer(a, c, false, e.msg[0] ? e.msg : "already here");
  }
  char idfile[4096];
  snprintf(idfile, sizeof idfile, "%s/node/tmp/in-%d.id", a->o.root, ve);
  pid_t pid = move_in_start(&a->env, p, len, idfile, &e);
  struct move *mv = pid > 0 ? add_move(a, pid, false, ve, src) : NULL;
  if (!mv)
    return answer(a, c, false, "cannot start");
  mv->conn = c;
  snprintf(mv->idfile, sizeof mv->idfile, "%s", idfile);
}

static const char *const outcome_names[] = {"ok", "rolled-back", "in-doubt"};

static void on_worker(struct net *n, struct net_watch *w, uint32_t events) {
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
  double took = now(a) - mv->started;
  if (mv->out) {
    int o = code <= MOVE_IN_DOUBT ? code : MOVE_ROLLED_BACK;
    a->migrations[o]++;
    event(a, json_pack("{s:s, s:i, s:s, s:s, s:s, s:f, s:s}", "type", "migration", "ve", mv->ve,
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
    event(a, json_pack("{s:s, s:i, s:s, s:s, s:f, s:b, s:s}", "type", "arrival", "ve", mv->ve,
                       "container", ok ? id : "", "from", a->members[mv->peer].addr, "duration",
                       took, "ok", ok, "reason", why));
    answer(a, mv->conn, ok, why);
  }
  free(mv);
}

/* ---- frames ---- */

static void on_frame(void *data, struct net_conn *c, uint8_t type, const uint8_t *p, size_t len) {
  struct agent *a = data;
  int32_t from = slot_of(c->peer);
  if (from < 0 || from == a->self)
    return;
  struct member *m = &a->members[from];
  if (type == FRAME_LEAVE) {
    set_present(a, from, false, "left");
    m->addr[0] = 0;
    return;
  }
  snprintf(m->addr, sizeof m->addr, "%s", c->peer);
  m->heard = now(a);
  set_present(a, from, true, "heard");
  if (type == FRAME_PING) {
    learn(a, (const char *)p, len);
  } else if (type == FRAME_MOVE) {
    arrival(a, c, p, len);
  } else if (type == FRAME_MSG) {
    struct msg *msg = len >= sizeof *msg ? malloc(len) : NULL;
    if (!msg)
      return;
    memcpy(msg, p, len);
    msg->from = from;
    msg->to = a->self;
    msg->bytes = (uint32_t)len;
    if (!dvms_msg_valid(a->d, msg, len)) {
      free(msg);
      event(a, json_pack("{s:s, s:s}", "type", "bad-message", "from", c->peer));
      return;
    }
    dvms_agent_ops.message(a->d, a->self, msg);
  }
}

static void on_closed(void *data, struct net_conn *c) {
  struct agent *a = data;
  for (int32_t j = 0; j < HOST_SLOTS; j++)
    if (a->members[j].out == c)
      a->members[j].out = NULL;
  for (int32_t i = 0; i < a->nmoves; i++)
    if (a->moves[i]->conn == c)
      a->moves[i]->conn = NULL;
}

static void on_refused(void *data, const char *who, const char *why) {
  event(data, json_pack("{s:s, s:s, s:s}", "type", "peer-refused", "peer", who, "reason", why));
}

static const struct net_ops agent_net = {
    .frame = on_frame, .closed = on_closed, .refused = on_refused};

/* ---- status, control ---- */

static void write_status(struct agent *a) {
  json_t *ring = json_array(), *ves = json_array();
  json_array_append_new(ring, json_pack("{s:i, s:s, s:b}", "slot", a->self, "addr",
                                        a->o.listen, "self", 1));
  for (int32_t j = 0; j < HOST_SLOTS; j++)
    if (a->members[j].present)
      json_array_append_new(ring, json_pack("{s:i, s:s, s:b}", "slot", j, "addr",
                                            a->members[j].addr, "self", 0));
  for (int32_t i = 0; i < a->host.nves; i++) {
    const struct host_ve *v = &a->host.ves[i];
    json_array_append_new(ves, json_pack("{s:s, s:i, s:i, s:i, s:i}", "id", v->id, "ve", v->ve,
                                         "cpu", v->demand, "quota", v->quota, "mem", v->mem));
  }
  static const char *const levels[] = {"ok", "hot", "overloaded"};
  _cleanup_json_ json_t *st = json_pack(
      "{s:i, s:s, s:i, s:o, s:{s:i, s:i, s:i, s:s}, s:o, s:I, s:{s:I, s:I, s:I}, s:i, s:f}",
      "pid", (int)getpid(), "addr", a->o.listen, "slot", a->self, "ring", ring, "load", "cpu_cap",
      a->host.cpu_cap, "mem_cap", a->host.mem_cap, "demand", a->host.demand, "level",
      levels[a->level], "containers", ves, "partition",
      (json_int_t)dvms_node_partition(a->d, a->self), "migrations", "ok",
      (json_int_t)a->migrations[MOVE_OK], "rolled_back", (json_int_t)a->migrations[MOVE_ROLLED_BACK],
      "in_doubt", (json_int_t)a->migrations[MOVE_IN_DOUBT], "moves_running", a->nmoves, "uptime",
      now(a));
  _cleanup_free_ char *text = st ? json_dumps(st, JSON_INDENT(2)) : NULL;
  char path[4096];
  err_t e = ERR_INIT;
  snprintf(path, sizeof path, "%s/node/status.json", a->o.run_root);
  if (text)
    atomic_replace_at(AT_FDCWD, path, text, strlen(text), 0644, &e); /* retried next second */
}

static void on_control(struct net *n, struct net_watch *w, uint32_t events) {
  struct agent *a = (struct agent *)((char *)w - offsetof(struct agent, ctl));
  (void)n, (void)events;
  _cleanup_close_ int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    return;
  struct timeval tv = {.tv_sec = 1};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char cmd[128] = "";
  ssize_t r = read(fd, cmd, sizeof cmd - 1);
  cmd[r > 0 ? r : 0] = 0;
  cmd[strcspn(cmd, "\n")] = 0;
  const char *reply = "ok\n";
  if (!strcmp(cmd, "leave")) {
    a->stop = true;
  } else if (!strncmp(cmd, "join ", 5) && strlen(cmd + 5) < sizeof a->members[0].addr &&
             slot_of(cmd + 5) >= 0 && slot_of(cmd + 5) != a->self) {
    struct member *m = &a->members[slot_of(cmd + 5)];
    memcpy(m->addr, cmd + 5, strlen(cmd + 5) + 1);
    m->heard = now(a);
    ping_all(a);
  } else {
    reply = "error: unknown command or bad address\n";
  }
  if (write_all(fd, reply, strlen(reply)) < 0)
    return;
}

static int control_socket(struct agent *a, err_t *e) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/node/ctl.sock", a->o.run_root) >=
      sizeof sa.sun_path)
    return err_set(e, ENAMETOOLONG, "node: --runroot too long for a socket path");
  unlink(sa.sun_path);
  a->ctl = (struct net_watch){.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
                              .fn = on_control};
  if (a->ctl.fd < 0 || bind(a->ctl.fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      chmod(sa.sun_path, 0600) < 0 || listen(a->ctl.fd, 8) < 0)
    return err_sys(e, "node: control socket %s", sa.sun_path);
  return net_watch_add(&a->net, &a->ctl, EPOLLIN, e);
}

int node_agent_control(const char *run_root, const char *cmd, err_t *e) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s/node/ctl.sock", run_root);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    return err_sys(e, "no agent running (%s)", sa.sun_path);
  struct timeval tv = {.tv_sec = 5};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char reply[128] = "";
  if (write_all(fd, cmd, strlen(cmd)) < 0 || shutdown(fd, SHUT_WR) < 0)
    return err_sys(e, "node: control socket");
  ssize_t r = read(fd, reply, sizeof reply - 1);
  reply[r > 0 ? r : 0] = 0;
  reply[strcspn(reply, "\n")] = 0;
  if (strcmp(reply, "ok"))
    return err_set(e, EINVAL, "%s", reply[0] ? reply : "no answer from the agent");
  return 0;
}

int node_init(const char *root, const char *from, err_t *e) {
  uint8_t key[FRAME_KEY_LEN];
  char path[4096], hex[2 * FRAME_KEY_LEN + 2];
  snprintf(path, sizeof path, "%s/node", root);
  if (mkdir_p_at(AT_FDCWD, path, 0700, e) < 0)
    return -1;
  snprintf(path, sizeof path, "%s/node/key", root);
  if (access(path, F_OK) == 0) /* a new key would cut this host off its ring */
    return err_set(e, EEXIST, "%s exists: remove it first to change the cluster key", path);
  if (from ? frame_key_load(from, key, e) < 0 : frame_key_new(key, e) < 0)
    return -1;
  for (int i = 0; i < FRAME_KEY_LEN; i++)
    snprintf(hex + 2 * i, 3, "%02x", key[i]);
  hex[2 * FRAME_KEY_LEN] = '\n';
  return atomic_write_at(AT_FDCWD, path, hex, 2 * FRAME_KEY_LEN + 1, 0600, e);
}

/* ---- the loop ---- */

static void on_stop_signal(int sig) {
  (void)sig;
  stop_signal = 1;
}

static void run_due(struct agent *a) {
  while (a->ndef) { /* handlers may defer more: take them in order */
    struct deferred x = a->def[0];
    memmove(a->def, a->def + 1, (size_t)--a->ndef * sizeof *a->def);
    if (x.m)
      dvms_agent_ops.message(a->d, a->self, x.m);
    else
      dvms_agent_ops.migrated(a->d, a->self, x.token, false);
  }
  while (timeq_due(&a->timers, now(a))) {
    struct timeq_item t = timeq_pop(&a->timers);
    dvms_agent_ops.timer(a->d, a->self, t.token);
  }
}

static void sample(struct agent *a) {
  err_t e = ERR_INIT;
  if (host_sample(&a->host, now(a), &e) < 0)
    event(a, json_pack("{s:s, s:s}", "type", "error", "reason", e.msg));
  int level = host_level(&a->host, a->o.target);
  if (level == a->level)
    return;
  static const char *const names[] = {"ok", "hot", "overloaded"};
  event(a, json_pack("{s:s, s:s, s:i, s:i}", "type", "load", "level", names[level], "demand",
                     a->host.demand, "cpu_cap", a->host.cpu_cap));
  a->level = level;
  dvms_agent_ops.load(a->d, a->self, level);
}

static int setup(struct agent *a, const struct node_opts *o, err_t *e) {
  uint8_t key[FRAME_KEY_LEN];
  char path[4096];
  a->o = *o;
  a->t0 = mono();
  a->events_fd = -1;
  a->self = slot_of(o->listen);
  if (a->self <= 0 || a->self >= HOST_SLOTS - 1)
    return err_set(e, EINVAL, "--listen %s: expected IPV4:PORT of a host address", o->listen);
  snprintf(path, sizeof path, "%s/node/key", o->root);
  if (frame_key_load(path, key, e) < 0)
    return -1;
  a->env = (struct move_env){.exe = o->exe, .root = o->root, .run_root = o->run_root,
                             .self = o->listen};
  memcpy(a->env.key, key, sizeof key);
  snprintf(path, sizeof path, "%s/node/tmp", o->root);
  if (mkdir_p_at(AT_FDCWD, path, 0700, e) < 0)
    return -1;
  snprintf(path, sizeof path, "%s/node", o->run_root);
  if (mkdir_p_at(AT_FDCWD, path, 0700, e) < 0)
    return -1;
  snprintf(path, sizeof path, "%s/node/events.jsonl", o->root);
  a->events_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (a->events_fd < 0)
    return err_sys(e, "node: %s", path);
  if (host_init(&a->host, o->root, a->self, o->cpus, e) < 0 ||
      net_init(&a->net, o->listen, key, &agent_net, a, e) < 0)
    return -1;
  a->net.now = mono;
  a->tp = (struct transport){.ops = &agent_transport, .ctx = a};
  struct dvms_config c;
  dvms_config_default(&c, HOST_SLOTS, HOST_NVES);
  c.target = c.fill = o->target;
  c.step_timeout = 90; /* a cold move of a large file system takes a while */
  c.seed = (uint64_t)a->self;
  if (!(a->d = dvms_new(&c, &a->tp, e)))
    return -1;
  for (int32_t j = 0; j < HOST_SLOTS; j++)
    if (j != a->self)
      dvms_set_present(a->d, a->self, j, false);
  if (o->join) {
    int32_t s = slot_of(o->join);
    if (s < 0 || s == a->self)
      return err_set(e, EINVAL, "--join %s: expected IPV4:PORT of another host", o->join);
    snprintf(a->members[s].addr, sizeof a->members[s].addr, "%s", o->join);
  }
  return control_socket(a, e);
}

static void teardown(struct agent *a) {
  for (int32_t i = 0; i < a->nmoves; i++) { /* workers finish on their own */
    close(a->moves[i]->w.fd);
    free(a->moves[i]);
  }
  free(a->moves);
  for (int32_t i = 0; i < a->ndef; i++)
    free(a->def[i].m);
  free(a->def);
  dvms_free(a->d);
  net_free(&a->net);
  host_free(&a->host);
  timeq_free(&a->timers);
  if (a->ctl.fd > 0)
    close(a->ctl.fd);
  if (a->events_fd >= 0)
    close(a->events_fd);
}

int node_agent_run(const struct node_opts *o, err_t *e) {
  struct agent *a = calloc(1, sizeof *a);
  if (!a)
    return err_set(e, ENOMEM, "node: out of memory");
  int rc = setup(a, o, e);
  if (rc == 0) {
    struct sigaction sa = {.sa_handler = on_stop_signal}; /* no SA_RESTART: wake the loop */
    signal(SIGPIPE, SIG_IGN);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    event(a, json_pack("{s:s, s:i}", "type", "start", "cpu_cap", a->host.cpu_cap));
    double next_sample = 0, next_ping = 0;
    while (!a->stop && !stop_signal && rc == 0) {
      run_due(a);
      double t = now(a);
      if (t >= next_sample) {
        sample(a);
        next_sample = t + SAMPLE_MS / 1000.0;
      }
      if (t >= next_ping) {
        expire(a);
        ping_all(a);
        write_status(a);
        next_ping = t + 1;
      }
      double wake = fmin(next_sample, next_ping);
      if (a->timers.n)
        wake = fmin(wake, a->timers.v[0].at);
      int ms = a->ndef ? 0 : (int)ceil(fmax(0, wake - now(a)) * 1000);
      rc = net_poll(&a->net, ms, e);
    }
    /* Leaving: say so, so that the others need not wait for a timeout. */
    for (int32_t j = 0; j < HOST_SLOTS; j++)
      if (a->members[j].present && conn_to(a, j))
        net_send(&a->net, a->members[j].out, FRAME_LEAVE, "", 0);
    for (int i = 0; i < 10 && a->net.nconns; i++)
      net_poll(&a->net, 20, e);
    event(a, json_pack("{s:s}", "type", "stop"));
    char path[4096];
    snprintf(path, sizeof path, "%s/node/status.json", a->o.run_root);
    unlink(path);
    snprintf(path, sizeof path, "%s/node/ctl.sock", a->o.run_root);
    unlink(path);
  }
  teardown(a);
  free(a);
  return rc;
}
