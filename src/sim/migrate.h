/* Live migration of a logical VE with a pre-copy model over the simulated
 * network: the memory, then rounds of the pages dirtied meanwhile (SimGrid
 * live-migration plugin's dirty-page model, with the VE's share of its
 * host's core), ended by Xen's stopping rules, then stop-and-copy. The VE
 * runs on its source until the end, when its demand moves to the
 * destination in the cluster model. No SimGrid VM is created: SimGrid's
 * own plugin has no round limit, so under contention (dirtying faster
 * than the link drains) its migrations never end (docs/SIMULATION.md). */
#ifndef CAPSULE_SIM_MIGRATE_H
#define CAPSULE_SIM_MIGRATE_H

#include <simgrid/forward.h>
#include <stdint.h>

#include "sim/simnet.h"

/* Start migrating `ve` from `node` to `dst`; the end is reported with
 * simnet_migrated(). -1 when out of memory. */
int sim_migrate_start(struct simnet *s, int32_t node, int32_t ve, int32_t dst, uint64_t token);

sg_host_t simnet_host(const struct simnet *s, int32_t node);

#endif
