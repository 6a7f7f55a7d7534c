/* Drawing pull/push progress: on a terminal, one bar per blob (bytes, rate)
 * redrawn in place; otherwise (or quiet) one line per finished blob, or
 * nothing at all. */
#ifndef CAPSULE_CLI_CAPSULE_PROGRESS_H
#define CAPSULE_CLI_CAPSULE_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "registry/progress.h"

struct progress_view;

/* `verb` names what happens to bytes: "Downloading", "Uploading". */
struct progress_view *progress_view_new(FILE *out, bool quiet, const char *verb);
/* The transfer_progress_fn to hand to the library, with the view as data. */
void progress_view_update(void *view, const struct transfer_progress *p);
/* Draw the final state and free the view (NULL is fine). */
void progress_view_done(struct progress_view *v);

#endif
