#include "sched/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"

static bool node_fits(const struct sched_node *n) {
  if (n->nves == 0)
    return true;
  if (!n->online)
    return false;
  for (int r = 0; r < SCHED_NRES; r++)
    if (n->used[r] > n->cap[r])
      return false;
  return true;
}

/* Keep model.bad in step with the node's state; O(1). */
static void refresh_viability(struct sched_model *m, int32_t id) {
  struct sched_node *n = &m->nodes[id];
  bool viable = node_fits(n);
  if (viable == (n->bad_slot < 0))
    return;
  if (viable) {
    int32_t last = m->bad[--m->nbad];
    m->bad[n->bad_slot] = last;
    m->nodes[last].bad_slot = n->bad_slot;
    n->bad_slot = -1;
  } else {
    n->bad_slot = m->nbad;
    m->bad[m->nbad++] = id;
  }
  if (m->on_viability)
    m->on_viability(m->on_viability_data, id, viable);
}

int sched_model_init(struct sched_model *m, int32_t nnodes, int32_t nves, err_t *e) {
  memset(m, 0, sizeof(*m));
  if (nnodes < 0 || nves < 0)
    return err_set(e, EINVAL, "model: negative size (%d nodes, %d VEs)", nnodes, nves);
  m->nodes = calloc(nnodes ? nnodes : 1, sizeof(*m->nodes));
  m->ves = calloc(nves ? nves : 1, sizeof(*m->ves));
  m->bad = calloc(nnodes ? nnodes : 1, sizeof(*m->bad));
  if (!m->nodes || !m->ves || !m->bad) {
    sched_model_free(m);
    return err_set(e, ENOMEM, "model: out of memory for %d nodes and %d VEs", nnodes, nves);
  }
  m->nnodes = nnodes;
  m->nves = nves;
  for (int32_t i = 0; i < nnodes; i++) {
    m->nodes[i].online = true;
    m->nodes[i].bad_slot = -1;
  }
  for (int32_t i = 0; i < nves; i++) {
    m->ves[i].host = SCHED_NOWHERE;
    m->ves[i].slot = -1;
  }
  return 0;
}

void sched_model_free(struct sched_model *m) {
  if (m->nodes)
    for (int32_t i = 0; i < m->nnodes; i++)
      free(m->nodes[i].ves);
  free(m->nodes);
  free(m->ves);
  free(m->bad);
  memset(m, 0, sizeof(*m));
}

int sched_model_copy(struct sched_model *dst, const struct sched_model *src, err_t *e) {
  if (sched_model_init(dst, src->nnodes, src->nves, e) < 0)
    return -1;
  memcpy(dst->ves, src->ves, sizeof(*src->ves) * src->nves);
  memcpy(dst->bad, src->bad, sizeof(*src->bad) * src->nbad);
  dst->nbad = src->nbad;
  for (int32_t i = 0; i < src->nnodes; i++) {
    struct sched_node *d = &dst->nodes[i];
    *d = src->nodes[i];
    d->ves = NULL;
    d->ves_cap = 0;
    if (d->nves) {
      d->ves = malloc(sizeof(*d->ves) * d->nves);
      if (!d->ves) {
        d->nves = 0;
        sched_model_free(dst);
        return err_set(e, ENOMEM, "model: out of memory copying node %d", i);
      }
      memcpy(d->ves, src->nodes[i].ves, sizeof(*d->ves) * d->nves);
      d->ves_cap = d->nves;
    }
  }
  return 0;
}

void sched_node_set_capacity(struct sched_model *m, int32_t node, int64_t cpu, int64_t mem) {
  m->nodes[node].cap[SCHED_CPU] = cpu;
  m->nodes[node].cap[SCHED_MEM] = mem;
  refresh_viability(m, node);
}

void sched_node_set_online(struct sched_model *m, int32_t node, bool online) {
  m->nodes[node].online = online;
  refresh_viability(m, node);
}

void sched_ve_set_demand(struct sched_model *m, int32_t ve, int64_t cpu, int64_t mem) {
  struct sched_ve *v = &m->ves[ve];
  if (v->host != SCHED_NOWHERE) {
    struct sched_node *n = &m->nodes[v->host];
    n->used[SCHED_CPU] += cpu - v->demand[SCHED_CPU];
    n->used[SCHED_MEM] += mem - v->demand[SCHED_MEM];
  }
  v->demand[SCHED_CPU] = cpu;
  v->demand[SCHED_MEM] = mem;
  if (v->host != SCHED_NOWHERE)
    refresh_viability(m, v->host);
}

void sched_ve_set_cpu(struct sched_model *m, int32_t ve, int64_t cpu) {
  sched_ve_set_demand(m, ve, cpu, m->ves[ve].demand[SCHED_MEM]);
}

void sched_ve_set_pinned(struct sched_model *m, int32_t ve, bool pinned) {
  m->ves[ve].pinned = pinned;
}

static void detach(struct sched_model *m, int32_t ve) {
  struct sched_ve *v = &m->ves[ve];
  struct sched_node *n = &m->nodes[v->host];
  int32_t last = n->ves[--n->nves];
  n->ves[v->slot] = last;
  m->ves[last].slot = v->slot;
  for (int r = 0; r < SCHED_NRES; r++)
    n->used[r] -= v->demand[r];
  int32_t old = v->host;
  v->host = SCHED_NOWHERE;
  v->slot = -1;
  refresh_viability(m, old);
}

int sched_ve_place(struct sched_model *m, int32_t ve, int32_t node, err_t *e) {
  if (ve < 0 || ve >= m->nves || node < SCHED_NOWHERE || node >= m->nnodes)
    return err_set(e, EINVAL, "model: cannot place VE %d on node %d: out of range (%d VEs, %d "
                   "nodes)", ve, node, m->nves, m->nnodes);
  struct sched_ve *v = &m->ves[ve];
  if (v->host == node)
    return 0;
  if (node != SCHED_NOWHERE) {
    struct sched_node *n = &m->nodes[node];
    if (array_reserve((void **)&n->ves, &n->ves_cap, n->nves + 1, sizeof(*n->ves)) < 0)
      return err_set(e, ENOMEM, "model: out of memory placing VE %d on node %d", ve, node);
  }
  if (v->host != SCHED_NOWHERE)
    detach(m, ve);
  if (node == SCHED_NOWHERE)
    return 0;
  struct sched_node *n = &m->nodes[node];
  v->host = node;
  v->slot = n->nves;
  n->ves[n->nves++] = ve;
  for (int r = 0; r < SCHED_NRES; r++)
    n->used[r] += v->demand[r];
  refresh_viability(m, node);
  return 0;
}
