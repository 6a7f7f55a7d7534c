/* linux.resources.devices: v1's devices controller where it is mounted,
 * otherwise an eBPF program on the v2 group (devices_bpf.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup/internal.h"

#define WHERE "linux.resources.devices"
#define MAX_RULES 4000 /* keeps the eBPF program's jumps within 16 bits */

static void number(int64_t v, char buf[24]) {
  if (v < 0)
    strcpy(buf, "*");
  else
    snprintf(buf, 24, "%" PRId64, v);
}

static bool full_access(const char *access) {
  return strlen(access) == 3; /* parsing guarantees each of r, w, m at most once */
}

/* One rule as v1 lines. v1's "a" means every device and every access, and
 * it also drops the exceptions written before; a narrower "a" rule (some
 * major, or some access) is written as the same rule for "c" and for "b". */
static int write_v1_rule(const struct cgroup_hierarchy *h, const struct device_rule *r,
                         err_t *e) {
  const char *file = r->allow ? "devices.allow" : "devices.deny";
  if (r->type == 'a' && r->major < 0 && r->minor < 0 && full_access(r->access))
    return cgroup_write(h, file, "a", e);
  char major[24], minor[24];
  number(r->major, major);
  number(r->minor, minor);
  const char *types = r->type == 'a' ? "cb" : (r->type == 'c' ? "c" : "b");
  for (const char *t = types; *t; t++)
    if (cgroup_writef(h, file, e, "%c %s:%s %s", *t, major, minor, r->access) < 0)
      return -1;
  return 0;
}

int cgroup_apply_devices(struct cgroup *cg, const struct cgroup_resources *r, err_t *e) {
  if (!r->n_devices)
    return 0;
  const struct cgroup_hierarchy *h = cgroup_v1(cg, "devices");
  if (h) {
    for (size_t i = 0; i < r->n_devices; i++)
      if (write_v1_rule(h, &r->devices[i], e) < 0)
        return err_wrap(e, WHERE "[%zu]", i);
    return 0;
  }
  if (!(h = cgroup_v2(cg)))
    return err_set(e, ENOTSUP, WHERE ": the host has neither a devices controller nor cgroup v2");
  if (r->n_devices > MAX_RULES)
    return err_set(e, EINVAL, WHERE ": %zu rules, at most %d are supported", r->n_devices,
                   MAX_RULES);
  return cgroup_devices_bpf_install(h->dir, r->devices, r->n_devices, e) < 0
             ? err_wrap(e, WHERE)
             : 0;
}
