/* cgroup_apply: every resource to the hierarchy that holds its controller.
 * A controller mounted as v1 is used there; otherwise the v2 tree serves it
 * (on a hybrid host that is where hugetlb lives). The `unified` map is
 * written last so that it can refine anything set before it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cgroup/internal.h"

static int apply_pids(struct cgroup *cg, const struct cgroup_resources *r, err_t *e) {
  if (!r->has_pids_limit)
    return 0;
  const struct cgroup_hierarchy *h = cgroup_v1(cg, "pids");
  if (!h && !(h = cgroup_v2(cg)))
    return err_set(e, ENOTSUP, "linux.resources.pids: the host has no pids controller");
  int rc = r->pids_limit > 0 ? cgroup_writef(h, "pids.max", e, "%" PRId64, r->pids_limit)
                             : cgroup_write(h, "pids.max", "max", e);
  return rc < 0 ? err_wrap(e, "linux.resources.pids.limit") : 0;
}

static int apply_hugetlb(struct cgroup *cg, const struct cgroup_resources *r, err_t *e) {
  if (!r->n_hugepages)
    return 0;
  const struct cgroup_hierarchy *h = cgroup_v1(cg, "hugetlb");
  const char *suffix = h ? "limit_in_bytes" : "max";
  if (!h && !(h = cgroup_v2(cg)))
    return err_set(e, ENOTSUP, "linux.resources.hugepageLimits: the host has no hugetlb controller");
  for (size_t i = 0; i < r->n_hugepages; i++) {
    const struct hugepage_limit *l = &r->hugepages[i];
    char file[64];
    snprintf(file, sizeof file, "hugetlb.%s.%s", l->page_size, suffix);
    if (cgroup_writef(h, file, e, "%" PRIu64, l->limit) < 0)
      return err_wrap(e, "linux.resources.hugepageLimits[%zu] (pageSize %s)", i, l->page_size);
    /* The spec limits reservations too where the kernel accounts them. */
    snprintf(file, sizeof file, "hugetlb.%s.rsvd.%s", l->page_size, suffix);
    if (cgroup_writef(h, file, e, "%" PRIu64, l->limit) < 0 && errno != ENOENT)
      return err_wrap(e, "linux.resources.hugepageLimits[%zu] (pageSize %s)", i, l->page_size);
  }
  return 0;
}

static int apply_unified(struct cgroup *cg, const struct cgroup_resources *r, err_t *e) {
  if (!r->n_unified)
    return 0;
  const struct cgroup_hierarchy *h = cgroup_v2(cg);
  if (!h)
    return err_set(e, ENOTSUP, "linux.resources.unified: needs cgroup v2; this host has only v1");
  for (size_t i = 0; i < r->n_unified; i++)
    if (cgroup_write(h, r->unified[i].key, r->unified[i].value, e) < 0)
      return err_wrap(e, "linux.resources.unified.%s", r->unified[i].key);
  return 0;
}

int cgroup_apply(struct cgroup *cg, const struct cgroup_resources *res, err_t *e) {
  if (cgroup_apply_cpuset(cg, res, e) < 0 || cgroup_apply_memory(cg, res, e) < 0 ||
      cgroup_apply_cpu(cg, res, e) < 0 || apply_pids(cg, res, e) < 0 ||
      cgroup_apply_io(cg, res, e) < 0 || apply_hugetlb(cg, res, e) < 0 ||
      cgroup_apply_devices(cg, res, e) < 0 || apply_unified(cg, res, e) < 0)
    return -1;
  return 0;
}
