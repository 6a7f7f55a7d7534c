/* Container commands: run, rm. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/run_flags.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/json.h"

static struct engine engine_of(const struct cli *cli) {
  return (struct engine){.root = cli->root, .run_root = cli->run_root};
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

enum {
  OPT_RM = 256, OPT_ENTRYPOINT, OPT_NAME, OPT_HOSTNAME, OPT_PIDS, OPT_CPUS, OPT_RO, OPT_NETWORK,
  OPT_DNS, OPT_ADD_HOST
};

const struct cmdline_option run_options[] = {
    {OPT_RM, 0, "rm", CMDLINE_FLAG, NULL, "Remove the container when it exits"},
    {'d', 'd', "detach", CMDLINE_FLAG, NULL, "Run in the background, print the container ID"},
    {'e', 'e', "env", CMDLINE_LIST, "KEY=VALUE", "Set an environment variable"},
    {'w', 'w', "workdir", CMDLINE_VALUE, "DIR", "Working directory inside the container"},
    {'u', 'u', "user", CMDLINE_VALUE, "USER[:GROUP]", "User (name or id) to run as"},
    {OPT_ENTRYPOINT, 0, "entrypoint", CMDLINE_VALUE, "CMD",
     "Replace the image's entrypoint (\"\" clears it)"},
    {OPT_NAME, 0, "name", CMDLINE_VALUE, "NAME", "Name the container"},
    {OPT_HOSTNAME, 0, "hostname", CMDLINE_VALUE, "NAME", "The container's hostname"},
    {'v', 'v', "volume", CMDLINE_LIST, "[SRC:]DST[:OPTIONS]",
     "Mount a volume (NAME:), a host path (/ or ./), or an anonymous volume"},
    {'t', 't', "tty", CMDLINE_FLAG, NULL, "Allocate a terminal"},
    {'i', 'i', "interactive", CMDLINE_FLAG, NULL, "Keep stdin open (it always is)"},
    {'m', 'm', "memory", CMDLINE_VALUE, "SIZE", "Memory limit (e.g. 64m)"},
    {OPT_PIDS, 0, "pids-limit", CMDLINE_VALUE, "N", "Maximum number of processes"},
    {OPT_CPUS, 0, "cpus", CMDLINE_VALUE, "N", "CPUs the container may use (e.g. 0.5)"},
    {OPT_RO, 0, "read-only", CMDLINE_FLAG, NULL, "Mount the container's root read-only"},
    {OPT_NETWORK, 0, "network", CMDLINE_VALUE, "NETWORK",
     "none (the default), host, bridge or a network's name"},
    {OPT_NETWORK, 0, "net", CMDLINE_VALUE, "NETWORK", "Same as --network", true},
    {'p', 'p', "publish", CMDLINE_LIST, "[IP:][HOST:]PORT[/PROTO]",
     "Publish a container's port on the host (joins the bridge network)"},
    {'P', 'P', "publish-all", CMDLINE_FLAG, NULL,
     "Publish the image's exposed ports on free host ports"},
    {OPT_ADD_HOST, 0, "add-host", CMDLINE_LIST, "NAME:IP", "Add a line to /etc/hosts"},
    {OPT_DNS, 0, "dns", CMDLINE_LIST, "IP", "Set a nameserver in /etc/resolv.conf"},
    RUN_FLAGS_OPTIONS,
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_run) {
  struct run_opts o = {0};
  _cleanup_free_ char **env = cmdline_values(args, 'e', e);
  _cleanup_free_ char **volumes = cmdline_values(args, 'v', e);
  _cleanup_free_ char **entry = NULL;
  _cleanup_free_ char **publish = cmdline_values(args, 'p', e);
  _cleanup_free_ char **dns = cmdline_values(args, OPT_DNS, e);
  _cleanup_free_ char **add_hosts = cmdline_values(args, OPT_ADD_HOST, e);
  if (!env || !volumes || !publish || !dns || !add_hosts)
    return -1;
  const char *v;
  int id;
  while ((id = cmdline_next(args, &v)) != -1) {
    switch (id) {
    case OPT_RM: o.rm = true; break;
    case 'd': o.detach = true; break;
    case 'w': o.workdir = v; break;
    case 'u': o.user = v; break;
    case OPT_NAME: o.name = v; break;
    case OPT_HOSTNAME: o.hostname = v; break;
    case 't': o.tty = true; break;
    case 'm':
      if (parse_size(v, &o.memory) < 0)
        return err_set(e, EINVAL, "--memory %s: expected a size such as 64m", v);
      break;
    case OPT_PIDS: {
      char *end;
      o.pids_limit = strtoll(v, &end, 10);
      if (end == v || *end || o.pids_limit <= 0)
        return err_set(e, EINVAL, "--pids-limit %s: expected a positive number", v);
      break;
    }
    case OPT_CPUS: {
      char *end;
      o.cpus = strtod(v, &end);
      if (end == v || *end || o.cpus <= 0)
        return err_set(e, EINVAL, "--cpus %s: expected a positive number", v);
      break;
    }
    case OPT_RO: o.read_only = true; break;
    case OPT_NETWORK: o.network = v; break;
    case 'P': o.publish_all = true; break;
    }
  }
  /* An empty vector clears the image's entrypoint. */
  const char *ep = cmdline_value(args, OPT_ENTRYPOINT);
  if (ep) {
    if (!(entry = calloc(2, sizeof *entry)))
      return err_sys(e, "run");
    entry[0] = *ep ? (char *)ep : NULL;
  }
  o.image = args->operands[0];
  o.cmd = args->n_operands > 1 ? args->operands + 1 : NULL;
  o.env = env;
  o.volumes = volumes;
  o.entrypoint = entry;
  o.publish = publish;
  o.dns = dns;
  o.add_hosts = add_hosts;
  _cleanup_run_flags_ struct run_flags flags = {0};
  if (run_flags_apply(cli, args, &o, &flags, e) < 0)
    return -1;
  struct engine eng = engine_of(cli);
  int status = 0;
  _cleanup_free_ char *cid = NULL;
  if (engine_run(&eng, &o, &status, &cid, e) < 0)
    return -1;
  if (o.detach)
    printf("%s\n", cid);
  return status;
}

const struct cmdline_option rm_options[] = {
    {'f', 'f', "force", CMDLINE_FLAG, NULL, "Kill the container first if it runs"},
    {'v', 'v', "volumes", CMDLINE_FLAG, NULL, "Remove the container's anonymous volumes too"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_rm) {
  (void)e;
  bool force = cmdline_has(args, 'f'), volumes = cmdline_has(args, 'v');
  struct engine eng = engine_of(cli);
  int status = 0;
  for (int i = 0; i < args->n_operands; i++) {
    err_t one = ERR_INIT;
    if (engine_rm(&eng, args->operands[i], force, volumes, &one) < 0)
      status = cli_report(&one);
    else
      printf("%s\n", args->operands[i]);
  }
  return status;
}
