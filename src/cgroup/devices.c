/* linux.resources.devices: v1's devices controller where it is mounted,
 * otherwise an eBPF program on the v2 group (devices_bpf.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* devices.allow and devices.deny, each opened once for all the rules. */
struct v1_files {
  const struct cgroup_hierarchy *h;
  int fd[2]; /* deny, allow */
};

static int write_line(struct v1_files *f, bool allow, const char *line, err_t *e) {
  const char *file = allow ? "devices.allow" : "devices.deny";
  if (f->fd[allow] < 0 && (f->fd[allow] = cgroup_open(f->h, file, O_WRONLY, e)) < 0)
    return -1;
  if (write(f->fd[allow], line, strlen(line)) < 0)
    return err_sys(e, "write \"%s\" to %s/%s", line, f->h->dir, file);
  return 0;
}

/* One rule as v1 lines. v1's "a" means every device and every access, and
 * it also drops the exceptions written before; a narrower "a" rule (some
 * major, or some access) is written as the same rule for "c" and for "b". */
static int write_v1_rule(struct v1_files *f, const struct device_rule *r, err_t *e) {
  if (r->type == 'a' && r->major < 0 && r->minor < 0 && full_access(r->access))
    return write_line(f, r->allow, "a", e);
  char major[24], minor[24], line[80];
  number(r->major, major);
  number(r->minor, minor);
  const char *types = r->type == 'a' ? "cb" : (r->type == 'c' ? "c" : "b");
  for (const char *t = types; *t; t++) {
    snprintf(line, sizeof line, "%c %s:%s %s", *t, major, minor, r->access);
    if (write_line(f, r->allow, line, e) < 0)
      return -1;
  }
  return 0;
}

static int apply_v1(const struct cgroup_hierarchy *h, const struct cgroup_resources *r, err_t *e) {
  struct v1_files f = {h, {-1, -1}};
  int rc = 0;
  for (size_t i = 0; i < r->n_devices && rc == 0; i++)
    if ((rc = write_v1_rule(&f, &r->devices[i], e)) < 0)
      err_wrap(e, WHERE "[%zu]", i);
  for (int k = 0; k < 2; k++)
    if (f.fd[k] >= 0)
      close(f.fd[k]);
  return rc;
}

int cgroup_apply_devices(struct cgroup *cg, const struct cgroup_resources *r, err_t *e) {
  if (!r->n_devices)
    return 0;
  const struct cgroup_hierarchy *h = cgroup_v1(cg, "devices");
  if (h)
    return apply_v1(h, r, e);
  if (!(h = cgroup_v2(cg)))
    return err_set(e, ENOTSUP, WHERE ": the host has neither a devices controller nor cgroup v2");
  if (r->n_devices > MAX_RULES)
    return err_set(e, EINVAL, WHERE ": %zu rules, at most %d are supported", r->n_devices,
                   MAX_RULES);
  return cgroup_devices_bpf_install(h->dir, r->devices, r->n_devices, e) < 0
             ? err_wrap(e, WHERE)
             : 0;
}
