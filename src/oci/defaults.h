/* What the runtime writes for `spec`. */
#ifndef CAPSULE_OCI_DEFAULTS_H
#define CAPSULE_OCI_DEFAULTS_H

#include <jansson.h>
#include <stdbool.h>

#define OCI_VERSION_MAX "1.1.0"

/* A config.json for a busybox-like rootfs in ./rootfs, as `runc spec`
 * writes; `rootless` maps the caller's uid to root in a user namespace. */
json_t *oci_default_spec(bool rootless);

#endif
