/* DVMS as VMPlaceS implemented it (BeyondTheClouds/VMPlaceS, the dvms2
 * scheduler of the Euro-Par 2015 experiments), the baseline capsule's DVMS
 * is measured against. Same protocol code, VMPlaceS's choices:
 *  - the next node is a random node outside the partition
 *    (SimpleOverlay.giveSomeNeighbour), not the next one on the ring;
 *  - the solver runs only on partitions of at least 4 nodes;
 *  - an empty plan ("no reconfiguration needed") counts as no solution,
 *    so the partition keeps growing;
 *  - a partition that comes back to its initiator becomes Blocked and is
 *    not sent again; no merges: its members' 4.5 s timeout dissolves it;
 *  - the monitor looks at the node every second; the leader refreshes its
 *    members every 2 s while it computes or migrates (TimeoutSnoozer).
 * The solver's time is charged as simulated time, as VMPlaceS's
 * Process.sleep(duration) did; the simulator's charge model decides how
 * much (docs/SIMULATION.md). */
#ifndef CAPSULE_DVMS_VMPLACES_H
#define CAPSULE_DVMS_VMPLACES_H

#include "dvms/dvms.h"

void vmplaces_dvms_config(struct dvms_config *c, int32_t nodes, int32_t nves);

#endif
