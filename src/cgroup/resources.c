/* OCI LinuxResources (runtime-spec config-linux.md) parsed into plain C.
 * Every value is checked here, so errors name the field; what the host can
 * honour is decided later, by cgroup_apply. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/resources.h"
#include "util/cleanup.h"
#include "util/json.h"

/* "where.key", for nested messages. */
struct field {
  char s[192];
};
static struct field sub(const char *where, const char *key) {
  struct field f;
  snprintf(f.s, sizeof f.s, "%s.%s", where, key);
  return f;
}
static struct field item(const char *where, const char *key, size_t i) {
  struct field f;
  snprintf(f.s, sizeof f.s, "%s.%s[%zu]", where, key, i);
  return f;
}

/* An int64 that is a byte count or -1 for unlimited. */
static int opt_limit(json_t *o, const char *key, const char *where, bool *has, int64_t *out,
                     err_t *e) {
  int r = json_opt_i64(o, key, where, out, e);
  if (r > 0 && *out < -1)
    return err_set(e, EINVAL, "%s.%s: %lld: want -1 (unlimited) or a non-negative value", where,
                   key, (long long)*out);
  if (r > 0)
    *has = true;
  return r;
}

static int opt_u16_range(json_t *o, const char *key, const char *where, uint64_t lo, uint64_t hi,
                         bool *has, uint16_t *out, err_t *e) {
  uint64_t v;
  int r = json_opt_u64(o, key, where, &v, e);
  if (r <= 0)
    return r;
  if (v < lo || v > hi)
    return err_set(e, EINVAL, "%s.%s: %llu is outside %llu..%llu", where, key,
                   (unsigned long long)v, (unsigned long long)lo, (unsigned long long)hi);
  *out = (uint16_t)v;
  *has = true;
  return 1;
}

static int required(int r, const char *where, const char *key, err_t *e) {
  if (r == 0)
    return err_set(e, EINVAL, "%s.%s: required", where, key);
  return r;
}

static int refuse(const char *where, const char *key, const char *why, err_t *e) {
  return err_set(e, ENOTSUP, "%s.%s: not supported: %s", where, key, why);
}

static int parse_memory(json_t *res, const char *where, struct cgroup_resources *r, err_t *e) {
  json_t *m;
  int rc = json_opt_obj(res, "memory", where, &m, e);
  if (rc <= 0)
    return rc;
  struct field w = sub(where, "memory");
  if (opt_limit(m, "limit", w.s, &r->has_mem_limit, &r->mem_limit, e) < 0 ||
      opt_limit(m, "reservation", w.s, &r->has_mem_reservation, &r->mem_reservation, e) < 0 ||
      opt_limit(m, "swap", w.s, &r->has_mem_swap, &r->mem_swap, e) < 0)
    return -1;
  /* Kernel memory: the runtime-spec deprecates it and cgroup v2 has none.
   * `kernel` is ignored, as runc and crun do (Linux 6.x refuses any value
   * but -1 in memory.kmem.limit_in_bytes); `kernelTCP` is applied on v1,
   * as crun does (runc ignores it too). */
  int64_t kernel;
  if (json_opt_i64(m, "kernel", w.s, &kernel, e) < 0 ||
      opt_limit(m, "kernelTCP", w.s, &r->has_mem_kernel_tcp, &r->mem_kernel_tcp, e) < 0)
    return -1;
  rc = json_opt_u64(m, "swappiness", w.s, &r->swappiness, e);
  if (rc < 0)
    return -1;
  if (rc > 0 && r->swappiness > 100)
    return err_set(e, EINVAL, "%s.swappiness: %llu is outside 0..100", w.s,
                   (unsigned long long)r->swappiness);
  r->has_swappiness = rc > 0;
  rc = json_opt_bool(m, "disableOOMKiller", w.s, &r->disable_oom_killer, e);
  if (rc < 0)
    return -1;
  r->has_disable_oom_killer = rc > 0;
  bool hierarchy;
  rc = json_opt_bool(m, "useHierarchy", w.s, &hierarchy, e);
  if (rc < 0)
    return -1;
  if (rc > 0 && !hierarchy)
    return refuse(w.s, "useHierarchy", "current kernels always account hierarchically", e);
  return json_opt_bool(m, "checkBeforeUpdate", w.s, &r->mem_check_before_update, e) < 0 ? -1 : 0;
}

/* A cpuset list: "0-3,5". */
static bool valid_cpu_list(const char *s) {
  while (*s) {
    if (!isdigit((unsigned char)*s))
      return false;
    char *end;
    unsigned long lo = strtoul(s, &end, 10), hi = lo;
    if (*end == '-') {
      if (!isdigit((unsigned char)end[1]))
        return false;
      hi = strtoul(end + 1, &end, 10);
    }
    if (hi < lo || (*end && *end != ',') || (*end == ',' && !end[1]))
      return false;
    s = *end ? end + 1 : end;
  }
  return true;
}

static int opt_cpu_list(json_t *c, const char *key, const char *where, char **out, err_t *e) {
  const char *s;
  int rc = json_opt_str(c, key, where, &s, e);
  if (rc <= 0 || !*s) /* "" means unset, as runc and crun read it */
    return rc < 0 ? -1 : 0;
  if (!valid_cpu_list(s))
    return err_set(e, EINVAL, "%s.%s: \"%s\" is not a list such as \"0-3,5\"", where, key, s);
  if (!(*out = strdup(s)))
    return err_sys(e, "%s.%s", where, key);
  return 1;
}

static int parse_cpu(json_t *res, const char *where, struct cgroup_resources *r, err_t *e) {
  json_t *c;
  int rc = json_opt_obj(res, "cpu", where, &c, e);
  if (rc <= 0)
    return rc;
  struct field w = sub(where, "cpu");
  rc = json_opt_u64(c, "shares", w.s, &r->cpu_shares, e);
  if (rc < 0)
    return -1;
  if (rc > 0 && r->cpu_shares != 0) { /* 0 means unset, as runc and crun read it */
    if (r->cpu_shares < 2 || r->cpu_shares > 262144)
      return err_set(e, EINVAL, "%s.shares: %llu is outside 2..262144", w.s,
                     (unsigned long long)r->cpu_shares);
    r->has_cpu_shares = true;
  }
  rc = json_opt_i64(c, "quota", w.s, &r->cpu_quota, e);
  if (rc < 0)
    return -1;
  if (rc > 0 && r->cpu_quota < 1 && r->cpu_quota != -1)
    return err_set(e, EINVAL, "%s.quota: %lld: want -1 (unlimited) or a positive value", w.s,
                   (long long)r->cpu_quota);
  r->has_cpu_quota = rc > 0;
  if ((rc = json_opt_u64(c, "burst", w.s, &r->cpu_burst, e)) < 0)
    return -1;
  r->has_cpu_burst = rc > 0;
  if (r->has_cpu_burst && r->has_cpu_quota && r->cpu_quota > 0 &&
      r->cpu_burst > (uint64_t)r->cpu_quota)
    return err_set(e, EINVAL, "%s.burst: %llu is larger than quota %lld", w.s,
                   (unsigned long long)r->cpu_burst, (long long)r->cpu_quota);
  static const char *const periods[] = {"period", "realtimePeriod"};
  uint64_t *period_out[] = {&r->cpu_period, &r->rt_period};
  bool *period_has[] = {&r->has_cpu_period, &r->has_rt_period};
  for (size_t i = 0; i < 2; i++) {
    if ((rc = json_opt_u64(c, periods[i], w.s, period_out[i], e)) < 0)
      return -1;
    if (rc > 0 && *period_out[i] == 0)
      return err_set(e, EINVAL, "%s.%s: must be positive", w.s, periods[i]);
    *period_has[i] = rc > 0;
  }
  if (opt_limit(c, "realtimeRuntime", w.s, &r->has_rt_runtime, &r->rt_runtime, e) < 0)
    return -1;
  if ((rc = json_opt_i64(c, "idle", w.s, &r->cpu_idle, e)) < 0)
    return -1;
  if (rc > 0 && r->cpu_idle != 0 && r->cpu_idle != 1)
    return err_set(e, EINVAL, "%s.idle: %lld: want 0 or 1", w.s, (long long)r->cpu_idle);
  r->has_cpu_idle = rc > 0;
  if (opt_cpu_list(c, "cpus", w.s, &r->cpus, e) < 0 || opt_cpu_list(c, "mems", w.s, &r->mems, e) < 0)
    return -1;
  return 0;
}

static int parse_pids(json_t *res, const char *where, struct cgroup_resources *r, err_t *e) {
  json_t *p;
  int rc = json_opt_obj(res, "pids", where, &p, e);
  if (rc <= 0)
    return rc;
  struct field w = sub(where, "pids");
  if (required(json_opt_i64(p, "limit", w.s, &r->pids_limit, e), w.s, "limit", e) < 0)
    return -1;
  r->has_pids_limit = true;
  return 0;
}

static int device_number(json_t *o, const char *key, const char *where, bool need, int64_t *out,
                         err_t *e) {
  *out = -1;
  int rc = json_opt_i64(o, key, where, out, e);
  if (rc < 0 || (need && required(rc, where, key, e) < 0))
    return -1;
  if (*out < (need ? 0 : -1))
    return err_set(e, EINVAL, "%s.%s: %lld is not a device number", where, key, (long long)*out);
  return 0;
}

/* weightDevice (weight/leafWeight) or a throttle list (rate). */
static int parse_blkio_devices(json_t *b, const char *key, const char *where, bool weights,
                               struct blkio_device_value **out, size_t *n_out, err_t *e) {
  json_t *arr;
  int rc = json_opt_arr(b, key, where, &arr, e);
  if (rc <= 0)
    return rc;
  size_t n = json_array_size(arr);
  if (n == 0)
    return 0;
  if (!(*out = calloc(n, sizeof **out)))
    return err_sys(e, "%s.%s", where, key);
  *n_out = n;
  for (size_t i = 0; i < n; i++) {
    struct field w = item(where, key, i);
    json_t *o = json_array_get(arr, i);
    struct blkio_device_value *d = &(*out)[i];
    if (!json_is_object(o))
      return err_set(e, EINVAL, "%s: expected an object, got %s", w.s, json_type_name(o));
    if (device_number(o, "major", w.s, true, &d->major, e) < 0 ||
        device_number(o, "minor", w.s, true, &d->minor, e) < 0)
      return -1;
    if (!weights) {
      if (required(json_opt_u64(o, "rate", w.s, &d->value, e), w.s, "rate", e) < 0)
        return -1;
      continue;
    }
    uint16_t weight = 0, leaf = 0;
    if (opt_u16_range(o, "weight", w.s, 10, 1000, &d->has_weight, &weight, e) < 0 ||
        opt_u16_range(o, "leafWeight", w.s, 10, 1000, &d->has_leaf_weight, &leaf, e) < 0)
      return -1;
    if (!d->has_weight && !d->has_leaf_weight)
      return err_set(e, EINVAL, "%s: needs weight or leafWeight", w.s);
    d->value = weight;
    d->leaf_weight = leaf;
  }
  return 0;
}

static int parse_blkio(json_t *res, const char *where, struct cgroup_resources *r, err_t *e) {
  json_t *b;
  int rc = json_opt_obj(res, "blockIO", where, &b, e);
  if (rc <= 0)
    return rc;
  struct field w = sub(where, "blockIO");
  if (opt_u16_range(b, "weight", w.s, 10, 1000, &r->has_blkio_weight, &r->blkio_weight, e) < 0 ||
      opt_u16_range(b, "leafWeight", w.s, 10, 1000, &r->has_blkio_leaf_weight,
                    &r->blkio_leaf_weight, e) < 0)
    return -1;
  return parse_blkio_devices(b, "weightDevice", w.s, true, &r->weight_devices,
                             &r->n_weight_devices, e) < 0 ||
                 parse_blkio_devices(b, "throttleReadBpsDevice", w.s, false, &r->throttle_read_bps,
                                     &r->n_throttle_read_bps, e) < 0 ||
                 parse_blkio_devices(b, "throttleWriteBpsDevice", w.s, false,
                                     &r->throttle_write_bps, &r->n_throttle_write_bps, e) < 0 ||
                 parse_blkio_devices(b, "throttleReadIOPSDevice", w.s, false,
                                     &r->throttle_read_iops, &r->n_throttle_read_iops, e) < 0 ||
                 parse_blkio_devices(b, "throttleWriteIOPSDevice", w.s, false,
                                     &r->throttle_write_iops, &r->n_throttle_write_iops, e) < 0
             ? -1
             : 0;
}

static int parse_device_rule(json_t *o, const char *where, struct device_rule *d, err_t *e) {
  if (!json_is_object(o))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(o));
  if (required(json_opt_bool(o, "allow", where, &d->allow, e), where, "allow", e) < 0)
    return -1;
  const char *type = "a", *access = "rwm";
  if (json_opt_str(o, "type", where, &type, e) < 0 || json_opt_str(o, "access", where, &access, e) < 0)
    return -1;
  if (strlen(type) != 1 || !strchr("abc", type[0]))
    return err_set(e, EINVAL, "%s.type: unknown device type \"%s\" (want a, b or c)", where, type);
  d->type = type[0];
  if (!*access)
    return err_set(e, EINVAL, "%s.access: empty (want a combination of r, w and m)", where);
  memset(d->access, 0, sizeof d->access);
  for (const char *p = access; *p; p++) {
    if (!strchr("rwm", *p) || strchr(d->access, *p))
      return err_set(e, EINVAL, "%s.access: \"%s\" is not a combination of r, w and m", where,
                     access);
    d->access[strlen(d->access)] = *p;
  }
  return device_number(o, "major", where, false, &d->major, e) < 0 ||
                 device_number(o, "minor", where, false, &d->minor, e) < 0
             ? -1
             : 0;
}

int cgroup_resources_add_device(struct cgroup_resources *r, const struct device_rule *rule,
                                err_t *e) {
  struct device_rule *grown = realloc(r->devices, (r->n_devices + 1) * sizeof *grown);
  if (!grown)
    return err_sys(e, "device rules");
  r->devices = grown;
  r->devices[r->n_devices++] = *rule;
  return 0;
}

static int parse_devices(json_t *res, const char *where, struct cgroup_resources *r, err_t *e) {
  json_t *arr;
  int rc = json_opt_arr(res, "devices", where, &arr, e);
  if (rc <= 0)
    return rc;
  for (size_t i = 0; i < json_array_size(arr); i++) {
    struct device_rule d;
    if (parse_device_rule(json_array_get(arr, i), item(where, "devices", i).s, &d, e) < 0 ||
        cgroup_resources_add_device(r, &d, e) < 0)
      return -1;
  }
  return 0;
}

/* "2MB", "64KB", "1GB": also a file-name part, so nothing else passes. */
static bool valid_page_size(const char *s) {
  size_t n = strspn(s, "0123456789");
  return n > 0 && s[n] && strchr("KMG", s[n]) && s[n + 1] == 'B' && !s[n + 2];
}

static int parse_hugepages(json_t *res, const char *where, struct cgroup_resources *r, err_t *e) {
  json_t *arr;
  int rc = json_opt_arr(res, "hugepageLimits", where, &arr, e);
  if (rc <= 0 || json_array_size(arr) == 0)
    return rc < 0 ? -1 : 0;
  size_t n = json_array_size(arr);
  if (!(r->hugepages = calloc(n, sizeof *r->hugepages)))
    return err_sys(e, "%s.hugepageLimits", where);
  for (size_t i = 0; i < n; i++) {
    struct field w = item(where, "hugepageLimits", i);
    json_t *o = json_array_get(arr, i);
    const char *size;
    if (!json_is_object(o))
      return err_set(e, EINVAL, "%s: expected an object, got %s", w.s, json_type_name(o));
    if (required(json_opt_str(o, "pageSize", w.s, &size, e), w.s, "pageSize", e) < 0 ||
        required(json_opt_u64(o, "limit", w.s, &r->hugepages[i].limit, e), w.s, "limit", e) < 0)
      return -1;
    if (!valid_page_size(size))
      return err_set(e, EINVAL, "%s.pageSize: \"%s\" is not a size such as \"2MB\"", w.s, size);
    if (!(r->hugepages[i].page_size = strdup(size)))
      return err_sys(e, "%s", w.s);
    r->n_hugepages++;
  }
  return 0;
}

static int parse_unified(json_t *res, const char *where, struct cgroup_resources *r, err_t *e) {
  json_t *u;
  int rc = json_opt_obj(res, "unified", where, &u, e);
  if (rc <= 0 || json_object_size(u) == 0)
    return rc < 0 ? -1 : 0;
  struct field w = sub(where, "unified");
  if (!(r->unified = calloc(json_object_size(u), sizeof *r->unified)))
    return err_sys(e, "%s", w.s);
  const char *key;
  json_t *v;
  json_object_foreach(u, key, v) {
    /* A key is a file of the container's own group, never a path. */
    const char *dot = strchr(key, '.');
    if (!dot || dot == key || !dot[1] || strchr(key, '/'))
      return err_set(e, EINVAL, "%s: \"%s\" is not a cgroup file name such as \"memory.high\"",
                     w.s, key);
    if (!json_is_string(v))
      return err_set(e, EINVAL, "%s.%s: expected a string, got %s", w.s, key, json_type_name(v));
    struct unified_entry *ent = &r->unified[r->n_unified];
    ent->key = strdup(key);
    ent->value = strdup(json_string_value(v));
    r->n_unified++;
    if (!ent->key || !ent->value)
      return err_sys(e, "%s", w.s);
  }
  return 0;
}

/* Parts of the spec that need controllers capsule does not drive. */
static int parse_refused(json_t *res, const char *where, err_t *e) {
  json_t *o;
  int rc = json_opt_obj(res, "network", where, &o, e);
  if (rc < 0)
    return -1;
  if (rc > 0 && json_object_size(o))
    return refuse(where, "network", "the net_cls and net_prio controllers are not used by capsule",
                  e);
  if ((rc = json_opt_obj(res, "rdma", where, &o, e)) < 0)
    return -1;
  if (rc > 0 && json_object_size(o))
    return refuse(where, "rdma", "use linux.resources.unified with rdma.max on cgroup v2", e);
  return 0;
}

void cgroup_resources_free(struct cgroup_resources *r) {
  free(r->cpus);
  free(r->mems);
  free(r->weight_devices);
  free(r->throttle_read_bps);
  free(r->throttle_write_bps);
  free(r->throttle_read_iops);
  free(r->throttle_write_iops);
  free(r->devices);
  for (size_t i = 0; i < r->n_hugepages; i++)
    free(r->hugepages[i].page_size);
  free(r->hugepages);
  for (size_t i = 0; i < r->n_unified; i++) {
    free(r->unified[i].key);
    free(r->unified[i].value);
  }
  free(r->unified);
  memset(r, 0, sizeof *r);
}

int cgroup_resources_from_json(json_t *obj, const char *where, struct cgroup_resources *out,
                               err_t *e) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(obj))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(obj));
  struct cgroup_resources r = {0};
  if (parse_memory(obj, where, &r, e) < 0 || parse_cpu(obj, where, &r, e) < 0 ||
      parse_pids(obj, where, &r, e) < 0 || parse_blkio(obj, where, &r, e) < 0 ||
      parse_devices(obj, where, &r, e) < 0 || parse_hugepages(obj, where, &r, e) < 0 ||
      parse_unified(obj, where, &r, e) < 0 || parse_refused(obj, where, e) < 0) {
    cgroup_resources_free(&r);
    return -1;
  }
  *out = r;
  return 0;
}
