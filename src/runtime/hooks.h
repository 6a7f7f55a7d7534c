/* OCI lifecycle hooks: each runs with the container's state JSON on stdin,
 * its own args and env, and an optional timeout. */
#ifndef CAPSULE_RUNTIME_HOOKS_H
#define CAPSULE_RUNTIME_HOOKS_H

#include <stddef.h>

#include "oci/spec.h"
#include "util/error.h"

/* Run `n` hooks of one kind in order. A failure stops the list and is
 * returned, except for poststart and poststop hooks: each failure there is
 * a warning and the next hook runs (0 is returned). A hook without `env`
 * gets `default_env`, or when that is NULL the runtime's own environment
 * without capsule's private variables (runtime_env_is_private), as runc
 * gives its hooks its own. */
int hooks_run(enum oci_hook_kind kind, const struct oci_hook *hooks, size_t n,
              const char *state_json, char *const *default_env, err_t *e);

#endif
