/* Waiting for a foreground process: signal forwarding and terminal relay. */
#ifndef CAPSULE_RUNTIME_FOREGROUND_H
#define CAPSULE_RUNTIME_FOREGROUND_H

#include <sys/types.h>

#include "util/error.h"

/* Wait for our child `pid`, forwarding signals to it; with a pty `master`
 * (>= 0) relay it to our stdin/stdout. *status: exit code or 128+signal. */
int foreground_wait(pid_t pid, int master, int *status, err_t *e);

#endif
