/* Container lifecycle commands: start, stop, restart, kill, wait, attach,
 * logs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/capsule/attach.h"
#include "cli/capsule/cli.h"
#include "cli/capsule/cli_engine.h"
#include "cli/capsule/commands.h"
#include "engine/engine.h"
#include "oci/names.h"
#include "util/cleanup.h"
#include "util/timefmt.h"

/* An attached session's end: the container's status, 0 on detach. */
static int attached(const struct engine *eng, const char *id, int sock,
                    const struct attach_opts *o, err_t *e) {
  int code = 0;
  int r = attach_run(eng, id, sock, o, &code, e);
  if (r == ATTACH_LOST)
    return -1;
  return r == ATTACH_DETACHED ? 0 : code;
}

enum { OPT_ALL = 256, OPT_FILTER };

const struct cmdline_option start_options[] = {
    {'a', 'a', "attach", CMDLINE_FLAG, NULL, "Attach stdout and stderr, exit with the container"},
    {'i', 'i', "interactive", CMDLINE_FLAG, NULL, "Attach stdin too"},
    {OPT_ALL, 0, "all", CMDLINE_FLAG, NULL, "Start every container that does not run"},
    {OPT_FILTER, 'f', "filter", CMDLINE_LIST, "restart-policy=POLICY",
     "With --all: only containers of that restart policy (after a reboot)"},
    ATTACH_OPTIONS,
    CMDLINE_OPTIONS_END,
};

static void started(const char *name, const err_t *err, void *data) {
  int *status = data;
  if (!err) {
    printf("%s\n", name);
    return;
  }
  err_t copy = *err;
  *status = cli_report(&copy);
}

/* start --all [--filter restart-policy=P]... */
static int start_all(const struct engine *eng, struct cmdline_args *args, err_t *e) {
  if (args->n_operands || cmdline_has(args, 'a') || cmdline_has(args, 'i'))
    return err_set(e, EINVAL, "--all takes no container and cannot attach");
  _cleanup_free_ char **filters = cmdline_values(args, OPT_FILTER, e);
  if (!filters)
    return -1;
  size_t n = 0;
  for (; filters[n]; n++) {
    static const char key[] = "restart-policy=";
    const char *p = filters[n] + sizeof key - 1;
    if (strncmp(filters[n], key, sizeof key - 1) ||
        (strcmp(p, "no") && strcmp(p, "on-failure") && strcmp(p, "always") &&
         strcmp(p, "unless-stopped")))
      return err_set(e, EINVAL,
                     "invalid filter '%s' (want restart-policy=no|on-failure|always|"
                     "unless-stopped)", filters[n]);
    filters[n] = (char *)p;
  }
  int status = 0;
  if (engine_start_all(eng, filters, n, started, &status, e) < 0)
    return -1;
  return status;
}

CAPSULE_COMMAND(cmd_start) {
  struct engine eng = cli_engine(cli);
  bool attach = cmdline_has(args, 'a'), interactive = cmdline_has(args, 'i');
  if (cmdline_has(args, OPT_ALL))
    return start_all(&eng, args, e);
  if (cmdline_has(args, OPT_FILTER))
    return err_set(e, EINVAL, "--filter needs --all");
  if (!args->n_operands)
    return err_set(e, EINVAL, "expected at least 1 argument, got 0");
  if (!attach && !interactive) {
    int status = 0;
    for (int i = 0; i < args->n_operands; i++) {
      err_t one = ERR_INIT;
      if (engine_start(&eng, args->operands[i], -1, &one) < 0)
        status = cli_report(&one);
      else
        printf("%s\n", args->operands[i]);
    }
    return status;
  }
  if (args->n_operands != 1)
    return err_set(e, EINVAL, "you cannot start and attach multiple containers at once");
  /* Our end of the socketpair is the container's first client: no output
   * is missed between its start and our attach. */
  struct engine_attach_info info;
  struct attach_opts ao;
  int sp[2];
  if (attach_opts_parse(args, &ao, e) < 0 ||
      engine_attach_info(&eng, args->operands[0], &info, e) < 0)
    return -1;
  ao.tty = info.tty;
  ao.with_stdin = interactive && info.interactive;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
    return err_sys(e, "socketpair");
  int rc = engine_start(&eng, info.id, sp[1], e);
  close(sp[1]);
  if (rc == 0)
    rc = attached(&eng, info.id, sp[0], &ao, e);
  close(sp[0]);
  return rc;
}

enum { OPT_TIME = 't', OPT_SIGNAL = 's', OPT_NO_STDIN = 256, OPT_TAIL, OPT_SINCE, OPT_UNTIL };

const struct cmdline_option stop_options[] = {
    {OPT_TIME, 't', "time", CMDLINE_VALUE, "SECONDS",
     "Seconds to wait before killing it (default: its --stop-timeout, 10)"},
    CMDLINE_OPTIONS_END,
};

static int stop_or_restart(struct cli *cli, struct cmdline_args *args, bool restart, err_t *e) {
  int timeout = -1;
  const char *t = cmdline_value(args, OPT_TIME);
  if (t) {
    char *end;
    errno = 0;
    long v = strtol(t, &end, 10);
    if (errno || end == t || *end || v < -1 || v > 1 << 30)
      return err_set(e, EINVAL, "--time %s: expected a number of seconds", t);
    timeout = (int)v;
  }
  struct engine eng = cli_engine(cli);
  int status = 0;
  for (int i = 0; i < args->n_operands; i++) {
    err_t one = ERR_INIT;
    int r = restart ? engine_restart(&eng, args->operands[i], timeout, &one)
                    : engine_stop(&eng, args->operands[i], timeout, &one);
    if (r < 0)
      status = cli_report(&one);
    else
      printf("%s\n", args->operands[i]);
  }
  return status;
}

CAPSULE_COMMAND(cmd_stop) {
  return stop_or_restart(cli, args, false, e);
}

CAPSULE_COMMAND(cmd_restart) {
  return stop_or_restart(cli, args, true, e);
}

const struct cmdline_option kill_options[] = {
    {OPT_SIGNAL, 's', "signal", CMDLINE_VALUE, "SIGNAL", "The signal to send (default KILL)"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_kill) {
  const char *name = cmdline_value(args, OPT_SIGNAL);
  int sig = name ? signal_from_name(name) : 9;
  if (sig <= 0)
    return err_set(e, EINVAL, "--signal %s: unknown signal", name);
  struct engine eng = cli_engine(cli);
  int status = 0;
  for (int i = 0; i < args->n_operands; i++) {
    err_t one = ERR_INIT;
    if (engine_kill(&eng, args->operands[i], sig, &one) < 0)
      status = cli_report(&one);
    else
      printf("%s\n", args->operands[i]);
  }
  return status;
}

CAPSULE_COMMAND(cmd_wait) {
  (void)e;
  struct engine eng = cli_engine(cli);
  int status = 0;
  for (int i = 0; i < args->n_operands; i++) {
    err_t one = ERR_INIT;
    int code;
    if (engine_wait(&eng, args->operands[i], &code, &one) < 0)
      status = cli_report(&one);
    else
      printf("%d\n", code);
    fflush(stdout);
  }
  return status;
}

const struct cmdline_option attach_options[] = {
    {OPT_NO_STDIN, 0, "no-stdin", CMDLINE_FLAG, NULL, "Do not attach stdin"},
    ATTACH_OPTIONS,
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_attach) {
  struct engine eng = cli_engine(cli);
  struct engine_attach_info info;
  struct attach_opts ao;
  if (attach_opts_parse(args, &ao, e) < 0 ||
      engine_attach_info(&eng, args->operands[0], &info, e) < 0)
    return -1;
  ao.with_stdin = !cmdline_has(args, OPT_NO_STDIN) && info.interactive;
  _cleanup_close_ int sock = engine_attach(&eng, info.id, ao.with_stdin, &info, e);
  if (sock < 0)
    return -1;
  ao.tty = info.tty;
  return attached(&eng, info.id, sock, &ao, e);
}

const struct cmdline_option logs_options[] = {
    {'f', 'f', "follow", CMDLINE_FLAG, NULL, "Go on with new output while it runs"},
    {'t', 't', "timestamps", CMDLINE_FLAG, NULL, "Show each line's time"},
    {OPT_TAIL, 0, "tail", CMDLINE_VALUE, "N", "Only the last N lines (all: every line)"},
    {OPT_SINCE, 0, "since", CMDLINE_VALUE, "TIME",
     "From TIME (RFC 3339, Unix time, or a duration back: 10m)"},
    {OPT_UNTIL, 0, "until", CMDLINE_VALUE, "TIME", "Up to TIME"},
    CMDLINE_OPTIONS_END,
};

static int print_log(void *arg, int stream, const char *timestamp, const char *text, size_t len,
                     bool end_of_line, err_t *e) {
  (void)arg;
  FILE *out = stream == 2 ? stderr : stdout;
  if (timestamp)
    fprintf(out, "%s ", timestamp);
  fwrite(text, 1, len, out);
  if (end_of_line)
    fputc('\n', out);
  if (ferror(out))
    return err_sys(e, "write the log");
  return 0;
}

CAPSULE_COMMAND(cmd_logs) {
  struct engine_logs_opts o = {.tail = -1, .streams = (1 << 1) | (1 << 2),
                               .follow = cmdline_has(args, 'f'),
                               .timestamps = cmdline_has(args, 't')};
  const char *tail = cmdline_value(args, OPT_TAIL), *since = cmdline_value(args, OPT_SINCE),
             *until = cmdline_value(args, OPT_UNTIL);
  if (tail && strcmp(tail, "all")) {
    char *end;
    o.tail = strtoll(tail, &end, 10);
    if (end == tail || *end || o.tail < 0)
      return err_set(e, EINVAL, "--tail %s: expected a number of lines or all", tail);
  }
  int64_t now = time_now_ns();
  if ((since && time_parse_point(since, now, &o.since_ns, e) < 0) ||
      (until && time_parse_point(until, now, &o.until_ns, e) < 0))
    return err_wrap(e, "--%s", since && e->code && o.since_ns == 0 ? "since" : "until");
  /* Lines as they come with -f. */
  if (o.follow)
    setvbuf(stdout, NULL, _IOLBF, 0);
  struct engine eng = cli_engine(cli);
  return engine_logs(&eng, args->operands[0], &o, print_log, NULL, e);
}
