/* A group's usage in runc's `events` format (runc's types.Stats: cpu,
 * cpuset, memory, pids, blkio, ...), read from v1 or v2 files, each
 * controller from the hierarchy that holds it (v1 first, as on hybrid
 * hosts). Members runc leaves out when zero (`omitempty`) are left out
 * here too, so the two print the same fields. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/json.h"

/* The hierarchy of `controller`: its v1 one, else the v2 tree if that
 * offers it (a file of the controller exists there). */
static const struct cgroup_hierarchy *holder(const struct cgroup *cg, const char *controller,
                                             const char *v2_file) {
  const struct cgroup_hierarchy *h = cgroup_v1(cg, controller);
  if (h)
    return h;
  h = cgroup_v2(cg);
  if (!h)
    return NULL;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", h->dir, v2_file);
  return access(path, F_OK) == 0 ? h : NULL;
}

/* A file holding one number; "max" reads as `max`. Absent or unreadable:
 * false, *v = 0 (a kernel without kmem accounting has no such files). */
static bool read_u64(const struct cgroup_hierarchy *h, const char *file, uint64_t max,
                     uint64_t *v) {
  err_t ignored = ERR_INIT;
  _cleanup_free_ char *s = h ? cgroup_read(h, file, &ignored) : NULL;
  *v = 0;
  if (!s)
    return false;
  if (!strcmp(s, "max")) {
    *v = max;
    return true;
  }
  char *end;
  *v = strtoull(s, &end, 10);
  return end != s;
}

/* The value of `key` in a "key value" file (cpu.stat, memory.events). */
static uint64_t keyed(const char *text, const char *key) {
  size_t n = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (!strncmp(p, key, n) && p[n] == ' ')
      return strtoull(p + n + 1, NULL, 10);
  return 0;
}

static char *read_text(const struct cgroup_hierarchy *h, const char *file) {
  err_t ignored = ERR_INIT;
  return h ? cgroup_read(h, file, &ignored) : NULL;
}

/* JSON integers here are signed 64-bit: a v2 "max" (runc: 2^64-1) and any
 * larger count read as INT64_MAX. */
static json_t *json_u64(uint64_t v) {
  return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Set `key` to `v` unless it is 0 (runc's omitempty). */
static void set_nonzero(json_t *obj, const char *key, uint64_t v, bool *failed) {
  if (v)
    json_set(obj, key, json_u64(v), failed);
}

/* Every "key value" line of a file as an object of numbers. */
static json_t *keyed_object(const char *text, bool *failed) {
  json_t *o = json_object();
  char key[128];
  unsigned long long v;
  for (const char *p = text; o && p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (sscanf(p, "%127s %llu", key, &v) == 2)
      json_set(o, key, json_u64(v), failed);
  return o;
}

/* A list of numbers, as in cpuacct.usage_percpu ("1 2 3"). */
static json_t *number_list(const char *text, bool *failed) {
  json_t *a = json_array();
  char *end;
  for (const char *p = text; a && p && *p; p = end) {
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p)
      break;
    json_push(a, json_u64(v), failed);
  }
  return a;
}

static json_t *cpu_stats(const struct cgroup *cg, bool *failed) {
  json_t *usage = json_object(), *throttling = json_object();
  uint64_t total = 0, user = 0, kernel = 0;
  const struct cgroup_hierarchy *acct = cgroup_v1(cg, "cpuacct");
  const struct cgroup_hierarchy *cpu = cgroup_v1(cg, "cpu");
  _cleanup_free_ char *stat = NULL;
  if (acct) {
    read_u64(acct, "cpuacct.usage", 0, &total);
    _cleanup_free_ char *percpu = read_text(acct, "cpuacct.usage_percpu");
    _cleanup_free_ char *all = read_text(acct, "cpuacct.usage_all");
    _cleanup_free_ char *ticks = read_text(acct, "cpuacct.stat");
    if (percpu && *percpu)
      json_set(usage, "percpu", number_list(percpu, failed), failed);
    /* "cpu user system" per line, after a header */
    json_t *k = json_array(), *u = json_array();
    unsigned long long c, us, sy;
    for (const char *p = all ? strchr(all, '\n') : NULL; p && sscanf(p + 1, "%llu %llu %llu", &c,
                                                                      &us, &sy) == 3;
         p = strchr(p + 1, '\n')) {
      json_push(k, json_u64(sy), failed);
      json_push(u, json_u64(us), failed);
    }
    if (json_array_size(k)) {
      json_set(usage, "percpu_kernel", k, failed);
      json_set(usage, "percpu_user", u, failed);
    } else {
      json_decref(k);
      json_decref(u);
    }
    /* USER_HZ ticks to nanoseconds, as runc does */
    long hz = sysconf(_SC_CLK_TCK);
    if (ticks && hz > 0) {
      user = keyed(ticks, "user") * (1000000000ULL / (uint64_t)hz);
      kernel = keyed(ticks, "system") * (1000000000ULL / (uint64_t)hz);
    }
    stat = cpu ? read_text(cpu, "cpu.stat") : NULL;
    set_nonzero(throttling, "periods", keyed(stat ?: "", "nr_periods"), failed);
    set_nonzero(throttling, "throttledPeriods", keyed(stat ?: "", "nr_throttled"), failed);
    set_nonzero(throttling, "throttledTime", keyed(stat ?: "", "throttled_time"), failed);
  } else if ((stat = read_text(holder(cg, "cpu", "cpu.stat"), "cpu.stat"))) {
    /* v2: microseconds */
    total = keyed(stat, "usage_usec") * 1000;
    user = keyed(stat, "user_usec") * 1000;
    kernel = keyed(stat, "system_usec") * 1000;
    set_nonzero(throttling, "periods", keyed(stat, "nr_periods"), failed);
    set_nonzero(throttling, "throttledPeriods", keyed(stat, "nr_throttled"), failed);
    set_nonzero(throttling, "throttledTime", keyed(stat, "throttled_usec") * 1000, failed);
  }
  set_nonzero(usage, "total", total, failed);
  json_set(usage, "kernel", json_u64(kernel), failed);
  json_set(usage, "user", json_u64(user), failed);
  json_t *o = json_object();
  json_set(o, "usage", usage, failed);
  json_set(o, "throttling", throttling, failed);
  return o;
}

/* runc's MemoryEntry: limit and failcnt always, usage and max if not 0. */
static json_t *memory_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt,
                            bool *failed) {
  json_t *o = json_object();
  json_set(o, "limit", json_u64(limit), failed);
  json_set(o, "failcnt", json_u64(failcnt), failed);
  set_nonzero(o, "usage", usage, failed);
  set_nonzero(o, "max", max, failed);
  return o;
}

/* v1: memory<prefix>.{limit_in_bytes,usage_in_bytes,max_usage_in_bytes,failcnt} */
static json_t *memory_entry_v1(const struct cgroup_hierarchy *h, const char *prefix,
                               bool *failed) {
  static const char *const files[] = {"limit_in_bytes", "usage_in_bytes", "max_usage_in_bytes",
                                      "failcnt"};
  uint64_t v[4];
  for (size_t i = 0; i < 4; i++) {
    char file[64];
    snprintf(file, sizeof file, "%s.%s", prefix, files[i]);
    read_u64(h, file, 0, &v[i]);
  }
  return memory_entry(v[0], v[1], v[2], v[3], failed);
}

static json_t *memory_stats(const struct cgroup *cg, bool *failed) {
  json_t *o = json_object();
  const struct cgroup_hierarchy *h = holder(cg, "memory", "memory.current");
  _cleanup_free_ char *stat = read_text(h, "memory.stat");
  json_t *raw = stat ? keyed_object(stat, failed) : NULL;
  if (h && !h->v2) {
    set_nonzero(o, "cache", keyed(stat ?: "", "cache"), failed);
    json_set(o, "usage", memory_entry_v1(h, "memory", failed), failed);
    json_set(o, "swap", memory_entry_v1(h, "memory.memsw", failed), failed);
    json_set(o, "kernel", memory_entry_v1(h, "memory.kmem", failed), failed);
    json_set(o, "kernelTCP", memory_entry_v1(h, "memory.kmem.tcp", failed), failed);
  } else if (h) {
    uint64_t usage, limit, peak, swap, swap_limit;
    read_u64(h, "memory.current", 0, &usage);
    read_u64(h, "memory.max", INT64_MAX, &limit);
    read_u64(h, "memory.peak", 0, &peak);
    _cleanup_free_ char *events = read_text(h, "memory.events");
    set_nonzero(o, "cache", keyed(stat ?: "", "file"), failed);
    json_set(o, "usage", memory_entry(limit, usage, peak, keyed(events ?: "", "max"), failed),
             failed);
    /* v1 reports memory+swap; runc adds them up on v2 for the same meaning */
    if (read_u64(h, "memory.swap.current", 0, &swap)) {
      read_u64(h, "memory.swap.max", INT64_MAX, &swap_limit);
      if (swap_limit != INT64_MAX && limit != INT64_MAX)
        swap_limit += limit;
      json_set(o, "swap", memory_entry(swap_limit, swap + usage, 0, 0, failed), failed);
    } else {
      json_set(o, "swap", memory_entry(0, 0, 0, 0, failed), failed);
    }
    json_set(o, "kernel", memory_entry(0, 0, 0, 0, failed), failed);
    json_set(o, "kernelTCP", memory_entry(0, 0, 0, 0, failed), failed);
  }
  if (raw && json_object_size(raw))
    json_set(o, "raw", raw, failed);
  else
    json_decref(raw);
  return o;
}

static json_t *pids_stats(const struct cgroup *cg, bool *failed) {
  const struct cgroup_hierarchy *h = holder(cg, "pids", "pids.current");
  uint64_t current, limit;
  read_u64(h, "pids.current", 0, &current);
  read_u64(h, "pids.max", 0, &limit); /* "max" is no limit: runc's 0 */
  json_t *o = json_object();
  set_nonzero(o, "current", current, failed);
  set_nonzero(o, "limit", limit, failed);
  return o;
}

static json_t *blkio_entry(unsigned major, unsigned minor, const char *op, uint64_t value,
                           bool *failed) {
  json_t *o = json_object();
  set_nonzero(o, "major", major, failed);
  set_nonzero(o, "minor", minor, failed);
  json_set(o, "op", json_string(op), failed);
  set_nonzero(o, "value", value, failed);
  return o;
}

/* v1 "MAJ:MIN Op value" lines ("Total value" lines are skipped, as runc does). */
static json_t *blkio_v1_list(const char *text, bool *failed) {
  json_t *a = json_array();
  unsigned major, minor;
  char op[32];
  unsigned long long v;
  for (const char *p = text; a && p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (sscanf(p, "%u:%u %31s %llu", &major, &minor, op, &v) == 4)
      json_push(a, blkio_entry(major, minor, op, v, failed), failed);
  return a;
}

static void set_nonempty(json_t *obj, const char *key, json_t *arr, bool *failed) {
  if (arr && json_array_size(arr))
    json_set(obj, key, arr, failed);
  else
    json_decref(arr);
}

static json_t *blkio_stats(const struct cgroup *cg, bool *failed) {
  json_t *o = json_object();
  const struct cgroup_hierarchy *h = holder(cg, "blkio", "io.stat");
  if (h && !h->v2) {
    /* The CFQ/BFQ files when the scheduler keeps them, else the throttle ones. */
    static const char *const bytes[] = {"blkio.io_service_bytes_recursive",
                                        "blkio.throttle.io_service_bytes_recursive"};
    static const char *const ios[] = {"blkio.io_serviced_recursive",
                                      "blkio.throttle.io_serviced_recursive"};
    for (size_t i = 0; i < 2 && !json_object_get(o, "ioServiceBytesRecursive"); i++) {
      _cleanup_free_ char *b = read_text(h, bytes[i]), *n = read_text(h, ios[i]);
      if (b && *b) {
        set_nonempty(o, "ioServiceBytesRecursive", blkio_v1_list(b, failed), failed);
        set_nonempty(o, "ioServicedRecursive", blkio_v1_list(n, failed), failed);
      }
    }
  } else if (h) {
    /* v2 "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." lines */
    _cleanup_free_ char *text = read_text(h, "io.stat");
    json_t *b = json_array(), *n = json_array();
    unsigned major, minor;
    unsigned long long rb, wb, ri, wi;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
      if (sscanf(p, "%u:%u rbytes=%llu wbytes=%llu rios=%llu wios=%llu", &major, &minor, &rb, &wb,
                 &ri, &wi) != 6)
        continue;
      json_push(b, blkio_entry(major, minor, "Read", rb, failed), failed);
      json_push(b, blkio_entry(major, minor, "Write", wb, failed), failed);
      json_push(n, blkio_entry(major, minor, "Read", ri, failed), failed);
      json_push(n, blkio_entry(major, minor, "Write", wi, failed), failed);
    }
    set_nonempty(o, "ioServiceBytesRecursive", b, failed);
    set_nonempty(o, "ioServicedRecursive", n, failed);
  }
  return o;
}

/* "0-2,5" -> [0,1,2,5] */
static json_t *cpu_list(const char *text, bool *failed) {
  json_t *a = json_array();
  char *end;
  for (const char *p = text; a && p && *p;) {
    unsigned long lo = strtoul(p, &end, 10), hi = lo;
    if (end == p)
      break;
    if (*end == '-')
      hi = strtoul(end + 1, &end, 10);
    for (unsigned long i = lo; i <= hi && i < lo + 65536; i++)
      json_push(a, json_integer((json_int_t)i), failed);
    p = *end == ',' ? end + 1 : NULL;
  }
  return a;
}

static json_t *cpuset_stats(const struct cgroup *cg, bool *failed) {
  json_t *o = json_object();
  const struct cgroup_hierarchy *h = holder(cg, "cpuset", "cpuset.cpus.effective");
  bool v2 = h && h->v2;
  _cleanup_free_ char *cpus = read_text(h, v2 ? "cpuset.cpus.effective" : "cpuset.cpus");
  _cleanup_free_ char *mems = read_text(h, v2 ? "cpuset.mems.effective" : "cpuset.mems");
  if (cpus && *cpus)
    json_set(o, "cpus", cpu_list(cpus, failed), failed);
  if (mems && *mems)
    json_set(o, "mems", cpu_list(mems, failed), failed);
  /* v1's flags, each in its file (runc prints them all, zeros too) */
  static const char *const flags[] = {"cpu_exclusive",      "mem_hardwall",
                                      "mem_exclusive",      "memory_migrate",
                                      "memory_spread_page", "memory_spread_slab",
                                      "memory_pressure",    "sched_load_balance",
                                      "sched_relax_domain_level"};
  for (size_t i = 0; h && !v2 && i < sizeof flags / sizeof *flags; i++) {
    char file[64];
    snprintf(file, sizeof file, "cpuset.%s", flags[i]);
    _cleanup_free_ char *v = read_text(h, file);
    if (v)
      json_set(o, flags[i], json_integer((json_int_t)strtoll(v, NULL, 10)), failed);
  }
  return o;
}

json_t *cgroup_stats(const struct cgroup *cg, err_t *e) {
  bool failed = false;
  json_t *o = json_object();
  json_set(o, "cpu", cpu_stats(cg, &failed), &failed);
  json_set(o, "cpuset", cpuset_stats(cg, &failed), &failed);
  json_set(o, "memory", memory_stats(cg, &failed), &failed);
  json_set(o, "pids", pids_stats(cg, &failed), &failed);
  json_set(o, "blkio", blkio_stats(cg, &failed), &failed);
  json_set(o, "hugetlb", json_object(), &failed);
  json_set(o, "intel_rdt", json_object(), &failed);
  json_set(o, "network_interfaces", json_null(), &failed);
  if (json_built(failed, "stats", e) < 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

int cgroup_oom_kills(const struct cgroup *cg, uint64_t *n, err_t *e) {
  const struct cgroup_hierarchy *h = holder(cg, "memory", "memory.events");
  _cleanup_free_ char *text = NULL;
  *n = 0;
  if (!h)
    return 0;
  /* v1: memory.oom_control has "oom_kill N" since Linux 4.13 */
  if (!(text = cgroup_read(h, h->v2 ? "memory.events" : "memory.oom_control", e)))
    return -1;
  *n = keyed(text, "oom_kill");
  return 0;
}
