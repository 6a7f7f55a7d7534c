/* Device nodes in the container's /dev: the defaults every container gets
 * (runtime-spec "Default Devices"), the ones config.json lists, and the
 * standard symlinks. In a user namespace mknod is not allowed, so the
 * host's node is bound onto an empty file instead. */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/rootfs.h"
#include "runtime/rootfs_path.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const struct oci_device default_devices[] = {
    {.path = "/dev/null", .type = 'c', .major = 1, .minor = 3},
    {.path = "/dev/zero", .type = 'c', .major = 1, .minor = 5},
    {.path = "/dev/full", .type = 'c', .major = 1, .minor = 7},
    {.path = "/dev/random", .type = 'c', .major = 1, .minor = 8},
    {.path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9},
    {.path = "/dev/tty", .type = 'c', .major = 5, .minor = 0},
};

static const struct {
  const char *target, *name;
} dev_links[] = {
    {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
    {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
};

static mode_t node_type(char t) {
  switch (t) {
  case 'b':
    return S_IFBLK;
  case 'p':
    return S_IFIFO;
  default:
    return S_IFCHR;
  }
}

/* What is already at a device's path is kept only if it is that device: a
 * bind of the host's /dev, or a node from an earlier run. Anything else
 * comes from the image and is refused rather than trusted or replaced:
 * later steps use these nodes (masked paths are bound from /dev/null), and
 * a link there could point them at a host file (CVE-2025-31133). In a user
 * namespace the host's node is bound onto an empty file, so a regular file
 * (ours from an earlier run, or the image's) is a place to bind onto.
 * Returns 1 when the device is there, 0 when the path is free, -1 (e set)
 * otherwise. */
static int node_present(int dirfd, const char *name, const struct oci_device *d, bool userns,
                        err_t *e) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return err_sys(e, "%s", d->path);
  }
  if ((st.st_mode & S_IFMT) == node_type(d->type) &&
      (d->type == 'p' || st.st_rdev == makedev((unsigned)d->major, (unsigned)d->minor)))
    return 1;
  if (userns && S_ISREG(st.st_mode))
    return 0;
  if (d->type == 'p')
    return err_set(e, EEXIST, "%s: the root filesystem has something other than a FIFO there",
                   d->path);
  return err_set(e, EEXIST,
                 "%s: the root filesystem has something other than the %s device %u:%u there "
                 "(a %s); refusing it",
                 d->path, d->type == 'b' ? "block" : "character", (unsigned)d->major,
                 (unsigned)d->minor, file_type_name(st.st_mode));
}

static int bind_host_node(int dirfd, const char *name, const struct oci_device *d, err_t *e) {
  _cleanup_close_ int f =
      openat(dirfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
  if (f < 0 && errno != EEXIST)
    return err_sys(e, "create %s", d->path);
  _cleanup_close_ int target = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return err_sys(e, "open %s", d->path);
  char to[32];
  fd_path(to, target);
  if (mount(d->path, to, NULL, MS_BIND, NULL) < 0)
    return err_sys(e, "bind the host's %s", d->path);
  /* A node is no program: nothing on this mount runs or gains privileges
   * (crun does the same; runc 1.1 leaves the host's flags). */
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC};
  if (mount_setattr(dirfd, name, AT_SYMLINK_NOFOLLOW, &attr, sizeof attr) < 0)
    return err_sys(e, "make the bind of the host's %s nosuid,noexec", d->path);
  return 0;
}

static int create_node(int rootfd, const struct oci_device *d, bool userns, err_t *e) {
  _cleanup_free_ char *copy = strdup(d->path);
  _cleanup_free_ char *copy2 = strdup(d->path);
  if (!copy || !copy2)
    return err_sys(e, "device %s", d->path);
  const char *dir = dirname(copy), *name = basename(copy2);
  _cleanup_close_ int dirfd = rootfs_open_target(rootfd, dir, TARGET_DIR, e);
  if (dirfd < 0)
    return -1;
  int present = node_present(dirfd, name, d, userns, e);
  if (present != 0)
    return present < 0 ? -1 : 0;
  if (userns)
    return bind_host_node(dirfd, name, d, e);
  mode_t mode = (d->has_mode ? d->mode : 0666) | node_type(d->type);
  /* The init runs with umask 0 until its final umask: the mode is exact. */
  if (mknodat(dirfd, name, mode, makedev((unsigned)d->major, (unsigned)d->minor)) < 0)
    return err_sys(e, "mknod %s", d->path);
  if ((d->has_uid || d->has_gid) &&
      fchownat(dirfd, name, d->has_uid ? d->uid : (uid_t)-1, d->has_gid ? d->gid : (gid_t)-1,
               AT_SYMLINK_NOFOLLOW) < 0)
    return err_sys(e, "chown %s", d->path);
  return 0;
}

int rootfs_create_devices(struct launch *l, int rootfd, err_t *e) {
  bool userns = (l->clone_flags & CLONE_NEWUSER) || l->ns_fds[NS_USER] >= 0;
  const struct oci_spec *s = l->spec;
  for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++) {
    bool overridden = false;
    for (size_t j = 0; j < s->n_devices && !overridden; j++)
      overridden = !strcmp(s->devices[j].path, default_devices[i].path);
    if (!overridden && create_node(rootfd, &default_devices[i], userns, e) < 0)
      return -1;
  }
  for (size_t i = 0; i < s->n_devices; i++)
    if (create_node(rootfd, &s->devices[i], userns, e) < 0)
      return -1;
  _cleanup_close_ int dev = rootfs_open_target(rootfd, "/dev", TARGET_DIR, e);
  if (dev < 0)
    return -1;
  for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
    if (symlinkat(dev_links[i].target, dev, dev_links[i].name) < 0 && errno != EEXIST)
      return err_sys(e, "link /dev/%s", dev_links[i].name);
  if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", dev, "core") < 0 &&
      errno != EEXIST)
    return err_sys(e, "link /dev/core");
  return 0;
}
