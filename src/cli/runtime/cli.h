/* capsule-runtime's front end: runc's command line over the runtime library. */
#ifndef CAPSULE_CLI_RUNTIME_CLI_H
#define CAPSULE_CLI_RUNTIME_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "runtime/runtime.h"
#include "util/error.h"

struct cli {
  struct runtime_ctx rt;
};

/* A command: parses its own flags from argv (argv[0] is the command name),
 * returns the process exit code, or -1 with `e` set. */
typedef int (*command_fn)(struct cli *cli, int argc, char **argv, err_t *e);

struct command {
  const char *name;
  command_fn run;
  const char *usage;   /* "create [options] <container-id>" */
  const char *summary; /* one line */
  const char *options; /* help text of the flags, may be NULL */
  bool enters_container; /* runs from a sealed copy of the binary (runtime/self_protect.h) */
};

int cmd_create(struct cli *, int, char **, err_t *);
int cmd_run(struct cli *, int, char **, err_t *);
int cmd_start(struct cli *, int, char **, err_t *);
int cmd_delete(struct cli *, int, char **, err_t *);
int cmd_kill(struct cli *, int, char **, err_t *);
int cmd_exec(struct cli *, int, char **, err_t *);
int cmd_state(struct cli *, int, char **, err_t *);
int cmd_list(struct cli *, int, char **, err_t *);
int cmd_ps(struct cli *, int, char **, err_t *);
int cmd_spec(struct cli *, int, char **, err_t *);
int cmd_features(struct cli *, int, char **, err_t *);
int cmd_update(struct cli *, int, char **, err_t *);
int cmd_pause(struct cli *, int, char **, err_t *);
int cmd_resume(struct cli *, int, char **, err_t *);
int cmd_events(struct cli *, int, char **, err_t *);

/* getopt_long over a command's argv; on --help prints the usage and
 * returns 'h'; an unknown flag sets `e`, returns '?'. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               err_t *e);
/* Exactly `n` positional arguments remain (after flags), else an error. */
int cli_positional(int argc, char **argv, int n, const char *what, err_t *e);
/* Print a command's --help. */
void cli_usage(const char *name);

/* Parse a non-negative count ("--preserve-fds 2"). */
int cli_parse_int(const char *flag, const char *s, int *out, err_t *e);
/* Parse bytes with an optional k/m/g suffix; "-1" is unlimited. */
int cli_parse_bytes(const char *flag, const char *s, int64_t *out, err_t *e);

/* An absolute, resolved bundle path ("." by default). */
char *cli_bundle_path(const char *bundle, err_t *e);

/* Print a JSON value (indented) to stdout. */
int cli_print_json(json_t *j, err_t *e);

#endif
