/* Walking paths inside a layer directory without ever leaving it: archive
 * paths are cleaned lexically, then opened one component at a time relative
 * to the layer's directory fd, refusing symlinks (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS, with an O_NOFOLLOW walk where directories are created). */
#ifndef CAPSULE_IMAGE_TREE_WALK_H
#define CAPSULE_IMAGE_TREE_WALK_H

#include <limits.h>
#include <stdbool.h>

#include "util/error.h"

/* Clean an archive path into `out` (PATH_MAX bytes): "./a//b/" -> "a/b",
 * "." -> "". Refused: absolute paths and ".." components. */
int layer_path_clean(const char *raw, char out[PATH_MAX], err_t *e);

/* An O_RDONLY|O_DIRECTORY fd on the directory `path` (cleaned, non-empty)
 * under `root`; missing components are created (0755) when `create`. A
 * component that is a symlink or not a directory is refused (ELOOP, ENOTDIR);
 * a missing one without `create` is ENOENT. */
int dir_open_beneath(int root, const char *path, bool create, err_t *e);

/* One remembered directory fd: archive entries come grouped by directory. */
struct dir_cache {
  char path[PATH_MAX];
  int fd;
};
#define DIR_CACHE_INIT {{0}, -1}

/* dir_open_beneath(root, path, create=true), through the cache; the fd
 * belongs to the cache (valid until the next call). */
int dir_cache_open(struct dir_cache *c, int root, const char *path, err_t *e);
/* Forget the cached fd if it is `path` or below it (it is being replaced). */
void dir_cache_forget_under(struct dir_cache *c, const char *path);
void dir_cache_clear(struct dir_cache *c);

#endif
