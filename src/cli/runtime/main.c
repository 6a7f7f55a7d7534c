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

static const struct command commands[] = {
    {"create", cmd_create, "create [options] <container-id>", "create a container",
     "  -b, --bundle DIR        bundle directory (default: current directory)\n"
     "      --console-socket P  unix socket to receive the pty master\n"
     "      --pid-file FILE     write the init's pid here\n"
     "      --no-pivot          use chroot instead of pivot_root (unsafe on ramfs only)\n"
     "      --no-new-keyring    accepted for runc compatibility\n"
     "      --preserve-fds N    pass fds 3..3+N-1 to the container\n",
     true},
    {"run", cmd_run, "run [options] <container-id>", "create and start a container",
     "  -b, --bundle DIR        bundle directory (default: current directory)\n"
     "  -d, --detach            do not wait for the container\n"
     "      --console-socket P  unix socket to receive the pty master\n"
     "      --pid-file FILE     write the init's pid here\n"
     "      --no-pivot          use chroot instead of pivot_root\n"
     "      --no-new-keyring    accepted for runc compatibility\n"
     "      --preserve-fds N    pass fds 3..3+N-1 to the container\n"
     "      --keep              keep the container after it exits: state says stopped,\n"
     "                          delete removes it\n",
     true},
    {"start", cmd_start, "start <container-id>", "start a created container", NULL},
    {"delete", cmd_delete, "delete [options] <container-id>", "delete a container",
     "  -f, --force             kill the container first if it is running\n"},
    {"kill", cmd_kill, "kill [options] <container-id> [signal]",
     "send a signal (name or number, default TERM) to the container's init",
     "  -a, --all               signal every process in the container\n"},
    {"exec", cmd_exec, "exec [options] <container-id> [command [args...]]",
     "run a process in a running container",
     "  -p, --process FILE      process.json (an OCI process object; - for stdin)\n"
     "  -t, --tty               allocate a terminal\n"
     "  -d, --detach            do not wait for the process\n"
     "  -e, --env K=V           add an environment variable (repeatable)\n"
     "      --cwd DIR           working directory\n"
     "  -u, --user UID[:GID]    user to run as\n"
     "      --console-socket P  unix socket to receive the pty master\n"
     "      --pid-file FILE     write the process's pid here\n"
     "      --preserve-fds N    pass fds 3..3+N-1 to the process\n"
     "      --no-new-privs      set no_new_privs for the process (also with --process)\n"
     "  -c, --cap CAP           add CAP (CAP_NET_ADMIN...) to its bounding, effective and\n"
     "                          permitted sets (repeatable; also with --process)\n"
     "  -g, --additional-gids GID\n"
     "                          add a supplementary group (repeatable; also with --process)\n"
     "      --cgroup [CTRL[,CTRL]:]PATH\n"
     "                          run in the existing group PATH below the container's: in\n"
     "                          every hierarchy, or (v1, repeatable) in CTRL's hierarchies\n"
     "      --ignore-paused     exec into a paused container (the process waits for resume)\n",
     true},
    {"state", cmd_state, "state <container-id>", "print the container's state as JSON", NULL},
    {"list", cmd_list, "list [options]", "list containers",
     "  -f, --format table|json output format (default table)\n"
     "  -q, --quiet             only ids\n"},
    {"ps", cmd_ps, "ps [options] <container-id> [ps options]",
     "list the container's processes",
     "  -f, --format table|json output format (default table; json: the pids)\n"},
    {"spec", cmd_spec, "spec [options]", "write a default config.json",
     "  -b, --bundle DIR        where to write it (default: current directory)\n"
     "      --rootless          a config for a user namespace\n"},
    {"features", cmd_features, "features", "print the runtime-spec features JSON", NULL},
    {"update", cmd_update, "update [options] <container-id>", "change resource limits",
     "  -r, --resources FILE    linux.resources JSON (- for stdin)\n"
     "      --memory BYTES      memory limit (k/m/g suffixes, -1 unlimited)\n"
     "      --memory-reservation BYTES\n"
     "      --memory-swap BYTES memory+swap limit\n"
     "      --cpu-shares N      relative CPU weight\n"
     "      --cpu-quota US      CFS quota per period (-1 unlimited)\n"
     "      --cpu-period US     CFS period\n"
     "      --cpuset-cpus LIST  CPUs allowed\n"
     "      --cpuset-mems LIST  memory nodes allowed\n"
     "      --pids-limit N      maximum number of processes (-1 unlimited)\n"
     "      --blkio-weight N    block I/O weight (10-1000)\n"},
    {"events", cmd_events, "events [options] <container-id>",
     "print the container's usage (cpu, memory, pids, blkio) and OOM events as JSON",
     "      --stats             print one stats event and exit\n"
     "      --interval D        stats every D (a duration: 5s, 100ms, 1m30s; default 5s),\n"
     "                          and an oom event when a process is killed for lack of\n"
     "                          memory, until the container stops\n"},
    {"pause", cmd_pause, "pause <container-id>", "freeze every process of the container", NULL},
    {"resume", cmd_resume, "resume <container-id>", "thaw a paused container", NULL},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name) {
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (!strcmp(commands[i].name, name))
      return &commands[i];
  return NULL;
}

void cli_usage(const char *name) {
  const struct command *c = find_command(name);
  if (!c)
    return;
  printf("Usage: capsule-runtime [global options] %s\n\n%s\n", c->usage, c->summary);
  if (c->options)
    printf("\nOptions:\n%s", c->options);
}

static void main_usage(FILE *out) {
  fprintf(out,
          "Usage: capsule-runtime [global options] <command> [options] [arguments]\n\n"
          "An OCI runtime, command-line compatible with runc.\n\nCommands:\n");
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nGlobal options:\n"
               "      --root DIR          state directory (default " RUNTIME_DEFAULT_ROOT ")\n"
               "      --log FILE          also write warnings and errors to FILE\n"
               "      --log-format text|json\n"
               "      --debug             log debug messages\n"
               "      --systemd-cgroup    use systemd to manage cgroups (needs systemd)\n"
               "  -v, --version           print the version\n"
               "  -h, --help              this help\n"
               "\nRun 'capsule-runtime <command> --help' for a command's options.\n");
}

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

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_IGNORED, OPT_ROOTLESS };

static int parse_globals(struct cli *cli, int argc, char **argv, bool *debug, err_t *e) {
  static const struct option opts[] = {
      {"root", required_argument, NULL, OPT_ROOT},
      {"log", required_argument, NULL, OPT_LOG},
      {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
      {"debug", no_argument, NULL, OPT_DEBUG},
      {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
      {"criu", required_argument, NULL, OPT_IGNORED},
      {"rootless", required_argument, NULL, OPT_ROOTLESS},
      {"version", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  const char *log_path = NULL;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
    switch (c) {
    case OPT_ROOT:
      cli->rt.root = optarg;
      break;
    case OPT_LOG:
      log_path = optarg;
      break;
    case OPT_LOG_FORMAT:
      if (strcmp(optarg, "text") && strcmp(optarg, "json"))
        return err_set(e, EINVAL, "--log-format: expected text or json, got \"%s\"", optarg);
      log_target.json = !strcmp(optarg, "json");
      break;
    case OPT_DEBUG:
      *debug = true;
      break;
    case OPT_SYSTEMD:
      cli->rt.systemd_cgroup = true;
      break;
    case OPT_IGNORED:
      break;
    case OPT_ROOTLESS:
      if (strcmp(optarg, "auto") && strcmp(optarg, "true") && strcmp(optarg, "false"))
        return err_set(e, EINVAL, "--rootless: expected auto, true or false");
      break;
    case 'v':
      printf("capsule-runtime version %s\nspec: %s\n", CAPSULE_VERSION, OCI_VERSION_MAX);
      return 'v';
    case 'h':
      main_usage(stdout);
      return 'h';
    default:
      return err_set(e, EINVAL, "unknown global option \"%s\" (see --help)", argv[optind - 1]);
    }
  }
  if (log_path && open_log(log_path, e) < 0)
    return -1;
  return 0;
}

int main(int argc, char **argv) {
  /* Keep containers that share our pid namespace out of /proc/<our pid>/exe
   * (CVE-2019-5736): only processes with CAP_SYS_PTRACE may open it now. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct cli cli = {.rt = {.root = RUNTIME_DEFAULT_ROOT}};
  err_t e = ERR_INIT;
  bool debug = false;
  int r = parse_globals(&cli, argc, argv, &debug, &e);
  if (r == 'v' || r == 'h')
    return 0;
  log_set_sink(log_sink, &log_target, debug ? LOG_DEBUG : LOG_WARNING);
  if (r < 0) {
    report_error(&e);
    return 1;
  }
  if (optind >= argc) {
    main_usage(stderr);
    return 1;
  }
  const struct command *cmd = find_command(argv[optind]);
  if (!cmd) {
    err_set(&e, EINVAL, "unknown command \"%s\" (see --help)", argv[optind]);
    report_error(&e);
    return 1;
  }
  int cargc = argc - optind;
  char **cargv = argv + optind;
  optind = 0; /* reset getopt for the command's own flags */
  /* Before anything exists or stdin (exec --process -) is read: the copy
   * parses this same command line again. */
  int code = cmd->enters_container ? runtime_ensure_sealed(argv, &e) : 0;
  if (code == 0)
    code = cmd->run(&cli, cargc, cargv, &e);
  if (code < 0) {
    report_error(&e);
    return 1;
  }
  return code;
}
