/* create, run, start, delete, kill */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/runtime/cli.h"
#include "oci/names.h"
#include "util/cleanup.h"

enum { OPT_CONSOLE = 256, OPT_PID_FILE, OPT_NO_PIVOT, OPT_NO_KEYRING, OPT_PRESERVE, OPT_KEEP };

static const struct option create_opts[] = {
    {"bundle", required_argument, NULL, 'b'},
    {"console-socket", required_argument, NULL, OPT_CONSOLE},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
    {"no-new-keyring", no_argument, NULL, OPT_NO_KEYRING},
    {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
    {"detach", no_argument, NULL, 'd'},
    {"keep", no_argument, NULL, OPT_KEEP},
    {"help", no_argument, NULL, 'h'},
    {0},
};

/* Flags shared by create and run; *detach only exists for run. */
static int parse_create(int argc, char **argv, bool allow_detach, struct create_opts *o,
                        const char **bundle, bool *detach, err_t *e) {
  int c;
  while ((c = cli_getopt(argc, argv, allow_detach ? "+b:dh" : "+b:h", create_opts, e)) != -1) {
    switch (c) {
    case 'h':
      return 'h';
    case '?':
      return -1;
    case 'b':
      *bundle = optarg;
      break;
    case OPT_CONSOLE:
      o->console_socket = optarg;
      break;
    case OPT_PID_FILE:
      o->pid_file = optarg;
      break;
    case OPT_NO_PIVOT:
      o->no_pivot = true;
      break;
    case OPT_NO_KEYRING:
      o->no_new_keyring = true;
      break;
    case OPT_PRESERVE:
      if (cli_parse_int("--preserve-fds", optarg, &o->preserve_fds, e) < 0)
        return -1;
      break;
    case 'd':
      if (!allow_detach)
        return err_set(e, EINVAL, "%s: unknown option \"--detach\"", argv[0]);
      *detach = true;
      break;
    case OPT_KEEP:
      if (!allow_detach)
        return err_set(e, EINVAL, "%s: unknown option \"--keep\"", argv[0]);
      o->keep = true;
      break;
    }
  }
  return cli_positional(argc, argv, 1, "container id", e);
}

/* create (is_run false) and run: the same flags, then the one call. */
static int create_or_run(struct cli *cli, int argc, char **argv, bool is_run, err_t *e) {
  struct create_opts o = {0};
  const char *bundle = NULL;
  bool detach = false;
  int r = parse_create(argc, argv, is_run, &o, &bundle, &detach, e);
  if (r)
    return r == 'h' ? 0 : -1;
  _cleanup_free_ char *abs = cli_bundle_path(bundle, e);
  if (!abs)
    return -1;
  o.bundle = abs;
  if (!is_run)
    return runtime_create(&cli->rt, argv[optind], &o, e) < 0 ? -1 : 0;
  int status = 0;
  return runtime_run(&cli->rt, argv[optind], &o, detach, &status, e) < 0 ? -1 : status;
}

int cmd_create(struct cli *cli, int argc, char **argv, err_t *e) {
  return create_or_run(cli, argc, argv, false, e);
}

int cmd_run(struct cli *cli, int argc, char **argv, err_t *e) {
  return create_or_run(cli, argc, argv, true, e);
}

static const struct option help_only[] = {{"help", no_argument, NULL, 'h'}, {0}};

/* Commands whose only argument is the id. */
static int id_only(int argc, char **argv, err_t *e) {
  int c;
  while ((c = cli_getopt(argc, argv, "+h", help_only, e)) != -1)
    if (c == 'h' || c == '?')
      return c;
  return cli_positional(argc, argv, 1, "container id", e);
}

int cmd_start(struct cli *cli, int argc, char **argv, err_t *e) {
  int r = id_only(argc, argv, e);
  if (r)
    return r == 'h' ? 0 : -1;
  return runtime_start(&cli->rt, argv[optind], e) < 0 ? -1 : 0;
}

int cmd_delete(struct cli *cli, int argc, char **argv, err_t *e) {
  static const struct option opts[] = {
      {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
  bool force = false;
  int c;
  while ((c = cli_getopt(argc, argv, "+fh", opts, e)) != -1) {
    if (c == 'h')
      return 0;
    if (c == '?')
      return -1;
    force = true;
  }
  if (cli_positional(argc, argv, 1, "container id", e) < 0)
    return -1;
  return runtime_delete(&cli->rt, argv[optind], force, e) < 0 ? -1 : 0;
}

int cmd_kill(struct cli *cli, int argc, char **argv, err_t *e) {
  static const struct option opts[] = {
      {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {0}};
  bool all = false;
  int c;
  while ((c = cli_getopt(argc, argv, "+ah", opts, e)) != -1) {
    if (c == 'h')
      return 0;
    if (c == '?')
      return -1;
    all = true;
  }
  int left = argc - optind;
  if (left < 1 || left > 2)
    return err_set(e, EINVAL, "kill: expected <container-id> [signal] (see kill --help)");
  int sig = SIGTERM;
  if (left == 2 && (sig = signal_from_name(argv[optind + 1])) < 0)
    return err_set(e, EINVAL, "kill: unknown signal \"%s\"", argv[optind + 1]);
  return runtime_kill(&cli->rt, argv[optind], sig, all, e) < 0 ? -1 : 0;
}
