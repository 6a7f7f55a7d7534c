/* The constraints file: a JSON array of BtrPlace-like constraint objects. */
#include "sched/constraints_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/cleanup.h"
#include "util/json.h"

/* A growable id list. */
struct ids {
  int32_t *v;
  int32_t n, cap;
};

static int translate(json_t *j, bool is_ve, const struct sched_id_maps *maps, const char *where,
                     int32_t *out, err_t *e) {
  if (!json_is_integer(j))
    return err_set(e, EINVAL, "%s: expected an integer id, got %s", where, json_type_name(j));
  json_int_t id = json_integer_value(j);
  const int32_t *map = maps ? (is_ve ? maps->ve : maps->node) : NULL;
  int64_t size = maps ? (is_ve ? maps->nve_ids : maps->nnode_ids) : 0;
  if (!map) {
    if (id < 0 || id > INT32_MAX)
      return err_set(e, EINVAL, "%s: %s id %lld out of range", where, is_ve ? "VE" : "node",
                     (long long)id);
    *out = (int32_t)id;
    return 0;
  }
  if (id < 0 || id >= size || map[id] < 0)
    return err_set(e, EINVAL, "%s: unknown %s %lld", where, is_ve ? "VM" : "node",
                   (long long)id);
  *out = map[id];
  return 0;
}

/* Append the ids of `single` (an integer) or `list` (an array) to l. */
static int read_ids(json_t *obj, const char *single, const char *list, bool is_ve,
                    const struct sched_id_maps *maps, const char *where, struct ids *l,
                    err_t *e) {
  char at[256];
  json_t *one = json_object_get(obj, single);
  if (one) {
    snprintf(at, sizeof(at), "%s: %s", where, single);
    int32_t id;
    if (translate(one, is_ve, maps, at, &id, e) < 0)
      return -1;
    if (array_push_i32(&l->v, &l->n, &l->cap, id) < 0)
      return err_set(e, ENOMEM, "%s: out of memory", where);
    return 0;
  }
  json_t *arr = json_object_get(obj, list);
  if (!arr)
    return 0;
  if (!json_is_array(arr))
    return err_set(e, EINVAL, "%s: %s: expected an array, got %s", where, list,
                   json_type_name(arr));
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    snprintf(at, sizeof(at), "%s: %s[%zu]", where, list, i);
    int32_t id;
    if (translate(v, is_ve, maps, at, &id, e) < 0)
      return -1;
    if (array_push_i32(&l->v, &l->n, &l->cap, id) < 0)
      return err_set(e, ENOMEM, "%s: out of memory", where);
  }
  return 0;
}

/* "parts": an array of id arrays, concatenated into l with offsets in groups. */
static int read_parts(json_t *obj, bool is_ve, const struct sched_id_maps *maps,
                      const char *where, struct ids *l, struct ids *groups, err_t *e) {
  json_t *parts = json_object_get(obj, "parts");
  if (!parts)
    return 0;
  if (!json_is_array(parts))
    return err_set(e, EINVAL, "%s: parts: expected an array of arrays, got %s", where,
                   json_type_name(parts));
  if (array_push_i32(&groups->v, &groups->n, &groups->cap, 0) < 0)
    return err_set(e, ENOMEM, "%s: out of memory", where);
  size_t g;
  json_t *part;
  json_array_foreach(parts, g, part) {
    char at[256];
    fmt_cut(at, sizeof(at), "%s: parts[%zu]", where, g);
    if (!json_is_array(part))
      return err_set(e, EINVAL, "%s: expected an array, got %s", at, json_type_name(part));
    size_t i;
    json_t *v;
    json_array_foreach(part, i, v) {
      char at_i[300];
      snprintf(at_i, sizeof(at_i), "%s[%zu]", at, i);
      int32_t id;
      if (translate(v, is_ve, maps, at_i, &id, e) < 0)
        return -1;
      if (array_push_i32(&l->v, &l->n, &l->cap, id) < 0)
        return err_set(e, ENOMEM, "%s: out of memory", where);
    }
    if (array_push_i32(&groups->v, &groups->n, &groups->cap, l->n) < 0)
      return err_set(e, ENOMEM, "%s: out of memory", where);
  }
  return 0;
}

static int read_rc(json_t *obj, const char *where, int *rc, err_t *e) {
  const char *name = NULL;
  if (json_opt_str(obj, "rc", where, &name, e) < 0)
    return -1;
  if (!name)
    return 0;
  if (!strcmp(name, "cpu") || !strcmp(name, "uCpu"))
    *rc = SCHED_CPU;
  else if (!strcmp(name, "mem") || !strcmp(name, "memory"))
    *rc = SCHED_MEM;
  else
    return err_set(e, EINVAL, "%s: rc: unknown resource \"%s\" (cpu, uCpu, mem, memory)", where,
                   name);
  return 0;
}

static int kind_of(const char *name, enum sched_cstr_kind *k) {
  if (!strcmp(name, "latency")) { /* DISCOVERY's latency zones are among's node groups */
    *k = SCHED_AMONG;
    return 0;
  }
  for (int i = 0; i < SCHED_CSTR_KINDS; i++)
    if (!strcmp(name, sched_cstr_kind_name(i))) {
      *k = i;
      return 0;
    }
  return -1;
}

static const char *const known_keys[] = {"id", "continuous", "vm", "vms", "node", "nodes",
                                          "parts", "rc", "amount"};

static int check_keys(json_t *obj, const char *where, err_t *e) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    bool known = false;
    for (size_t i = 0; i < sizeof(known_keys) / sizeof(*known_keys); i++)
      known = known || !strcmp(key, known_keys[i]);
    if (!known)
      return err_set(e, EINVAL, "%s: unknown key \"%s\"", where, key);
  }
  return 0;
}

static int parse_one(struct sched_cstrs *c, json_t *obj, const char *where,
                     const struct sched_id_maps *maps, err_t *e) {
  if (!json_is_object(obj))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(obj));
  const char *name = NULL;
  if (json_opt_str(obj, "id", where, &name, e) < 0)
    return -1;
  if (!name)
    return err_set(e, EINVAL, "%s: missing \"id\" (the constraint's kind)", where);
  enum sched_cstr_kind kind;
  if (kind_of(name, &kind) < 0)
    return err_set(e, EINVAL, "%s: unknown constraint \"%s\"", where, name);
  char at[256];
  fmt_cut(at, sizeof(at), "%s (%s)", where, name);
  if (check_keys(obj, at, e) < 0)
    return -1;

  struct sched_cstr x = {.kind = kind};
  /* root and quarantine only make sense over the whole plan */
  x.continuous = kind == SCHED_ROOT || kind == SCHED_QUARANTINE;
  if (json_opt_bool(obj, "continuous", at, &x.continuous, e) < 0 || read_rc(obj, at, &x.rc, e) < 0)
    return -1;
  int64_t amount = 0;
  if (json_opt_i64(obj, "amount", at, &amount, e) < 0)
    return -1;
  x.amount = amount;

  struct ids ves = {0}, nodes = {0}, groups = {0};
  int r = read_ids(obj, "vm", "vms", true, maps, at, &ves, e);
  if (r == 0)
    r = read_ids(obj, "node", "nodes", false, maps, at, &nodes, e);
  if (r == 0)
    r = read_parts(obj, kind == SCHED_SPLIT, maps, at, kind == SCHED_SPLIT ? &ves : &nodes,
                   &groups, e);
  if (r == 0) {
    x.ves = ves.v;
    x.nves = ves.n;
    x.nodes = nodes.v;
    x.nnodes = nodes.n;
    x.groups = groups.v;
    x.ngroups = groups.n ? groups.n - 1 : 0;
    r = sched_cstrs_add(c, &x, e);
    if (r < 0)
      err_wrap(e, "%s", where);
  }
  free(ves.v);
  free(nodes.v);
  free(groups.v);
  return r;
}

int sched_cstrs_load_json_mapped(struct sched_cstrs *c, json_t *list, const char *where,
                                 const struct sched_id_maps *maps, err_t *e) {
  if (json_is_object(list)) {
    json_t *inner = json_object_get(list, "constraints");
    if (!inner)
      return err_set(e, EINVAL, "%s: missing \"constraints\"", where);
    list = inner;
  }
  if (!json_is_array(list))
    return err_set(e, EINVAL, "%s: expected an array of constraints, got %s", where,
                   json_type_name(list));
  size_t i;
  json_t *obj;
  json_array_foreach(list, i, obj) {
    char at[256];
    snprintf(at, sizeof(at), "%s[%zu]", where, i);
    if (parse_one(c, obj, at, maps, e) < 0)
      return -1;
  }
  return 0;
}

int sched_cstrs_load_json(struct sched_cstrs *c, json_t *list, const char *where, err_t *e) {
  return sched_cstrs_load_json_mapped(c, list, where, NULL, e);
}

int sched_cstrs_load_file(struct sched_cstrs *c, const char *path, err_t *e) {
  json_error_t je;
  _cleanup_json_ json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    if (je.line < 0 || strstr(je.text, "unable to open"))
      return err_set(e, ENOENT, "%s: %s", path, je.text);
    return err_set(e, EINVAL, "%s: invalid JSON at line %d column %d: %s", path, je.line,
                   je.column, je.text);
  }
  return sched_cstrs_load_json(c, root, path, e);
}
