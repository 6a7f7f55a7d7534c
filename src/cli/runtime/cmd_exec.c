/* exec */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/runtime/cli.h"
#include "runtime/self_protect.h"
#include "util/cleanup.h"
#include "util/json.h"

enum { OPT_CONSOLE = 256, OPT_PID_FILE, OPT_CWD, OPT_PRESERVE, OPT_IGNORED_ARG, OPT_IGNORED };

static int add_env(char ***env, size_t *n, const char *kv, err_t *e) {
  if (!strchr(kv, '='))
    return err_set(e, EINVAL, "exec: --env \"%s\": expected KEY=VALUE", kv);
  char **grown = realloc(*env, (*n + 2) * sizeof **env);
  if (!grown)
    return err_sys(e, "exec");
  *env = grown;
  (*env)[(*n)++] = (char *)kv;
  (*env)[*n] = NULL;
  return 0;
}

int cmd_exec(struct cli *cli, int argc, char **argv, err_t *e) {
  static const struct option opts[] = {
      {"process", required_argument, NULL, 'p'},
      {"tty", no_argument, NULL, 't'},
      {"detach", no_argument, NULL, 'd'},
      {"env", required_argument, NULL, 'e'},
      {"cwd", required_argument, NULL, OPT_CWD},
      {"user", required_argument, NULL, 'u'},
      {"console-socket", required_argument, NULL, OPT_CONSOLE},
      {"pid-file", required_argument, NULL, OPT_PID_FILE},
      {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
      {"process-label", required_argument, NULL, OPT_IGNORED_ARG},
      {"apparmor", required_argument, NULL, OPT_IGNORED_ARG},
      {"no-new-privs", no_argument, NULL, OPT_IGNORED},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  /* As in runc, the terminal comes from --tty alone, never from the
   * container's process.terminal. */
  struct exec_opts o = {.tty = 0};
  const char *process_file = NULL;
  _cleanup_free_ char **env = NULL;
  size_t n_env = 0;
  int c;
  while ((c = cli_getopt(argc, argv, "+p:tde:u:h", opts, e)) != -1) {
    switch (c) {
    case 'h':
      return 0;
    case '?':
      return -1;
    case 'p':
      process_file = optarg;
      break;
    case 't':
      o.tty = 1;
      break;
    case 'd':
      o.detach = true;
      break;
    case 'e':
      if (add_env(&env, &n_env, optarg, e) < 0)
        return -1;
      break;
    case OPT_CWD:
      o.cwd = optarg;
      break;
    case 'u':
      o.user = optarg;
      break;
    case OPT_CONSOLE:
      o.console_socket = optarg;
      break;
    case OPT_PID_FILE:
      o.pid_file = optarg;
      break;
    case OPT_PRESERVE:
      if (cli_parse_int("--preserve-fds", optarg, &o.preserve_fds, e) < 0)
        return -1;
      break;
    default:
      break; /* accepted for runc compatibility, nothing to apply */
    }
  }
  if (optind >= argc)
    return err_set(e, EINVAL, "exec: missing container id (see exec --help)");
  const char *id = argv[optind++];
  _cleanup_json_ json_t *process = NULL;
  if (process_file) {
    if (optind < argc)
      return err_set(e, EINVAL, "exec: give either --process or a command, not both");
    process = !strcmp(process_file, "-") ? json_loadf(stdin, JSON_REJECT_DUPLICATES, NULL)
                                          : json_load_object_file(process_file, e);
    if (!process)
      return e->code ? err_wrap(e, "exec --process")
                     : err_set(e, EINVAL, "exec --process -: invalid JSON on stdin");
    if (!json_is_object(process))
      return err_set(e, EINVAL, "exec --process: expected a JSON object");
    o.process = process;
  } else {
    if (optind >= argc)
      return err_set(e, EINVAL, "exec: missing command (or --process)");
    o.args = argv + optind;
    o.env = env;
  }
  int status = 0;
  if (runtime_exec(&cli->rt, id, &o, &status, e) < 0)
    return -1;
  return status;
}
