/* Joining a group without the cost of a migration lock.
 *
 * Writing a pid to cgroup.procs takes the kernel's global threadgroup
 * rwsem for writing, which waits for an RCU grace period when no other
 * migration ran lately: about 10 ms here, more than the rest of a container
 * start. The kernel skips that lock when a thread moves itself alone (it
 * writes "0" to a v1 `tasks` file), and a child created with clone3's
 * CLONE_INTO_CGROUP is born in its v2 group without any migration. A
 * container's init, single-threaded, joins this way. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

int cgroup_join_self_v1(const struct cgroup *cg, err_t *e) {
  for (size_t i = 0; i < cg->n_hierarchies; i++) {
    const struct cgroup_hierarchy *h = &cg->hierarchies[i];
    if (h->v2)
      continue;
    if (cgroup_write(h, "tasks", "0", e) < 0)
      return err_wrap(e, "cgroup: joining %s", h->dir);
  }
  return 0;
}

int cgroup_v2_dir_fd(const struct cgroup *cg, err_t *e) {
  const struct cgroup_hierarchy *h = cgroup_v2(cg);
  if (!h)
    return -1;
  int fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    err_sys(e, "cgroup: open %s", h->dir);
    return -2;
  }
  return fd;
}
