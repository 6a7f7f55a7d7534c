#include "sched/transport_view.h"

#include <errno.h>

int view_init(struct view *v, int32_t nnodes, int32_t nves, double target, err_t *e) {
  v->target = target > 0 && target <= 1 ? target : 1;
  return sched_model_init(&v->m, nnodes, nves, e);
}

void view_free(struct view *v) {
  sched_model_free(&v->m);
}

int view_load(struct view *v, const struct node_snap *s, err_t *e) {
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
  /* The headroom target: an overloaded node must shed down to it; a node
   * already above it (but fine) keeps what it has and receives nothing. */
  int64_t cpu = s->cpu_cap;
  if (v->target < 1) {
    int64_t goal = (int64_t)(v->target * s->cpu_cap);
    cpu = demand > s->cpu_cap ? goal : (demand > goal ? demand : goal);
  }
  sched_node_set_capacity(m, s->node, cpu, s->mem_cap);
  return 0;
}
