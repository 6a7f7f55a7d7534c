#include "sim/cluster.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/transport.h"
#include "util/array.h"

static void advance(struct cluster *c, double now) {
  c->violation += c->n_overloaded * (now - c->last_change);
  c->demand_area += c->total_demand * (now - c->last_change);
  c->last_change = now;
}

static void record_episode(struct cluster *c, struct sim_host *H, double now) {
  double len = now - H->over_since;
  H->violation += len;
  H->episodes++;
  if (array_reserve_sz((void **)&c->episode_len, &c->episodes_cap, c->n_episodes + 1,
                       sizeof *c->episode_len) < 0)
    return; /* lengths feed the median only; the totals stay exact */
  c->episode_len[c->n_episodes++] = len;
}

static void on_viability(void *data, int32_t node, bool viable) {
  struct cluster *c = data;
  struct sim_host *H = &c->hosts[node];
  if (H->overloaded == !viable)
    return;
  advance(c, c->now);
  H->overloaded = !viable;
  if (H->overloaded) {
    c->n_overloaded++;
    H->over_since = c->now;
  } else {
    c->n_overloaded--;
    record_episode(c, H, c->now);
  }
}

/* The scheduler's monitor. */
static void update_level(struct cluster *c, int32_t node) {
  if (node < 0)
    return;
  const struct sched_node *n = &c->m.nodes[node];
  double used = (double)n->used[SCHED_CPU], cap = (double)n->cap[SCHED_CPU];
  int level = used > cap ? LOAD_OVER : used > c->threshold * cap ? LOAD_HOT : LOAD_OK;
  if (level == c->hosts[node].level)
    return;
  c->hosts[node].level = level;
  if (c->on_level)
    c->on_level(c->on_level_data, node, level);
}

int cluster_spec_check(const struct cluster_spec *s, err_t *e) {
  if (s->nhosts <= 0)
    return err_set(e, EINVAL, "--hosts: need at least one host, got %d", s->nhosts);
  if (s->nvms < 0)
    return err_set(e, EINVAL, "--vms: expected a non-negative count, got %d", s->nvms);
  long long need = (long long)s->nvms * s->vm_mem, have = (long long)s->nhosts * s->host_mem;
  int per_host = (s->nvms + s->nhosts - 1) / s->nhosts;
  if (need > have || (long long)per_host * s->vm_mem > s->host_mem)
    return err_set(e, EINVAL,
                   "impossible platform: %d VMs of %d MB need %lld MB, %d hosts of %d MB "
                   "have %lld MB",
                   s->nvms, s->vm_mem, need, s->nhosts, s->host_mem, have);
  return 0;
}

int cluster_init(struct cluster *c, const struct cluster_spec *s, err_t *e) {
  memset(c, 0, sizeof *c);
  if (cluster_spec_check(s, e) < 0)
    return -1;
  if (sched_model_init(&c->m, s->nhosts, s->nvms, e) < 0)
    return -1;
  c->hosts = calloc(s->nhosts, sizeof *c->hosts);
  c->vms = calloc(s->nvms ? s->nvms : 1, sizeof *c->vms);
  if (!c->hosts || !c->vms) {
    cluster_free(c);
    return err_set(e, ENOMEM, "allocating %d hosts and %d VMs", s->nhosts, s->nvms);
  }
  for (int h = 0; h < s->nhosts; h++)
    sched_node_set_capacity(&c->m, h, s->host_cpu, s->host_mem);
  for (int v = 0; v < s->nvms; v++) {
    c->vms[v].migrating = -1;
    sched_ve_set_demand(&c->m, v, 0, s->vm_mem);
    if (sched_ve_place(&c->m, v, v % s->nhosts, e) < 0) {
      cluster_free(c);
      return -1;
    }
  }
  c->m.on_viability = on_viability;
  c->m.on_viability_data = c;
  c->threshold = 1.0;
  return 0;
}

void cluster_free(struct cluster *c) {
  sched_model_free(&c->m);
  free(c->hosts);
  free(c->vms);
  free(c->episode_len);
  memset(c, 0, sizeof *c);
}

void cluster_set_demand(struct cluster *c, int vm, int demand, double now) {
  advance(c, now);
  c->total_demand += demand - cluster_demand(c, vm);
  c->now = now;
  sched_ve_set_cpu(&c->m, vm, demand);
  update_level(c, cluster_host_of(c, vm));
}

int cluster_move_vm(struct cluster *c, int vm, int dst, double now, err_t *e) {
  int src = cluster_host_of(c, vm);
  c->now = now;
  if (sched_ve_place(&c->m, vm, dst, e) < 0)
    return -1;
  update_level(c, src);
  update_level(c, dst);
  return 0;
}

double cluster_violation_at(const struct cluster *c, double now) {
  return c->violation + c->n_overloaded * (now - c->last_change);
}

void cluster_finish(struct cluster *c, double now) {
  advance(c, now);
  for (int h = 0; h < cluster_nhosts(c); h++) {
    struct sim_host *H = &c->hosts[h];
    if (H->overloaded) {
      record_episode(c, H, now);
      H->overloaded = false;
      c->n_overloaded--;
    }
  }
}

double cluster_mean_load_pct(const struct cluster *c, double now) {
  double area = c->demand_area + c->total_demand * (now - c->last_change);
  double cap = 0;
  for (int h = 0; h < cluster_nhosts(c); h++)
    cap += c->m.nodes[h].cap[SCHED_CPU];
  return now > 0 && cap > 0 ? 100.0 * area / (cap * now) : 0;
}
