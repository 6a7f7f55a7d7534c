/* capsule system df [-v]: disk usage by type, and with -v per image,
 * container and volume, in docker's sections and columns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/cli_engine.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/human.h"
#include "cli/capsule/table.h"
#include "engine/engine.h"
#include "image/ref_display.h"
#include "util/cleanup.h"
#include "util/json.h"

const struct cmdline_option system_df_options[] = {
    {'v', 'v', "verbose", CMDLINE_FLAG, NULL, "Show each image, container and volume"},
    CMDLINE_OPTIONS_END,
};

static char *df_row(const char *type, json_t *u) {
  char size[16], rec[16], *line = NULL;
  json_int_t total = json_integer_value(json_object_get(u, "Size"));
  json_int_t reclaimable = json_integer_value(json_object_get(u, "Reclaimable"));
  human_size(size, sizeof size, (uint64_t)total);
  human_size(rec, sizeof rec, (uint64_t)reclaimable);
  if (asprintf(&line, "%s\t%lld\t%lld\t%s\t%s (%lld%%)", type,
               (long long)json_integer_value(json_object_get(u, "Total")),
               (long long)json_integer_value(json_object_get(u, "Active")), size, rec,
               total ? (long long)(reclaimable * 100 / total) : 0LL) < 0)
    return NULL;
  return line;
}

static const char *str(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key)) ?: "";
}

static void bytes(char *buf, size_t cap, json_t *o, const char *key) {
  human_size(buf, cap, (uint64_t)json_integer_value(json_object_get(o, key)));
}

static void images(json_t *list) {
  struct table *t = table_new();
  table_add(t, strdup("REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\t"
                      "CONTAINERS"));
  size_t i;
  json_t *img;
  json_array_foreach(list, i, img) {
    char repo[256] = "<none>", tag[128] = "<none>", id[16], ago[64], size[16], shared[16],
         unique[16], *line = NULL;
    if (*str(img, "Ref"))
      ref_split(str(img, "Ref"), repo, tag, sizeof tag);
    short_id(id, sizeof id, str(img, "Id"), 0);
    human_ago(ago, sizeof ago, parse_rfc3339(str(img, "Created")));
    bytes(size, sizeof size, img, "Size");
    bytes(shared, sizeof shared, img, "SharedSize");
    bytes(unique, sizeof unique, img, "UniqueSize");
    if (asprintf(&line, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%lld", repo, tag, id, ago, size, shared,
                 unique, (long long)json_integer_value(json_object_get(img, "Containers"))) >= 0)
      table_add(t, line);
  }
  table_print(t, stdout);
}

static void containers(json_t *list) {
  struct table *t = table_new();
  table_add(t, strdup("CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\t"
                      "NAMES"));
  size_t i;
  json_t *c;
  json_array_foreach(list, i, c) {
    char ago[64], size[16], status[96], *line = NULL;
    human_ago(ago, sizeof ago, parse_rfc3339(str(c, "Created")));
    bytes(size, sizeof size, c, "Size");
    human_container_status(status, sizeof status, str(c, "Status"),
                           (int)json_integer_value(json_object_get(c, "ExitCode")),
                           str(c, "StartedAt"), str(c, "FinishedAt"));
    _cleanup_free_ char *command = human_command(json_object_get(c, "Command"), false);
    if (asprintf(&line, "%.12s\t%s\t%s\t%lld\t%s\t%s\t%s\t%s", str(c, "Id"),
                 ref_familiar(str(c, "Image")), command ? command : "",
                 (long long)json_integer_value(json_object_get(c, "LocalVolumes")), size, ago,
                 status, str(c, "Name")) >= 0)
      table_add(t, line);
  }
  table_print(t, stdout);
}

static void volumes(json_t *list) {
  struct table *t = table_new();
  table_add(t, strdup("VOLUME NAME\tLINKS\tSIZE"));
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    char size[16], *line = NULL;
    bytes(size, sizeof size, v, "Size");
    if (asprintf(&line, "%s\t%lld\t%s", str(v, "Name"),
                 (long long)json_integer_value(json_object_get(v, "Links")), size) >= 0)
      table_add(t, line);
  }
  table_print(t, stdout);
}

CAPSULE_COMMAND(cmd_system_df) {
  bool verbose = cmdline_has(args, 'v');
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *df = NULL;
  if (engine_system_df(&eng, verbose, &df, e) < 0)
    return -1;
  if (verbose) { /* docker's sections (no build cache here) */
    printf("Images space usage:\n\n");
    images(json_object_get(df, "ImageList"));
    printf("\nContainers space usage:\n\n");
    containers(json_object_get(df, "ContainerList"));
    printf("\nLocal Volumes space usage:\n\n");
    volumes(json_object_get(df, "VolumeList"));
    return 0;
  }
  struct table *t = table_new();
  table_add(t, strdup("TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE"));
  table_add(t, df_row("Images", json_object_get(df, "Images")));
  table_add(t, df_row("Containers", json_object_get(df, "Containers")));
  table_add(t, df_row("Local Volumes", json_object_get(df, "Volumes")));
  table_print(t, stdout);
  return 0;
}
