#include "sim/simnet.h"

#include <errno.h>
#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/timeq.h"
#include "proto/view.h"
#include "sched/checker.h"
#include "sim/migrate.h"
#include "sim/platform.h"
#include "util/array.h"

enum ev_type { EV_MESSAGE, EV_LOAD, EV_MIGRATED };

struct sn_event {
  struct sn_event *next;
  enum ev_type type;
  uint64_t token;
  bool flag;
  int level;
  struct msg *m;
};

struct simnet;
struct actor_arg {
  struct simnet *s;
  int32_t node;
};

struct simnet_node {
  struct actor_arg self; /* what its actors get as data */
  sg_host_t host;
  sg_mailbox_t mbox;
  sg_sem_t wake;
  struct sn_event *head, *tail;
  struct timeq timers;
  bool failed;
};

/* ---- per-node event queue and timer heap ---- */

static void enqueue(struct simnet *s, int32_t node, struct sn_event *ev) {
  struct simnet_node *n = &s->n[node];
  ev->next = NULL;
  if (n->tail)
    n->tail->next = ev;
  else
    n->head = ev;
  n->tail = ev;
  if (n->wake)
    sg_sem_release(n->wake);
}

/* ---- transport operations ---- */

static double op_now(void *ctx) {
  (void)ctx;
  return simgrid_get_clock();
}

static void op_send(void *ctx, int32_t from, int32_t to, struct msg *m) {
  struct simnet *s = ctx;
  (void)from;
  s->messages++;
  s->bytes += m->bytes;
  if (to < 0 || to >= s->nodes || s->n[to].failed) {
    free(m);
    return;
  }
  sg_comm_detach(sg_mailbox_put_init(s->n[to].mbox, m, m->bytes), free);
}

static void op_timer(void *ctx, int32_t node, double delay, uint64_t token) {
  struct simnet *s = ctx;
  /* a lost timer is a lost message: the protocols recover */
  timeq_push(&s->n[node].timers, (struct timeq_item){
                                     .at = simgrid_get_clock() + (delay > 0 ? delay : 0),
                                     .token = token});
}

static struct node_snap *op_snapshot(void *ctx, int32_t node) {
  return view_snapshot(&((struct simnet *)ctx)->cl->m, node);
}

static void op_migrate(void *ctx, int32_t node, int32_t ve, int32_t dst, uint64_t token) {
  struct simnet *s = ctx;
  bool ok = ve >= 0 && ve < cluster_nvms(s->cl) && cluster_host_of(s->cl, ve) == node &&
            s->cl->vms[ve].migrating < 0 && dst >= 0 && dst < s->hosts && dst != node &&
            !s->n[dst].failed;
  if (!ok || sim_migrate_start(s, node, ve, dst, token) < 0)
    simnet_migrated(s, node, token, false);
}

static double op_charge(void *ctx, int32_t node, const struct work_cost *w) {
  struct simnet *s = ctx;
  (void)node;
  switch (s->charge.mode) {
  case CHARGE_CPU:
    return w->cpu;
  case CHARGE_MODEL:
    return s->charge.alpha + s->charge.beta * w->ves;
  case CHARGE_WALL:
    return w->wall;
  case CHARGE_ZERO:
    break;
  }
  return 0;
}

/* The plan against the simulated cluster at this instant. A plan that the
 * load has made stale since it was computed is refused and counted apart
 * from one that is wrong (a VE elsewhere or migrating, a node outside the
 * coordinator's partition): only the latter is a protocol's fault. */
static int op_audit(void *ctx, int32_t coordinator, const struct sched_plan *p, int32_t first,
                    const int32_t *nodes, int32_t n, err_t *e) {
  struct simnet *s = ctx;
  if (!s->audit)
    return 0;
  s->audited++;
  struct sched_check_opts o = {.partition = nodes, .npartition = n, .first_step = first,
                               .live = true, .arriving = s->arriving};
  const struct sched_model *m = &s->cl->m;
  for (int32_t i = 0; i < s->nmoving; i++)
    for (int k = 0; k < SCHED_NRES; k++)
      s->arriving[s->cl->vms[s->moving[i]].migrating][k] += m->ves[s->moving[i]].demand[k];
  int rc = sched_check_plan_opts(m, s->cstrs, p, &o, e);
  for (int32_t i = 0; i < s->nmoving; i++)
    memset(s->arriving[s->cl->vms[s->moving[i]].migrating], 0, sizeof *s->arriving);
  if (rc == 0)
    return 0;
  bool stale = e->code == ESTALE;
  char *first_msg = stale ? s->first_stale : s->first_invalid;
  if (!first_msg[0])
    snprintf(first_msg, sizeof s->first_stale, "at %.3f s, plan of node %d: %.200s",
             simgrid_get_clock(), coordinator, e->msg);
  if (stale)
    s->refused_stale++;
  else
    s->refused_invalid++;
  return -1;
}

static bool op_congested(void *ctx) {
  return admit_congested(&((struct simnet *)ctx)->admit);
}

static const struct transport_ops simnet_ops = {
    .now = op_now, .send = op_send, .timer = op_timer, .snapshot = op_snapshot,
    .migrate = op_migrate, .charge = op_charge, .audit = op_audit, .congested = op_congested,
};

int simnet_moving_add(struct simnet *s, int32_t ve) {
  return array_push_i32(&s->moving, &s->nmoving, &s->moving_cap, ve);
}

void simnet_moving_remove(struct simnet *s, int32_t ve) {
  for (int32_t i = 0; i < s->nmoving; i++)
    if (s->moving[i] == ve) {
      s->moving[i] = s->moving[--s->nmoving];
      return;
    }
}

void simnet_migrated(struct simnet *s, int32_t node, uint64_t token, bool ok) {
  struct sn_event *ev = calloc(1, sizeof *ev);
  if (!ev)
    return; /* the coordinator's step timeout covers it */
  ev->type = EV_MIGRATED;
  ev->token = token;
  ev->flag = ok;
  enqueue(s, node, ev);
}

void simnet_load(struct simnet *s, int32_t host, int level) {
  if (!s->ops || !s->ops->load || s->n[host].failed)
    return;
  struct sn_event *ev = calloc(1, sizeof *ev);
  if (!ev)
    return;
  ev->type = EV_LOAD;
  ev->level = level;
  enqueue(s, host, ev);
}

/* ---- actors ---- */

static void receiver(int argc, char **argv) {
  (void)argc, (void)argv;
  struct actor_arg *a = sg_actor_self_get_data();
  struct simnet *s = a->s;
  struct simnet_node *n = &s->n[a->node];
  /* Permanent receiver: messages travel as soon as they are sent, not one
   * at a time when this actor asks (a node answered by 1,000 others at
   * once would otherwise receive them one after the other). */
  char name[32];
  snprintf(name, sizeof name, "node%d", a->node);
  sg_mailbox_set_receiver(name);
  for (;;) {
    struct msg *m = sg_mailbox_get(n->mbox);
    struct sn_event *ev = n->failed ? NULL : calloc(1, sizeof *ev);
    if (!ev) {
      free(m);
      continue;
    }
    ev->type = EV_MESSAGE;
    ev->m = m;
    enqueue(s, a->node, ev);
  }
}

static void dispatch(struct simnet *s, int32_t node, struct sn_event *ev) {
  switch (ev->type) {
  case EV_MESSAGE:
    s->ops->message(s->agent, node, ev->m);
    break;
  case EV_LOAD:
    s->ops->load(s->agent, node, ev->level);
    break;
  case EV_MIGRATED:
    s->ops->migrated(s->agent, node, ev->token, ev->flag);
    break;
  }
  free(ev);
}

static void agent(int argc, char **argv) {
  (void)argc, (void)argv;
  struct actor_arg *a = sg_actor_self_get_data();
  struct simnet *s = a->s;
  struct simnet_node *n = &s->n[a->node];
  if (s->ops->start)
    s->ops->start(s->agent, a->node);
  for (;;) {
    for (;;) {
      if (n->head) {
        struct sn_event *ev = n->head;
        n->head = ev->next;
        if (!n->head)
          n->tail = NULL;
        if (n->failed) {
          free(ev->m);
          free(ev);
        } else {
          dispatch(s, a->node, ev);
        }
      } else if (timeq_due(&n->timers, simgrid_get_clock())) {
        struct timeq_item t = timeq_pop(&n->timers);
        if (!n->failed)
          s->ops->timer(s->agent, a->node, t.token);
      } else {
        break;
      }
    }
    if (n->timers.n)
      sg_sem_acquire_timeout(n->wake, n->timers.v[0].at - simgrid_get_clock());
    else
      sg_sem_acquire(n->wake);
  }
}

static void spawn(struct simnet *s, int32_t node, const char *what, void (*code)(int, char **),
                  unsigned stack) {
  struct actor_arg *a = &s->n[node].self;
  a->s = s;
  a->node = node;
  char name[32];
  snprintf(name, sizeof name, "%s%d", what, node);
  sg_actor_t actor = sg_actor_init(name, s->n[node].host);
  sg_actor_set_data(actor, a);
  (void)stack;
  sg_actor_daemonize(actor);
  sg_actor_start_(actor, code, 0, NULL);
}

void simnet_start_agents(struct simnet *s, const struct agent_ops *ops, void *agent_state) {
  s->ops = ops;
  s->agent = agent_state;
  for (int32_t i = 0; i < s->nodes; i++) {
    s->n[i].wake = sg_sem_init(0);
    spawn(s, i, "recv", receiver, 1024 * 1024);
    spawn(s, i, "agent", agent, 4096 * 1024);
  }
}

/* ---- setup ---- */

int simnet_init(struct simnet *s, struct cluster *cl, int32_t services, err_t *e) {
  memset(s, 0, sizeof *s);
  s->cl = cl;
  s->hosts = cluster_nhosts(cl);
  s->nodes = s->hosts + services;
  s->mig_speed = PLATFORM_NIC_BW;
  s->n = calloc(s->nodes, sizeof *s->n);
  s->arriving = calloc(s->hosts, sizeof *s->arriving);
  if (!s->n || !s->arriving) {
    simnet_free(s);
    return err_set(e, ENOMEM, "simnet: out of memory for %d nodes", s->nodes);
  }
  for (int32_t i = 0; i < s->nodes; i++) {
    char name[32];
    snprintf(name, sizeof name, "node%d", i);
    s->n[i].host = sg_host_by_name(name);
    if (!s->n[i].host) {
      simnet_free(s);
      return err_set(e, EINVAL, "simnet: the platform has no host %s", name);
    }
    s->n[i].mbox = sg_mailbox_by_name(name);
  }
  s->tp.ops = &simnet_ops;
  s->tp.ctx = s;
  return 0;
}

void simnet_free(struct simnet *s) {
  if (s->n)
    for (int32_t i = 0; i < s->nodes; i++) {
      for (struct sn_event *ev = s->n[i].head, *next; ev; ev = next) {
        next = ev->next;
        free(ev->m);
        free(ev);
      }
      timeq_free(&s->n[i].timers);
    }
  free(s->n);
  free(s->moving);
  free(s->arriving);
  series_free(&s->migration_time);
  admit_free(&s->admit);
  memset(s, 0, sizeof *s);
}

void simnet_fail(struct simnet *s, int32_t node) {
  s->n[node].failed = true;
}

sg_host_t simnet_host(const struct simnet *s, int32_t node) {
  return s->n[node].host;
}

bool simnet_failed(const struct simnet *s, int32_t node) {
  return s->n[node].failed;
}
