/* The container's filesystem view, built inside its new mount namespace:
 * the root bound onto itself, config.json's mounts resolved inside it,
 * default devices, then pivot_root and the masked / read-only paths. */
#ifndef CAPSULE_RUNTIME_ROOTFS_H
#define CAPSULE_RUNTIME_ROOTFS_H

#include <stdbool.h>

#include "runtime/launch.h"
#include "util/error.h"

/* Everything up to pivot_root. Returns an O_PATH fd on the root. */
int rootfs_prepare(struct launch *l, err_t *e);
/* pivot_root (or chroot with no_pivot) into rootfd; the host's root is
 * detached from the namespace afterwards. */
int rootfs_pivot(int rootfd, bool no_pivot, err_t *e);
/* After pivot: sysctl, masked and read-only paths, read-only root,
 * rootfsPropagation. */
int rootfs_finish(const struct oci_spec *s, err_t *e);

/* MS_* flags as MOUNT_ATTR_* for mount_setattr(). */
unsigned mount_attr_from_flags(unsigned long flags);
/* Apply MOUNT_ATTR_* set/clear to the mount at `fd` (recursively or not). */
int mount_set_attrs(int fd, unsigned set, unsigned clear, bool recursive, const char *what,
                    err_t *e);

/* Mount the container's cgroup filesystem(s) at the O_PATH directory fd
 * `target` (for a "cgroup" entry of config.json's mounts). */
int rootfs_mount_cgroup(struct launch *l, int rootfd, const struct oci_mount *m, err_t *e);

/* Default and configured device nodes, and the /dev symlinks. */
int rootfs_create_devices(struct launch *l, int rootfd, err_t *e);

#endif
