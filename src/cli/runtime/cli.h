/* capsule-runtime's front end: runc's command line over the runtime library. */
#ifndef CAPSULE_CLI_RUNTIME_CLI_H
#define CAPSULE_CLI_RUNTIME_CLI_H

#include <stdbool.h>

#include "runtime/runtime.h"
#include "util/cmdline.h"
#include "util/error.h"

struct cli {
  struct runtime_ctx rt;
};

/* A command (the table is in commands.c): returns the process exit code, or
 * -1 with `e` set (main.c prints it, exits 1 as runc does). */
#define RUNTIME_COMMAND(fn) int fn(struct cli *cli, struct cmdline_args *args, err_t *e)

RUNTIME_COMMAND(cmd_create);
RUNTIME_COMMAND(cmd_run);
RUNTIME_COMMAND(cmd_start);
RUNTIME_COMMAND(cmd_delete);
RUNTIME_COMMAND(cmd_kill);
RUNTIME_COMMAND(cmd_exec);
RUNTIME_COMMAND(cmd_state);
RUNTIME_COMMAND(cmd_list);
RUNTIME_COMMAND(cmd_ps);
RUNTIME_COMMAND(cmd_spec);
RUNTIME_COMMAND(cmd_features);
RUNTIME_COMMAND(cmd_update);
RUNTIME_COMMAND(cmd_pause);
RUNTIME_COMMAND(cmd_resume);
RUNTIME_COMMAND(cmd_events);
RUNTIME_COMMAND(cmd_checkpoint);
RUNTIME_COMMAND(cmd_restore);
RUNTIME_COMMAND(cmd_gen_docs);

/* Each command's options, defined next to its function. */
extern const struct cmdline_option create_options[], run_options[], delete_options[],
    kill_options[], exec_options[], list_options[], ps_options[], spec_options[],
    update_options[], events_options[], checkpoint_options[], restore_options[];

/* The global options' ids ("-v" is 'v'). */
enum {
  OPT_GLOBAL_ROOT = 256,
  OPT_GLOBAL_LOG,
  OPT_GLOBAL_LOG_FORMAT,
  OPT_GLOBAL_DEBUG,
  OPT_GLOBAL_SYSTEMD,
  OPT_GLOBAL_IGNORED,
  OPT_GLOBAL_ROOTLESS,
  OPT_GLOBAL_CGROUP_MANAGER,
};

/* The table and the global options (commands.c). */
extern const struct cmdline_program runtime_program;

/* Parse a non-negative count ("--preserve-fds 2"). */
int cli_parse_int(const char *flag, const char *s, int *out, err_t *e);
/* Parse bytes with an optional k/m/g suffix; "-1" is unlimited. */
int cli_parse_bytes(const char *flag, const char *s, int64_t *out, err_t *e);

/* An absolute, resolved bundle path ("." by default). */
char *cli_bundle_path(const char *bundle, err_t *e);

/* Print a JSON value (indented) to stdout. */
int cli_print_json(json_t *j, err_t *e);

#endif
