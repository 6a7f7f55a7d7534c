/* The container's view of its cgroups at a "cgroup" mount.
 *
 * With its own cgroup namespace (and no user namespace, where v1 cannot be
 * mounted) the hierarchies are mounted afresh and show the container's
 * group as their root; otherwise its group directories are bound from the
 * host. On v1 and hybrid hosts a tmpfs holds one directory per hierarchy,
 * as on the host. */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/init_internal.h"
#include "runtime/rootfs.h"
#include "runtime/rootfs_path.h"
#include "util/cleanup.h"

static int mount_hierarchy(const struct cgroup_hierarchy *h, int target, bool fresh,
                           unsigned long flags, const char *dest, err_t *e) {
  char to[32];
  fd_path(to, target);
  int r = fresh ? mount(h->v2 ? "cgroup2" : "cgroup", to, h->v2 ? "cgroup2" : "cgroup",
                        flags & ~MS_RDONLY, h->v2 ? NULL : h->options)
                : mount(h->dir, to, NULL, MS_BIND | MS_REC, NULL);
  if (r < 0)
    return err_sys(e, "mount cgroup %s on %s", h->v2 ? "v2" : h->name, dest);
  return 0;
}

/* The directory name of a hierarchy under /sys/fs/cgroup. */
static const char *hierarchy_dir_name(const struct cgroup_hierarchy *h) {
  if (h->v2)
    return "unified";
  return strncmp(h->name, "name=", 5) ? h->name : h->name + 5;
}

static int set_readonly(int rootfd, const char *path, bool ro, err_t *e) {
  if (!ro)
    return 0;
  _cleanup_close_ int top = rootfs_open(rootfd, path, O_PATH, e);
  if (top < 0)
    return -1;
  return mount_set_attrs(top, MOUNT_ATTR_RDONLY, 0, false, path, e);
}

int rootfs_mount_cgroup(struct launch *l, int rootfd, const struct oci_mount *m, err_t *e) {
  /* The group must exist, and we must be in it, before a cgroup namespace
   * is made: the namespace's root is the group we are in at that moment. */
  if (init_wait_cgroup(l, e) < 0)
    return -1;
  const struct cgroup *cg = l->cgroup;
  char dest[4096];
  snprintf(dest, sizeof dest, "%s%s", m->destination[0] == '/' ? "" : "/", m->destination);
  bool fresh = (l->late_flags & CLONE_NEWCGROUP) && !(l->clone_flags & CLONE_NEWUSER) &&
               l->ns_fds[NS_USER] < 0;
  bool ro = m->flags & MS_RDONLY;
  _cleanup_close_ int target = rootfs_open_target(rootfd, dest, TARGET_DIR, e);
  if (target < 0)
    return -1;
  if (cg->mode == CGROUP_MODE_V2) {
    if (mount_hierarchy(&cg->hierarchies[0], target, fresh, m->flags, dest, e) < 0)
      return -1;
    return set_readonly(rootfd, dest, ro, e);
  }
  char to[32];
  fd_path(to, target);
  if (mount("tmpfs", to, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    return err_sys(e, "mount tmpfs on %s", dest);
  _cleanup_close_ int base = rootfs_open(rootfd, dest, O_PATH | O_DIRECTORY, e);
  if (base < 0)
    return -1;
  for (size_t i = 0; i < cg->n_hierarchies; i++) {
    const struct cgroup_hierarchy *h = &cg->hierarchies[i];
    const char *name = hierarchy_dir_name(h);
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/%s", dest, name);
    /* Our own fresh tmpfs holds no symlinks: plain *at() calls are safe. */
    if (mkdirat(base, name, 0755) < 0 && errno != EEXIST)
      return err_sys(e, "create %s", sub);
    _cleanup_close_ int dir = openat(base, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0)
      return err_sys(e, "open %s", sub);
    if (mount_hierarchy(h, dir, fresh, m->flags, sub, e) < 0)
      return -1;
    if (ro) {
      _cleanup_close_ int top = openat(base, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (top < 0 || mount_set_attrs(top, MOUNT_ATTR_RDONLY, 0, false, sub, e) < 0)
        return top < 0 ? err_sys(e, "open %s", sub) : -1;
    }
    /* Co-mounted controllers ("cpu,cpuacct") get a link per controller. */
    if (strchr(name, ',')) {
      char names[256];
      snprintf(names, sizeof names, "%s", name);
      char *save = NULL;
      for (char *c = strtok_r(names, ",", &save); c; c = strtok_r(NULL, ",", &save))
        if (symlinkat(name, base, c) < 0 && errno != EEXIST)
          return err_sys(e, "link %s/%s", dest, c);
    }
  }
  return set_readonly(rootfd, dest, ro, e);
}
