/* stats: a container's usage as `docker stats` shows it, from its cgroup
 * (cgroup_stats: v1, v2 or hybrid, each controller where the host keeps
 * it) and its network namespace's /proc/<pid>/net/dev. One sample; the
 * front end makes CPU % from two. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/json.h"

static uint64_t u64_at(json_t *obj, const char *a, const char *b) {
  json_t *v = json_object_get(json_object_get(obj, a), b);
  return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

/* The host's memory: docker's limit for a container without one. */
static uint64_t host_memory(void) {
  _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
  unsigned long long kib = 0;
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
      break;
  return (uint64_t)kib * 1024;
}

static void memory(json_t *st, struct engine_stats *out) {
  json_t *mem = json_object_get(st, "memory");
  uint64_t usage = u64_at(mem, "usage", "usage"), limit = u64_at(mem, "usage", "limit");
  /* docker leaves out the page cache the kernel can drop at once:
   * inactive files (v1's hierarchical total_ figure) */
  uint64_t inactive = u64_at(mem, "raw", "total_inactive_file");
  if (!inactive)
    inactive = u64_at(mem, "raw", "inactive_file");
  out->mem_usage = inactive < usage ? usage - inactive : usage;
  uint64_t host = host_memory();
  out->mem_limit = !limit || (host && limit > host) ? host : limit;
}

/* Bytes read and written, summed over devices (docker's BLOCK I/O). */
static void block_io(json_t *st, struct engine_stats *out) {
  json_t *list = json_object_get(json_object_get(st, "blkio"), "ioServiceBytesRecursive");
  size_t i;
  json_t *entry;
  json_array_foreach(list, i, entry) {
    const char *op = json_string_value(json_object_get(entry, "op"));
    json_int_t v = json_integer_value(json_object_get(entry, "value"));
    if (op && v > 0 && !strcasecmp(op, "read"))
      out->blk_read += (uint64_t)v;
    else if (op && v > 0 && !strcasecmp(op, "write"))
      out->blk_write += (uint64_t)v;
  }
}

void engine_stats_from_cgroup(json_t *s, struct engine_stats *out) {
  out->cpu_ns = u64_at(json_object_get(s, "cpu"), "usage", "total");
  out->pids = u64_at(s, "pids", "current");
  memory(s, out);
  block_io(s, out);
}

/* Received and sent bytes of the container's interfaces but lo. */
static void net_io(pid_t pid, struct engine_stats *out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/net/dev", (int)pid);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (!colon)
      continue; /* the two header lines */
    *colon = '\0';
    char *ifname = line + strspn(line, " ");
    unsigned long long v[9];
    if (!strcmp(ifname, "lo") ||
        sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
               &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) != 9)
      continue;
    out->net_rx += v[0];
    out->net_tx += v[8];
  }
}

/* The figures of a running container from its cgroup and its init. */
static int sample(const char *id, pid_t pid, struct engine_stats *out, err_t *e) {
  char path[ENGINE_CGROUP_MAX];
  engine_cgroup_path(path, sizeof path, id);
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  _cleanup_json_ json_t *s = NULL;
  if (cgroup_resolve(path, id, &cg, e) < 0 || !(s = cgroup_stats(cg, e)))
    return -1;
  engine_stats_from_cgroup(s, out);
  net_io(pid, out);
  return 0;
}

int engine_stats(const struct engine *eng, const char *name, struct engine_stats *out,
                 err_t *e) {
  memset(out, 0, sizeof *out);
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  memcpy(out->id, r.id, sizeof out->id);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  out->read_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  json_int_t pid;
  const char *st = engine_status(eng, r.id, &pid);
  /* docker shows a container that does not run with zeros */
  out->running = !strcmp(st, "running") || !strcmp(st, "paused");
  int ret = (out->name = strdup(r.name)) ? 0 : err_sys(e, "stats");
  if (ret == 0 && out->running)
    ret = sample(r.id, (pid_t)pid, out, e);
  container_record_free(&r);
  if (ret < 0) {
    free(out->name);
    out->name = NULL;
  }
  return ret;
}
