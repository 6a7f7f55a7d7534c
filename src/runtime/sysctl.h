/* linux.sysctl: each key belongs to a kernel namespace (IPC, network, UTS)
 * or to the whole host. At create, before anything exists, every key must
 * belong to a namespace the container has of its own; the init writes them
 * after pivot_root. */
#ifndef CAPSULE_RUNTIME_SYSCTL_H
#define CAPSULE_RUNTIME_SYSCTL_H

#include "oci/spec.h"
#include "util/error.h"

/* Refuse a sysctl that would be written outside the container: one not
 * namespaced at all (vm.*, most of kernel.*), one whose namespace the
 * container shares with the runtime, and kernel.hostname (the hostname
 * field sets it). */
int sysctl_check(const struct oci_spec *s, err_t *e);
/* Write them under /proc/sys, in the container. */
int sysctl_write(const struct oci_spec *s, err_t *e);

#endif
