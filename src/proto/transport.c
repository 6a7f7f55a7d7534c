#include "proto/transport.h"

#include <stdlib.h>

struct msg *msg_new(uint16_t kind, size_t bytes) {
  if (bytes < sizeof(struct msg))
    bytes = sizeof(struct msg);
  struct msg *m = calloc(1, bytes);
  if (!m)
    return NULL;
  m->kind = kind;
  m->bytes = (uint32_t)bytes;
  return m;
}
