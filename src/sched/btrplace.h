/* Reader for BtrPlace's JSON instances (gzip'd or plain), such as its
 * standard performance set (li3..li6, nr3..nr6): the mapping, the uCpu and
 * memory shareableResource views, and the constraints.
 *
 * Ownership: model/solver/plan/checker are the sched core.
 *
 * Ids: BtrPlace's node and VM ids become model ids through the maps kept in
 * the instance (model id i is BtrPlace id node_ids[i] / ve_ids[i]).
 * Constraints read: ban, fence, root, spread, gather, among, lonely, split,
 * quarantine, resourceCapacity, runningCapacity, maxOnline, online, offline,
 * running, preserve (applied to the VE's demand as well). A constraint of
 * another kind, or a VM state other than running/ready, fails with a message
 * that names it: capsule does not silently drop what it cannot honour. */
#ifndef CAPSULE_SCHED_BTRPLACE_H
#define CAPSULE_SCHED_BTRPLACE_H

#include <stdint.h>

#include "sched/constraints.h"
#include "sched/model.h"
#include "util/error.h"

struct sched_instance {
  struct sched_model model;
  struct sched_cstrs cstrs; /* sealed */
  int64_t *node_ids, *ve_ids;
  char objective[64];       /* e.g. "minimizeMTTR"; informative only */
};

/* Load `path` (.json or .json.gz). On failure nothing is left allocated and
 * `e` names the file and the problem ("li3.json.gz: model.views[0].nodes:
 * expected an object, got array"). */
int sched_instance_load(struct sched_instance *inst, const char *path, err_t *e);
void sched_instance_free(struct sched_instance *inst);

#endif
