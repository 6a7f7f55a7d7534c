/* Volume commands: volume create, ls, inspect, rm, prune (docker's). */
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
#include "util/template.h"

enum { OPT_DRIVER = 256, OPT_OPT, OPT_FORMAT_V, OPT_LABEL_V };

const struct cmdline_option volume_create_options[] = {
    {OPT_LABEL_V, 0, "label", CMDLINE_LIST, "KEY=VALUE", "Set metadata on the volume"},
    {'d', 'd', "driver", CMDLINE_VALUE, "local", "Volume driver (only local)"},
    {'o', 'o', "opt", CMDLINE_LIST, "KEY=VALUE",
     "Driver option: type=tmpfs, device=tmpfs, o=size=64m,..."},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_volume_create) {
  const char *driver = cmdline_value(args, 'd');
  if (driver && strcmp(driver, "local"))
    return err_set(e, EINVAL, "create volume: driver %s: only the local driver is supported",
                   driver);
  _cleanup_free_ char **labels = cmdline_values(args, OPT_LABEL_V, e);
  _cleanup_free_ char **opts = labels ? cmdline_values(args, 'o', e) : NULL;
  if (!opts)
    return -1;
  struct engine eng = cli_engine(cli);
  _cleanup_free_ char *name = NULL;
  if (engine_volume_create(&eng, args->n_operands ? args->operands[0] : NULL, labels, opts, &name,
                           e) < 0)
    return -1;
  printf("%s\n", name);
  return 0;
}

/* --format: "json", or a template over a volume's fields (docker's). */
static const char *const volume_fields[] = {"Name", "Driver", "Mountpoint", "Scope",
                                            "CreatedAt", "Labels", NULL};
static const char *const volume_headers[] = {"VOLUME NAME", "DRIVER", "MOUNTPOINT", "SCOPE",
                                             "CREATED", "LABELS", NULL};

struct volume_row {
  json_t *v;
  char labels[1024];
};

static const char *volume_value(void *ctx, int field) {
  struct volume_row *r = ctx;
  if (field == 5) { /* "k=v,k2=v2" as docker shows them */
    const char *k;
    json_t *val;
    size_t at = 0;
    r->labels[0] = '\0';
    json_object_foreach(json_object_get(r->v, "Labels"), k, val) {
      if (at < sizeof r->labels)
        at += (size_t)snprintf(r->labels + at, sizeof r->labels - at, "%s%s=%s", at ? "," : "",
                               k, json_string_value(val) ? json_string_value(val) : "");
    }
    return r->labels;
  }
  const char *s = json_string_value(json_object_get(r->v, volume_fields[field]));
  return s ? s : "";
}

static int print_volumes(json_t *list, const char *format, err_t *e) {
  if (!strcmp(format, "json")) {
    _cleanup_free_ char *text = json_dumps(list, JSON_INDENT(2));
    printf("%s\n", text ? text : "[]");
    return 0;
  }
  struct template *t = NULL;
  if (template_parse(format, volume_fields, &t, e) < 0)
    return -1;
  struct table *table = template_is_table(t) ? table_new() : NULL;
  if (table)
    table_add(table, template_render_header(t, volume_headers));
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    struct volume_row row = {.v = v};
    char *line = template_render(t, volume_value, &row, NULL);
    if (table)
      table_add(table, line);
    else if (line)
      printf("%s\n", line), free(line);
  }
  table_print(table, stdout);
  template_free(t);
  return 0;
}

const struct cmdline_option volume_ls_options[] = {
    {'q', 'q', "quiet", CMDLINE_FLAG, NULL, "Only volume names"},
    {'f', 'f', "filter", CMDLINE_LIST, "FILTER",
     "Filter (dangling=true|false, name=, label=KEY[=VALUE], driver=local)"},
    {OPT_FORMAT_V, 0, "format", CMDLINE_VALUE, "FORMAT",
     "json, or a template ({{.Name}} {{.Driver}} {{.Mountpoint}}...)"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_volume_ls) {
  _cleanup_free_ char **filters = cmdline_values(args, 'f', e);
  const char *format = cmdline_value(args, OPT_FORMAT_V);
  if (!filters)
    return -1;
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *list = NULL;
  if (engine_volume_list(&eng, filters, &list, e) < 0)
    return -1;
  if (format)
    return print_volumes(list, format, e);
  bool quiet = cmdline_has(args, 'q');
  if (!quiet)
    printf("%-10s%s\n", "DRIVER", "VOLUME NAME");
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    const char *name = json_string_value(json_object_get(v, "Name"));
    if (quiet)
      printf("%s\n", name);
    else
      printf("%-10s%s\n", "local", name);
  }
  return 0;
}

const struct cmdline_option volume_inspect_options[] = {
    {'f', 'f', "format", CMDLINE_VALUE, "FORMAT", "A template ({{.Name}} {{.Driver}}...)"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_volume_inspect) {
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *all = json_array();
  int status = 0;
  for (int i = 0; i < args->n_operands; i++) {
    json_t *v = NULL;
    err_t one = ERR_INIT;
    if (engine_volume_inspect(&eng, args->operands[i], &v, &one) < 0)
      status = cli_report(&one);
    else if (json_array_append_new(all, v) < 0)
      return err_set(e, ENOMEM, "volume inspect");
  }
  /* docker's inspect template sees the whole JSON (.Options too). */
  const char *format = cmdline_value(args, 'f');
  struct template *t = NULL;
  if (format && strcmp(format, "json") && template_parse_json(format, &t, e) < 0)
    return -1;
  size_t i;
  json_t *v;
  json_array_foreach(t ? all : NULL, i, v) {
    char *line = template_render_json(t, v, e);
    if (!line) {
      template_free(t);
      return -1;
    }
    printf("%s\n", line);
    free(line);
  }
  template_free(t);
  if (format && !t && print_volumes(all, format, e) < 0)
    return -1;
  _cleanup_free_ char *text = format ? NULL : json_dumps(all, JSON_INDENT(4));
  if (!format)
    printf("%s\n", text ? text : "[]");
  return status;
}

const struct cmdline_option volume_rm_options[] = {
    {'f', 'f', "force", CMDLINE_FLAG, NULL, "Do not fail on a volume that does not exist"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_volume_rm) {
  (void)e;
  struct engine eng = cli_engine(cli);
  bool force = cmdline_has(args, 'f');
  int status = 0;
  for (int i = 0; i < args->n_operands; i++) {
    err_t one = ERR_INIT;
    if (engine_volume_rm(&eng, args->operands[i], force, &one) < 0)
      status = cli_report(&one);
    else
      printf("%s\n", args->operands[i]);
  }
  return status;
}

const struct cmdline_option volume_prune_options[] = {
    {'a', 'a', "all", CMDLINE_FLAG, NULL, "Remove named volumes too, not only anonymous ones"},
    {'f', 'f', "force", CMDLINE_FLAG, NULL, "Do not ask (capsule never asks)"},
    {OPT_OPT, 0, "filter", CMDLINE_LIST, "FILTER", "Only volumes passing it (label=...)"},
    CMDLINE_OPTIONS_END,
};

/* docker's units: "1.5MB", "0B". */
static void human_size(uint64_t n, char buf[32]) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = (double)n;
  size_t u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    u++;
  }
  if (u == 0)
    snprintf(buf, 32, "%lluB", (unsigned long long)n);
  else
    snprintf(buf, 32, "%.4g%s", v, units[u]);
}

CAPSULE_COMMAND(cmd_volume_prune) {
  _cleanup_free_ char **filters = cmdline_values(args, OPT_OPT, e);
  if (!filters)
    return -1;
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *removed = NULL;
  uint64_t bytes = 0;
  if (engine_volume_prune(&eng, cmdline_has(args, 'a'), filters, &removed, &bytes, e) < 0)
    return -1;
  if (json_array_size(removed)) {
    printf("Deleted Volumes:\n");
    size_t i;
    json_t *n;
    json_array_foreach(removed, i, n) printf("%s\n", json_string_value(n));
    printf("\n");
  }
  char size[32];
  human_size(bytes, size);
  printf("Total reclaimed space: %s\n", size);
  return 0;
}
