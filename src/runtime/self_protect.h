/* CVE-2019-5736: a container process that can open /proc/<pid>/exe of a
 * runtime process (the init before its execve, an exec'd process, or a
 * container whose own entrypoint is /proc/self/exe) could later write
 * through it to the runtime binary on the host. Every command that puts a
 * process into a container therefore runs from a sealed, in-memory copy of
 * its binary (a memfd that can be neither written, truncated nor grown),
 * whatever the namespaces: /proc/<pid>/exe of any of its processes, and of
 * a container process that execs /proc/self/exe, is that copy and never
 * the file on disk. The library refuses to start a container otherwise;
 * the front ends re-execute themselves first (runtime_ensure_sealed). */
#ifndef CAPSULE_RUNTIME_SELF_PROTECT_H
#define CAPSULE_RUNTIME_SELF_PROTECT_H

#include <stdbool.h>

#include "util/error.h"

bool runtime_binary_is_sealed(void);
/* 0 when the process already runs from a sealed copy; otherwise replaces
 * the process with a sealed copy of its binary, same argv and environment,
 * and returns (-1) only on failure. */
int runtime_ensure_sealed(char **argv, err_t *e);
/* Refuses (-1, `e` set) unless the process runs from a sealed copy: the
 * library's guard before a process of ours enters a container. */
int runtime_require_sealed(const char *what, err_t *e);

/* Variables capsule sets in its own environment for itself (the id of the
 * sealed mount it runs from) all start with this prefix. Nothing that
 * hands our environment to another program (hooks without `env`) passes
 * them on. */
#define RUNTIME_PRIVATE_ENV_PREFIX "_CAPSULE_"
bool runtime_env_is_private(const char *entry);

#endif
