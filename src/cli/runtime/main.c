/* capsule-runtime: global flags, logging, dispatch, the one error line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/runtime/cli.h"
#include "oci/defaults.h"
#include "runtime/self_protect.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/version.h"

/* --- logging: one line per message, text or JSON, to stderr and --log. */

struct log_target {
  FILE *file;
  bool json;
};
static struct log_target log_target;

static const char *level_name(enum log_level l) {
  switch (l) {
  case LOG_ERROR:
    return "error";
  case LOG_WARNING:
    return "warning";
  case LOG_INFO:
    return "info";
  default:
    return "debug";
  }
}

static void format_line(FILE *out, bool json, enum log_level level, const char *msg) {
  char ts[64];
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (json) {
    _cleanup_json_ json_t *j =
        json_pack("{s:s, s:s, s:s}", "level", level_name(level), "msg", msg, "time", ts);
    _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text)
      fprintf(out, "%s\n", text);
  } else if (out == stderr) {
    fprintf(out, "capsule-runtime: %s%s%s\n", level == LOG_ERROR ? "" : level_name(level),
            level == LOG_ERROR ? "" : ": ", msg);
  } else {
    fprintf(out, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level_name(level), msg);
  }
  fflush(out);
}

static void log_sink(enum log_level level, const char *msg, void *data) {
  struct log_target *t = data;
  if (t->file)
    format_line(t->file, t->json, level, msg);
  else
    format_line(stderr, t->json, level, msg);
}

static void report_error(const err_t *e) {
  if (log_target.file)
    format_line(log_target.file, log_target.json, LOG_ERROR, e->msg);
  format_line(stderr, log_target.json, LOG_ERROR, e->msg);
}

static int open_log(const char *path, err_t *e) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0 || !(log_target.file = fdopen(fd, "a"))) {
    if (fd >= 0)
      close(fd);
    return err_sys(e, "--log %s", path);
  }
  return 0;
}

/* Hidden: the bash completion script and the man page, from the table
 * (`make install` installs them). */
RUNTIME_COMMAND(cmd_gen_docs) {
  (void)cli;
  return cmdline_write_doc(&runtime_program, args->operands[0], e);
}

/* The global options into cli and the log target. */
static int apply_globals(struct cli *cli, struct cmdline_args *g, bool *debug, err_t *e) {
  const char *log_path = NULL, *v;
  int id;
  while ((id = cmdline_next(g, &v)) != -1) {
    switch (id) {
    case OPT_GLOBAL_ROOT:
      cli->rt.root = v;
      break;
    case OPT_GLOBAL_LOG:
      log_path = v;
      break;
    case OPT_GLOBAL_LOG_FORMAT:
      if (strcmp(v, "text") && strcmp(v, "json"))
        return err_set(e, EINVAL, "--log-format: expected text or json, got \"%s\"", v);
      log_target.json = !strcmp(v, "json");
      break;
    case OPT_GLOBAL_DEBUG:
      *debug = true;
      break;
    case OPT_GLOBAL_SYSTEMD:
      cli->rt.systemd_cgroup = true;
      break;
    case OPT_GLOBAL_CGROUP_MANAGER:
      /* crun's "disabled" (no cgroup at all) is not offered: the commands
       * find a container's processes through its cgroup. */
      if (strcmp(v, "cgroupfs") && strcmp(v, "systemd"))
        return err_set(e, EINVAL, "--cgroup-manager: expected cgroupfs or systemd, got \"%s\"",
                       v);
      cli->rt.systemd_cgroup = !strcmp(v, "systemd");
      break;
    case OPT_GLOBAL_ROOTLESS:
      if (strcmp(v, "auto") && strcmp(v, "true") && strcmp(v, "false"))
        return err_set(e, EINVAL, "--rootless: expected auto, true or false");
      break;
    }
  }
  if (log_path && open_log(log_path, e) < 0)
    return -1;
  return 0;
}

/* Parse, look up and run the command; -1 with e set on any error. */
static int run(struct cli *cli, int argc, char **argv, err_t *e) {
  _cleanup_cmdline_args_ struct cmdline_args g = {0};
  bool debug = false;
  int r = cmdline_parse(runtime_program.globals, argc - 1, argv + 1, &g, e);
  if (r == 0 && g.help)
    return cmdline_write_usage(stdout, &runtime_program, NULL), 0;
  if (r == 0 && cmdline_has(&g, 'v'))
    return printf("capsule-runtime version %s\nspec: %s\n", CAPSULE_VERSION, OCI_VERSION_MAX), 0;
  if (r == 0)
    r = apply_globals(cli, &g, &debug, e);
  log_set_sink(log_sink, &log_target, debug ? LOG_DEBUG : LOG_WARNING);
  if (r < 0)
    return -1;
  if (g.n_operands == 0) {
    cmdline_write_usage(stderr, &runtime_program, NULL);
    return err_set(e, EINVAL, "no command given");
  }
  int words = 0;
  const struct cmdline_command *cmd =
      cmdline_find(runtime_program.table, runtime_program.n, g.n_operands, g.operands, &words);
  if (!cmd)
    return err_set(e, EINVAL, "unknown command \"%s\" (see --help)", g.operands[0]);
  _cleanup_cmdline_args_ struct cmdline_args a = {0};
  if (cmdline_parse(cmd, g.n_operands - words, g.operands + words, &a, e) < 0)
    return err_wrap(e, "%s", cmd->name);
  if (a.help) {
    cmdline_write_help(stdout, "capsule-runtime", cmd, NULL);
    return 0;
  }
  /* Before anything exists or stdin (exec --process -) is read: the copy
   * parses this same command line again. */
  if ((cmd->flags & CMDLINE_SEALED) && runtime_ensure_sealed(argv, e) < 0)
    return -1;
  return cmd->run(cli, &a, e);
}

int main(int argc, char **argv) {
  /* Keep containers that share our pid namespace out of /proc/<our pid>/exe
   * (CVE-2019-5736): only processes with CAP_SYS_PTRACE may open it now. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct cli cli = {.rt = {.root = RUNTIME_DEFAULT_ROOT}};
  err_t e = ERR_INIT;
  int code = run(&cli, argc, argv, &e);
  if (code < 0) {
    report_error(&e);
    return 1;
  }
  return code;
}
