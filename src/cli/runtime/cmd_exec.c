/* exec */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/runtime/cli.h"
#include "oci/names.h"
#include "runtime/self_protect.h"
#include "util/cleanup.h"
#include "util/json.h"

enum {
  OPT_CONSOLE = 256,
  OPT_PID_FILE,
  OPT_CWD,
  OPT_PRESERVE,
  OPT_IGNORED_ARG,
  OPT_NO_NEW_PRIVS,
  OPT_CGROUP,
  OPT_IGNORE_PAUSED,
};

/* Append to a NULL-terminated vector of the flag's values. */
static int push_value(char ***v, size_t *n, const char *value, err_t *e) {
  char **grown = realloc(*v, (*n + 2) * sizeof **v);
  if (!grown)
    return err_sys(e, "exec");
  *v = grown;
  (*v)[(*n)++] = (char *)value;
  (*v)[*n] = NULL;
  return 0;
}

static int add_env(char ***env, size_t *n, const char *kv, err_t *e) {
  if (!strchr(kv, '='))
    return err_set(e, EINVAL, "exec: --env \"%s\": expected KEY=VALUE", kv);
  return push_value(env, n, kv, e);
}

/* runc warns about an unknown capability and drops it; a typo in a
 * privilege flag is refused here instead. */
static int add_cap(char ***caps, size_t *n, const char *name, err_t *e) {
  if (cap_from_name(name) < 0)
    return err_set(e, EINVAL, "exec: --cap \"%s\": unknown capability (expected a name such as "
                              "CAP_NET_ADMIN)", name);
  return push_value(caps, n, name, e);
}

static int add_gid(gid_t **gids, size_t *n, const char *s, err_t *e) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || *s == '-' || v > UINT32_MAX - 1)
    return err_set(e, EINVAL, "exec: --additional-gids \"%s\": expected a group id", s);
  gid_t *grown = realloc(*gids, (*n + 1) * sizeof **gids);
  if (!grown)
    return err_sys(e, "exec");
  *gids = grown;
  (*gids)[(*n)++] = (gid_t)v;
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
      {"no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS},
      {"cap", required_argument, NULL, 'c'},
      {"additional-gids", required_argument, NULL, 'g'},
      {"cgroup", required_argument, NULL, OPT_CGROUP},
      {"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  /* As in runc, the terminal comes from --tty alone, never from the
   * container's process.terminal. */
  struct exec_opts o = {.tty = 0};
  const char *process_file = NULL;
  _cleanup_free_ char **env = NULL, **caps = NULL, **cgroups = NULL;
  _cleanup_free_ gid_t *gids = NULL;
  size_t n_env = 0, n_caps = 0, n_cgroups = 0;
  int c;
  while ((c = cli_getopt(argc, argv, "+p:tde:u:c:g:h", opts, e)) != -1) {
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
    case OPT_NO_NEW_PRIVS:
      o.no_new_privs = true;
      break;
    case 'c':
      if (add_cap(&caps, &n_caps, optarg, e) < 0)
        return -1;
      o.caps = (const char *const *)caps;
      break;
    case 'g':
      if (add_gid(&gids, &o.n_gids, optarg, e) < 0)
        return -1;
      o.gids = gids;
      break;
    case OPT_CGROUP:
      if (push_value(&cgroups, &n_cgroups, optarg, e) < 0)
        return -1;
      o.cgroups = (const char *const *)cgroups;
      break;
    case OPT_IGNORE_PAUSED:
      o.ignore_paused = true;
      break;
    default:
      break; /* --process-label, --apparmor: accepted for runc compatibility */
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
