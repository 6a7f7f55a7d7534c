/* Network namespaces held by a bind mount, so that they outlive (and come
 * before) the processes in them: the engine makes one per container, the
 * CNI plugins configure it, and the runtime joins it by path. */
#ifndef CAPSULE_NET_NETNS_H
#define CAPSULE_NET_NETNS_H

#include "util/error.h"

/* A new network namespace with its loopback up, bound at `path` (a file
 * created here; its directory must exist). The calling thread makes it and
 * comes back to its own namespace. On failure nothing is left. */
int netns_create(const char *path, err_t *e);

/* Bind the namespace at `source` (a /proc/PID/ns/net or another bind) at
 * `path` (a file created here). On failure nothing is left. */
int netns_bind(const char *source, const char *path, err_t *e);

/* Unbind and unlink `path`; the namespace goes when nothing else holds it
 * (its veths with it). A missing path is fine. */
int netns_remove(const char *path, err_t *e);

#endif
