/* Commands on a running container's processes: exec, top, pause, unpause. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/cli_engine.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/table.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/json.h"

enum { OPT_ENV_FILE = 256, OPT_PRIVILEGED };

const struct cmdline_option exec_options[] = {
    {'d', 'd', "detach", CMDLINE_FLAG, NULL, "Run the command in the background"},
    {'e', 'e', "env", CMDLINE_LIST, "KEY=VALUE",
     "Set an environment variable (KEY alone: its value here)"},
    {OPT_ENV_FILE, 0, "env-file", CMDLINE_LIST, "FILE", "Read environment variables from a file"},
    {'i', 'i', "interactive", CMDLINE_FLAG, NULL, "Keep stdin open"},
    {OPT_PRIVILEGED, 0, "privileged", CMDLINE_FLAG, NULL, "Give the command every capability"},
    {'t', 't', "tty", CMDLINE_FLAG, NULL, "Allocate a terminal"},
    {'u', 'u', "user", CMDLINE_VALUE, "USER[:GROUP]", "User (name or id) to run as"},
    {'w', 'w', "workdir", CMDLINE_VALUE, "DIR", "Working directory inside the container"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_exec) {
  struct engine eng = cli_engine(cli);
  struct engine_exec_opts o = {.cmd = args->operands + 1, .tty = cmdline_has(args, 't'),
                               .detach = cmdline_has(args, 'd'),
                               .privileged = cmdline_has(args, OPT_PRIVILEGED),
                               .workdir = cmdline_value(args, 'w'),
                               .user = cmdline_value(args, 'u')};
  _cleanup_free_ char **env_args = cmdline_values(args, 'e', e);
  _cleanup_free_ char **env_files = env_args ? cmdline_values(args, OPT_ENV_FILE, e) : NULL;
  _cleanup_strv_ char **env = NULL;
  if (!env_files || engine_env_resolve(env_args, env_files, &env, e) < 0)
    return -1;
  o.env = env;
  /* Without -i the command reads nothing of ours (docker). */
  if (!cmdline_has(args, 'i') && !o.detach) {
    _cleanup_close_ int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0)
      return err_sys(e, "stdin from /dev/null");
  }
  int status;
  /* On failure, 126 or 127 (the command) or 125, with the one line. */
  if (engine_exec(&eng, args->operands[0], &o, &status, e) < 0)
    cli_report(e);
  return status;
}

CAPSULE_COMMAND(cmd_top) {
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *top = NULL;
  if (engine_top(&eng, args->operands[0], args->operands + 1, &top, e) < 0)
    return -1;
  struct table *t = table_new();
  json_t *row, *cell;
  size_t i, k;
  /* One line per row, cells joined by tabs for the table to align. */
  json_t *rows = json_object_get(top, "Processes");
  for (i = 0; i <= json_array_size(rows); i++) {
    row = i == 0 ? json_object_get(top, "Titles") : json_array_get(rows, i - 1);
    size_t len = 1;
    json_array_foreach(row, k, cell) len += strlen(json_string_value(cell)) + 1;
    char *line = malloc(len), *at = line;
    json_array_foreach(row, k, cell) {
      if (!line)
        break;
      at = stpcpy(stpcpy(at, k ? "\t" : ""), json_string_value(cell));
    }
    table_add(t, line);
  }
  table_print(t, stdout);
  return 0;
}

static int pause_each(struct cli *cli, struct cmdline_args *args, bool pause) {
  struct engine eng = cli_engine(cli);
  int status = 0;
  for (int i = 0; i < args->n_operands; i++) {
    err_t one = ERR_INIT;
    if (engine_pause(&eng, args->operands[i], pause, &one) < 0)
      status = cli_report(&one);
    else
      printf("%s\n", args->operands[i]);
  }
  return status;
}

CAPSULE_COMMAND(cmd_pause) {
  (void)e;
  return pause_each(cli, args, true);
}

CAPSULE_COMMAND(cmd_unpause) {
  (void)e;
  return pause_each(cli, args, false);
}
