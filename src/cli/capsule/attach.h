/* The attached client of `run` (foreground), `start -a` and `attach`. */
#ifndef CAPSULE_CLI_CAPSULE_ATTACH_H
#define CAPSULE_CLI_CAPSULE_ATTACH_H

#include <stdbool.h>

#include "engine/engine.h"
#include "util/error.h"

enum { ATTACH_EXITED = 0, ATTACH_DETACHED = 1, ATTACH_LOST = -1 };

/* Relay between our stdio and `sock` (a connection to the monitor of
 * container `id`) until the container exits (*code: its exit status), the
 * user detaches with ctrl-p ctrl-q, or the monitor goes away (-1, e set).
 * With `tty` and a terminal on stdin, the terminal is raw meanwhile and its
 * size follows ours; without, the signals we get go to the container. */
int attach_run(const struct engine *eng, const char *id, int sock, bool tty, bool with_stdin,
               int *code, err_t *e);

#endif
