/* Container commands: run, ps, rm. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/human.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/json.h"

static struct engine engine_of(const struct cli *cli) {
  return (struct engine){.root = cli->root, .run_root = cli->run_root};
}

/* A growable NULL-terminated vector of borrowed strings. */
static int vec_add(char ***v, size_t *n, char *s) {
  char **grown = realloc(*v, (*n + 2) * sizeof **v);
  if (!grown)
    return -1;
  grown[(*n)++] = s;
  grown[*n] = NULL;
  *v = grown;
  return 0;
}

/* "64m", "1g", "512k", bytes. */
static int parse_size(const char *s, int64_t *out) {
  char *end;
  long long v = strtoll(s, &end, 10);
  long long mult = 1;
  switch (*end) {
  case 'k': case 'K': mult = 1LL << 10; end++; break;
  case 'm': case 'M': mult = 1LL << 20; end++; break;
  case 'g': case 'G': mult = 1LL << 30; end++; break;
  default: break;
  }
  if (*end == 'b' || *end == 'B')
    end++;
  if (end == s || *end || v <= 0 || v > INT64_MAX / mult)
    return -1;
  *out = v * mult;
  return 0;
}

static const char run_help[] =
    "Options:\n"
    "      --rm               remove the container when it exits\n"
    "  -d, --detach           run in the background, print the container id\n"
    "  -e, --env K=V          set an environment variable (repeatable)\n"
    "  -w, --workdir DIR      working directory inside the container\n"
    "  -u, --user USER[:GROUP] user (name or id) to run as\n"
    "      --entrypoint CMD   replace the image's entrypoint (\"\" clears it)\n"
    "      --name NAME        name the container\n"
    "      --hostname NAME    the container's hostname\n"
    "  -v, --volume SRC:DST[:ro] bind a host directory\n"
    "  -t, --tty              allocate a terminal\n"
    "  -i, --interactive      keep stdin open (it always is)\n"
    "  -m, --memory SIZE      memory limit (e.g. 64m)\n"
    "      --pids-limit N     maximum number of processes\n"
    "      --cpus N           CPUs the container may use (e.g. 0.5)\n"
    "      --read-only        mount the container's root read-only\n";

enum { OPT_RM = 256, OPT_ENTRYPOINT, OPT_NAME, OPT_HOSTNAME, OPT_PIDS, OPT_CPUS, OPT_RO };

int cmd_run(struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {
      {"rm", no_argument, NULL, OPT_RM},           {"detach", no_argument, NULL, 'd'},
      {"env", required_argument, NULL, 'e'},       {"workdir", required_argument, NULL, 'w'},
      {"user", required_argument, NULL, 'u'},      {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
      {"name", required_argument, NULL, OPT_NAME}, {"hostname", required_argument, NULL, OPT_HOSTNAME},
      {"volume", required_argument, NULL, 'v'},    {"tty", no_argument, NULL, 't'},
      {"interactive", no_argument, NULL, 'i'},     {"memory", required_argument, NULL, 'm'},
      {"pids-limit", required_argument, NULL, OPT_PIDS}, {"cpus", required_argument, NULL, OPT_CPUS},
      {"read-only", no_argument, NULL, OPT_RO},    {"help", no_argument, NULL, 'h'},
      {0}};
  struct run_opts o = {0};
  _cleanup_free_ char **env = NULL, **volumes = NULL, **entry = NULL;
  size_t n_env = 0, n_vol = 0, n_entry = 0;
  int c;
  while ((c = cli_getopt(cli, argc, argv, "de:w:u:v:tim:h", opts)) != -1) {
    switch (c) {
    case 'h':
      return cli_help(cli, run_help);
    case '?':
      return EXIT_USAGE;
    case OPT_RM: o.rm = true; break;
    case 'd': o.detach = true; break;
    case 'e':
      if (vec_add(&env, &n_env, optarg) < 0)
        return cli_usage_error(cli, "out of memory");
      break;
    case 'v':
      if (vec_add(&volumes, &n_vol, optarg) < 0)
        return cli_usage_error(cli, "out of memory");
      break;
    case 'w': o.workdir = optarg; break;
    case 'u': o.user = optarg; break;
    case OPT_ENTRYPOINT:
      /* An empty vector clears the image's entrypoint. */
      if ((*optarg && vec_add(&entry, &n_entry, optarg) < 0) ||
          (!entry && !(entry = calloc(1, sizeof *entry))))
        return cli_usage_error(cli, "out of memory");
      break;
    case OPT_NAME: o.name = optarg; break;
    case OPT_HOSTNAME: o.hostname = optarg; break;
    case 't': o.tty = true; break;
    case 'i': break;
    case 'm':
      if (parse_size(optarg, &o.memory) < 0)
        return cli_usage_error(cli, "--memory %s: expected a size such as 64m", optarg);
      break;
    case OPT_PIDS: {
      char *end;
      o.pids_limit = strtoll(optarg, &end, 10);
      if (end == optarg || *end || o.pids_limit <= 0)
        return cli_usage_error(cli, "--pids-limit %s: expected a positive number", optarg);
      break;
    }
    case OPT_CPUS: {
      char *end;
      o.cpus = strtod(optarg, &end);
      if (end == optarg || *end || o.cpus <= 0)
        return cli_usage_error(cli, "--cpus %s: expected a positive number", optarg);
      break;
    }
    case OPT_RO: o.read_only = true; break;
    }
  }
  if (cli_operands(cli, argc, 1, -1))
    return EXIT_USAGE;
  o.image = argv[optind];
  o.cmd = optind + 1 < argc ? argv + optind + 1 : NULL;
  o.env = env;
  o.volumes = volumes;
  o.entrypoint = entry;
  struct engine eng = engine_of(cli);
  err_t e = ERR_INIT;
  int status = 0;
  _cleanup_free_ char *id = NULL;
  if (engine_run(&eng, &o, &status, &id, &e) < 0)
    return cli_fail(&e);
  if (o.detach)
    printf("%s\n", id);
  return status;
}

static const char ps_help[] = "Options:\n"
                              "  -a, --all        show every container, not only running ones\n"
                              "  -q, --quiet      only ids\n"
                              "      --no-trunc   full ids\n"
                              "      --format json  a JSON array\n";

int cmd_ps(struct cli *cli, int argc, char **argv) {
  enum { OPT_NO_TRUNC = 256, OPT_FORMAT };
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"no-trunc", no_argument, NULL, OPT_NO_TRUNC},
                                       {"format", required_argument, NULL, OPT_FORMAT},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  bool all = false, quiet = false, no_trunc = false, json = false;
  int c;
  while ((c = cli_getopt(cli, argc, argv, "aqh", opts)) != -1) {
    switch (c) {
    case 'h': return cli_help(cli, ps_help);
    case '?': return EXIT_USAGE;
    case 'a': all = true; break;
    case 'q': quiet = true; break;
    case OPT_NO_TRUNC: no_trunc = true; break;
    case OPT_FORMAT:
      if (strcmp(optarg, "json"))
        return cli_usage_error(cli, "--format %s: only json is supported", optarg);
      json = true;
      break;
    }
  }
  if (cli_operands(cli, argc, 0, 0))
    return EXIT_USAGE;
  struct engine eng = engine_of(cli);
  err_t e = ERR_INIT;
  _cleanup_json_ json_t *list = NULL;
  if (engine_ps(&eng, all, &list, &e) < 0)
    return cli_fail(&e);
  if (json) {
    _cleanup_free_ char *text = json_dumps(list, JSON_INDENT(2));
    printf("%s\n", text ? text : "[]");
    return 0;
  }
  if (!quiet)
    printf("%-12s  %-24s  %-22s  %-28s  %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "STATUS",
           "NAMES");
  size_t i;
  json_t *ct;
  json_array_foreach(list, i, ct) {
    const char *id = json_string_value(json_object_get(ct, "id"));
    if (quiet) {
      printf("%.*s\n", no_trunc ? 64 : 12, id);
      continue;
    }
    char cmd[64] = "";
    size_t k, at = 0;
    json_t *arg;
    json_array_foreach(json_object_get(ct, "command"), k, arg) {
      if (at >= sizeof cmd)
        break;
      at += (size_t)snprintf(cmd + at, sizeof cmd - at, "%s%s", k ? " " : "",
                             json_string_value(arg));
    }
    char quoted[24]; /* docker shows the command quoted, cut to 20 characters */
    snprintf(quoted, sizeof quoted, "\"%.20s\"", cmd);
    char status[96];
    human_container_status(status, sizeof status,
                           json_string_value(json_object_get(ct, "status")),
                           (int)json_integer_value(json_object_get(ct, "exitCode")),
                           json_string_value(json_object_get(ct, "startedAt")),
                           json_string_value(json_object_get(ct, "finishedAt")));
    printf("%-12.*s  %-24s  %-22s  %-28s  %s\n", no_trunc ? 64 : 12, id,
           json_string_value(json_object_get(ct, "image")), quoted, status,
           json_string_value(json_object_get(ct, "name")));
  }
  return 0;
}

int cmd_rm(struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  bool force = false;
  int c;
  while ((c = cli_getopt(cli, argc, argv, "fh", opts)) != -1) {
    if (c == 'h')
      return cli_help(cli, "Options:\n  -f, --force   kill the container first if it runs\n");
    if (c == '?')
      return EXIT_USAGE;
    force = true;
  }
  if (cli_operands(cli, argc, 1, -1))
    return EXIT_USAGE;
  struct engine eng = engine_of(cli);
  int status = 0;
  for (int i = optind; i < argc; i++) {
    err_t e = ERR_INIT;
    if (engine_rm(&eng, argv[i], force, false, &e) < 0)
      status = cli_fail(&e);
    else
      printf("%s\n", argv[i]);
  }
  return status;
}
