/* Image tarballs: docker-archive (manifest.json, <config>.json, layer tars,
 * as `docker save` and `podman save` write them) and oci-archive (a tar of
 * an OCI image layout: oci-layout, index.json, blobs/sha256/). */
#ifndef CAPSULE_IMAGE_ARCHIVE_H
#define CAPSULE_IMAGE_ARCHIVE_H

#include "image/manifest.h"
#include "image/store.h"

enum archive_format { ARCHIVE_DOCKER, ARCHIVE_OCI };

/* "docker-archive" or "oci-archive". */
int archive_format_parse(const char *s, enum archive_format *out, err_t *e);

/* Load every image of the tarball read from `fd` (the format is recognised
 * by its content; the tarball may be gzip- or zstd-compressed). From an OCI
 * index, the manifests for `platform` (NULL: the host's) are taken. `loaded`
 * gets what was loaded, NULL-terminated: familiar references, or the IDs
 * ("sha256:...") of images without a name. Nothing is left on failure. */
int image_load(struct image_store *s, int fd, const struct platform *platform, char ***loaded,
               err_t *e);

/* Write the images `names` (references or IDs) as one tarball to `fd`.
 * docker-archive layers are written uncompressed (their digests are the diff
 * ids, as docker expects); oci-archive keeps the stored blobs as they are. */
int image_save(struct image_store *s, const char *const *names, enum archive_format f, int fd,
               err_t *e);

#endif
