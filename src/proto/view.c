#include "proto/view.h"

#include <errno.h>
#include <stdlib.h>

void view_set_levels(struct view *v, double target, double fill) {
  v->target = target > 0 && target <= 1 ? target : 1;
  v->fill = fill > 0 && fill <= v->target ? fill : v->target;
}

int view_init(struct view *v, int32_t nnodes, int32_t nves, double target, double fill,
              err_t *e) {
  view_set_levels(v, target, fill);
  return sched_model_init(&v->m, nnodes, nves, e);
}

void view_free(struct view *v) {
  sched_model_free(&v->m);
}

int view_load(struct view *v, const struct node_snap *s, bool strict, err_t *e) {
  struct sched_model *m = &v->m;
  if (s->node < 0 || s->node >= m->nnodes)
    return err_set(e, EINVAL, "snapshot of node %d: out of range (%d nodes)", s->node,
                   m->nnodes);
  /* Forget what an older snapshot put here: VEs still here are re-placed
   * below; the others left. */
  struct sched_node *n = &m->nodes[s->node];
  while (n->nves)
    if (sched_ve_place(m, n->ves[n->nves - 1], SCHED_NOWHERE, e) < 0)
      return -1;
  int64_t demand = 0;
  for (int32_t i = 0; i < s->nves; i++) {
    const struct snap_ve *sv = &s->ves[i];
    if (sv->ve < 0 || sv->ve >= m->nves)
      return err_set(e, EINVAL, "snapshot of node %d: VE %d out of range (%d VEs)", s->node,
                     sv->ve, m->nves);
    sched_ve_set_demand(m, sv->ve, sv->cpu, sv->mem);
    sched_ve_set_pinned(m, sv->ve, sv->flags & SNAP_VE_MIGRATING);
    if (sched_ve_place(m, sv->ve, s->node, e) < 0)
      return -1;
    demand += sv->cpu;
  }
  /* A node that must be fixed sheds down to the target; another one may
   * receive up to the fill level, and keeps what it has above it. */
  int64_t cpu = (int64_t)(v->target * s->cpu_cap);
  if (!strict && demand <= s->cpu_cap) {
    int64_t fill = (int64_t)(v->fill * s->cpu_cap);
    cpu = demand > fill ? demand : fill;
  }
  sched_node_set_capacity(m, s->node, cpu, s->mem_cap);
  return 0;
}

struct node_snap *view_snapshot(const struct sched_model *m, int32_t node) {
  const struct sched_node *nd = &m->nodes[node];
  struct node_snap *s = calloc(1, node_snap_size(nd->nves));
  if (!s)
    return NULL;
  s->node = node;
  s->cpu_cap = (int32_t)nd->cap[SCHED_CPU];
  s->mem_cap = (int32_t)nd->cap[SCHED_MEM];
  s->nves = nd->nves;
  for (int32_t i = 0; i < nd->nves; i++) {
    const struct sched_ve *v = &m->ves[nd->ves[i]];
    s->ves[i] = (struct snap_ve){.ve = nd->ves[i],
                                 .cpu = (int32_t)v->demand[SCHED_CPU],
                                 .mem = (int32_t)v->demand[SCHED_MEM],
                                 .flags = v->pinned ? SNAP_VE_MIGRATING : 0u};
  }
  return s;
}
