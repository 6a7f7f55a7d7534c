/* A container's root: the image's read-only layers under its own
 * copy-on-write upper layer, merged by overlayfs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "engine/internal.h"
#include "util/cleanup.h"

int overlay_mount(const char *merged, char **layers, const char *upper, const char *work,
                  err_t *e) {
  size_t n = 0, len = 0;
  for (; layers[n]; n++)
    len += strlen(layers[n]) + 1;
  if (n == 0)
    return err_set(e, EINVAL, "the image has no layers");
  /* overlayfs lists the topmost lower layer first. */
  size_t cap = len + strlen(upper) + strlen(work) + 64;
  _cleanup_free_ char *opts = malloc(cap);
  if (!opts)
    return err_sys(e, "overlay options");
  size_t at = (size_t)snprintf(opts, cap, "lowerdir=");
  for (size_t i = n; i-- > 0;)
    at += (size_t)snprintf(opts + at, cap - at, "%s%s", layers[i], i ? ":" : "");
  snprintf(opts + at, cap - at, ",upperdir=%s,workdir=%s", upper, work);
  if (strlen(opts) >= 4096)
    return err_set(e, E2BIG, "overlay: %zu layers make mount options longer than a page", n);
  if (mount("overlay", merged, "overlay", 0, opts) < 0)
    return err_sys(e, "mount the container's overlay at %s", merged);
  return 0;
}

int overlay_unmount(const char *merged, err_t *e) {
  if (umount2(merged, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return err_sys(e, "unmount %s", merged);
  return 0;
}
