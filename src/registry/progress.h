/* What pull and push report about each blob as they go. The library calls
 * the front end's callback (never concurrently); the front end draws. */
#ifndef CAPSULE_REGISTRY_PROGRESS_H
#define CAPSULE_REGISTRY_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

enum transfer_stage {
  XFER_WAITING,  /* queued */
  XFER_SKIPPED,  /* the other side has it already */
  XFER_RUNNING,  /* bytes moving: done of total */
  XFER_DONE,     /* downloaded and verified / uploaded */
  XFER_MOUNTED,  /* push: mounted from another repository of the registry */
  XFER_UNPACKED, /* pull: the layer is unpacked in the store */
};

struct transfer_progress {
  size_t index; /* which blob, 0..count-1 */
  size_t count;
  const char *kind; /* "config" or "layer" */
  const char *digest;
  enum transfer_stage stage;
  uint64_t done, total;
};

typedef void (*transfer_progress_fn)(void *data, const struct transfer_progress *p);

#endif
