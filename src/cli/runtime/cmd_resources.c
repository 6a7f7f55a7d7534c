/* update, pause, resume */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/resources.h"
#include "cli/runtime/cli.h"
#include "util/cleanup.h"
#include "util/json.h"

enum {
  OPT_MEMORY = 256,
  OPT_MEM_RESERVATION,
  OPT_MEM_SWAP,
  OPT_CPU_SHARES,
  OPT_CPU_QUOTA,
  OPT_CPU_PERIOD,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_PIDS,
  OPT_BLKIO,
};

static int parse_i64(const char *flag, const char *s, int64_t *out, err_t *e) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end)
    return err_set(e, EINVAL, "%s: expected a number, got \"%s\"", flag, s);
  *out = v;
  return 0;
}

/* One flag into the resources; returns -1 on a bad value. */
static int apply_flag(int opt, const char *v, struct cgroup_resources *r, err_t *e) {
  int64_t n;
  switch (opt) {
  case OPT_MEMORY:
    r->has_mem_limit = true;
    return cli_parse_bytes("--memory", v, &r->mem_limit, e);
  case OPT_MEM_RESERVATION:
    r->has_mem_reservation = true;
    return cli_parse_bytes("--memory-reservation", v, &r->mem_reservation, e);
  case OPT_MEM_SWAP:
    r->has_mem_swap = true;
    return cli_parse_bytes("--memory-swap", v, &r->mem_swap, e);
  case OPT_CPU_SHARES:
    if (parse_i64("--cpu-shares", v, &n, e) < 0 || n < 0)
      return e->code ? -1 : err_set(e, EINVAL, "--cpu-shares: must not be negative");
    r->has_cpu_shares = true;
    r->cpu_shares = (uint64_t)n;
    return 0;
  case OPT_CPU_QUOTA:
    r->has_cpu_quota = true;
    return parse_i64("--cpu-quota", v, &r->cpu_quota, e);
  case OPT_CPU_PERIOD:
    if (parse_i64("--cpu-period", v, &n, e) < 0 || n <= 0)
      return e->code ? -1 : err_set(e, EINVAL, "--cpu-period: must be positive");
    r->has_cpu_period = true;
    r->cpu_period = (uint64_t)n;
    return 0;
  case OPT_CPUSET_CPUS:
    return (r->cpus = strdup(v)) ? 0 : err_sys(e, "--cpuset-cpus");
  case OPT_CPUSET_MEMS:
    return (r->mems = strdup(v)) ? 0 : err_sys(e, "--cpuset-mems");
  case OPT_PIDS:
    r->has_pids_limit = true;
    return parse_i64("--pids-limit", v, &r->pids_limit, e);
  case OPT_BLKIO:
    if (parse_i64("--blkio-weight", v, &n, e) < 0 || n < 10 || n > 1000)
      return e->code ? -1 : err_set(e, EINVAL, "--blkio-weight: must be 10 to 1000");
    r->has_blkio_weight = true;
    r->blkio_weight = (uint16_t)n;
    return 0;
  }
  return 0;
}

static int load_resources_file(const char *path, struct cgroup_resources *r, err_t *e) {
  _cleanup_json_ json_t *j = NULL;
  if (!strcmp(path, "-")) {
    json_error_t je;
    j = json_loadf(stdin, JSON_REJECT_DUPLICATES, &je);
    if (!j)
      return err_set(e, EINVAL, "--resources -: invalid JSON at line %d: %s", je.line, je.text);
    if (!json_is_object(j))
      return err_set(e, EINVAL, "--resources -: expected a JSON object");
  } else if (!(j = json_load_object_file(path, e))) {
    return err_wrap(e, "--resources");
  }
  return cgroup_resources_from_json(j, "resources", r, e);
}

int cmd_update(struct cli *cli, int argc, char **argv, err_t *e) {
  static const struct option opts[] = {
      {"resources", required_argument, NULL, 'r'},
      {"memory", required_argument, NULL, OPT_MEMORY},
      {"memory-reservation", required_argument, NULL, OPT_MEM_RESERVATION},
      {"memory-swap", required_argument, NULL, OPT_MEM_SWAP},
      {"cpu-shares", required_argument, NULL, OPT_CPU_SHARES},
      {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
      {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
      {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
      {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
      {"pids-limit", required_argument, NULL, OPT_PIDS},
      {"blkio-weight", required_argument, NULL, OPT_BLKIO},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  struct cgroup_resources flags = {0}, file = {0};
  const char *resources_file = NULL;
  bool any_flag = false;
  int ret = -1, c;
  while ((c = cli_getopt(argc, argv, "+r:h", opts, e)) != -1) {
    if (c == 'h') {
      ret = 0;
      goto out;
    }
    if (c == '?')
      goto out;
    if (c == 'r') {
      resources_file = optarg;
      continue;
    }
    any_flag = true;
    if (apply_flag(c, optarg, &flags, e) < 0)
      goto out;
  }
  if (cli_positional(argc, argv, 1, "container id", e) < 0)
    goto out;
  if (resources_file && any_flag) {
    err_set(e, EINVAL, "update: give either --resources or individual flags, not both");
    goto out;
  }
  if (!resources_file && !any_flag) {
    err_set(e, EINVAL, "update: nothing to update (see update --help)");
    goto out;
  }
  if (resources_file && load_resources_file(resources_file, &file, e) < 0)
    goto out;
  ret = runtime_update(&cli->rt, argv[optind], resources_file ? &file : &flags, e) < 0 ? -1 : 0;
out:
  cgroup_resources_free(&flags);
  cgroup_resources_free(&file);
  return ret;
}

static const struct option help_only[] = {{"help", no_argument, NULL, 'h'}, {0}};

static int freeze_cmd(struct cli *cli, int argc, char **argv, bool pause, err_t *e) {
  int c;
  while ((c = cli_getopt(argc, argv, "+h", help_only, e)) != -1)
    return c == 'h' ? 0 : -1;
  if (cli_positional(argc, argv, 1, "container id", e) < 0)
    return -1;
  int r = pause ? runtime_pause(&cli->rt, argv[optind], e) : runtime_resume(&cli->rt, argv[optind], e);
  return r < 0 ? -1 : 0;
}

int cmd_pause(struct cli *cli, int argc, char **argv, err_t *e) {
  return freeze_cmd(cli, argc, argv, true, e);
}

int cmd_resume(struct cli *cli, int argc, char **argv, err_t *e) {
  return freeze_cmd(cli, argc, argv, false, e);
}
