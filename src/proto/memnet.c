#include "proto/memnet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/view.h"

enum ev_type { EV_MESSAGE, EV_TIMER, EV_MIGRATION_END, EV_LOAD, EV_START };

struct memnet_event {
  double at;
  enum ev_type type;
  int32_t node;
  uint64_t token;
  bool flag;          /* migration end: it worked */
  int level;          /* load: enum load_level */
  int32_t ve, dst;    /* migration */
  struct msg *m;
};

/* Queue an event (a heap copy); on ENOMEM the run is marked invalid. */
static void push(struct memnet *n, struct memnet_event ev) {
  struct memnet_event *p = malloc(sizeof *p);
  if (p) {
    *p = ev;
    if (timeq_push(&n->queue, (struct timeq_item){.at = ev.at, .ptr = p}) == 0)
      return;
    free(p);
  }
  n->oom = true;
  free(ev.m);
}

static double op_now(void *ctx) {
  return ((struct memnet *)ctx)->now;
}

static void op_send(void *ctx, int32_t from, int32_t to, struct msg *m) {
  struct memnet *n = ctx;
  (void)from;
  n->messages++;
  n->bytes += m->bytes;
  if (to < 0 || to >= n->nodes || n->failed[to]) {
    free(m);
    return;
  }
  push(n, (struct memnet_event){.at = n->now + n->latency, .type = EV_MESSAGE, .node = to, .m = m});
}

static void op_timer(void *ctx, int32_t node, double delay, uint64_t token) {
  struct memnet *n = ctx;
  push(n, (struct memnet_event){.at = n->now + (delay > 0 ? delay : 0), .type = EV_TIMER,
                                .node = node, .token = token});
}

static struct node_snap *op_snapshot(void *ctx, int32_t node) {
  return view_snapshot(&((struct memnet *)ctx)->world, node);
}

static void op_migrate(void *ctx, int32_t node, int32_t ve, int32_t dst, uint64_t token) {
  struct memnet *n = ctx;
  bool ok = ve >= 0 && ve < n->world.nves && n->world.ves[ve].host == node &&
            !n->world.ves[ve].pinned && dst >= 0 && dst < n->hosts && dst != node;
  if (ok)
    n->world.ves[ve].pinned = true; /* marks "migrating" in snapshots */
  push(n, (struct memnet_event){.at = n->now + (ok ? n->migration_time : 0),
                                .type = EV_MIGRATION_END, .node = node, .token = token,
                                .flag = ok, .ve = ok ? ve : -1, .dst = dst});
}

static double op_charge(void *ctx, int32_t node, const struct work_cost *w) {
  (void)ctx, (void)node, (void)w;
  return 0;
}

static bool op_congested(void *ctx) {
  return ((struct memnet *)ctx)->congested;
}

static const struct transport_ops memnet_ops = {
    .now = op_now, .send = op_send, .timer = op_timer, .snapshot = op_snapshot,
    .migrate = op_migrate, .charge = op_charge, .congested = op_congested,
};

/* The monitor of host h: report its level when it changes. */
static void watch(struct memnet *n, int32_t h) {
  if (h < 0)
    return;
  const struct sched_node *nd = &n->world.nodes[h];
  double used = (double)nd->used[SCHED_CPU], cap = (double)nd->cap[SCHED_CPU];
  int level = used > cap ? LOAD_OVER : used > n->threshold * cap ? LOAD_HOT : LOAD_OK;
  if (level == n->level[h])
    return;
  n->level[h] = (uint8_t)level;
  push(n, (struct memnet_event){.at = n->now, .type = EV_LOAD, .node = h, .level = level});
}

int memnet_init(struct memnet *n, int32_t hosts, int32_t services, int64_t cpu, int64_t mem,
                int32_t nves, int64_t ve_mem, err_t *e) {
  memset(n, 0, sizeof *n);
  if (hosts <= 0 || services < 0)
    return err_set(e, EINVAL, "memnet: need hosts (got %d) and services >= 0", hosts);
  if (sched_model_init(&n->world, hosts, nves, e) < 0)
    return -1;
  n->hosts = hosts;
  n->nodes = hosts + services;
  n->failed = calloc(n->nodes, sizeof *n->failed);
  n->level = calloc(hosts, sizeof *n->level);
  n->threshold = 1;
  if (!n->failed || !n->level) {
    memnet_free(n);
    return err_set(e, ENOMEM, "memnet: out of memory");
  }
  for (int32_t h = 0; h < hosts; h++)
    sched_node_set_capacity(&n->world, h, cpu, mem);
  for (int32_t v = 0; v < nves; v++) {
    sched_ve_set_demand(&n->world, v, 0, ve_mem);
    if (sched_ve_place(&n->world, v, v % hosts, e) < 0) {
      memnet_free(n);
      return -1;
    }
  }
  n->latency = 0.001;
  n->migration_time = 10;
  n->tp.ops = &memnet_ops;
  n->tp.ctx = n;
  return 0;
}

void memnet_free(struct memnet *n) {
  while (n->queue.n) {
    struct memnet_event *ev = timeq_pop(&n->queue).ptr;
    free(ev->m);
    free(ev);
  }
  timeq_free(&n->queue);
  free(n->failed);
  free(n->level);
  sched_model_free(&n->world);
  memset(n, 0, sizeof *n);
}

void memnet_set_agent(struct memnet *n, const struct agent_ops *ops, void *agent) {
  n->ops = ops;
  n->agent = agent;
  if (ops->start)
    for (int32_t i = 0; i < n->nodes; i++)
      push(n, (struct memnet_event){.at = n->now, .type = EV_START, .node = i});
}

void memnet_set_cpu(struct memnet *n, int32_t ve, int64_t cpu) {
  sched_ve_set_cpu(&n->world, ve, cpu);
  watch(n, n->world.ves[ve].host);
}

void memnet_fail(struct memnet *n, int32_t node) {
  n->failed[node] = true;
}

static void end_migration(struct memnet *n, struct memnet_event *ev) {
  bool ok = ev->flag;
  if (ok) {
    n->world.ves[ev->ve].pinned = false;
    err_t e = ERR_INIT;
    int32_t src = n->world.ves[ev->ve].host;
    ok = !n->failed[ev->dst] && sched_ve_place(&n->world, ev->ve, ev->dst, &e) == 0;
    if (ok) {
      n->migrations++;
      watch(n, src);
      watch(n, ev->dst);
    }
  }
  if (n->ops->migrated)
    n->ops->migrated(n->agent, ev->node, ev->token, ok);
}

int64_t memnet_run(struct memnet *n, double until) {
  int64_t ran = 0;
  while (timeq_due(&n->queue, until)) {
    struct memnet_event *p = timeq_pop(&n->queue).ptr, ev = *p;
    free(p);
    n->now = ev.at;
    if (n->failed[ev.node]) {
      free(ev.m);
      continue;
    }
    ran++;
    switch (ev.type) {
    case EV_MESSAGE:
      n->ops->message(n->agent, ev.node, ev.m);
      break;
    case EV_TIMER:
      n->ops->timer(n->agent, ev.node, ev.token);
      break;
    case EV_MIGRATION_END:
      end_migration(n, &ev);
      break;
    case EV_START:
      n->ops->start(n->agent, ev.node);
      break;
    case EV_LOAD:
      if (n->ops->load)
        n->ops->load(n->agent, ev.node, ev.level);
      break;
    }
  }
  if (n->now < until)
    n->now = until;
  return ran;
}
