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
#include <time.h>
#include <unistd.h>

#include "node/agent_internal.h"
#include "proto/view.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/timefmt.h"

enum { SAMPLE_MS = 500 };

static volatile sig_atomic_t stop_signal;

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double agent_now(const struct agent *a) {
  return mono() - a->t0;
}

int32_t agent_slot_of(const char *addr) {
  uint32_t ip;
  uint16_t port;
  err_t e = ERR_INIT;
  return frame_parse_addr(addr, &ip, &port, &e) < 0 ? -1 : ((const uint8_t *)&ip)[3];
}

/* One line of <root>/node/events.jsonl; takes `ev`. */
/* <root>/node/events.jsonl, appended to; past NODE_EVENTS_MAX it becomes
 * events.jsonl.1 (one older generation, as the engine's events log). */
static int open_events(struct agent *a, err_t *e) {
  char path[4096];
  snprintf(path, sizeof path, "%s/node/events.jsonl", a->o.root);
  a->events_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  return a->events_fd < 0 ? err_sys(e, "node: %s", path) : 0;
}

static void rotate_events(struct agent *a) {
  struct stat st;
  char path[4096], old[4200];
  err_t e = ERR_INIT;
  if (fstat(a->events_fd, &st) < 0 || st.st_size < NODE_EVENTS_MAX)
    return;
  snprintf(path, sizeof path, "%s/node/events.jsonl", a->o.root);
  snprintf(old, sizeof old, "%s.1", path);
  close(a->events_fd);
  a->events_fd = -1;
  if (rename(path, old) == 0 || errno == ENOENT)
    open_events(a, &e); /* else events stop: the agent goes on */
}

void agent_event(struct agent *a, json_t *ev) {
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
    if (write_all(a->events_fd, line, n + 1) < 0) {
      close(a->events_fd);
      a->events_fd = -1;
    } else {
      rotate_events(a);
    }
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
  agent_event(a, json_pack("{s:s, s:s, s:s}", "type", present ? "member-up" : "member-down", "member",
                     m->addr, "reason", why));
}

struct net_conn *agent_conn_to(struct agent *a, int32_t slot) {
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
    struct net_conn *c = agent_conn_to(a, j);
    if (c)
      net_send(&a->net, c, FRAME_PING, buf, len);
  }
  /* The ring as this agent hears it, for its next start (it may be the
   * only way back in: members forget one that left). */
  if (!a->members_saved || strcmp(a->members_saved, buf)) {
    char path[4096];
    err_t e = ERR_INIT;
    snprintf(path, sizeof path, "%s/node/members", a->o.root);
    free(a->members_saved);
    a->members_saved = atomic_replace_at(AT_FDCWD, path, buf, len, 0600, &e) == 0 ? strdup(buf)
                                                                                  : NULL;
  }
}

static void expire(struct agent *a) {
  double t = agent_now(a);
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
    if (sscanf(line, "%d %47s", &slot, addr) != 2 || slot != agent_slot_of(addr) || slot == a->self)
      continue;
    struct member *m = &a->members[slot];
    if (!m->addr[0]) {
      snprintf(m->addr, sizeof m->addr, "%s", addr);
      m->heard = agent_now(a);
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
  return agent_now(ctx);
}

static void tp_send_cb(void *ctx, int32_t from, int32_t to, struct msg *m) {
  struct agent *a = ctx;
  (void)from;
  if (to == a->self) {
    defer(a, m, 0);
    return;
  }
  struct net_conn *c = to >= 0 && to < HOST_SLOTS && a->members[to].present ? agent_conn_to(a, to) : NULL;
  if (c)
    net_send(&a->net, c, FRAME_MSG, m, m->bytes);
  free(m);
}

static void tp_timer_cb(void *ctx, int32_t node, double delay, uint64_t token) {
  struct agent *a = ctx;
  (void)node;
  timeq_push(&a->timers, (struct timeq_item){.at = agent_now(a) + delay, .token = token});
}

bool agent_moving(const struct agent *a, int32_t ve) {
  for (int32_t i = 0; i < a->nmoves; i++)
    if (a->moves[i]->kind == MV_OUT && a->moves[i]->ve == ve)
      return true;
  return false;
}

static struct node_snap *tp_snapshot_cb(void *ctx, int32_t node) {
  struct agent *a = ctx;
  struct node_snap *s = host_snapshot(&a->host, node);
  for (int32_t i = 0; s && i < s->nves; i++)
    if (agent_moving(a, s->ves[i].ve))
      s->ves[i].flags |= SNAP_VE_MIGRATING;
  return s;
}

static void tp_migrate_cb(void *ctx, int32_t node, int32_t ve, int32_t dst, uint64_t token) {
  struct agent *a = ctx;
  (void)node;
  struct host_ve *v = host_find(&a->host, ve);
  err_t e = ERR_INIT;
  pid_t pid = -1;
  if (v && !agent_moving(a, ve) && dst >= 0 && dst < HOST_SLOTS && a->members[dst].present)
    pid = move_out_start(&a->env, v, a->members[dst].addr, &e);
  struct move *mv = pid > 0 ? agent_add_move(a, pid, MV_OUT, ve, dst) : NULL;
  if (!mv) {
    agent_event(a, json_pack("{s:s, s:i, s:s}", "type", "migration-refused", "ve", ve, "reason",
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
static int tp_audit_cb(void *ctx, int32_t coordinator, const struct sched_plan *p,
                       int32_t first_step, const int32_t *nodes, int32_t n, err_t *e) {
  struct agent *a = ctx;
  (void)coordinator;
  int rc = agent_recheck(a, p, first_step, nodes, n, e);
  if (rc < 0)
    agent_event(a, json_pack("{s:s, s:s}", "type", "plan-refused", "reason", e->msg));
  return rc;
}

static const struct transport_ops agent_transport = {
    .now = tp_now_cb, .send = tp_send_cb, .timer = tp_timer_cb, .snapshot = tp_snapshot_cb,
    .migrate = tp_migrate_cb, .charge = tp_charge_cb, .audit = tp_audit_cb};

/* ---- frames ---- */

static void on_frame(void *data, struct net_conn *c, uint8_t type, const uint8_t *p, size_t len) {
  struct agent *a = data;
  int32_t from = agent_slot_of(c->peer);
  if (from < 0 || from == a->self)
    return;
  struct member *m = &a->members[from];
  if (type == FRAME_LEAVE) {
    set_present(a, from, false, "left");
    m->addr[0] = 0;
    return;
  }
  snprintf(m->addr, sizeof m->addr, "%s", c->peer);
  m->heard = agent_now(a);
  set_present(a, from, true, "heard");
  if (type == FRAME_PING) {
    learn(a, (const char *)p, len);
  } else if (type == FRAME_MOVE) {
    agent_arrival(a, c, p, len);
  } else if (type == FRAME_WHERE) {
    agent_on_where(a, c, p, len);
  } else if (type == FRAME_HERE) {
    agent_on_here(a, c, p, len);
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
      agent_event(a, json_pack("{s:s, s:s}", "type", "bad-message", "from", c->peer));
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
  agent_event(data, json_pack("{s:s, s:s, s:s}", "type", "peer-refused", "peer", who, "reason", why));
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
      agent_now(a));
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
             agent_slot_of(cmd + 5) >= 0 && agent_slot_of(cmd + 5) != a->self) {
    struct member *m = &a->members[agent_slot_of(cmd + 5)];
    memcpy(m->addr, cmd + 5, strlen(cmd + 5) + 1);
    m->heard = agent_now(a);
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
  while (timeq_due(&a->timers, agent_now(a))) {
    struct timeq_item t = timeq_pop(&a->timers);
    dvms_agent_ops.timer(a->d, a->self, t.token);
  }
}

static void sample(struct agent *a) {
  err_t e = ERR_INIT;
  if (host_sample(&a->host, agent_now(a), &e) < 0)
    agent_event(a, json_pack("{s:s, s:s}", "type", "error", "reason", e.msg));
  int level = host_level(&a->host, a->o.target);
  if (level == a->level)
    return;
  static const char *const names[] = {"ok", "hot", "overloaded"};
  agent_event(a, json_pack("{s:s, s:s, s:i, s:i}", "type", "load", "level", names[level], "demand",
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
  a->self = agent_slot_of(o->listen);
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
  snprintf(path, sizeof path, "%s/node/doubt", o->root);
  if (mkdir_p_at(AT_FDCWD, path, 0700, e) < 0)
    return -1;
  snprintf(path, sizeof path, "%s/node", o->run_root);
  if (mkdir_p_at(AT_FDCWD, path, 0700, e) < 0)
    return -1;
  if (open_events(a, e) < 0)
    return -1;
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
  snprintf(path, sizeof path, "%s/node/members", o->root);
  size_t len = 0;
  err_t ignored = ERR_INIT;
  _cleanup_free_ char *known = read_file_at(AT_FDCWD, path, 1 << 16, &len, &ignored);
  if (known)
    learn(a, known, len);
  if (o->join) {
    int32_t s = agent_slot_of(o->join);
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
  free(a->members_saved);
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
    agent_event(a, json_pack("{s:s, s:i}", "type", "start", "cpu_cap", a->host.cpu_cap));
    double next_sample = 0, next_ping = 0;
    while (!a->stop && !stop_signal && rc == 0) {
      run_due(a);
      double t = agent_now(a);
      if (t >= next_sample) {
        sample(a);
        next_sample = t + SAMPLE_MS / 1000.0;
      }
      if (t >= next_ping) {
        expire(a);
        ping_all(a);
        agent_ask_doubts(a);
        write_status(a);
        next_ping = t + 1;
      }
      double wake = fmin(next_sample, next_ping);
      if (a->timers.n)
        wake = fmin(wake, a->timers.v[0].at);
      int ms = a->ndef ? 0 : (int)ceil(fmax(0, wake - agent_now(a)) * 1000);
      rc = net_poll(&a->net, ms, e);
    }
    /* Leaving: say so, so that the others need not wait for a timeout. */
    for (int32_t j = 0; j < HOST_SLOTS; j++)
      if (a->members[j].present && agent_conn_to(a, j))
        net_send(&a->net, a->members[j].out, FRAME_LEAVE, "", 0);
    for (int i = 0; i < 10 && a->net.nconns; i++)
      net_poll(&a->net, 20, e);
    agent_event(a, json_pack("{s:s}", "type", "stop"));
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
