/* CVE-2019-5736: a container process that can open /proc/<pid>/exe of a
 * runtime process in its namespaces could later write through it to the
 * runtime binary on the host. Every runtime process that enters a
 * container is non-dumpable, which closes /proc/<pid>/exe to processes
 * without CAP_SYS_PTRACE over the host; where a container could hold that
 * capability or see our process (exec, a shared pid namespace), the
 * runtime first re-executes itself from a sealed, in-memory copy, so
 * /proc/<pid>/exe is that copy and not the file on disk. */
#ifndef CAPSULE_RUNTIME_SELF_PROTECT_H
#define CAPSULE_RUNTIME_SELF_PROTECT_H

#include <stdbool.h>

#include "util/error.h"

/* Error code a library call returns when it needs the sealed copy first. */
#define RUNTIME_NEEDS_SEALED_BINARY ERESTART

bool runtime_binary_is_sealed(void);
/* Replace the process with a sealed copy of its binary, same argv and
 * environment. Returns only on failure. */
int runtime_reexec_sealed(char **argv, err_t *e);

#endif
