/* OCI lifecycle hooks: each runs with the container's state JSON on stdin,
 * its own args and env, and an optional timeout. */
#ifndef CAPSULE_RUNTIME_HOOKS_H
#define CAPSULE_RUNTIME_HOOKS_H

#include <stddef.h>

#include "oci/spec.h"
#include "util/error.h"

/* Run `n` hooks of one kind in order; stop at the first failure. */
int hooks_run(enum oci_hook_kind kind, const struct oci_hook *hooks, size_t n,
              const char *state_json, err_t *e);

#endif
