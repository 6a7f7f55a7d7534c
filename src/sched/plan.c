/* The plan container, its replay on a model and its JSON form. The ordering
 * itself is in plan_build.c. */
#include "sched/plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sched_plan_init(struct sched_plan *p) {
  memset(p, 0, sizeof(*p));
}

void sched_plan_free(struct sched_plan *p) {
  free(p->actions);
  free(p->step_start);
  memset(p, 0, sizeof(*p));
}

void sched_plan_clear(struct sched_plan *p) {
  p->nactions = 0;
  p->nsteps = 0;
  p->migrations = p->pivots = 0;
  p->mem_moved = 0;
}

static const char *const action_names[] = {
    [SCHED_MIGRATE] = "migrate",
    [SCHED_BOOT_VE] = "boot",
    [SCHED_BOOT_NODE] = "bootNode",
    [SCHED_SHUTDOWN_NODE] = "shutdownNode",
};

int sched_action_apply(struct sched_model *m, const struct sched_action *a, err_t *e) {
  bool node_action = a->kind == SCHED_BOOT_NODE || a->kind == SCHED_SHUTDOWN_NODE;
  if (a->dst < 0 || a->dst >= m->nnodes || (!node_action && (a->ve < 0 || a->ve >= m->nves)))
    return err_set(e, EINVAL, "plan: %s: id out of range", action_names[a->kind]);
  switch (a->kind) {
  case SCHED_MIGRATE:
    if (m->ves[a->ve].host != a->src)
      return err_set(e, EINVAL, "plan: migrate ve %d from node %d: it runs on node %d", a->ve,
                     a->src, m->ves[a->ve].host);
    return sched_ve_place(m, a->ve, a->dst, e);
  case SCHED_BOOT_VE:
    if (m->ves[a->ve].host != SCHED_NOWHERE)
      return err_set(e, EINVAL, "plan: boot ve %d: already running on node %d", a->ve,
                     m->ves[a->ve].host);
    return sched_ve_place(m, a->ve, a->dst, e);
  case SCHED_BOOT_NODE:
    sched_node_set_online(m, a->dst, true);
    return 0;
  case SCHED_SHUTDOWN_NODE:
    if (m->nodes[a->dst].nves)
      return err_set(e, EINVAL, "plan: shut down node %d: it still hosts %d VEs", a->dst,
                     m->nodes[a->dst].nves);
    sched_node_set_online(m, a->dst, false);
    return 0;
  }
  return err_set(e, EINVAL, "plan: unknown action %d", (int)a->kind);
}

int sched_plan_apply(struct sched_model *m, const struct sched_plan *p, err_t *e) {
  for (int32_t i = 0; i < p->nactions; i++)
    if (sched_action_apply(m, &p->actions[i], e) < 0)
      return -1;
  return 0;
}

static json_t *action_json(const struct sched_action *a) {
  json_t *o = json_object();
  if (!o)
    return NULL;
  int bad = json_object_set_new(o, "action", json_string(action_names[a->kind]));
  if (a->ve >= 0)
    bad |= json_object_set_new(o, "ve", json_integer(a->ve));
  if (a->src >= 0)
    bad |= json_object_set_new(o, "src", json_integer(a->src));
  bad |= json_object_set_new(o, a->ve >= 0 ? "dst" : "node", json_integer(a->dst));
  if (a->ve >= 0) {
    bad |= json_object_set_new(o, "mem", json_integer(a->mem));
    bad |= json_object_set_new(o, "cpu", json_integer(a->cpu));
  }
  if (a->pivot)
    bad |= json_object_set_new(o, "pivot", json_true());
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *sched_plan_to_json(const struct sched_plan *p) {
  json_t *root = json_object(), *steps = json_array();
  int bad = !root || !steps;
  for (int32_t k = 0; !bad && k < p->nsteps; k++) {
    json_t *step = json_array();
    bad = !step || json_array_append_new(steps, step);
    int32_t n;
    const struct sched_action *a = bad ? NULL : sched_plan_step(p, k, &n);
    for (int32_t i = 0; !bad && i < n; i++) {
      json_t *o = action_json(&a[i]);
      bad = !o || json_array_append_new(step, o);
    }
  }
  if (!bad)
    bad = json_object_set_new(root, "steps", steps) |
          json_object_set_new(root, "migrations", json_integer(p->migrations)) |
          json_object_set_new(root, "pivots", json_integer(p->pivots)) |
          json_object_set_new(root, "mem_moved", json_integer(p->mem_moved));
  else
    json_decref(steps);
  if (bad) {
    json_decref(root);
    return NULL;
  }
  return root;
}
