/* `capsule`: the user-facing front end (images, containers). Global flags,
 * then a command from the table in commands.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli/capsule/cli.h"
#include "engine/engine.h"
#include "cli/capsule/commands.h"
#include "image/store.h"
#include "runtime/self_protect.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/version.h"

struct image_store *cli_store(const struct cli *cli, int flags, err_t *e) {
  struct image_store *s = NULL;
  if (image_store_open(cli->root, flags, &s, e) < 0)
    return NULL;
  return s;
}

int cli_report(const err_t *e) {
  fprintf(stderr, "capsule: %s\n", e->msg[0] ? e->msg : "failed");
  return 1;
}

/* Hidden: the bash completion script and the man page, from the table
 * (`make install` installs them). */
CAPSULE_COMMAND(cmd_gen_docs) {
  (void)cli;
  return cmdline_write_doc(&capsule_program, args->operands[0], e);
}

static void log_to_stderr(enum log_level level, const char *msg, void *data) {
  (void)data;
  fprintf(stderr, "capsule: %s%s\n", level == LOG_ERROR ? "error: " : "warning: ", msg);
}

/* `path` made absolute against the current directory (it may not exist yet). */
static char *absolute_path(const char *path) {
  if (path[0] == '/')
    return strdup(path);
  char cwd[4096];
  char *out = NULL;
  if (!getcwd(cwd, sizeof cwd) || asprintf(&out, "%s/%s", cwd, path) < 0)
    return NULL;
  return out;
}

/* A usage error: one line naming the command and where its help is. */
static int usage_error(const char *name, const err_t *e) {
  if (*name)
    fprintf(stderr, "capsule %s: %s (see 'capsule %s --help')\n", name, e->msg, name);
  else
    fprintf(stderr, "capsule: %s (see 'capsule --help')\n", e->msg);
  return EXIT_USAGE;
}

/* Where capsule-monitor and capsule-vminit are (next to us, or as
 * CAPSULE_MONITOR and CAPSULE_VMINIT say), for every command and the
 * sealed copy a command may re-execute into (it runs from an anonymous
 * mount: its own path tells nothing then). */
static void note_helper_path(const char *env, const char *given_env, const char *name) {
  if (getenv(env))
    return;
  const char *given = getenv(given_env);
  char self[4096];
  ssize_t n = given ? 0 : readlink("/proc/self/exe", self, sizeof self - 32);
  if (given) {
    setenv(env, given, 1);
  } else if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    snprintf(slash ? slash + 1 : self, 32, "%s", name);
    setenv(env, self, 1);
  }
}

static int run(int argc, char **argv) {
  struct cli cli = {.root = IMAGE_STORE_DEFAULT_ROOT, .run_root = ENGINE_DEFAULT_RUN_ROOT};
  err_t e = ERR_INIT;
  _cleanup_cmdline_args_ struct cmdline_args g = {0};
  if (cmdline_parse(capsule_program.globals, argc - 1, argv + 1, &g, &e) < 0)
    return usage_error("", &e);
  if (g.help)
    return cmdline_write_usage(stdout, &capsule_program, NULL), 0;
  if (cmdline_has(&g, 'v'))
    return printf("capsule version %s\n", CAPSULE_VERSION) < 0 ? EXIT_FAILURE_RUN : 0;
  if (cmdline_value(&g, OPT_GLOBAL_ROOT))
    cli.root = cmdline_value(&g, OPT_GLOBAL_ROOT);
  if (cmdline_value(&g, OPT_GLOBAL_RUN_ROOT))
    cli.run_root = cmdline_value(&g, OPT_GLOBAL_RUN_ROOT);
  if (!cli.root[0] || !cli.run_root[0]) {
    fprintf(stderr, "capsule: %s: empty path\n", cli.root[0] ? "--runroot" : "--root");
    return EXIT_USAGE;
  }
  /* Containers name their root by these paths: they must not depend on
   * the directory a later command runs from. */
  _cleanup_free_ char *abs_root = absolute_path(cli.root);
  _cleanup_free_ char *abs_run_root = absolute_path(cli.run_root);
  if (!abs_root || !abs_run_root) {
    fprintf(stderr, "capsule: --root: %s\n", strerror(errno));
    return EXIT_USAGE;
  }
  cli.root = abs_root;
  cli.run_root = abs_run_root;
  const char *parent = getenv(ENGINE_CGROUP_PARENT_ENV);
  if (parent && !engine_cgroup_parent_valid(parent)) {
    fprintf(stderr, "capsule: %s=%s: expected an absolute cgroup path of [A-Za-z0-9._-] names\n",
            ENGINE_CGROUP_PARENT_ENV, parent);
    return EXIT_USAGE;
  }
  const char *cni_timeout = getenv(ENGINE_CNI_TIMEOUT_ENV);
  if (cni_timeout && !engine_cni_timeout_ms(cni_timeout)) {
    fprintf(stderr, "capsule: %s=%s: expected milliseconds, 1 to 3600000\n",
            ENGINE_CNI_TIMEOUT_ENV, cni_timeout);
    return EXIT_USAGE;
  }
  if (g.n_operands == 0) {
    cmdline_write_usage(stderr, &capsule_program, NULL);
    return EXIT_USAGE;
  }
  char **words = g.operands;
  int n_words = 0;
  const struct cmdline_command *c =
      cmdline_find(capsule_program.table, capsule_program.n, g.n_operands, words, &n_words);
  if (!c) {
    bool group = cmdline_is_group(capsule_program.table, capsule_program.n, words[0]);
    if (group && (g.n_operands == 1 || !strcmp(words[1], "--help") || !strcmp(words[1], "-h"))) {
      /* "capsule image": that group's commands */
      cmdline_write_usage(stdout, &capsule_program, words[0]);
      return 0;
    }
    if (group && g.n_operands > 1)
      fprintf(stderr, "capsule: unknown command '%s %s' (see 'capsule %s --help')\n", words[0],
              words[1], words[0]);
    else
      fprintf(stderr, "capsule: unknown command '%s' (see 'capsule --help')\n", words[0]);
    return EXIT_USAGE;
  }
  char name[128];
  snprintf(name, sizeof name, "%s%s%s", words[0], n_words > 1 ? " " : "",
           n_words > 1 ? words[1] : "");
  _cleanup_cmdline_args_ struct cmdline_args a = {0};
  if (cmdline_parse(c, g.n_operands - n_words, words + n_words, &a, &e) < 0)
    return usage_error(name, &e);
  a.name = name;
  if (a.help) {
    cmdline_write_help(stdout, "capsule", c, name);
    return 0;
  }
  note_helper_path(CLI_MONITOR_ENV, "CAPSULE_MONITOR", "capsule-monitor");
  note_helper_path(CLI_VMINIT_ENV, "CAPSULE_VMINIT", "capsule-vminit");
  int rc = (c->flags & CMDLINE_SEALED) ? runtime_ensure_sealed(argv, &e) : 0;
  if (rc == 0)
    rc = c->run(&cli, &a, &e);
  if (rc >= 0)
    return rc;
  cli_report(&e);
  return c->fail_status ? c->fail_status : 1;
}

int main(int argc, char **argv) {
  /* Keep containers that share our pid namespace out of /proc/<our pid>/exe
   * (CVE-2019-5736): only processes with CAP_SYS_PTRACE may open it now. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  log_set_sink(log_to_stderr, NULL, LOG_WARNING);
  return run(argc, argv);
}
