/* state, list, ps, spec, features */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/runtime/cli.h"
#include "oci/defaults.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

RUNTIME_COMMAND(cmd_state) {
  _cleanup_json_ json_t *st = NULL;
  if (runtime_state(&cli->rt, args->operands[0], &st, e) < 0)
    return -1;
  return cli_print_json(st, e) < 0 ? -1 : 0;
}

/* --format table|json (default table). */
static int parse_format(const char *s, bool *json, err_t *e) {
  if (!s)
    return 0;
  if (strcmp(s, "table") && strcmp(s, "json"))
    return err_set(e, EINVAL, "--format: expected table or json, got \"%s\"", s);
  *json = !strcmp(s, "json");
  return 0;
}

const struct cmdline_option list_options[] = {
    {'f', 'f', "format", CMDLINE_VALUE, "table|json", "output format (default table)"},
    {'q', 'q', "quiet", CMDLINE_FLAG, NULL, "only ids"},
    CMDLINE_OPTIONS_END,
};

RUNTIME_COMMAND(cmd_list) {
  bool json = false, quiet = cmdline_has(args, 'q');
  if (parse_format(cmdline_value(args, 'f'), &json, e) < 0)
    return -1;
  _cleanup_json_ json_t *list = NULL;
  if (runtime_list(&cli->rt, &list, e) < 0)
    return -1;
  if (json)
    return cli_print_json(list, e) < 0 ? -1 : 0;
  size_t i;
  json_t *st;
  if (!quiet)
    printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
           "OWNER");
  json_array_foreach(list, i, st) {
    const char *id = json_string_value(json_object_get(st, "id"));
    if (quiet) {
      printf("%s\n", id);
      continue;
    }
    json_t *pid = json_object_get(st, "pid");
    printf("%-20s %-8lld %-10s %-40s %-32s %s\n", id, pid ? (long long)json_integer_value(pid) : 0,
           json_string_value(json_object_get(st, "status")),
           json_string_value(json_object_get(st, "bundle")),
           json_string_value(json_object_get(st, "created")),
           json_string_value(json_object_get(st, "owner")));
  }
  return 0;
}

/* `ps` output (default -ef) limited to the container's processes: the
 * header, then the lines whose PID column is one of them. */
static int print_ps_table(pid_t *pids, size_t n, char **ps_args, err_t *e) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return err_sys(e, "ps");
  pid_t child = fork();
  if (child < 0) {
    err_sys(e, "ps");
    close(pipefd[0]);
    close(pipefd[1]);
    return -1;
  }
  if (child == 0) {
    dup2(pipefd[1], 1);
    char *defaults[] = {"ps", "-ef", NULL};
    size_t na = 0;
    while (ps_args && ps_args[na])
      na++;
    char **args = defaults;
    if (na) {
      if (!(args = calloc(na + 2, sizeof *args)))
        _exit(127);
      args[0] = "ps";
      memcpy(args + 1, ps_args, na * sizeof *args);
    }
    execvp("ps", args);
    _exit(127);
  }
  close(pipefd[1]);
  _cleanup_fclose_ FILE *in = fdopen(pipefd[0], "r");
  if (!in)
    close(pipefd[0]); /* ps then ends on EPIPE instead of blocking on a full pipe */
  char line[4096];
  int pid_col = -1;
  for (int lineno = 0; in && fgets(line, sizeof line, in); lineno++) {
    char copy[4096];
    memcpy(copy, line, sizeof copy);
    char *save = NULL;
    int col = 0;
    bool show = lineno == 0;
    for (char *tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
      if (lineno == 0 && !strcmp(tok, "PID"))
        pid_col = col;
      if (lineno > 0 && col == pid_col)
        for (size_t i = 0; i < n; i++)
          show |= atoi(tok) == pids[i];
      col++;
    }
    if (lineno == 0 && pid_col < 0)
      return err_set(e, EINVAL, "ps: the output has no PID column");
    if (show)
      fputs(line, stdout);
  }
  int status;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status))
    return err_set(e, ECHILD, "ps exited with an error");
  return 0;
}

const struct cmdline_option ps_options[] = {
    {'f', 'f', "format", CMDLINE_VALUE, "table|json",
     "output format (default table; json: the pids)"},
    CMDLINE_OPTIONS_END,
};

RUNTIME_COMMAND(cmd_ps) {
  bool json = false;
  if (parse_format(cmdline_value(args, 'f'), &json, e) < 0)
    return -1;
  if (json && args->n_operands > 1)
    return err_set(e, EINVAL, "ps: ps options cannot be used with --format json");
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (runtime_ps(&cli->rt, args->operands[0], &pids, &n, e) < 0)
    return -1;
  if (!json)
    return print_ps_table(pids, n, args->operands + 1, e) < 0 ? -1 : 0;
  _cleanup_json_ json_t *arr = json_array();
  bool failed = false;
  for (size_t i = 0; i < n; i++)
    json_push(arr, json_integer(pids[i]), &failed);
  if (json_built(failed, "ps", e) < 0)
    return -1;
  return cli_print_json(arr, e) < 0 ? -1 : 0;
}

enum { OPT_ROOTLESS = 256 };

const struct cmdline_option spec_options[] = {
    {'b', 'b', "bundle", CMDLINE_VALUE, "DIR", "where to write it (default: current directory)"},
    {OPT_ROOTLESS, 0, "rootless", CMDLINE_FLAG, NULL, "a config for a user namespace"},
    CMDLINE_OPTIONS_END,
};

RUNTIME_COMMAND(cmd_spec) {
  (void)cli;
  const char *bundle = cmdline_value(args, 'b');
  bool rootless = cmdline_has(args, OPT_ROOTLESS);
  if (!bundle)
    bundle = ".";
  _cleanup_free_ char *path = path_join(bundle, "config.json");
  struct stat st;
  if (!path)
    return err_sys(e, "spec");
  if (stat(path, &st) == 0)
    return err_set(e, EEXIST, "spec: %s already exists; remove it first", path);
  _cleanup_json_ json_t *spec = oci_default_spec(rootless);
  _cleanup_free_ char *text = spec ? json_dumps(spec, JSON_INDENT(2)) : NULL;
  if (!text)
    return err_set(e, ENOMEM, "spec");
  size_t len = strlen(text);
  text[len] = '\n';
  return atomic_write_at(AT_FDCWD, path, text, len + 1, 0644, e) < 0 ? err_wrap(e, "spec") : 0;
}

RUNTIME_COMMAND(cmd_features) {
  (void)cli, (void)args;
  _cleanup_json_ json_t *f = runtime_features();
  return cli_print_json(f, e) < 0 ? -1 : 0;
}
