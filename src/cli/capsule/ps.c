/* capsule ps: docker's columns, filters and --format. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/human.h"
#include "cli/capsule/table.h"
#include "engine/engine.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/template.h"

enum { OPT_NO_TRUNC = 256, OPT_FORMAT, OPT_FILTER };

const struct cmdline_option ps_options[] = {
    {'a', 'a', "all", CMDLINE_FLAG, NULL, "Show every container (default: only running ones)"},
    {OPT_FILTER, 'f', "filter", CMDLINE_LIST, "KEY=VALUE",
     "Only containers that match: status=, name=, id=, label=KEY[=VALUE], ancestor=IMAGE, "
     "exited=CODE, before=|since=CONTAINER, volume=, network="},
    {OPT_FORMAT, 0, "format", CMDLINE_VALUE, "TEMPLATE",
     "Go template over .ID .Image .Command .CreatedAt .RunningFor .Ports .State .Status .Size "
     ".Names .Labels .Mounts .Networks .Runtime (runc, or vm: run --vm); \"table ...\" with "
     "headers; \"json\""},
    {'n', 'n', "last", CMDLINE_VALUE, "N", "Show the N last created containers (all states)"},
    {'l', 'l', "latest", CMDLINE_FLAG, NULL, "Show the last created container (all states)"},
    {OPT_NO_TRUNC, 0, "no-trunc", CMDLINE_FLAG, NULL, "Full IDs and commands"},
    {'q', 'q', "quiet", CMDLINE_FLAG, NULL, "Only IDs"},
    {'s', 's', "size", CMDLINE_FLAG, NULL, "Show each container's size"},
    CMDLINE_OPTIONS_END,
};

/* The row's fields, as docker's --format names them. */
static const char *const fields[] = {"ID",     "Image",  "Command", "CreatedAt", "RunningFor",
                                     "Ports",  "State",  "Status",  "Size",      "Names",
                                     "Labels", "Mounts", "Networks", "Runtime", NULL};
static const char *const headers[] = {"CONTAINER ID", "IMAGE",  "COMMAND", "CREATED AT",
                                      "CREATED",      "PORTS",  "STATE",   "STATUS",
                                      "SIZE",         "NAMES",  "LABELS",  "MOUNTS",
                                      "NETWORKS",     "RUNTIME"};
#define N_FIELDS (sizeof headers / sizeof headers[0])
enum field { F_ID, F_IMAGE, F_COMMAND, F_CREATED_AT, F_RUNNING_FOR, F_PORTS, F_STATE, F_STATUS,
             F_SIZE, F_NAMES, F_LABELS, F_MOUNTS, F_NETWORKS, F_RUNTIME };

struct row {
  char *v[N_FIELDS];
};

static void row_free(struct row *r) {
  for (size_t i = 0; i < N_FIELDS; i++)
    free(r->v[i]);
}

static char *labels_cell(json_t *labels) {
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  const char *k;
  json_t *v;
  bool first = true;
  json_object_foreach(labels, k, v) {
    if (f)
      fprintf(f, "%s%s=%s", first ? "" : ",", k, json_string_value(v));
    first = false;
  }
  return memstream_text(f, &s);
}

/* "a,b": the strings of a list, or of each object's `key` (else `alt`). */
static char *list_cell(json_t *list, const char *key, const char *alt) {
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  size_t i;
  json_t *item;
  json_array_foreach(list, i, item) {
    const char *v = key ? json_string_value(json_object_get(item, key)) : json_string_value(item);
    if (key && (!v || !*v))
      v = json_string_value(json_object_get(item, alt));
    if (f)
      fprintf(f, "%s%s", i ? "," : "", v ? v : "");
  }
  return memstream_text(f, &s);
}

/* "2024-05-01 12:00:00 +0000 UTC", docker's CreatedAt. */
static char *created_at(const char *rfc3339) {
  time_t t = parse_rfc3339(rfc3339);
  struct tm tm;
  char buf[64];
  if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm))
    return strdup("");
  return strdup(buf);
}

static char *size_cell(struct image_store *s, json_t *ct, uint64_t rw) {
  char own[32], virt[32], *out = NULL;
  struct image_info img = {0};
  err_t ignored = ERR_INIT;
  uint64_t image = s && image_store_resolve(s, json_string_value(json_object_get(ct, "imageManifest")),
                                            &img, &ignored) == 0
                       ? img.size
                       : 0;
  image_info_free(&img);
  human_size(own, sizeof own, rw);
  human_size(virt, sizeof virt, rw + image);
  return asprintf(&out, "%s (virtual %s)", own, virt) < 0 ? NULL : out;
}

/* A row's cells, each computed when the template first asks for it (a
 * table shows 7 of the 14: ps -a over many containers spends its time
 * here). */
struct row_ctx {
  struct row r;
  json_t *ct;
  bool no_trunc, failed;
  const struct engine *eng;
  struct image_store *sizes;
};

static char *cell(struct row_ctx *c, enum field field) {
  json_t *ct = c->ct;
  const char *id = json_string_value(json_object_get(ct, "id"));
  const char *status = json_string_value(json_object_get(ct, "status"));
  const char *created = json_string_value(json_object_get(ct, "created"));
  char buf[96];
  switch (field) {
  case F_ID:
    return strndup(id, c->no_trunc ? 64 : 12);
  case F_IMAGE:
    return strdup(json_string_value(json_object_get(ct, "image")));
  case F_COMMAND:
    return human_command(json_object_get(ct, "command"), c->no_trunc);
  case F_CREATED_AT:
    return created_at(created);
  case F_RUNNING_FOR:
    human_ago(buf, sizeof buf, parse_rfc3339(created));
    return strdup(buf);
  case F_PORTS:
    return strdup(json_string_value(json_object_get(ct, "ports")) ?: "");
  case F_STATE:
    return strdup(status);
  case F_STATUS:
    human_container_status(buf, sizeof buf, status,
                           (int)json_integer_value(json_object_get(ct, "exitCode")),
                           json_string_value(json_object_get(ct, "startedAt")),
                           json_string_value(json_object_get(ct, "finishedAt")));
    return strdup(buf);
  case F_SIZE:
    return c->sizes ? size_cell(c->sizes, ct, engine_container_size(c->eng, id)) : strdup("");
  case F_NAMES:
    return strdup(json_string_value(json_object_get(ct, "name")));
  case F_LABELS:
    return labels_cell(json_object_get(ct, "labels"));
  case F_MOUNTS:
    return list_cell(json_object_get(ct, "mounts"), "Name", "Source");
  case F_NETWORKS:
    return list_cell(json_object_get(ct, "networks"), NULL, NULL);
  case F_RUNTIME:
    return strdup(json_string_value(json_object_get(ct, "runtime")) ?: "runc");
  }
  return NULL;
}

static const char *row_value(void *ctx, int field) {
  struct row_ctx *c = ctx;
  if (field < 0 || (size_t)field >= N_FIELDS)
    return NULL;
  if (!c->r.v[field] && !(c->r.v[field] = cell(c, (enum field)field)))
    c->failed = true;
  return c->r.v[field];
}

/* ---- filters ---- */

static bool label_matches(json_t *labels, const char *want) {
  const char *eq = strchr(want, '=');
  _cleanup_free_ char *key = strndup(want, eq ? (size_t)(eq - want) : strlen(want));
  json_t *v = key ? json_object_get(labels, key) : NULL;
  return v && (!eq || !strcmp(json_string_value(v), eq + 1));
}

static bool name_matches(const char *name, const char *pattern) {
  regex_t re;
  if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
    return strstr(name, pattern) != NULL;
  bool m = regexec(&re, name, 0, NULL, 0) == 0;
  regfree(&re);
  return m;
}

/* Whether the container is (made from) the image `name`: its reference as
 * typed, or the image that name resolves to. */
static bool ancestor_matches(struct image_store *s, json_t *ct, const char *name) {
  if (!strcmp(json_string_value(json_object_get(ct, "image")), name))
    return true;
  struct image_info img = {0};
  err_t ignored = ERR_INIT;
  bool m = s && image_store_resolve(s, name, &img, &ignored) == 0 &&
           !strcmp(img.config, json_string_value(json_object_get(ct, "imageId")));
  image_info_free(&img);
  return m;
}

static const char *const filter_keys[] = {"status", "name",   "id",     "label",   "ancestor",
                                          "exited", "before", "since",  "volume",  "network",
                                          "publish", "expose", NULL};

static int check_filter(const char *f, err_t *e) {
  const char *eq = strchr(f, '=');
  for (size_t i = 0; eq && filter_keys[i]; i++)
    if (strlen(filter_keys[i]) == (size_t)(eq - f) && !strncmp(f, filter_keys[i], (size_t)(eq - f)))
      return 0;
  return err_set(e, EINVAL, "invalid filter '%s' (want status=, name=, id=, label=, ancestor=, "
                            "exited=, before=, since=, volume=, network=, publish=, expose=)", f);
}

/* What the filters look things up in: images, and every container (before=
 * and since= name one). */
struct filter_ctx {
  const struct engine *eng;
  struct image_store *store;
  json_t *all;
};

/* before=/since=: created before (or after) the container `ref`. */
static bool created_relative(const struct filter_ctx *c, json_t *ct, const char *ref, int sign) {
  size_t i;
  json_t *other;
  json_array_foreach(c->all, i, other) {
    const char *name = json_string_value(json_object_get(other, "name"));
    const char *id = json_string_value(json_object_get(other, "id"));
    if (strcmp(name, ref) && (strlen(ref) < 4 || strncmp(id, ref, strlen(ref))))
      continue;
    int cmp = strcmp(json_string_value(json_object_get(ct, "created")),
                     json_string_value(json_object_get(other, "created")));
    return sign < 0 ? cmp < 0 : cmp > 0;
  }
  return false;
}

/* volume=: a volume's name, or a mount's source or destination. */
static bool mount_matches(json_t *mounts, const char *want) {
  static const char *const keys[] = {"Name", "Source", "Destination"};
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
      const char *v = json_string_value(json_object_get(m, keys[k]));
      if (v && !strcmp(v, want))
        return true;
    }
  }
  return false;
}

static bool in_list(json_t *list, const char *want) {
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) if (!strcmp(json_string_value(v), want)) return true;
  return false;
}

/* publish=/expose= (docker's): PORT[-PORT][/PROTO] (tcp by default)
 * among the container's published ports (HostConfig.PortBindings), or
 * those and its image's exposed ones (docker's Config.ExposedPorts holds
 * both). Read from inspect: only ps with these filters pays for it. */
static bool port_matches(const struct filter_ctx *c, json_t *ct, const char *want, bool exposed) {
  unsigned lo = 0, hi = 0;
  char proto[8] = "tcp";
  int n = 0;
  if (sscanf(want, "%u%n", &lo, &n) != 1)
    return false;
  hi = lo;
  if (want[n] == '-') {
    int m = 0;
    if (sscanf(want + n + 1, "%u%n", &hi, &m) != 1)
      return false;
    n += 1 + m;
  }
  if (want[n] == '/' && snprintf(proto, sizeof proto, "%s", want + n + 1) >= (int)sizeof proto)
    return false;
  if (want[n] && want[n] != '/')
    return false;
  _cleanup_json_ json_t *in = NULL;
  err_t ignored = ERR_INIT;
  if (engine_container_inspect(c->eng, json_string_value(json_object_get(ct, "id")), &in,
                               &ignored) < 0)
    return false;
  json_t *sets[] = {json_object_get(json_object_get(in, "HostConfig"), "PortBindings"),
                    exposed ? json_object_get(json_object_get(in, "Config"), "ExposedPorts")
                            : NULL};
  for (size_t i = 0; i < 2; i++) {
    const char *key;
    json_t *unused;
    json_object_foreach(sets[i], key, unused) {
      unsigned port;
      char p[8];
      if (sscanf(key, "%u/%7s", &port, p) == 2 && port >= lo && port <= hi && !strcmp(p, proto))
        return true;
    }
  }
  return false;
}

static bool one_matches(const struct filter_ctx *c, json_t *ct, const char *key,
                        const char *value) {
  const char *status = json_string_value(json_object_get(ct, "status"));
  if (!strcmp(key, "status"))
    return !strcmp(status, value);
  if (!strcmp(key, "name"))
    return name_matches(json_string_value(json_object_get(ct, "name")), value);
  if (!strcmp(key, "id"))
    return !strncmp(json_string_value(json_object_get(ct, "id")), value, strlen(value));
  if (!strcmp(key, "label"))
    return label_matches(json_object_get(ct, "labels"), value);
  if (!strcmp(key, "ancestor"))
    return ancestor_matches(c->store, ct, value);
  if (!strcmp(key, "before") || !strcmp(key, "since"))
    return created_relative(c, ct, value, key[0] == 'b' ? -1 : 1);
  if (!strcmp(key, "volume"))
    return mount_matches(json_object_get(ct, "mounts"), value);
  if (!strcmp(key, "network"))
    return in_list(json_object_get(ct, "networks"), value);
  if (!strcmp(key, "publish") || !strcmp(key, "expose"))
    return port_matches(c, ct, value, key[0] == 'e');
  /* exited=CODE */
  char code[16];
  snprintf(code, sizeof code, "%d", (int)json_integer_value(json_object_get(ct, "exitCode")));
  return !strcmp(status, "exited") && !strcmp(code, value);
}

/* docker's rule: filters of one key match if any does, and every key must. */
static bool filters_match(const struct filter_ctx *c, json_t *ct, char **filters, size_t n) {
  for (size_t i = 0; i < n; i++) {
    size_t klen = strcspn(filters[i], "=");
    bool any = false;
    for (size_t k = 0; k < n && !any; k++) {
      if (strncmp(filters[k], filters[i], klen + 1))
        continue;
      _cleanup_free_ char *key = strndup(filters[k], klen);
      any = key && one_matches(c, ct, key, filters[k] + klen + 1);
    }
    if (!any)
      return false;
  }
  return true;
}

/* ---- output ---- */

struct ps_opts {
  bool all, quiet, no_trunc, size;
  long last; /* -n, -l; -1: all */
  const char *format;
  char **filters;
  size_t n_filters;
};

static int print_rows(const struct engine *eng, json_t *list, const struct ps_opts *o,
                      struct image_store *s, err_t *e) {
  const char *format = o->format;
  if (format && !strcmp(format, "json")) /* docker's: each row as JSON */
    format = "{{json .}}";
  if (!format)
    format = o->size ? "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}"
                       "\\t{{.Ports}}\\t{{.Names}}\\t{{.Size}}"
                     : "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}"
                       "\\t{{.Ports}}\\t{{.Names}}";
  struct template *t = NULL;
  if (template_parse(format, fields, &t, e) < 0)
    return -1;
  bool sizes = o->size || strstr(format, ".Size");
  struct table *table = template_is_table(t) ? table_new() : NULL;
  if (table)
    table_add(table, template_render_header(t, headers));
  int rc = 0;
  size_t i;
  json_t *ct;
  json_array_foreach(list, i, ct) {
    struct row_ctx c = {.ct = ct, .no_trunc = o->no_trunc, .eng = eng, .sizes = sizes ? s : NULL};
    char *line = template_render(t, row_value, &c, e);
    row_free(&c.r);
    if (!line || c.failed) {
      free(line);
      rc = e->code ? -1 : err_set(e, ENOMEM, "ps");
      break;
    }
    if (table)
      table_add(table, line);
    else
      printf("%s\n", line), free(line);
  }
  table_print(table, stdout);
  template_free(t);
  return rc;
}

CAPSULE_COMMAND(cmd_ps) {
  struct ps_opts o = {.all = cmdline_has(args, 'a'), .quiet = cmdline_has(args, 'q'),
                      .no_trunc = cmdline_has(args, OPT_NO_TRUNC), .size = cmdline_has(args, 's'),
                      .format = cmdline_value(args, OPT_FORMAT), .last = -1};
  _cleanup_free_ char **filters = calloc(args->n_options + 1, sizeof *filters);
  if (!filters)
    return err_sys(e, "ps");
  const char *v;
  for (int id; (id = cmdline_next(args, &v)) >= 0;) {
    if (id == OPT_FILTER) {
      if (check_filter(v, e) < 0)
        return -1;
      filters[o.n_filters++] = (char *)v;
    } else if (id == 'n') {
      char *end;
      o.last = strtol(v, &end, 10);
      if (end == v || *end || o.last < 0)
        return err_set(e, EINVAL, "--last %s: expected a number", v);
    } else if (id == 'l') {
      o.last = 1;
    }
  }
  struct engine eng = {.root = cli->root, .run_root = cli->run_root};
  _cleanup_json_ json_t *all = NULL, *shown = json_array();
  if (!shown || engine_ps(&eng, true, &all, e) < 0)
    return shown ? -1 : err_sys(e, "ps");
  /* The image store only for what needs it (ancestor=, sizes). */
  bool needs_store = o.size || (o.format && strstr(o.format, ".Size"));
  for (size_t k = 0; k < o.n_filters; k++)
    needs_store |= !strncmp(filters[k], "ancestor=", 9);
  _cleanup_image_store_ struct image_store *s = NULL;
  err_t no_store = ERR_INIT;
  if (needs_store)
    image_store_open(eng.root, 0, &s, &no_store);
  struct filter_ctx fc = {.eng = &eng, .store = s, .all = all};
  /* -n and -l count every container, running or not, newest first. */
  bool every = o.all || o.last >= 0;
  size_t i;
  json_t *ct;
  json_array_foreach(all, i, ct) {
    const char *status = json_string_value(json_object_get(ct, "status"));
    bool live = !strcmp(status, "running") || !strcmp(status, "paused") ||
                !strcmp(status, "restarting"); /* what ps shows without -a */
    if ((every || live) && (o.last < 0 || (long)json_array_size(shown) < o.last) &&
        filters_match(&fc, ct, filters, o.n_filters) && json_array_append(shown, ct) < 0)
      return err_set(e, ENOMEM, "ps");
  }
  if (o.quiet) {
    json_array_foreach(shown, i, ct)
      printf("%.*s\n", o.no_trunc ? 64 : 12, json_string_value(json_object_get(ct, "id")));
    return 0;
  }
  return print_rows(&eng, shown, &o, s, e);
}
