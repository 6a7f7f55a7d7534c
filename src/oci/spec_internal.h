/* Shared between the files that parse config.json; not a public API. */
#ifndef CAPSULE_OCI_SPEC_INTERNAL_H
#define CAPSULE_OCI_SPEC_INTERNAL_H

#include "oci/spec.h"

int oci_spec_parse_linux(struct oci_spec *s, err_t *e);
void oci_spec_free_linux(struct oci_spec *s);

#endif
