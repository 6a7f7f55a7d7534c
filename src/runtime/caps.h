/* Linux capabilities of the container's process: exactly the configured
 * bounding, effective, permitted, inheritable and ambient sets. */
#ifndef CAPSULE_RUNTIME_CAPS_H
#define CAPSULE_RUNTIME_CAPS_H

#include <stdint.h>

#include "oci/spec.h"
#include "util/error.h"

/* Drop from the bounding set everything not in it (needs CAP_SETPCAP, so
 * call before switching user). */
int caps_drop_bounding(uint64_t bounding, err_t *e);
/* Set effective/permitted/inheritable, then raise the ambient set. `extra`
 * is added to effective and permitted (used to keep CAP_SYS_ADMIN until a
 * seccomp filter is loaded without no_new_privs). */
int caps_set(const struct oci_caps *c, uint64_t extra, err_t *e);

#endif
