/* `capsule push`: send a stored image's blobs and manifest to a registry.
 * Blobs the repository has (HEAD) are skipped; blobs the image is known to
 * have in another repository of the same registry (it carries a reference
 * there: it was pulled from or pushed to it) are mounted across
 * repositories, and only the rest is uploaded. The manifest goes last, byte
 * for byte as stored, so its digest does not change. */
#ifndef CAPSULE_REGISTRY_PUSH_H
#define CAPSULE_REGISTRY_PUSH_H

#include "image/store.h"
#include "registry/client.h"
#include "registry/progress.h"

struct push_opts {
  struct registry_opts registry;
  transfer_progress_fn progress; /* optional */
  void *progress_data;
};

/* Push the stored image `source` (any name image_store_resolve takes) to the
 * reference `destination`; `digest` (may be NULL) gets the manifest digest. */
int registry_push(struct image_store *s, const char *source, const char *destination,
                  const struct push_opts *o, char digest[DIGEST_BUF], err_t *e);

#endif
