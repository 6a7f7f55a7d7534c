/* The other direction: a directory tree (a layer, or a container's overlayfs
 * upper dir for `capsule commit`) written as a layer tar.
 *
 * Entries are written in a stable order (sorted names, parents first) as pax
 * tar, with owners, modes, mtimes, xattrs, hardlinks, symlinks, devices and
 * fifos. overlayfs whiteouts turn back into OCI ones: a 0/0 character device
 * NAME becomes an empty ".wh.NAME", a directory with
 * trusted.overlay.opaque=y gets a ".wh..wh..opq" entry (the overlay xattrs
 * themselves are never written). */
#ifndef CAPSULE_IMAGE_LAYER_TAR_H
#define CAPSULE_IMAGE_LAYER_TAR_H

#include <stdint.h>

#include "image/digest.h"
#include "image/manifest.h"
#include "util/error.h"

struct layer_tar_result {
  char diff_id[DIGEST_BUF]; /* sha256 of the uncompressed tar */
  char digest[DIGEST_BUF];  /* sha256 of what was written (compressed) */
  uint64_t size;            /* bytes written */
};

/* Where the (compressed) tar goes: all of `len` bytes, or -1 with e set. */
typedef int (*tar_sink_fn)(void *ctx, const void *buf, size_t len, err_t *e);

/* A sink that writes to the file descriptor *(int *)ctx. */
int tar_sink_fd(void *ctx, const void *buf, size_t len, err_t *e);

/* Write the tree under `dirfd` to `sink`, compressed as asked. */
int layer_tar_write(int dirfd, enum layer_compression c, tar_sink_fn sink, void *ctx,
                    struct layer_tar_result *out, err_t *e);

/* A plain tar of the file or tree `name` in `dirfd` (not followed if a
 * symlink), its entries named `as` and below (`cp`); with `as` "" and a
 * directory, its contents come at the top ("cp CTR:/dir/. -"). */
int tar_write_path(int dirfd, const char *name, const char *as, tar_sink_fn sink, void *ctx,
                   err_t *e);

#endif
