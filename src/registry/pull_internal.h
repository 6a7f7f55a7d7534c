/* What resolving a pull hands to fetching it. */
#ifndef CAPSULE_REGISTRY_PULL_INTERNAL_H
#define CAPSULE_REGISTRY_PULL_INTERNAL_H

#include "image/reference.h"
#include "registry/manifest.h"
#include "registry/pull.h"

struct pull_plan {
  struct pull_opts opts;
  struct image_ref ref;
  char *ref_string;               /* normalized, as tagged in the store */
  struct registry *registry;
  struct remote_manifest index;   /* body == NULL unless the reference named an index */
  struct remote_manifest manifest;
  struct manifest parsed;
};

#endif
