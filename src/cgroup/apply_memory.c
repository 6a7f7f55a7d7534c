/* linux.resources.memory on the memory controller, v1 or v2. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

#define WHERE "linux.resources.memory"

/* -1 is "unlimited": v1 takes -1 itself, v2 takes "max". */
static void limit_str(int64_t v, bool v2, char buf[32]) {
  if (v < 0 && v2)
    strcpy(buf, "max");
  else
    snprintf(buf, 32, "%" PRId64, v);
}

/* memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes, so the
 * order of the two writes depends on the values the group has now: try the
 * limit first, and on EINVAL raise memsw first. */
static int v1_limits(const struct cgroup_hierarchy *h, const struct cgroup_resources *r,
                     err_t *e) {
  char limit[32], swap[32];
  bool set_limit = r->has_mem_limit, set_swap = r->has_mem_swap;
  limit_str(r->mem_limit, false, limit);
  limit_str(r->has_mem_swap ? r->mem_swap : -1, false, swap);
  /* Unlimited memory with no swap given means unlimited memory+swap too. */
  bool swap_follows = set_limit && r->mem_limit == -1 && !set_swap;
  if (set_swap && set_limit && r->mem_swap != -1 && r->mem_swap < r->mem_limit)
    return err_set(e, EINVAL, WHERE ".swap: %s is below limit %s (swap is memory+swap)", swap,
                   limit);
  if (set_swap || swap_follows) {
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/memory.memsw.limit_in_bytes", h->dir);
    if (access(probe, F_OK) < 0) {
      if (swap_follows)
        swap_follows = false;
      else
        return err_set(e, ENOTSUP,
                       WHERE ".swap: this kernel has no swap accounting (memory.memsw.*); boot "
                             "it with swapaccount=1 or leave swap unset");
    }
  }
  bool swap_pending = set_swap || swap_follows;
  if (set_limit && cgroup_write(h, "memory.limit_in_bytes", limit, e) < 0) {
    if (errno != EINVAL || !swap_pending)
      return err_wrap(e, WHERE ".limit");
    if (cgroup_write(h, "memory.memsw.limit_in_bytes", swap, e) < 0)
      return err_wrap(e, WHERE ".swap");
    swap_pending = false;
    if (cgroup_write(h, "memory.limit_in_bytes", limit, e) < 0)
      return err_wrap(e, WHERE ".limit");
  }
  if (swap_pending && cgroup_write(h, "memory.memsw.limit_in_bytes", swap, e) < 0)
    return err_wrap(e, WHERE ".swap");
  return 0;
}

static int apply_v1(const struct cgroup_hierarchy *h, const struct cgroup_resources *r, err_t *e) {
  if (v1_limits(h, r, e) < 0)
    return -1;
  char buf[32];
  if (r->has_mem_reservation) {
    limit_str(r->mem_reservation, false, buf);
    if (cgroup_write(h, "memory.soft_limit_in_bytes", buf, e) < 0)
      return err_wrap(e, WHERE ".reservation");
  }
  if (r->has_swappiness &&
      cgroup_writef(h, "memory.swappiness", e, "%" PRIu64, r->swappiness) < 0)
    return err_wrap(e, WHERE ".swappiness");
  if (r->has_disable_oom_killer &&
      cgroup_write(h, "memory.oom_control", r->disable_oom_killer ? "1" : "0", e) < 0)
    return err_wrap(e, WHERE ".disableOOMKiller");
  if (r->has_mem_kernel_tcp) {
    limit_str(r->mem_kernel_tcp, false, buf);
    if (cgroup_write(h, "memory.kmem.tcp.limit_in_bytes", buf, e) < 0)
      return err_wrap(e, WHERE ".kernelTCP");
  }
  return 0;
}

/* The limit swap is measured against: the new one, or the group's current. */
static int v2_current_limit(const struct cgroup_hierarchy *h, const struct cgroup_resources *r,
                            int64_t *out, err_t *e) {
  if (r->has_mem_limit) {
    *out = r->mem_limit;
    return 0;
  }
  _cleanup_free_ char *cur = cgroup_read(h, "memory.max", e);
  if (!cur)
    return err_wrap(e, WHERE ".swap");
  *out = strcmp(cur, "max") ? strtoll(cur, NULL, 10) : -1;
  return 0;
}

/* v2 has no TCP buffer limit of its own: kernelTCP is ignored there, as crun
 * does. */
static int apply_v2(const struct cgroup_hierarchy *h, const struct cgroup_resources *r, err_t *e) {
  if (r->has_swappiness)
    return err_set(e, ENOTSUP, WHERE ".swappiness: cgroup v2 has no per-group swappiness");
  if (r->has_disable_oom_killer && r->disable_oom_killer)
    return err_set(e, ENOTSUP, WHERE ".disableOOMKiller: cgroup v2 cannot disable the OOM killer");
  char buf[32];
  if (r->has_mem_limit) {
    if (r->mem_check_before_update && r->mem_limit >= 0) {
      _cleanup_free_ char *usage = cgroup_read(h, "memory.current", e);
      if (!usage)
        return err_wrap(e, WHERE ".checkBeforeUpdate");
      if (strtoll(usage, NULL, 10) > r->mem_limit)
        return err_set(e, EBUSY, WHERE ".limit: %" PRId64 " is below the current usage %s",
                       r->mem_limit, usage);
    }
    limit_str(r->mem_limit, true, buf);
    if (cgroup_write(h, "memory.max", buf, e) < 0)
      return err_wrap(e, WHERE ".limit");
  }
  if (r->has_mem_swap) {
    int64_t limit = -1, swap = 0;
    if (v2_current_limit(h, r, &limit, e) < 0)
      return -1;
    if (cgroup_swap_to_v2(r->mem_swap, limit, &swap, e) < 0)
      return err_wrap(e, WHERE ".swap");
    limit_str(swap, true, buf);
    if (cgroup_write(h, "memory.swap.max", buf, e) < 0)
      return err_wrap(e, WHERE ".swap");
  } else if (r->has_mem_limit && r->mem_limit == -1) {
    /* unlimited memory with no swap given: unlimited swap too, where swap
     * is accounted at all */
    if (cgroup_write(h, "memory.swap.max", "max", e) < 0 && errno != ENOENT)
      return err_wrap(e, WHERE ".limit");
  }
  if (r->has_mem_reservation) {
    limit_str(r->mem_reservation, true, buf);
    if (cgroup_write(h, "memory.low", buf, e) < 0)
      return err_wrap(e, WHERE ".reservation");
  }
  return 0;
}

int cgroup_apply_memory(struct cgroup *cg, const struct cgroup_resources *r, err_t *e) {
  if (!r->has_mem_limit && !r->has_mem_reservation && !r->has_mem_swap && !r->has_swappiness &&
      !r->has_disable_oom_killer && !r->has_mem_kernel_tcp)
    return 0;
  const struct cgroup_hierarchy *h = cgroup_v1(cg, "memory");
  if (h)
    return apply_v1(h, r, e);
  if ((h = cgroup_v2(cg)))
    return apply_v2(h, r, e);
  return err_set(e, ENOTSUP, WHERE ": the host has no memory controller");
}
