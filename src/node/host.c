#include "node/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

#define CG "/sys/fs/cgroup"

/* A number from a cgroup file of hierarchy `ctrl` (v1), or from the
 * unified hierarchy's `v2file` (its `key` line when given; *v2 says so).
 * -1 if absent. */
static int64_t cg_read(const char *ctrl, const char *rel, const char *v1file, const char *v2file,
                       const char *key, bool *v2) {
  char path[512];
  size_t len = 0;
  err_t e = ERR_INIT;
  snprintf(path, sizeof path, CG "/%s%s/%s", ctrl, rel, v1file);
  _cleanup_free_ char *t = read_file_at(AT_FDCWD, path, 4096, &len, &e);
  const char *p = t;
  if (!t && v2file) {
    snprintf(path, sizeof path, CG "%s/%s", rel, v2file);
    p = t = read_file_at(AT_FDCWD, path, 4096, &len, &e);
    if (v2)
      *v2 = true;
    size_t kl = key ? strlen(key) : 0;
    while (p && key && !(!strncmp(p, key, kl) && p[kl] == ' '))
      if ((p = strchr(p, '\n')))
        p++;
    if (p && key)
      p += kl + 1;
  }
  if (!p || !strncmp(p, "max", 3))
    return -1;
  return strtoll(p, NULL, 10);
}

/* CPU quota of a cgroup in thousandths of a CPU, 0 when unlimited. */
static int32_t cg_quota(const char *rel) {
  int64_t q = cg_read("cpu", rel, "cpu.cfs_quota_us", NULL, NULL, NULL);
  int64_t p = cg_read("cpu", rel, "cpu.cfs_period_us", NULL, NULL, NULL);
  if (q <= 0 || p <= 0) {
    char path[512];
    size_t len = 0;
    err_t e = ERR_INIT;
    snprintf(path, sizeof path, CG "%s/cpu.max", rel);
    _cleanup_free_ char *t = read_file_at(AT_FDCWD, path, 128, &len, &e);
    if (!t || sscanf(t, "%" SCNd64 " %" SCNd64, &q, &p) != 2 || q <= 0 || p <= 0)
      return 0;
  }
  return (int32_t)(q * 1000 / p);
}

static int save_ids(struct host *h, err_t *e) {
  _cleanup_json_ json_t *doc = json_pack("{s:I, s:O}", "next", (json_int_t)h->next, "ves", h->ids);
  _cleanup_free_ char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  char path[4096];
  snprintf(path, sizeof path, "%s/node/ves.json", h->root);
  if (!text)
    return err_set(e, ENOMEM, "node: out of memory");
  return atomic_write_at(AT_FDCWD, path, text, strlen(text), 0600, e);
}

int host_init(struct host *h, const char *root, int32_t slot, double cpus, err_t *e) {
  memset(h, 0, sizeof *h);
  h->slot = slot;
  h->root = strdup(root);
  h->parent = strdup(engine_cgroup_parent());
  h->ids = json_object();
  if (!h->root || !h->parent || !h->ids)
    return err_set(e, ENOMEM, "node: out of memory");
  int32_t quota = cg_quota(h->parent);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  h->cpu_cap = cpus > 0 ? (int32_t)(cpus * 1000) : quota ? quota : (int32_t)(ncpu * 1000);
  int64_t mem = cg_read("memory", h->parent, "memory.limit_in_bytes", "memory.max", NULL, NULL);
  int64_t phys = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
  h->mem_cap = (int32_t)((mem > 0 && mem < phys ? mem : phys) >> 20);
  char path[4096];
  snprintf(path, sizeof path, "%s/node/ves.json", root);
  if (access(path, F_OK) == 0) {
    _cleanup_json_ json_t *doc = json_load_object_file(path, e);
    json_t *ves = doc ? json_object_get(doc, "ves") : NULL;
    if (!json_is_object(ves))
      return doc ? err_set(e, EINVAL, "%s: no \"ves\" object", path) : -1;
    json_object_update(h->ids, ves);
    h->next = (uint32_t)json_integer_value(json_object_get(doc, "next"));
  }
  return 0;
}

void host_free(struct host *h) {
  free(h->root);
  free(h->parent);
  free(h->ves);
  json_decref(h->ids);
}

struct host_ve *host_find(struct host *h, int32_t ve) {
  for (int32_t i = 0; i < h->nves; i++)
    if (h->ves[i].ve == ve)
      return &h->ves[i];
  return NULL;
}

int host_adopt(struct host *h, const char *id, int32_t ve, err_t *e) {
  if (json_object_set_new(h->ids, id, json_integer(ve)) < 0)
    return err_set(e, ENOMEM, "node: out of memory");
  return save_ids(h, e);
}

/* The VE id of container `id`, given one now if it has none. */
static int32_t ve_of(struct host *h, const char *id, bool *changed) {
  json_t *v = json_object_get(h->ids, id);
  if (v)
    return (int32_t)json_integer_value(v);
  int32_t ve = h->slot * HOST_VES_PER_SLOT + (int32_t)(h->next++ % HOST_VES_PER_SLOT);
  *changed = json_object_set_new(h->ids, id, json_integer(ve)) == 0;
  return ve;
}

static struct host_ve *track(struct host *h, const char *id, bool *changed) {
  for (int32_t i = 0; i < h->nves; i++)
    if (!strcmp(h->ves[i].id, id))
      return &h->ves[i];
  if (array_reserve((void **)&h->ves, &h->cap, h->nves + 1, sizeof *h->ves) < 0)
    return NULL;
  struct host_ve *v = &h->ves[h->nves++];
  memset(v, 0, sizeof *v);
  snprintf(v->id, sizeof v->id, "%.64s", id); /* ids are checked to be 64 hex digits */
  v->ve = ve_of(h, id, changed);
  return v;
}

/* How long the container's tasks waited for a CPU while runnable (ns,
 * summed over /proc/<tid>/schedstat): on a contended machine, what it
 * used plus what it waited for is what it asked for. */
static uint64_t waited(const char *rel) {
  char path[512];
  size_t len = 0;
  err_t e = ERR_INIT;
  snprintf(path, sizeof path, CG "/cpuacct%s/tasks", rel);
  _cleanup_free_ char *tasks = read_file_at(AT_FDCWD, path, 1 << 16, &len, &e);
  if (!tasks) {
    snprintf(path, sizeof path, CG "%s/cgroup.threads", rel);
    tasks = read_file_at(AT_FDCWD, path, 1 << 16, &len, &e);
  }
  uint64_t sum = 0;
  for (char *p = tasks, *end; p && *p; p = end) {
    long tid = strtol(p, &end, 10);
    if (end == p)
      break;
    char stat[64];
    snprintf(stat, sizeof stat, "/proc/%ld/schedstat", tid);
    _cleanup_free_ char *t = read_file_at(AT_FDCWD, stat, 128, &len, &e);
    unsigned long long run, wait;
    if (t && sscanf(t, "%llu %llu", &run, &wait) == 2)
      sum += wait;
  }
  return sum;
}

static void sample_ve(struct host *h, struct host_ve *v, int64_t usage, double now) {
  char rel[256];
  snprintf(rel, sizeof rel, "%s/%s", h->parent, v->id);
  usage += (int64_t)waited(rel);
  if (v->nsamples && (uint64_t)usage < v->usage[v->nsamples - 1])
    v->nsamples = 0; /* it restarted: a new cgroup counts from zero */
  if (v->nsamples == HOST_WINDOW) {
    memmove(v->usage, v->usage + 1, (HOST_WINDOW - 1) * sizeof *v->usage);
    memmove(v->at, v->at + 1, (HOST_WINDOW - 1) * sizeof *v->at);
    v->nsamples--;
  }
  v->usage[v->nsamples] = (uint64_t)usage;
  v->at[v->nsamples++] = now;
  double dt = v->at[v->nsamples - 1] - v->at[0];
  v->demand = dt > 0 ? (int32_t)((double)(v->usage[v->nsamples - 1] - v->usage[0]) / dt / 1e6)
                     : 0;
  v->quota = cg_quota(rel);
  int64_t mem = cg_read("memory", rel, "memory.usage_in_bytes", "memory.current", NULL, NULL);
  v->mem = mem > 0 ? (int32_t)(mem >> 20) + 1 : 1;
}

int host_sample(struct host *h, double now, err_t *e) {
  char path[4096];
  snprintf(path, sizeof path, "%s/containers", h->root);
  _cleanup_closedir_ DIR *d = opendir(path);
  if (!d && errno != ENOENT)
    return err_sys(e, "node: %s", path);
  for (int32_t i = 0; i < h->nves; i++)
    h->ves[i].seen = false;
  bool changed = false;
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64)
      continue;
    char rel[256];
    if (snprintf(rel, sizeof rel, "%s/%s", h->parent, de->d_name) >= (int)sizeof rel)
      continue; /* a parent too long for any cgroup we made */
    bool v2 = false;
    int64_t usage = cg_read("cpuacct", rel, "cpuacct.usage", "cpu.stat", "usage_usec", &v2);
    if (usage < 0)
      continue; /* not running: no cgroup */
    if (v2)
      usage *= 1000; /* microseconds there */
    struct host_ve *v = track(h, de->d_name, &changed);
    if (!v)
      return err_set(e, ENOMEM, "node: out of memory");
    v->seen = true;
    sample_ve(h, v, usage, now);
  }
  int32_t n = 0;
  h->demand = 0;
  for (int32_t i = 0; i < h->nves; i++)
    if (h->ves[i].seen)
      h->ves[n++] = h->ves[i];
  h->nves = n;
  for (int32_t i = 0; i < h->nves; i++) {
    struct host_ve *v = &h->ves[i];
    if (v->quota > 0 && v->demand > v->quota)
      v->demand = v->quota; /* it can never take more */
    h->demand += v->demand;
  }
  return changed ? save_ids(h, e) : 0;
}

int host_level(const struct host *h, double target) {
  if (h->demand > h->cpu_cap)
    return LOAD_OVER;
  return h->demand > (int32_t)(target * h->cpu_cap) ? LOAD_HOT : LOAD_OK;
}

struct node_snap *host_snapshot(const struct host *h, int32_t node) {
  struct node_snap *s = calloc(1, node_snap_size(h->nves));
  if (!s)
    return NULL;
  s->node = node;
  s->cpu_cap = h->cpu_cap;
  s->mem_cap = h->mem_cap;
  s->nves = h->nves;
  for (int32_t i = 0; i < h->nves; i++)
    s->ves[i] = (struct snap_ve){.ve = h->ves[i].ve, .cpu = h->ves[i].demand,
                                 .mem = h->ves[i].mem};
  return s;
}
