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

const struct cmdline_option exec_options[] = {
    {'p', 'p', "process", CMDLINE_VALUE, "FILE", "process.json (an OCI process object; - for stdin)"},
    {'t', 't', "tty", CMDLINE_FLAG, NULL, "allocate a terminal"},
    {'d', 'd', "detach", CMDLINE_FLAG, NULL, "do not wait for the process"},
    {'e', 'e', "env", CMDLINE_LIST, "K=V", "add an environment variable"},
    {OPT_CWD, 0, "cwd", CMDLINE_VALUE, "DIR", "working directory"},
    {'u', 'u', "user", CMDLINE_VALUE, "UID[:GID]", "user to run as"},
    {OPT_CONSOLE, 0, "console-socket", CMDLINE_VALUE, "PATH", "unix socket to receive the pty master"},
    {OPT_PID_FILE, 0, "pid-file", CMDLINE_VALUE, "FILE", "write the process's pid here"},
    {OPT_PRESERVE, 0, "preserve-fds", CMDLINE_VALUE, "N", "pass fds 3..3+N-1 to the process"},
    {OPT_IGNORED_ARG, 0, "process-label", CMDLINE_VALUE, "LABEL", "accepted for runc compatibility", true},
    {OPT_IGNORED_ARG, 0, "apparmor", CMDLINE_VALUE, "PROFILE", "accepted for runc compatibility", true},
    {OPT_NO_NEW_PRIVS, 0, "no-new-privs", CMDLINE_FLAG, NULL,
     "set no_new_privs for the process (also with --process)"},
    {'c', 'c', "cap", CMDLINE_LIST, "CAP",
     "add CAP (CAP_NET_ADMIN...) to its bounding, effective and permitted sets (also with --process)"},
    {'g', 'g', "additional-gids", CMDLINE_LIST, "GID",
     "add a supplementary group (also with --process)"},
    {OPT_CGROUP, 0, "cgroup", CMDLINE_LIST, "[CTRL[,CTRL]:]PATH",
     "run in the existing group PATH below the container's: in every hierarchy, or (v1, "
     "repeatable) in CTRL's hierarchies"},
    {OPT_IGNORE_PAUSED, 0, "ignore-paused", CMDLINE_FLAG, NULL,
     "exec into a paused container (the process waits for resume)"},
    CMDLINE_OPTIONS_END,
};

RUNTIME_COMMAND(cmd_exec) {
  /* As in runc, the terminal comes from --tty alone, never from the
   * container's process.terminal. */
  struct exec_opts o = {.tty = 0};
  const char *process_file = NULL, *v;
  _cleanup_free_ char **env = NULL, **caps = NULL, **cgroups = NULL;
  _cleanup_free_ gid_t *gids = NULL;
  size_t n_env = 0, n_caps = 0, n_cgroups = 0;
  int c;
  while ((c = cmdline_next(args, &v)) != -1) {
    switch (c) {
    case 'p':
      process_file = v;
      break;
    case 't':
      o.tty = 1;
      break;
    case 'd':
      o.detach = true;
      break;
    case 'e':
      if (add_env(&env, &n_env, v, e) < 0)
        return -1;
      break;
    case OPT_CWD:
      o.cwd = v;
      break;
    case 'u':
      o.user = v;
      break;
    case OPT_CONSOLE:
      o.console_socket = v;
      break;
    case OPT_PID_FILE:
      o.pid_file = v;
      break;
    case OPT_PRESERVE:
      if (cli_parse_int("--preserve-fds", v, &o.preserve_fds, e) < 0)
        return -1;
      break;
    case OPT_NO_NEW_PRIVS:
      o.no_new_privs = true;
      break;
    case 'c':
      if (add_cap(&caps, &n_caps, v, e) < 0)
        return -1;
      o.caps = (const char *const *)caps;
      break;
    case 'g':
      if (add_gid(&gids, &o.n_gids, v, e) < 0)
        return -1;
      o.gids = gids;
      break;
    case OPT_CGROUP:
      if (push_value(&cgroups, &n_cgroups, v, e) < 0)
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
  const char *id = args->operands[0];
  _cleanup_json_ json_t *process = NULL;
  if (process_file) {
    if (args->n_operands > 1)
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
    if (args->n_operands < 2)
      return err_set(e, EINVAL, "exec: missing command (or --process)");
    o.args = args->operands + 1;
    o.env = env;
  }
  int status = 0;
  if (runtime_exec(&cli->rt, id, &o, &status, e) < 0)
    return -1;
  return status;
}
