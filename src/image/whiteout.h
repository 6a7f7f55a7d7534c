/* OCI whiteouts in layer tars and their overlayfs counterparts on disk. */
#ifndef CAPSULE_IMAGE_WHITEOUT_H
#define CAPSULE_IMAGE_WHITEOUT_H

#include <stdbool.h>
#include <string.h>

#define WHITEOUT_PREFIX ".wh."            /* ".wh.NAME" hides NAME */
#define WHITEOUT_META_PREFIX ".wh..wh."   /* reserved names, ignored... */
#define WHITEOUT_OPAQUE ".wh..wh..opq"    /* ...except this: hide the lower dir */
#define XATTR_OPAQUE "trusted.overlay.opaque"

/* xattrs overlayfs interprets (opaque, redirect, metacopy...): never taken
 * from an archive, never written into one. */
static inline bool xattr_is_overlay(const char *name) {
  return !strncmp(name, "trusted.overlay.", 16) || !strncmp(name, "user.overlay.", 13);
}

#endif
