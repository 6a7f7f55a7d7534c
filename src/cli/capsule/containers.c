/* Container commands: run, rm. */
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
#include "cli/capsule/run_flags.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "vm/vm.h"

enum {
  OPT_RM = 256, OPT_ENTRYPOINT, OPT_NAME, OPT_HOSTNAME, OPT_PIDS, OPT_CPUS, OPT_RO, OPT_NETWORK,
  OPT_DNS, OPT_ADD_HOST, OPT_RESTART, OPT_INIT, OPT_LOG_OPT, OPT_DNS_SEARCH, OPT_DNS_OPTION,
  OPT_ALIAS, OPT_IP, OPT_VM
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
    {'i', 'i', "interactive", CMDLINE_FLAG, NULL, "Keep stdin open"},
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
    {OPT_DNS_SEARCH, 0, "dns-search", CMDLINE_LIST, "DOMAIN",
     "Set a search domain in /etc/resolv.conf (\".\": none)"},
    {OPT_DNS_OPTION, 0, "dns-option", CMDLINE_LIST, "OPTION",
     "Set a resolver option in /etc/resolv.conf"},
    {OPT_ALIAS, 0, "network-alias", CMDLINE_LIST, "NAME",
     "Another name of the container on its user network"},
    {OPT_IP, 0, "ip", CMDLINE_VALUE, "ADDRESS", "The container's IPv4 address on its user network"},
    {OPT_RESTART, 0, "restart", CMDLINE_VALUE, "POLICY",
     "Restart policy: no, on-failure[:N], always, unless-stopped"},
    {OPT_INIT, 0, "init", CMDLINE_FLAG, NULL,
     "Run a tiny init as pid 1 (reaps zombies, forwards signals)"},
    {OPT_LOG_OPT, 0, "log-opt", CMDLINE_LIST, "max-size=SIZE|max-file=N",
     "The log's size cap and rotation"},
    {OPT_VM, 0, "vm", CMDLINE_FLAG, NULL,
     "Boot the image as a QEMU microVM (docs/VM.md), in the foreground"},
    RUN_FLAGS_OPTIONS,
    ATTACH_OPTIONS,
    CMDLINE_OPTIONS_END,
};

/* What run's and create's struct run_opts borrows. */
struct run_args {
  char **env, **volumes, **entry, **publish, **dns, **add_hosts, **dns_search, **dns_options,
      **aliases;
  struct run_flags flags;
};

static void run_args_free(struct run_args *a) {
  free(a->env);
  free(a->volumes);
  free(a->entry);
  free(a->publish);
  free(a->dns);
  free(a->add_hosts);
  free(a->dns_search);
  free(a->dns_options);
  free(a->aliases);
  run_flags_free(&a->flags);
}

/* The options of run and create into `o`. */
static int parse_run(struct cli *cli, struct cmdline_args *args, struct run_opts *o,
                     struct run_args *a, err_t *e) {
  if (!(a->env = cmdline_values(args, 'e', e)) || !(a->volumes = cmdline_values(args, 'v', e)) ||
      !(a->publish = cmdline_values(args, 'p', e)) || !(a->dns = cmdline_values(args, OPT_DNS, e)) ||
      !(a->add_hosts = cmdline_values(args, OPT_ADD_HOST, e)) ||
      !(a->dns_search = cmdline_values(args, OPT_DNS_SEARCH, e)) ||
      !(a->dns_options = cmdline_values(args, OPT_DNS_OPTION, e)) ||
      !(a->aliases = cmdline_values(args, OPT_ALIAS, e)))
    return -1;
  const char *v;
  int id;
  while ((id = cmdline_next(args, &v)) != -1) {
    switch (id) {
    case OPT_RM: o->rm = true; break;
    case 'd': o->detach = true; break;
    case 'w': o->workdir = v; break;
    case 'u': o->user = v; break;
    case OPT_NAME: o->name = v; break;
    case OPT_HOSTNAME: o->hostname = v; break;
    case 't': o->tty = true; break;
    case 'i': o->interactive = true; break;
    case OPT_RESTART: o->restart = v; break;
    case OPT_INIT: o->init = true; break;
    case OPT_VM: o->vm = true; break;
    case OPT_LOG_OPT:
      if (!strncmp(v, "max-size=", 9))
        o->log_max_size = v + 9;
      else if (!strncmp(v, "max-file=", 9))
        o->log_max_file = v + 9;
      else
        return err_set(e, EINVAL, "--log-opt %s: expected max-size=SIZE or max-file=N", v);
      break;
    case 'm':
      if (engine_parse_size(v, &o->memory) < 0)
        return err_set(e, EINVAL, "--memory %s: expected a size such as 64m", v);
      break;
    case OPT_PIDS: {
      char *end;
      o->pids_limit = strtoll(v, &end, 10);
      if (end == v || *end || o->pids_limit <= 0)
        return err_set(e, EINVAL, "--pids-limit %s: expected a positive number", v);
      break;
    }
    case OPT_CPUS: {
      char *end;
      o->cpus = strtod(v, &end);
      if (end == v || *end || o->cpus <= 0)
        return err_set(e, EINVAL, "--cpus %s: expected a positive number", v);
      break;
    }
    case OPT_RO: o->read_only = true; break;
    case OPT_NETWORK: o->network = v; break;
    case OPT_IP: o->ip = v; break;
    case 'P': o->publish_all = true; break;
    }
  }
  /* An empty vector clears the image's entrypoint. */
  const char *ep = cmdline_value(args, OPT_ENTRYPOINT);
  if (ep) {
    if (!(a->entry = calloc(2, sizeof *a->entry)))
      return err_sys(e, "run");
    a->entry[0] = *ep ? (char *)ep : NULL;
  }
  o->image = args->operands[0];
  o->cmd = args->n_operands > 1 ? args->operands + 1 : NULL;
  o->env = a->env;
  o->volumes = a->volumes;
  o->entrypoint = a->entry;
  o->publish = a->publish;
  o->dns = a->dns;
  o->add_hosts = a->add_hosts;
  o->dns_search = a->dns_search;
  o->dns_options = a->dns_options;
  o->aliases = a->aliases;
  if (run_flags_apply(cli, args, o, &a->flags, e) < 0)
    return -1;
  return 0;
}

/* docker's statuses for a command that cannot be invoked (126) or is not
 * found (127): said, and returned as the command's own. */
static int run_failed(const err_t *e) {
  int status = engine_exit_status(e);
  if (status == EXIT_FAILURE_RUN)
    return -1;
  cli_report(e);
  return status;
}

CAPSULE_COMMAND(cmd_run) {
  struct run_opts o = {0};
  __attribute__((cleanup(run_args_free))) struct run_args a = {0};
  if (parse_run(cli, args, &o, &a, e) < 0)
    return -1;
  struct attach_opts ao;
  if (attach_opts_parse(args, &ao, e) < 0)
    return -1;
  ao.tty = o.tty;
  ao.with_stdin = o.interactive;
  struct engine eng = cli_engine(cli);
  int status = 0;
  _cleanup_free_ char *cid = NULL;
  if (o.vm && !vm_kvm_usable())
    fprintf(stderr, "capsule: warning: no usable KVM here (/dev/kvm): the VM runs under "
                    "QEMU's emulator (TCG), slower\n");
  /* In the foreground without --rm we are the container's first attached
   * client: its monitor outlives us, records its end and keeps its log.
   * So with --sig-proxy=false: our signals must not end the container with
   * us, and its monitor removes it (--rm) at its own end. */
  int sp[2] = {-1, -1};
  bool attached = !o.detach && (!o.rm || !ao.sig_proxy) && !o.vm;
  if (attached && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
    return err_sys(e, "socketpair");
  o.attach_fd = sp[1];
  int rc = engine_run(&eng, &o, &status, &cid, e);
  if (sp[1] >= 0)
    close(sp[1]);
  if (rc < 0) {
    if (sp[0] >= 0)
      close(sp[0]);
    return run_failed(e);
  }
  if (!attached) {
    if (o.detach)
      printf("%s\n", cid);
    return status;
  }
  int r = attach_run(&eng, cid, sp[0], &ao, &status, e);
  close(sp[0]);
  if (r == ATTACH_LOST)
    return -1;
  return r == ATTACH_DETACHED ? 0 : status;
}

CAPSULE_COMMAND(cmd_create) {
  struct run_opts o = {0};
  __attribute__((cleanup(run_args_free))) struct run_args a = {0};
  if (parse_run(cli, args, &o, &a, e) < 0)
    return -1;
  struct engine eng = cli_engine(cli);
  _cleanup_free_ char *cid = NULL;
  if (engine_create(&eng, &o, &cid, e) < 0)
    return -1;
  printf("%s\n", cid);
  return 0;
}

const struct cmdline_option rm_options[] = {
    {'f', 'f', "force", CMDLINE_FLAG, NULL, "Kill the container first if it runs"},
    {'v', 'v', "volumes", CMDLINE_FLAG, NULL, "Remove the container's anonymous volumes too"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_rm) {
  (void)e;
  bool force = cmdline_has(args, 'f'), volumes = cmdline_has(args, 'v');
  struct engine eng = cli_engine(cli);
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
