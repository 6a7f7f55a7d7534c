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

const struct cmdline_option update_options[] = {
    {'r', 'r', "resources", CMDLINE_VALUE, "FILE", "linux.resources JSON (- for stdin)"},
    {OPT_MEMORY, 0, "memory", CMDLINE_VALUE, "BYTES", "memory limit (k/m/g suffixes, -1 unlimited)"},
    {OPT_MEM_RESERVATION, 0, "memory-reservation", CMDLINE_VALUE, "BYTES", "memory soft limit"},
    {OPT_MEM_SWAP, 0, "memory-swap", CMDLINE_VALUE, "BYTES", "memory+swap limit"},
    {OPT_CPU_SHARES, 0, "cpu-shares", CMDLINE_VALUE, "N", "relative CPU weight"},
    {OPT_CPU_QUOTA, 0, "cpu-quota", CMDLINE_VALUE, "US", "CFS quota per period (-1 unlimited)"},
    {OPT_CPU_PERIOD, 0, "cpu-period", CMDLINE_VALUE, "US", "CFS period"},
    {OPT_CPUSET_CPUS, 0, "cpuset-cpus", CMDLINE_VALUE, "LIST", "CPUs allowed"},
    {OPT_CPUSET_MEMS, 0, "cpuset-mems", CMDLINE_VALUE, "LIST", "memory nodes allowed"},
    {OPT_PIDS, 0, "pids-limit", CMDLINE_VALUE, "N", "maximum number of processes (-1 unlimited)"},
    {OPT_BLKIO, 0, "blkio-weight", CMDLINE_VALUE, "N", "block I/O weight (10-1000)"},
    CMDLINE_OPTIONS_END,
};

RUNTIME_COMMAND(cmd_update) {
  struct cgroup_resources flags = {0}, file = {0};
  const char *resources_file = cmdline_value(args, 'r'), *v;
  bool any_flag = false;
  int ret = -1, id;
  while ((id = cmdline_next(args, &v)) != -1) {
    if (id == 'r')
      continue;
    any_flag = true;
    if (apply_flag(id, v, &flags, e) < 0)
      goto out;
  }
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
  ret = runtime_update(&cli->rt, args->operands[0], resources_file ? &file : &flags, e) < 0 ? -1 : 0;
out:
  cgroup_resources_free(&flags);
  cgroup_resources_free(&file);
  return ret;
}

RUNTIME_COMMAND(cmd_pause) {
  return runtime_pause(&cli->rt, args->operands[0], e) < 0 ? -1 : 0;
}

RUNTIME_COMMAND(cmd_resume) {
  return runtime_resume(&cli->rt, args->operands[0], e) < 0 ? -1 : 0;
}
