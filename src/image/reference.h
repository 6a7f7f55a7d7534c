/* Image references: "host[:port]/repo[:tag][@digest]", normalized as docker
 * does ("busybox" is docker.io/library/busybox:latest). */
#ifndef CAPSULE_IMAGE_REFERENCE_H
#define CAPSULE_IMAGE_REFERENCE_H

#include "util/error.h"

#define DOCKER_HUB "docker.io"

struct image_ref {
  char *registry;   /* "docker.io", "127.0.0.1:5000" */
  char *repository; /* "library/busybox" */
  char *tag;        /* "latest"; NULL when only a digest was given */
  char *digest;     /* "sha256:<64 hex>" or NULL */
};

/* Parse and normalize `s`. A reference with neither tag nor digest gets the
 * tag "latest". Errors name the offending part. */
int image_ref_parse(const char *s, struct image_ref *out, err_t *e);
void image_ref_free(struct image_ref *r);

/* "registry/repository:tag" (or "@digest" when there is no tag), on the heap. */
char *image_ref_string(const struct image_ref *r);
/* "registry/repository", on the heap. */
char *image_ref_name(const struct image_ref *r);

static inline void image_ref_freep(struct image_ref *r) {
  image_ref_free(r);
}
#define _cleanup_image_ref_ __attribute__((cleanup(image_ref_freep)))

#endif
