/* Paths inside a container's root, resolved by the kernel as if the root
 * were "/": symlinks and ".." can never lead out of it (openat2 with
 * RESOLVE_IN_ROOT). Mount targets are opened this way and mounted through
 * /proc/self/fd, so a hostile image cannot redirect a mount to the host. */
#ifndef CAPSULE_RUNTIME_ROOTFS_PATH_H
#define CAPSULE_RUNTIME_ROOTFS_PATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

enum target_kind { TARGET_DIR, TARGET_FILE };

/* O_PATH fd of `path` under rootfd, creating what is missing (directories,
 * and a file or directory at the end). Fails if an existing final entry is
 * of the other kind where that matters to a mount. */
int rootfs_open_target(int rootfd, const char *path, enum target_kind kind, err_t *e);

/* Open an existing path under rootfd with `flags` (O_PATH, O_RDONLY|O_DIRECTORY...). */
int rootfs_open(int rootfd, const char *path, int flags, err_t *e);

/* "/proc/self/fd/N" for mounting on or from an fd. */
void fd_path(char buf[32], int fd);

#endif
