/* What every `capsule` command shares: the global options, error and usage
 * printing, and flag parsing with one-line errors. */
#ifndef CAPSULE_CLI_CAPSULE_CLI_H
#define CAPSULE_CLI_CAPSULE_CLI_H

#include <getopt.h>

#include "image/store.h"
#include "util/error.h"

#define CAPSULE_VERSION "0.1.0"

/* Exit statuses of the front end. */
#define EXIT_USAGE 2 /* bad flags or arguments */

struct cli {
  const char *root; /* --root, default IMAGE_STORE_DEFAULT_ROOT */
  const char *run_root; /* --runroot: the runtime's state, default ENGINE_DEFAULT_RUN_ROOT */
  const char *cmd;  /* the command as typed: "images", "image inspect" */
  const char *usage; /* its usage line (after the name) */
};

/* Open the image store under --root (see image_store_open for `flags`). */
struct image_store *cli_store(const struct cli *cli, int flags, err_t *e);

/* Print "capsule: <e->msg>" on stderr; returns 1 (the exit status). */
int cli_fail(const err_t *e);
/* Print "capsule <cmd>: <msg>" and a hint to --help on stderr; returns EXIT_USAGE. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print the command's usage (and `options`, a multi-line help text or NULL)
 * on stdout; returns 0. */
int cli_help(const struct cli *cli, const char *options);

/* getopt_long for a command: returns the option (like getopt_long), -1 at the
 * end of options, or '?' after printing a one-line error for an unknown flag
 * or a missing value (the caller returns EXIT_USAGE). "-h"/"--help" is
 * returned as 'h' when listed in `shortopts`/`longopts`. Parsing stops at the
 * first operand (so "run IMG cmd -x" keeps "-x" for the command). */
int cli_getopt(const struct cli *cli, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* The number of operands left after option parsing must be within [min, max]
 * (max < 0: no upper bound); otherwise a usage error is printed and
 * EXIT_USAGE returned. 0 when fine. */
int cli_operands(const struct cli *cli, int argc, int min, int max);

#endif
