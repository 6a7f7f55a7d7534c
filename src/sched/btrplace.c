/* BtrPlace JSON instances: model.mapping, model.views, constraints. */
#include "sched/btrplace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sched/constraints_json.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/json.h"

#define INSTANCE_MAX_BYTES (1u << 30)

/* The whole file, inflated when gzip'd (gzread passes plain files through). */
static char *read_maybe_gz(const char *path, size_t *len, err_t *e) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "%s", path), NULL;
  gzFile gz = gzdopen(fd, "rb");
  if (!gz) {
    close(fd);
    return err_set(e, ENOMEM, "%s: cannot start zlib", path), NULL;
  }
  size_t cap = 1 << 20, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (!buf)
      break;
    if (n + 1 == cap) {
      if (cap >= INSTANCE_MAX_BYTES) {
        gzclose(gz);
        free(buf);
        return err_set(e, EFBIG, "%s: larger than %u bytes", path, INSTANCE_MAX_BYTES), NULL;
      }
      if (array_reserve_sz((void **)&buf, &cap, n + 2, 1) < 0) {
        free(buf);
        buf = NULL;
        break;
      }
    }
    int got = gzread(gz, buf + n, (unsigned)(cap - 1 - n));
    if (got < 0) {
      int zerr;
      const char *msg = gzerror(gz, &zerr);
      err_set(e, EINVAL, "%s: %s", path, zerr == Z_ERRNO ? strerror(errno) : msg);
      gzclose(gz);
      free(buf);
      return NULL;
    }
    if (got == 0)
      break;
    n += (size_t)got;
  }
  gzclose(gz);
  if (!buf)
    return err_set(e, ENOMEM, "%s: out of memory", path), NULL;
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* External id -> model id, for dense-enough integer ids. */
struct idmap {
  int32_t *of;   /* indexed by external id; -1 when unknown */
  int64_t size;
  int64_t *ids;  /* model id -> external id */
  int32_t n, cap;
};

static void idmap_free(struct idmap *m) {
  free(m->of);
  free(m->ids);
}

static int parse_id(const char *s, const char *where, int64_t *out, err_t *e) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 0)
    return err_set(e, EINVAL, "%s: \"%s\" is not a non-negative integer id", where, s);
  *out = v;
  return 0;
}

static int json_id(json_t *j, const char *where, int64_t *out, err_t *e) {
  if (!json_is_integer(j) || json_integer_value(j) < 0)
    return err_set(e, EINVAL, "%s: expected a non-negative integer id, got %s", where,
                   json_type_name(j));
  *out = json_integer_value(j);
  return 0;
}

static int idmap_add(struct idmap *m, int64_t id, const char *where, err_t *e) {
  /* ids index an array: refuse ones far beyond the count (a sparse id space
   * would need a hash map, and BtrPlace's generators number densely) */
  if (id > 4 * (int64_t)m->n + (1 << 20))
    return err_set(e, EINVAL, "%s: id %lld is too sparse for this reader", where,
                   (long long)id);
  if (id >= m->size) {
    size_t size = (size_t)m->size;
    if (array_reserve_sz((void **)&m->of, &size, (size_t)id + 1, sizeof(*m->of)) < 0)
      return err_set(e, ENOMEM, "out of memory");
    for (int64_t i = m->size; i < (int64_t)size; i++)
      m->of[i] = -1;
    m->size = (int64_t)size;
  }
  if (m->of[id] >= 0)
    return err_set(e, EINVAL, "%s: id %lld appears twice", where, (long long)id);
  if (array_reserve((void **)&m->ids, &m->cap, m->n + 1, sizeof(*m->ids)) < 0)
    return err_set(e, ENOMEM, "out of memory");
  m->of[id] = m->n;
  m->ids[m->n++] = id;
  return 0;
}

static int add_id_array(struct idmap *m, json_t *arr, const char *where, err_t *e) {
  if (!arr)
    return 0;
  if (!json_is_array(arr))
    return err_set(e, EINVAL, "%s: expected an array, got %s", where, json_type_name(arr));
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    char at[160];
    snprintf(at, sizeof(at), "%s[%zu]", where, i);
    int64_t id = 0;
    if (json_id(v, at, &id, e) < 0 || idmap_add(m, id, at, e) < 0)
      return -1;
  }
  return 0;
}

struct reader {
  json_t *mapping, *online;
  struct idmap nodes, ves;
  struct sched_instance *inst;
};

/* First pass: every node and VM id, so the model can be sized. */
static int collect_ids(struct reader *r, err_t *e) {
  const char *key;
  json_t *node;
  json_object_foreach(r->online, key, node) {
    char at[160];
    snprintf(at, sizeof(at), "model.mapping.onlineNodes.%s", key);
    int64_t id = 0;
    if (parse_id(key, at, &id, e) < 0 || idmap_add(&r->nodes, id, at, e) < 0)
      return -1;
    if (!json_is_object(node))
      return err_set(e, EINVAL, "%s: expected an object, got %s", at, json_type_name(node));
    json_t *sleeping = json_object_get(node, "sleepingVMs");
    if (sleeping && (!json_is_array(sleeping) || json_array_size(sleeping)))
      return err_set(e, EINVAL, "%s.sleepingVMs: sleeping VMs are not supported", at);
    char run_at[200];
    snprintf(run_at, sizeof(run_at), "%s.runningVMs", at);
    if (add_id_array(&r->ves, json_object_get(node, "runningVMs"), run_at, e) < 0)
      return -1;
  }
  if (add_id_array(&r->nodes, json_object_get(r->mapping, "offlineNodes"),
                   "model.mapping.offlineNodes", e) < 0 ||
      add_id_array(&r->ves, json_object_get(r->mapping, "readyVMs"), "model.mapping.readyVMs",
                   e) < 0)
    return -1;
  return 0;
}

static int place_running(struct reader *r, err_t *e) {
  struct sched_model *m = &r->inst->model;
  const char *key;
  json_t *node;
  json_object_foreach(r->online, key, node) {
    int64_t id = 0;
    parse_id(key, "", &id, e);
    int32_t n = r->nodes.of[id];
    json_t *running = json_object_get(node, "runningVMs");
    size_t i;
    json_t *v;
    json_array_foreach(running, i, v)
      if (sched_ve_place(m, r->ves.of[json_integer_value(v)], n, e) < 0)
        return -1;
  }
  json_t *offline = json_object_get(r->mapping, "offlineNodes");
  size_t i;
  json_t *v;
  json_array_foreach(offline, i, v)
    sched_node_set_online(m, r->nodes.of[json_integer_value(v)], false);
  return 0;
}

/* One map of a view ("nodes" or "vms"): id -> amount, written into `out`
 * (indexed by model id) after the default. */
static int read_amounts(json_t *view, const char *member, const char *where,
                        const struct idmap *map, int64_t *out, int32_t count, err_t *e) {
  int64_t def = 0;
  if (json_opt_i64(view, !strcmp(member, "nodes") ? "defCapacity" : "defConsumption", where,
                   &def, e) < 0)
    return -1;
  for (int32_t i = 0; i < count; i++)
    out[i] = def;
  json_t *obj = NULL;
  if (json_opt_obj(view, member, where, &obj, e) < 0)
    return -1;
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    char at[200];
    snprintf(at, sizeof(at), "%s.%s.%s", where, member, key);
    int64_t id = 0;
    if (parse_id(key, at, &id, e) < 0)
      return -1;
    if (id >= map->size || map->of[id] < 0)
      return err_set(e, EINVAL, "%s: not in the mapping", at);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
      return err_set(e, EINVAL, "%s: expected a non-negative integer, got %s", at,
                     json_type_name(v));
    out[map->of[id]] = json_integer_value(v);
  }
  return 0;
}

static int read_views(struct reader *r, json_t *views, int64_t *node_res[SCHED_NRES],
                      int64_t *ve_res[SCHED_NRES], err_t *e) {
  if (!json_is_array(views))
    return err_set(e, EINVAL, "model.views: expected an array, got %s", json_type_name(views));
  bool seen[SCHED_NRES] = {false};
  size_t i;
  json_t *view;
  json_array_foreach(views, i, view) {
    char where[64];
    snprintf(where, sizeof(where), "model.views[%zu]", i);
    const char *kind = NULL, *rc = NULL;
    if (!json_is_object(view))
      return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(view));
    if (json_opt_str(view, "id", where, &kind, e) < 0 ||
        json_opt_str(view, "rcId", where, &rc, e) < 0)
      return -1;
    if (!kind || strcmp(kind, "shareableResource"))
      continue; /* naming views ("ns") carry no resource */
    int res;
    if (rc && (!strcmp(rc, "uCpu") || !strcmp(rc, "cpu")))
      res = SCHED_CPU;
    else if (rc && (!strcmp(rc, "memory") || !strcmp(rc, "mem")))
      res = SCHED_MEM;
    else
      return err_set(e, EINVAL, "%s: resource \"%s\" is not supported (uCpu, memory)", where,
                     rc ? rc : "(none)");
    if (seen[res])
      return err_set(e, EINVAL, "%s: resource \"%s\" given twice", where, rc);
    seen[res] = true;
    if (read_amounts(view, "nodes", where, &r->nodes, node_res[res], r->nodes.n, e) < 0 ||
        read_amounts(view, "vms", where, &r->ves, ve_res[res], r->ves.n, e) < 0)
      return -1;
  }
  if (!seen[SCHED_CPU] || !seen[SCHED_MEM])
    return err_set(e, EINVAL, "model.views: needs shareableResource views for uCpu and memory");
  return 0;
}

static int load_model(struct reader *r, json_t *root, err_t *e) {
  json_t *model = json_object_get(root, "model");
  if (!json_is_object(model))
    return err_set(e, EINVAL, "model: expected an object");
  r->mapping = json_object_get(model, "mapping");
  if (!json_is_object(r->mapping))
    return err_set(e, EINVAL, "model.mapping: expected an object");
  r->online = json_object_get(r->mapping, "onlineNodes");
  if (!json_is_object(r->online))
    return err_set(e, EINVAL, "model.mapping.onlineNodes: expected an object");
  if (collect_ids(r, e) < 0)
    return -1;
  struct sched_model *m = &r->inst->model;
  if (sched_model_init(m, r->nodes.n, r->ves.n, e) < 0)
    return -1;
  int64_t *buf = calloc((size_t)2 * (r->nodes.n + r->ves.n) + 1, sizeof(int64_t));
  if (!buf)
    return err_set(e, ENOMEM, "out of memory");
  int64_t *node_res[SCHED_NRES] = {buf, buf + r->nodes.n};
  int64_t *ve_res[SCHED_NRES] = {buf + 2 * r->nodes.n, buf + 2 * r->nodes.n + r->ves.n};
  int rc = read_views(r, json_object_get(model, "views"), node_res, ve_res, e);
  if (rc == 0) {
    for (int32_t i = 0; i < r->nodes.n; i++)
      sched_node_set_capacity(m, i, node_res[SCHED_CPU][i], node_res[SCHED_MEM][i]);
    for (int32_t i = 0; i < r->ves.n; i++)
      sched_ve_set_demand(m, i, ve_res[SCHED_CPU][i], ve_res[SCHED_MEM][i]);
    rc = place_running(r, e);
  }
  free(buf);
  return rc;
}

static int load_constraints(struct reader *r, json_t *root, err_t *e) {
  struct sched_instance *inst = r->inst;
  json_t *list = json_object_get(root, "constraints");
  if (list) {
    struct sched_id_maps maps = {r->nodes.of, r->ves.of, r->nodes.size, r->ves.size};
    if (sched_cstrs_load_json_mapped(&inst->cstrs, list, "constraints", &maps, e) < 0)
      return -1;
  }
  if (sched_cstrs_seal(&inst->cstrs, &inst->model, e) < 0)
    return -1;
  sched_cstrs_apply_preserve(&inst->cstrs, &inst->model);
  json_t *objective = json_object_get(root, "objective");
  const char *name = NULL;
  if (objective && json_opt_str(objective, "id", "objective", &name, e) < 0)
    return -1;
  snprintf(inst->objective, sizeof(inst->objective), "%s", name ? name : "");
  return 0;
}

void sched_instance_free(struct sched_instance *inst) {
  sched_model_free(&inst->model);
  sched_cstrs_free(&inst->cstrs);
  free(inst->node_ids);
  free(inst->ve_ids);
  memset(inst, 0, sizeof(*inst));
}

int sched_instance_load(struct sched_instance *inst, const char *path, err_t *e) {
  memset(inst, 0, sizeof(*inst));
  sched_cstrs_init(&inst->cstrs);
  size_t len;
  _cleanup_free_ char *buf = read_maybe_gz(path, &len, e);
  if (!buf)
    return -1;
  _cleanup_json_ json_t *root = json_load_object_buf(buf, len, path, e);
  if (!root)
    return -1;
  struct reader r = {.inst = inst};
  int rc = load_model(&r, root, e);
  if (rc == 0)
    rc = load_constraints(&r, root, e);
  if (rc == 0) {
    inst->node_ids = r.nodes.ids;
    inst->ve_ids = r.ves.ids;
    r.nodes.ids = r.ves.ids = NULL;
  }
  idmap_free(&r.nodes);
  idmap_free(&r.ves);
  if (rc < 0) {
    sched_instance_free(inst);
    return err_wrap(e, "%s", path);
  }
  return 0;
}
