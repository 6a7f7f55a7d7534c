/* Steps of the container's init shared between init.c and the rootfs code. */
#ifndef CAPSULE_RUNTIME_INIT_INTERNAL_H
#define CAPSULE_RUNTIME_INIT_INTERNAL_H

#include "runtime/launch.h"

/* Wait (once) for the parent to put us in the cgroup, then make the cgroup
 * namespace if one was asked for. */
int init_wait_cgroup(struct launch *l, err_t *e);

#endif
