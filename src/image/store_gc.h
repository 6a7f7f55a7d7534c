/* Garbage collection internals shared by removal, prune and system check. */
#ifndef CAPSULE_IMAGE_STORE_GC_H
#define CAPSULE_IMAGE_STORE_GC_H

#include <jansson.h>
#include <stdint.h>

#include "image/store.h"

struct sweep_result {
  unsigned blobs, layers, tmp; /* what was freed */
  uint64_t bytes;              /* blob bytes and unpacked layer bytes freed */
};

/* Mark every blob and layer the records of `db` use, as keys of the sets;
 * -1 when memory ran out (the sets are then incomplete: free nothing). */
int store_live_set(struct image_store *s, json_t *db, json_t *blobs, json_t *layers);

/* Free every blob and layer no record of `db` uses, and tmp/ (the store must
 * be held exclusively, `db` under images.lock). */
int store_sweep(struct image_store *s, json_t *db, struct sweep_result *out, err_t *e);

#endif
