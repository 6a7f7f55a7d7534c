/* `capsule pull`: resolve a reference on its registry (manifest, and the
 * platform's manifest from an index), then fetch what the store lacks, layer
 * blobs in parallel, unpacking each layer as soon as its blob is verified,
 * and record and tag the image. Resolving touches no local state, so a bad
 * reference, an unknown host or a missing image leave nothing behind. */
#ifndef CAPSULE_REGISTRY_PULL_H
#define CAPSULE_REGISTRY_PULL_H

#include "image/manifest.h"
#include "image/store.h"
#include "registry/client.h"
#include "registry/progress.h"

struct pull_opts {
  struct registry_opts registry;
  const struct platform *platform; /* NULL: the host's */
  unsigned parallel;               /* downloads at once; 0: PULL_PARALLEL_DEFAULT */
  transfer_progress_fn progress;   /* optional */
  void *progress_data;
};

#define PULL_PARALLEL_DEFAULT 4

struct pull_plan;

int registry_pull_resolve(const char *reference, const struct pull_opts *o,
                          struct pull_plan **out, err_t *e);
/* The manifest digest the reference resolved to ("sha256:..."). */
const char *pull_plan_digest(const struct pull_plan *p);
/* The normalized reference ("registry/repo:tag"). */
const char *pull_plan_reference(const struct pull_plan *p);
/* Download, verify, unpack, record and tag; `out` (may be NULL) gets the image. */
int registry_pull_fetch(struct pull_plan *p, struct image_store *s, struct image_info *out,
                        err_t *e);
void pull_plan_free(struct pull_plan *p);

#endif
