/* Decoding of mount "options" (fstab words) into mount(2) flags. */
#ifndef CAPSULE_OCI_MOUNT_OPTIONS_H
#define CAPSULE_OCI_MOUNT_OPTIONS_H

#include <stdbool.h>

#include "oci/spec.h"
#include "util/error.h"

/* Fill flags, clear_flags, propagation, bind/recursive_bind and data of `m`
 * from the option words. Unknown words are passed to the filesystem as data. */
int mount_options_decode(char **options, struct oci_mount *m, err_t *e);

/* "rprivate" -> MS_PRIVATE|MS_REC, ...; 0 if not a propagation word. */
unsigned long mount_propagation_from_name(const char *name);

#endif
