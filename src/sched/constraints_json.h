/* Internal to the sched core: the constraints parser with id translation,
 * shared by the constraints-file reader (ids are model ids) and the BtrPlace
 * reader (ids are BtrPlace's, translated through its maps). */
#ifndef CAPSULE_SCHED_CONSTRAINTS_JSON_H
#define CAPSULE_SCHED_CONSTRAINTS_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "sched/constraints.h"
#include "util/error.h"

/* Model id of an external id, or -1 when unknown. NULL maps are the identity. */
struct sched_id_maps {
  const int32_t *node, *ve;
  int64_t nnode_ids, nve_ids; /* sizes of the maps */
};

int sched_cstrs_load_json_mapped(struct sched_cstrs *c, json_t *list, const char *where,
                                 const struct sched_id_maps *maps, err_t *e);

#endif
