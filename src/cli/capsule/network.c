/* Network commands: network create/ls/inspect/rm/connect/disconnect/prune,
 * and port (docs/NETWORK.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/cli_engine.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/table.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/json.h"

enum { OPT_SUBNET = 256, OPT_GATEWAY, OPT_INTERNAL, OPT_FORMAT, OPT_NO_TRUNC };

const struct cmdline_option network_create_options[] = {
    {'d', 'd', "driver", CMDLINE_VALUE, "DRIVER", "driver of the network (bridge, the only one)"},
    {OPT_SUBNET, 0, "subnet", CMDLINE_VALUE, "CIDR", "IPv4 subnet, e.g. 10.1.2.0/24"},
    {OPT_GATEWAY, 0, "gateway", CMDLINE_VALUE, "IP", "IPv4 gateway of the subnet"},
    {OPT_INTERNAL, 0, "internal", CMDLINE_FLAG, NULL, "no outbound access (no NAT)"},
    {'l', 0, "label", CMDLINE_LIST, "KEY=VALUE", "set metadata on the network"},
    CMDLINE_OPTIONS_END};

CAPSULE_COMMAND(cmd_network_create) {
  struct network_opts o = {.name = args->operands[0], .driver = cmdline_value(args, 'd'),
                           .subnet = cmdline_value(args, OPT_SUBNET),
                           .gateway = cmdline_value(args, OPT_GATEWAY),
                           .internal = cmdline_has(args, OPT_INTERNAL)};
  _cleanup_free_ char **labels = cmdline_values(args, 'l', e);
  if (!labels)
    return -1;
  o.labels = labels;
  struct engine eng = cli_engine(cli);
  char id[65];
  if (engine_network_create(&eng, &o, id, e) < 0)
    return -1;
  printf("%s\n", id);
  return 0;
}

const struct cmdline_option network_ls_options[] = {
    {'q', 'q', "quiet", CMDLINE_FLAG, NULL, "only ids"},
    {OPT_NO_TRUNC, 0, "no-trunc", CMDLINE_FLAG, NULL, "full ids"},
    {OPT_FORMAT, 0, "format", CMDLINE_VALUE, "json", "a JSON array"},
    CMDLINE_OPTIONS_END};

CAPSULE_COMMAND(cmd_network_ls) {
  const char *format = cmdline_value(args, OPT_FORMAT);
  if (format && strcmp(format, "json"))
    return err_set(e, EINVAL, "--format %s: only json is supported", format);
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *list = NULL;
  if (engine_network_list(&eng, &list, e) < 0)
    return -1;
  if (format) {
    _cleanup_free_ char *text = json_dumps(list, JSON_INDENT(2));
    printf("%s\n", text ? text : "[]");
    return 0;
  }
  int width = cmdline_has(args, OPT_NO_TRUNC) ? 64 : 12;
  bool quiet = cmdline_has(args, 'q');
  struct table *t = quiet ? NULL : table_new();
  if (t)
    table_add(t, strdup("NETWORK ID\tNAME\tDRIVER\tSCOPE"));
  size_t i;
  json_t *n;
  json_array_foreach(list, i, n) {
    const char *id = json_string_value(json_object_get(n, "Id"));
    if (quiet) {
      printf("%.*s\n", width, id);
      continue;
    }
    char *line = NULL;
    if (asprintf(&line, "%.*s\t%s\t%s\t%s", width, id,
                 json_string_value(json_object_get(n, "Name")),
                 json_string_value(json_object_get(n, "Driver")),
                 json_string_value(json_object_get(n, "Scope"))) < 0)
      line = NULL;
    table_add(t, line);
  }
  if (t)
    table_print(t, stdout);
  return 0;
}

CAPSULE_COMMAND(cmd_network_inspect) {
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *all = json_array();
  if (!all)
    return err_sys(e, "network inspect");
  int status = 0;
  for (int i = 0; i < args->n_operands; i++) {
    json_t *one = NULL;
    err_t err = ERR_INIT;
    if (engine_network_inspect(&eng, args->operands[i], &one, &err) < 0)
      status = cli_report(&err);
    else
      json_array_append_new(all, one);
  }
  _cleanup_free_ char *text = json_dumps(all, JSON_INDENT(4));
  printf("%s\n", text ? text : "[]");
  return status;
}

CAPSULE_COMMAND(cmd_network_rm) {
  (void)e;
  struct engine eng = cli_engine(cli);
  int status = 0;
  for (int i = 0; i < args->n_operands; i++) {
    err_t err = ERR_INIT;
    if (engine_network_rm(&eng, args->operands[i], &err) < 0)
      status = cli_report(&err);
    else
      printf("%s\n", args->operands[i]);
  }
  return status;
}

const struct cmdline_option network_prune_options[] = {
    {'f', 'f', "force", CMDLINE_FLAG, NULL, "do not ask for confirmation (it never asks)"},
    CMDLINE_OPTIONS_END};

CAPSULE_COMMAND(cmd_network_prune) {
  (void)args; /* -f: capsule never asks */
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *removed = NULL;
  if (engine_network_prune(&eng, &removed, e) < 0)
    return -1;
  cli_print_removed("Deleted Networks:", removed, false);
  return 0;
}

static int connect_cmd(struct cli *cli, struct cmdline_args *args, bool connect, err_t *e) {
  struct engine eng = cli_engine(cli);
  return engine_network_connect(&eng, args->operands[0], args->operands[1], connect, e) < 0 ? -1
                                                                                             : 0;
}

CAPSULE_COMMAND(cmd_network_connect) {
  return connect_cmd(cli, args, true, e);
}

const struct cmdline_option network_disconnect_options[] = {
    {'f', 'f', "force", CMDLINE_FLAG, NULL, "accepted for docker's sake"},
    CMDLINE_OPTIONS_END};

CAPSULE_COMMAND(cmd_network_disconnect) {
  return connect_cmd(cli, args, false, e);
}

/* docker's `port`: "80/tcp -> 0.0.0.0:8080", or with a PRIVATE_PORT only
 * the host side. */
CAPSULE_COMMAND(cmd_port) {
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *ports = NULL;
  if (engine_port(&eng, args->operands[0], &ports, e) < 0)
    return -1;
  const char *want = args->n_operands > 1 ? args->operands[1] : NULL;
  char want_key[32] = "";
  if (want)
    snprintf(want_key, sizeof want_key, "%s%s", want, strchr(want, '/') ? "" : "/tcp");
  bool found = false;
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) {
    char key[32];
    const char *ip = json_string_value(json_object_get(p, "HostIp"));
    snprintf(key, sizeof key, "%d/%s", (int)json_integer_value(json_object_get(p, "ContainerPort")),
             json_string_value(json_object_get(p, "Protocol")));
    if (want && strcmp(key, want_key))
      continue;
    found = true;
    if (!want)
      printf("%s -> ", key);
    printf("%s:%d\n", ip && *ip ? ip : "0.0.0.0",
           (int)json_integer_value(json_object_get(p, "HostPort")));
  }
  if (want && !found)
    return err_set(e, ENOENT, "No public port '%s' published for %s", want_key, args->operands[0]);
  return 0;
}
