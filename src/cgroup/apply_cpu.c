/* linux.resources.cpu on the cpu and cpuset controllers, v1 or v2. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

#define WHERE "linux.resources.cpu"

struct knob {
  const char *file, *field;
  char value[32];
  bool set;
};

/* Two files the kernel checks against each other (period and quota, or the
 * realtime pair): write in the usual order, and if the first write is
 * refused by the values still in place, the other order. */
static int write_pair(const struct cgroup_hierarchy *h, struct knob *a, struct knob *b, err_t *e) {
  if (a->set && b->set && cgroup_write(h, a->file, a->value, e) < 0) {
    if (errno != EINVAL)
      return err_wrap(e, WHERE ".%s", a->field);
    if (cgroup_write(h, b->file, b->value, e) < 0)
      return err_wrap(e, WHERE ".%s", b->field);
    return cgroup_write(h, a->file, a->value, e) < 0 ? err_wrap(e, WHERE ".%s", a->field) : 0;
  }
  if (a->set && !b->set && cgroup_write(h, a->file, a->value, e) < 0)
    return err_wrap(e, WHERE ".%s", a->field);
  if (b->set && cgroup_write(h, b->file, b->value, e) < 0)
    return err_wrap(e, WHERE ".%s", b->field);
  return 0;
}

/* A period and the time granted in it (quota or realtime runtime). */
static int write_period_pair(const struct cgroup_hierarchy *h, struct knob period,
                             uint64_t period_us, struct knob budget, int64_t budget_us, err_t *e) {
  snprintf(period.value, sizeof period.value, "%" PRIu64, period_us);
  snprintf(budget.value, sizeof budget.value, "%" PRId64, budget_us);
  return write_pair(h, &period, &budget, e);
}

static int apply_v1(const struct cgroup_hierarchy *h, const struct cgroup_resources *r, err_t *e) {
  if (r->has_cpu_shares && cgroup_writef(h, "cpu.shares", e, "%" PRIu64, r->cpu_shares) < 0)
    return err_wrap(e, WHERE ".shares");
  if (write_period_pair(h, (struct knob){"cpu.cfs_period_us", "period", "", r->has_cpu_period},
                        r->cpu_period,
                        (struct knob){"cpu.cfs_quota_us", "quota", "", r->has_cpu_quota},
                        r->cpu_quota, e) < 0)
    return -1;
  if (r->has_cpu_burst && cgroup_writef(h, "cpu.cfs_burst_us", e, "%" PRIu64, r->cpu_burst) < 0)
    return err_wrap(e, WHERE ".burst");
  if (r->has_rt_period || r->has_rt_runtime) {
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/cpu.rt_period_us", h->dir);
    if (access(probe, F_OK) < 0)
      return err_set(e, ENOTSUP, WHERE ".%s: this kernel has no realtime group scheduling "
                     "(CONFIG_RT_GROUP_SCHED)", r->has_rt_period ? "realtimePeriod" : "realtimeRuntime");
  }
  if (write_period_pair(h, (struct knob){"cpu.rt_period_us", "realtimePeriod", "", r->has_rt_period},
                        r->rt_period,
                        (struct knob){"cpu.rt_runtime_us", "realtimeRuntime", "", r->has_rt_runtime},
                        r->rt_runtime, e) < 0)
    return -1;
  if (r->has_cpu_idle && cgroup_writef(h, "cpu.idle", e, "%" PRId64, r->cpu_idle) < 0)
    return err_wrap(e, WHERE ".idle");
  return 0;
}

/* cpu.max holds "quota period"; a period alone keeps the quota in place. */
static int v2_max(const struct cgroup_hierarchy *h, const struct cgroup_resources *r, err_t *e) {
  char quota[32];
  if (r->has_cpu_quota && r->cpu_quota > 0)
    snprintf(quota, sizeof quota, "%" PRId64, r->cpu_quota);
  else if (r->has_cpu_quota)
    strcpy(quota, "max");
  else {
    _cleanup_free_ char *cur = cgroup_read(h, "cpu.max", e);
    if (!cur)
      return err_wrap(e, WHERE ".period");
    snprintf(quota, sizeof quota, "%.*s", (int)strcspn(cur, " "), cur);
  }
  int rc = r->has_cpu_period
               ? cgroup_writef(h, "cpu.max", e, "%s %" PRIu64, quota, r->cpu_period)
               : cgroup_write(h, "cpu.max", quota, e);
  return rc < 0 ? err_wrap(e, WHERE ".%s", r->has_cpu_quota ? "quota" : "period") : 0;
}

static int apply_v2(const struct cgroup_hierarchy *h, const struct cgroup_resources *r, err_t *e) {
  if (r->has_rt_runtime || r->has_rt_period)
    return err_set(e, ENOTSUP, WHERE ".%s: cgroup v2 has no realtime group scheduling",
                   r->has_rt_runtime ? "realtimeRuntime" : "realtimePeriod");
  if (r->has_cpu_shares &&
      cgroup_writef(h, "cpu.weight", e, "%" PRIu64, cgroup_shares_to_weight(r->cpu_shares)) < 0)
    return err_wrap(e, WHERE ".shares");
  if ((r->has_cpu_quota || r->has_cpu_period) && v2_max(h, r, e) < 0)
    return -1;
  if (r->has_cpu_burst && cgroup_writef(h, "cpu.max.burst", e, "%" PRIu64, r->cpu_burst) < 0)
    return err_wrap(e, WHERE ".burst");
  if (r->has_cpu_idle && cgroup_writef(h, "cpu.idle", e, "%" PRId64, r->cpu_idle) < 0)
    return err_wrap(e, WHERE ".idle");
  return 0;
}

int cgroup_apply_cpu(struct cgroup *cg, const struct cgroup_resources *r, err_t *e) {
  if (!r->has_cpu_shares && !r->has_cpu_quota && !r->has_cpu_period && !r->has_cpu_burst &&
      !r->has_rt_runtime && !r->has_rt_period && !r->has_cpu_idle)
    return 0;
  const struct cgroup_hierarchy *h = cgroup_v1(cg, "cpu");
  if (h)
    return apply_v1(h, r, e);
  if ((h = cgroup_v2(cg)))
    return apply_v2(h, r, e);
  return err_set(e, ENOTSUP, WHERE ": the host has no cpu controller");
}

/* Same file names on v1 and v2. */
int cgroup_apply_cpuset(struct cgroup *cg, const struct cgroup_resources *r, err_t *e) {
  if (!r->cpus && !r->mems)
    return 0;
  const struct cgroup_hierarchy *h = cgroup_v1(cg, "cpuset");
  if (!h && !(h = cgroup_v2(cg)))
    return err_set(e, ENOTSUP, WHERE ": the host has no cpuset controller");
  if (r->cpus && cgroup_write(h, "cpuset.cpus", r->cpus, e) < 0)
    return err_wrap(e, WHERE ".cpus");
  if (r->mems && cgroup_write(h, "cpuset.mems", r->mems, e) < 0)
    return err_wrap(e, WHERE ".mems");
  return 0;
}
