/* The container's terminal (process.terminal): a pty made inside the
 * container's own devpts, whose master goes to the --console-socket (as
 * runc and crun do, for conmon) or to the foreground runtime. */
#ifndef CAPSULE_RUNTIME_CONSOLE_H
#define CAPSULE_RUNTIME_CONSOLE_H

#include <stdbool.h>

#include "oci/spec.h"
#include "util/error.h"

/* Open a pty in the container's /dev/pts (rootfd is its root), size it,
 * hand the master to `master_sink` (a connected unix socket) and, for the
 * init, bind the slave over /dev/console. Returns the slave fd. */
int console_create(int rootfd, const struct oci_process *p, int master_sink, bool bind_console,
                   err_t *e);

/* Make `slave` the controlling terminal and stdio of the calling process. */
int console_attach(int slave, err_t *e);

/* Connect to a --console-socket path. */
int console_socket_connect(const char *path, err_t *e);

#endif
