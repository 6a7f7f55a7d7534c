/* create, run, start, delete, kill */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/runtime/cli.h"
#include "oci/names.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

enum { OPT_CONSOLE = 256, OPT_PID_FILE, OPT_NO_PIVOT, OPT_NO_KEYRING, OPT_PRESERVE, OPT_KEEP,
       OPT_CONFIG };

#define CREATE_OPTIONS                                                                         \
  {'b', 'b', "bundle", CMDLINE_VALUE, "DIR", "bundle directory (default: current directory)"}, \
      {OPT_CONSOLE, 0, "console-socket", CMDLINE_VALUE, "PATH",                                \
       "unix socket to receive the pty master"},                                               \
      {OPT_PID_FILE, 0, "pid-file", CMDLINE_VALUE, "FILE", "write the init's pid here"},       \
      {OPT_NO_PIVOT, 0, "no-pivot", CMDLINE_FLAG, NULL,                                        \
       "use chroot instead of pivot_root (unsafe on ramfs only)"},                             \
      {OPT_NO_KEYRING, 0, "no-new-keyring", CMDLINE_FLAG, NULL,                                \
       "accepted for runc compatibility"},                                                     \
      {OPT_PRESERVE, 0, "preserve-fds", CMDLINE_VALUE, "N",                                    \
       "pass fds 3..3+N-1 to the container"},                                                  \
      {OPT_CONFIG, 0, "config", CMDLINE_VALUE, "FILE",                                         \
       "the config instead of config.json (relative to the bundle, as crun)"}

const struct cmdline_option create_options[] = {CREATE_OPTIONS, CMDLINE_OPTIONS_END};

const struct cmdline_option run_options[] = {
    CREATE_OPTIONS,
    {'d', 'd', "detach", CMDLINE_FLAG, NULL, "do not wait for the container"},
    {OPT_KEEP, 0, "keep", CMDLINE_FLAG, NULL,
     "keep the container after it exits: state says stopped, delete removes it"},
    CMDLINE_OPTIONS_END,
};

/* create (is_run false) and run: the same flags, then the one call. */
static int create_or_run(struct cli *cli, struct cmdline_args *args, bool is_run, err_t *e) {
  struct create_opts o = {0};
  bool detach = false;
  const char *v;
  int id;
  while ((id = cmdline_next(args, &v)) != -1) {
    switch (id) {
    case OPT_CONSOLE: o.console_socket = v; break;
    case OPT_PID_FILE: o.pid_file = v; break;
    case OPT_NO_PIVOT: o.no_pivot = true; break;
    case OPT_NO_KEYRING: o.no_new_keyring = true; break;
    case OPT_PRESERVE:
      if (cli_parse_int("--preserve-fds", v, &o.preserve_fds, e) < 0)
        return -1;
      break;
    case 'd': detach = true; break;
    case OPT_KEEP: o.keep = true; break;
    }
  }
  _cleanup_free_ char *abs = cli_bundle_path(cmdline_value(args, 'b'), e);
  if (!abs)
    return -1;
  o.bundle = abs;
  _cleanup_json_ json_t *config = NULL;
  if ((v = cmdline_value(args, OPT_CONFIG))) {
    _cleanup_free_ char *path = v[0] == '/' ? strdup(v) : path_join(abs, v);
    if (!path || !(config = json_load_object_file(path, e)))
      return path ? -1 : err_sys(e, "--config");
    o.config = config;
  }
  const char *cid = args->operands[0];
  if (!is_run)
    return runtime_create(&cli->rt, cid, &o, e) < 0 ? -1 : 0;
  int status = 0;
  return runtime_run(&cli->rt, cid, &o, detach, &status, e) < 0 ? -1 : status;
}

RUNTIME_COMMAND(cmd_create) {
  return create_or_run(cli, args, false, e);
}

RUNTIME_COMMAND(cmd_run) {
  return create_or_run(cli, args, true, e);
}

RUNTIME_COMMAND(cmd_start) {
  return runtime_start(&cli->rt, args->operands[0], e) < 0 ? -1 : 0;
}

const struct cmdline_option delete_options[] = {
    {'f', 'f', "force", CMDLINE_FLAG, NULL, "kill the container first if it is running"},
    CMDLINE_OPTIONS_END,
};

RUNTIME_COMMAND(cmd_delete) {
  return runtime_delete(&cli->rt, args->operands[0], cmdline_has(args, 'f'), e) < 0 ? -1 : 0;
}

const struct cmdline_option kill_options[] = {
    {'a', 'a', "all", CMDLINE_FLAG, NULL, "signal every process in the container"},
    CMDLINE_OPTIONS_END,
};

RUNTIME_COMMAND(cmd_kill) {
  int sig = SIGTERM;
  const char *name = args->operands[1];
  if (name && (sig = signal_from_name(name)) < 0)
    return err_set(e, EINVAL, "kill: unknown signal \"%s\"", name);
  return runtime_kill(&cli->rt, args->operands[0], sig, cmdline_has(args, 'a'), e) < 0 ? -1 : 0;
}
