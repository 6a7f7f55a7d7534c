/* Image manifests and indexes: OCI image manifest / index and Docker schema2
 * manifest / manifest list, parsed into one shape, plus platform selection.
 *
 * Parsing accepts exactly the documents capsule can store and run: a
 * manifest's config and layers must carry sha256 digests and sizes, and layer
 * media types must be tar, tar+gzip or tar+zstd (OCI or Docker spellings; the
 * "nondistributable" variants are accepted, foreign URLs are not followed). */
#ifndef CAPSULE_IMAGE_MANIFEST_H
#define CAPSULE_IMAGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "image/digest.h"
#include "util/error.h"

#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define ANNOTATION_IMAGE_NAME "io.containerd.image.name"

#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* An Accept header value listing every manifest and index type capsule reads. */
#define MANIFEST_ACCEPT                                                            \
  MEDIA_OCI_MANIFEST ", " MEDIA_OCI_INDEX ", " MEDIA_DOCKER_MANIFEST ", " MEDIA_DOCKER_LIST

enum manifest_kind { MANIFEST_UNKNOWN, MANIFEST_IMAGE, MANIFEST_INDEX };

/* The kind of a media type string ("...manifest..." or "...index/list..."). */
enum manifest_kind manifest_kind_of_media_type(const char *media_type);

struct platform {
  char os[32];      /* "linux" */
  char arch[32];    /* "amd64", "arm64" (GOARCH names) */
  char variant[16]; /* "v8", or "" */
};

/* "os/arch[/variant]". */
int platform_parse(const char *s, struct platform *out, err_t *e);
/* The host's platform: linux/<GOARCH of this build>. */
void platform_host(struct platform *out);

struct descriptor {
  char *media_type;
  char digest[DIGEST_BUF];
  int64_t size;
  struct platform platform; /* index entries only; os[0] == 0 when absent */
  char *ref_name;           /* annotation org.opencontainers.image.ref.name, or NULL */
  char *image_name;         /* annotation io.containerd.image.name (a full name), or NULL */
};

struct manifest {
  char *media_type; /* as declared, or inferred (OCI) when the field is absent */
  struct descriptor config;
  struct descriptor *layers;
  size_t n_layers;
};

struct image_index {
  char *media_type;
  struct descriptor *manifests;
  size_t n_manifests;
};

/* The kind of a manifest document: from `media_type` (a Content-Type or a
 * descriptor's type) when given and known, else from its "mediaType" field,
 * else from its shape ("manifests" vs "layers"). */
enum manifest_kind manifest_kind_of(const char *buf, size_t len, const char *media_type);

int manifest_parse(const char *buf, size_t len, struct manifest *out, err_t *e);
void manifest_free(struct manifest *m);

int image_index_parse(const char *buf, size_t len, struct image_index *out, err_t *e);
void image_index_free(struct image_index *x);

/* The entry of `x` for platform `want` (NULL: the host's). An entry without a
 * variant matches any wanted variant; with no variant wanted, arm64 prefers
 * "v8" and otherwise the first entry for os/arch wins. Errors list what the
 * index offers: "no image for linux/s390x in index (offers linux/amd64, ...)". */
const struct descriptor *image_index_select(const struct image_index *x,
                                            const struct platform *want, err_t *e);

/* Layer compression, from a media type. */
enum layer_compression { LAYER_TAR, LAYER_GZIP, LAYER_ZSTD };
int layer_media_type_compression(const char *media_type, enum layer_compression *out, err_t *e);
/* The OCI layer media type for a compression. */
const char *oci_layer_media_type(enum layer_compression c);

void descriptor_free(struct descriptor *d);

static inline void manifest_freep(struct manifest *m) {
  manifest_free(m);
}
#define _cleanup_manifest_ __attribute__((cleanup(manifest_freep)))

#endif
