#include "sched/constraints.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"

static const char *const kind_names[SCHED_CSTR_KINDS] = {
    [SCHED_BAN] = "ban",
    [SCHED_FENCE] = "fence",
    [SCHED_ROOT] = "root",
    [SCHED_SPREAD] = "spread",
    [SCHED_GATHER] = "gather",
    [SCHED_AMONG] = "among",
    [SCHED_LONELY] = "lonely",
    [SCHED_SPLIT] = "split",
    [SCHED_QUARANTINE] = "quarantine",
    [SCHED_RESOURCE_CAPACITY] = "resourceCapacity",
    [SCHED_RUNNING_CAPACITY] = "runningCapacity",
    [SCHED_MAX_ONLINE] = "maxOnline",
    [SCHED_ONLINE] = "online",
    [SCHED_OFFLINE] = "offline",
    [SCHED_RUNNING] = "running",
    [SCHED_PRESERVE] = "preserve",
};

const char *sched_cstr_kind_name(enum sched_cstr_kind k) {
  return (unsigned)k < SCHED_CSTR_KINDS ? kind_names[k] : NULL;
}

bool sched_ids_contain(const int32_t *sorted, int32_t n, int32_t id) {
  int32_t lo = 0, hi = n;
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (sorted[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && sorted[lo] == id;
}

int32_t sched_cstr_group_of(const struct sched_cstr *c, int32_t id) {
  const int32_t *ids = c->kind == SCHED_SPLIT ? c->ves : c->nodes;
  for (int32_t g = 0; g < c->ngroups; g++)
    if (sched_ids_contain(ids + c->groups[g], c->groups[g + 1] - c->groups[g], id))
      return g;
  return -1;
}

bool sched_cstrs_node_has(const struct sched_cstrs *c, int32_t node, enum sched_cstr_kind k) {
  if (!sched_cstrs_has(c, k))
    return false;
  int32_t n;
  const int32_t *idx = sched_cstrs_of_node(c, node, &n);
  for (int32_t i = 0; i < n; i++)
    if (c->items[idx[i]].kind == k)
      return true;
  return false;
}

void sched_cstrs_init(struct sched_cstrs *c) {
  memset(c, 0, sizeof(*c));
}

static void drop_index(struct sched_cstrs *c) {
  free(c->ve_off);
  free(c->ve_idx);
  free(c->node_off);
  free(c->node_idx);
  c->ve_off = c->ve_idx = c->node_off = c->node_idx = NULL;
  c->sealed = false;
}

static void cstr_free(struct sched_cstr *x) {
  free(x->ves);
  free(x->nodes);
  free(x->groups);
}

void sched_cstrs_free(struct sched_cstrs *c) {
  for (int32_t i = 0; i < c->n; i++)
    cstr_free(&c->items[i]);
  free(c->items);
  drop_index(c);
  memset(c, 0, sizeof(*c));
}

static int cmp_id(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* Sort and deduplicate each segment [off[g], off[g+1]) in place, closing the
 * gaps; with off == NULL the whole array is one segment. Returns the new size. */
static int32_t sort_segments(int32_t *ids, int32_t n, int32_t *off, int32_t nseg) {
  int32_t whole[2] = {0, n};
  if (!off) {
    off = whole;
    nseg = 1;
  }
  int32_t out = 0;
  for (int32_t g = 0; g < nseg; g++) {
    int32_t start = off[g], len = off[g + 1] - start;
    qsort(ids + start, len, sizeof(*ids), cmp_id);
    off[g] = out;
    for (int32_t i = 0; i < len; i++)
      if (i == 0 || ids[start + i] != ids[start + i - 1])
        ids[out++] = ids[start + i];
  }
  off[nseg] = out;
  return out;
}

static int32_t *dup_ids(const int32_t *ids, int32_t n) {
  int32_t *copy = malloc(sizeof(*copy) * (n ? n : 1));
  if (copy && n)
    memcpy(copy, ids, sizeof(*copy) * n);
  return copy;
}

/* What each kind needs: VEs, nodes, groups (of VEs or nodes), an amount. */
enum { NEED_VES = 1, NEED_NODES = 2, NEED_NODE_GROUPS = 4, NEED_VE_GROUPS = 8, NEED_AMOUNT = 16,
       NEED_RC = 32 };

static const unsigned kind_needs[SCHED_CSTR_KINDS] = {
    [SCHED_BAN] = NEED_VES | NEED_NODES,
    [SCHED_FENCE] = NEED_VES | NEED_NODES,
    [SCHED_ROOT] = NEED_VES,
    [SCHED_SPREAD] = NEED_VES,
    [SCHED_GATHER] = NEED_VES,
    [SCHED_AMONG] = NEED_VES | NEED_NODE_GROUPS,
    [SCHED_LONELY] = NEED_VES,
    [SCHED_SPLIT] = NEED_VE_GROUPS,
    [SCHED_QUARANTINE] = NEED_NODES,
    [SCHED_RESOURCE_CAPACITY] = NEED_NODES | NEED_AMOUNT | NEED_RC,
    [SCHED_RUNNING_CAPACITY] = NEED_NODES | NEED_AMOUNT,
    [SCHED_MAX_ONLINE] = NEED_NODES | NEED_AMOUNT,
    [SCHED_ONLINE] = NEED_NODES,
    [SCHED_OFFLINE] = NEED_NODES,
    [SCHED_RUNNING] = NEED_VES,
    [SCHED_PRESERVE] = NEED_VES | NEED_AMOUNT | NEED_RC,
};

static int check_shape(const struct sched_cstr *s, err_t *e) {
  const char *name = sched_cstr_kind_name(s->kind);
  if (!name)
    return err_set(e, EINVAL, "constraint: unknown kind %d", (int)s->kind);
  unsigned need = kind_needs[s->kind];
  bool grouped = need & (NEED_NODE_GROUPS | NEED_VE_GROUPS);
  if (s->nves < 0 || s->nnodes < 0 || s->ngroups < 0)
    return err_set(e, EINVAL, "%s: negative array length", name);
  if ((need & (NEED_VES | NEED_VE_GROUPS)) && s->nves == 0)
    return err_set(e, EINVAL, "%s: needs at least one VE", name);
  if ((need & (NEED_NODES | NEED_NODE_GROUPS)) && s->nnodes == 0)
    return err_set(e, EINVAL, "%s: needs at least one node", name);
  if (!(need & (NEED_VES | NEED_VE_GROUPS)) && s->nves)
    return err_set(e, EINVAL, "%s: takes no VEs", name);
  if (!(need & (NEED_NODES | NEED_NODE_GROUPS)) && s->nnodes)
    return err_set(e, EINVAL, "%s: takes no nodes", name);
  if (grouped) {
    int32_t total = (need & NEED_VE_GROUPS) ? s->nves : s->nnodes;
    if (s->ngroups < 1 || !s->groups)
      return err_set(e, EINVAL, "%s: needs at least one group", name);
    if (s->groups[0] != 0 || s->groups[s->ngroups] != total)
      return err_set(e, EINVAL, "%s: group offsets do not cover the ids", name);
    for (int32_t g = 0; g < s->ngroups; g++)
      if (s->groups[g + 1] <= s->groups[g])
        return err_set(e, EINVAL, "%s: group %d is empty", name, g);
  } else if (s->ngroups) {
    return err_set(e, EINVAL, "%s: takes no groups", name);
  }
  if ((need & NEED_AMOUNT) && s->amount < 0)
    return err_set(e, EINVAL, "%s: amount must not be negative, got %lld", name,
                   (long long)s->amount);
  if ((need & NEED_RC) && (s->rc < 0 || s->rc >= SCHED_NRES))
    return err_set(e, EINVAL, "%s: unknown resource %d", name, s->rc);
  return 0;
}

int sched_cstrs_add(struct sched_cstrs *c, const struct sched_cstr *spec, err_t *e) {
  if (check_shape(spec, e) < 0)
    return -1;
  if (array_reserve((void **)&c->items, &c->cap, c->n + 1, sizeof(*c->items)) < 0)
    return err_set(e, ENOMEM, "constraints: out of memory");
  struct sched_cstr x = *spec;
  x.ves = dup_ids(spec->ves, spec->nves);
  x.nodes = dup_ids(spec->nodes, spec->nnodes);
  x.groups = spec->ngroups ? dup_ids(spec->groups, spec->ngroups + 1) : NULL;
  if (!x.ves || !x.nodes || (spec->ngroups && !x.groups)) {
    cstr_free(&x);
    return err_set(e, ENOMEM, "constraints: out of memory");
  }
  bool ve_groups = kind_needs[x.kind] & NEED_VE_GROUPS;
  bool node_groups = kind_needs[x.kind] & NEED_NODE_GROUPS;
  x.nves = sort_segments(x.ves, x.nves, ve_groups ? x.groups : NULL, x.ngroups);
  x.nnodes = sort_segments(x.nodes, x.nnodes, node_groups ? x.groups : NULL, x.ngroups);
  c->items[c->n++] = x;
  c->kinds |= 1u << x.kind;
  drop_index(c);
  return 0;
}

static int check_ids(const struct sched_cstr *x, int32_t i, const struct sched_model *m,
                     err_t *e) {
  const char *name = sched_cstr_kind_name(x->kind);
  for (int32_t k = 0; k < x->nves; k++)
    if (x->ves[k] < 0 || x->ves[k] >= m->nves)
      return err_set(e, EINVAL, "%s #%d: VE %d out of range (model has %d VEs)", name, i,
                     x->ves[k], m->nves);
  for (int32_t k = 0; k < x->nnodes; k++)
    if (x->nodes[k] < 0 || x->nodes[k] >= m->nnodes)
      return err_set(e, EINVAL, "%s #%d: node %d out of range (model has %d nodes)", name, i,
                     x->nodes[k], m->nnodes);
  if (x->ngroups > 1) {
    /* Groups must be disjoint: an id in two groups would make "the group of
     * this VE / node" ambiguous. */
    const int32_t *ids = x->kind == SCHED_SPLIT ? x->ves : x->nodes;
    for (int32_t g = 0; g < x->ngroups; g++)
      for (int32_t k = x->groups[g]; k < x->groups[g + 1]; k++)
        for (int32_t h = g + 1; h < x->ngroups; h++)
          if (sched_ids_contain(ids + x->groups[h], x->groups[h + 1] - x->groups[h], ids[k]))
            return err_set(e, EINVAL, "%s #%d: %s %d is in groups %d and %d", name, i,
                           x->kind == SCHED_SPLIT ? "VE" : "node", ids[k], g, h);
  }
  return 0;
}

/* CSR index from ids to the constraints naming them. */
static int build_index(const struct sched_cstrs *c, int32_t size, bool of_ves, int32_t **off_out,
                       int32_t **idx_out) {
  int32_t *off = calloc((size_t)size + 1, sizeof(*off));
  if (!off)
    return -1;
  int64_t total = 0;
  for (int32_t i = 0; i < c->n; i++) {
    const struct sched_cstr *x = &c->items[i];
    const int32_t *ids = of_ves ? x->ves : x->nodes;
    int32_t n = of_ves ? x->nves : x->nnodes;
    for (int32_t k = 0; k < n; k++)
      off[ids[k] + 1]++;
    total += n;
  }
  for (int32_t i = 0; i < size; i++)
    off[i + 1] += off[i];
  int32_t *idx = malloc(sizeof(*idx) * (total ? total : 1));
  int32_t *fill = malloc(sizeof(*fill) * (size ? size : 1));
  if (!idx || !fill) {
    free(off);
    free(idx);
    free(fill);
    return -1;
  }
  memcpy(fill, off, sizeof(*fill) * size);
  for (int32_t i = 0; i < c->n; i++) {
    const struct sched_cstr *x = &c->items[i];
    const int32_t *ids = of_ves ? x->ves : x->nodes;
    int32_t n = of_ves ? x->nves : x->nnodes;
    for (int32_t k = 0; k < n; k++)
      idx[fill[ids[k]]++] = i;
  }
  free(fill);
  *off_out = off;
  *idx_out = idx;
  return 0;
}

int sched_cstrs_seal(struct sched_cstrs *c, const struct sched_model *m, err_t *e) {
  if (c->sealed && c->nves == m->nves && c->nnodes == m->nnodes)
    return 0;
  drop_index(c);
  for (int32_t i = 0; i < c->n; i++)
    if (check_ids(&c->items[i], i, m, e) < 0)
      return -1;
  if (build_index(c, m->nves, true, &c->ve_off, &c->ve_idx) < 0 ||
      build_index(c, m->nnodes, false, &c->node_off, &c->node_idx) < 0) {
    drop_index(c);
    return err_set(e, ENOMEM, "constraints: out of memory indexing %d constraints", c->n);
  }
  c->nves = m->nves;
  c->nnodes = m->nnodes;
  c->sealed = true;
  if (sched_cstrs_has(c, SCHED_ONLINE) && sched_cstrs_has(c, SCHED_OFFLINE))
    for (int32_t node = 0; node < m->nnodes; node++) {
      int32_t n, on = -1, off = -1;
      const int32_t *idx = sched_cstrs_of_node(c, node, &n);
      for (int32_t i = 0; i < n; i++) {
        if (c->items[idx[i]].kind == SCHED_ONLINE)
          on = idx[i];
        if (c->items[idx[i]].kind == SCHED_OFFLINE)
          off = idx[i];
      }
      if (on >= 0 && off >= 0) {
        drop_index(c);
        return err_set(e, EINVAL, "online #%d and offline #%d both name node %d", on, off, node);
      }
    }
  return 0;
}

void sched_cstrs_apply_preserve(const struct sched_cstrs *c, struct sched_model *m) {
  for (int32_t i = 0; i < c->n; i++) {
    const struct sched_cstr *x = &c->items[i];
    if (x->kind != SCHED_PRESERVE)
      continue;
    for (int32_t k = 0; k < x->nves; k++) {
      const struct sched_ve *v = &m->ves[x->ves[k]];
      if (v->demand[x->rc] >= x->amount)
        continue;
      int64_t d[SCHED_NRES] = {v->demand[SCHED_CPU], v->demand[SCHED_MEM]};
      d[x->rc] = x->amount;
      sched_ve_set_demand(m, x->ves[k], d[SCHED_CPU], d[SCHED_MEM]);
    }
  }
}
