/* What every `capsule` command shares: the global options and the image
 * store. Commands are in the table of commands.c. */
#ifndef CAPSULE_CLI_CAPSULE_CLI_H
#define CAPSULE_CLI_CAPSULE_CLI_H

#include <jansson.h>
#include <stdbool.h>

#include "image/store.h"
#include "util/cmdline.h"
#include "util/error.h"

/* docker's exit statuses: 125 for a usage error (a bad flag, a wrong number
 * of operands) of any command, and for a failure of run and create (their
 * table entries say so: 126 and 127 and the container's own statuses are
 * theirs too); 1 for a failure of any other command. */
#define EXIT_USAGE 125
#define EXIT_FAILURE_RUN 125

struct cli {
  const char *root; /* --root, default IMAGE_STORE_DEFAULT_ROOT */
  const char *run_root; /* --runroot: the runtime's state, default ENGINE_DEFAULT_RUN_ROOT */
};

/* The capsule-monitor binary's path, which main() sets for the commands
 * (and the sealed copy they may re-execute into): $CAPSULE_MONITOR, else
 * capsule-monitor beside our own binary. */
#define CLI_MONITOR_ENV "_CAPSULE_MONITOR"
#define CLI_VMINIT_ENV "_CAPSULE_VMINIT"

/* Open the image store under --root (see image_store_open for `flags`). */
struct image_store *cli_store(const struct cli *cli, int flags, err_t *e);

/* For commands that go on after one of their operands failed (rm A B):
 * print "capsule: <e->msg>" on stderr; returns 1. */
int cli_report(const err_t *e);

/* Write an archive to `path` (save -o, export -o) as `write` produces it on
 * an fd: a regular file appears whole or not at all (written unnamed, with
 * O_TMPFILE where the file system has it, and renamed into place at the
 * end, so a kill leaves nothing); what exists and is not a regular file
 * (/dev/null, a fifo) is written into, never replaced. */
typedef int (*cli_writer_fn)(void *ctx, int fd, err_t *e);
int cli_write_output(const char *path, cli_writer_fn write, void *ctx, err_t *e);

/* docker's list of what a prune removed: "Deleted Containers:", one name a
 * line (nothing when `names` is empty); with `gap`, a blank line after. */
void cli_print_removed(const char *title, json_t *names, bool gap);

#endif
