/* stats: containers' usage in docker's columns, refreshed every second
 * until interrupted, or once with --no-stream. CPU % is the CPU time used
 * between two samples over the time between them (100% = one CPU), as
 * docker computes it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/cli_engine.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/human.h"
#include "cli/capsule/table.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/template.h"

enum { OPT_NO_STREAM = 256, OPT_NO_TRUNC, OPT_FORMAT };

const struct cmdline_option stats_options[] = {
    {'a', 'a', "all", CMDLINE_FLAG, NULL, "Show all containers (default shows just running)"},
    {OPT_FORMAT, 0, "format", CMDLINE_VALUE, "FORMAT",
     "Format the output with a template ({{.Name}}, table ..., {{json .}})"},
    {OPT_NO_STREAM, 0, "no-stream", CMDLINE_FLAG, NULL,
     "Disable streaming stats and only pull the first result"},
    {OPT_NO_TRUNC, 0, "no-trunc", CMDLINE_FLAG, NULL, "Do not truncate output"},
    CMDLINE_OPTIONS_END,
};

/* The interval of --no-stream's two samples, and of the stream. */
#define NO_STREAM_MS 500
#define STREAM_MS 1000

enum field { F_CONTAINER, F_NAME, F_ID, F_CPU, F_MEM_USAGE, F_MEM_PERC, F_NET, F_BLOCK, F_PIDS,
             N_FIELDS };
static const char *const field_names[] = {"Container", "Name", "ID", "CPUPerc", "MemUsage",
                                          "MemPerc", "NetIO", "BlockIO", "PIDs", NULL};
static const char *const headers[] = {"CONTAINER", "NAME", "CONTAINER ID", "CPU %",
                                      "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O",
                                      "PIDS"};
#define DEFAULT_FORMAT                                                                         \
  "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t"           \
  "{{.BlockIO}}\t{{.PIDs}}"

struct row {
  char text[N_FIELDS][96];
};

/* docker's binary sizes for memory ("1.5MiB", units.BytesSize: %.4g). */
static void binary_size(char *buf, size_t len, uint64_t bytes) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = (double)bytes;
  size_t u = 0;
  while (v >= 1024 && u + 1 < sizeof units / sizeof *units) {
    v /= 1024;
    u++;
  }
  snprintf(buf, len, "%.4g%s", v, units[u]);
}

static const char *row_value(void *ctx, int field) {
  return ((struct row *)ctx)->text[field];
}

static void fill_row(struct row *r, const char *asked, const struct engine_stats *a,
                     const struct engine_stats *b, bool no_trunc) {
  snprintf(r->text[F_CONTAINER], sizeof r->text[0], "%s", asked);
  snprintf(r->text[F_NAME], sizeof r->text[0], "%s", b->name ? b->name : "");
  snprintf(r->text[F_ID], sizeof r->text[0], "%.*s", no_trunc ? 64 : 12, b->id);
  if (!b->running) {
    /* docker's figures for a container that does not run */
    for (int f = F_CPU; f < N_FIELDS; f++)
      snprintf(r->text[f], sizeof r->text[0], "%s", f == F_PIDS ? "0" : "--");
    snprintf(r->text[F_MEM_USAGE], sizeof r->text[0], "0B / 0B");
    snprintf(r->text[F_NET], sizeof r->text[0], "0B / 0B");
    snprintf(r->text[F_BLOCK], sizeof r->text[0], "0B / 0B");
    snprintf(r->text[F_CPU], sizeof r->text[0], "0.00%%");
    snprintf(r->text[F_MEM_PERC], sizeof r->text[0], "0.00%%");
    return;
  }
  double cpu = 0;
  if (a && a->running && b->read_ns > a->read_ns && b->cpu_ns >= a->cpu_ns)
    cpu = (double)(b->cpu_ns - a->cpu_ns) / (double)(b->read_ns - a->read_ns) * 100;
  snprintf(r->text[F_CPU], sizeof r->text[0], "%.2f%%", cpu);
  char x[32], y[32];
  binary_size(x, sizeof x, b->mem_usage);
  binary_size(y, sizeof y, b->mem_limit);
  snprintf(r->text[F_MEM_USAGE], sizeof r->text[0], "%s / %s", x, y);
  snprintf(r->text[F_MEM_PERC], sizeof r->text[0], "%.2f%%",
           b->mem_limit ? (double)b->mem_usage / (double)b->mem_limit * 100 : 0.0);
  human_size(x, sizeof x, b->net_rx);
  human_size(y, sizeof y, b->net_tx);
  snprintf(r->text[F_NET], sizeof r->text[0], "%s / %s", x, y);
  human_size(x, sizeof x, b->blk_read);
  human_size(y, sizeof y, b->blk_write);
  snprintf(r->text[F_BLOCK], sizeof r->text[0], "%s / %s", x, y);
  snprintf(r->text[F_PIDS], sizeof r->text[0], "%llu", (unsigned long long)b->pids);
}

static char *row_json(const struct row *r) {
  _cleanup_json_ json_t *o = json_object();
  bool failed = false;
  for (int f = 0; f < N_FIELDS; f++)
    json_set(o, field_names[f], json_string(r->text[f]), &failed);
  return failed ? NULL : json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
}

struct sampler {
  char **names; /* what the user asked for, or the running containers' ids */
  size_t n;
  struct engine_stats *prev, *cur;
};

/* One sample of every container. A container removed meanwhile shows as
 * one that does not run; with `strict` (the first sample) it is an error. */
static int sample(const struct engine *eng, struct sampler *s, struct engine_stats *into,
                  bool strict, err_t *e) {
  for (size_t i = 0; i < s->n; i++) {
    err_t one = ERR_INIT;
    free(into[i].name);
    if (engine_stats(eng, s->names[i], &into[i], &one) == 0)
      continue;
    if (strict) {
      *e = one;
      return -1;
    }
    snprintf(into[i].id, sizeof into[i].id, "%s", s->names[i]);
    into[i].name = strdup(s->names[i]);
    into[i].running = false;
  }
  return 0;
}

static int print(struct sampler *s, const struct template *t, bool json, bool no_trunc,
                 bool clear) {
  struct table *tab = table_new();
  if (clear)
    fputs("\033[2J\033[H", stdout); /* docker redraws the screen on a terminal */
  if (!json && template_is_table(t))
    table_add(tab, template_render_header(t, headers));
  for (size_t i = 0; i < s->n; i++) {
    struct row r;
    fill_row(&r, s->names[i], s->prev ? &s->prev[i] : NULL, &s->cur[i], no_trunc);
    table_add(tab, json ? row_json(&r) : template_render(t, row_value, &r, NULL));
  }
  table_print(tab, stdout);
  return fflush(stdout) == 0 ? 0 : -1;
}

static void free_samples(struct engine_stats *v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    free(v[i].name);
  free(v);
}

CAPSULE_COMMAND(cmd_stats) {
  struct engine eng = cli_engine(cli);
  const char *format = cmdline_value(args, OPT_FORMAT);
  bool json = format && !strcmp(format, "{{json .}}");
  bool stream = !cmdline_has(args, OPT_NO_STREAM), no_trunc = cmdline_has(args, OPT_NO_TRUNC);
  struct template *t = NULL;
  if (!json && template_parse(format ? format : DEFAULT_FORMAT, field_names, &t, e) < 0)
    return -1;
  struct sampler s = {.names = args->operands, .n = (size_t)args->n_operands};
  _cleanup_json_ json_t *list = NULL;
  _cleanup_free_ char **ids = NULL;
  int ret = -1;
  if (!s.n) {
    /* Those running now (with -a all), newest first as ps lists them. */
    if (engine_ps(&eng, cmdline_has(args, 'a'), &list, e) < 0)
      goto out;
    s.n = json_array_size(list);
    if (!(ids = calloc(s.n + 1, sizeof *ids))) {
      err_sys(e, "stats");
      goto out;
    }
    for (size_t i = 0; i < s.n; i++)
      ids[i] = (char *)json_string_value(json_object_get(json_array_get(list, i), "id"));
    s.names = ids;
  }
  s.prev = calloc(s.n + 1, sizeof *s.prev);
  s.cur = calloc(s.n + 1, sizeof *s.cur);
  if (!s.prev || !s.cur) {
    err_sys(e, "stats");
    goto out;
  }
  if (sample(&eng, &s, s.prev, true, e) < 0)
    goto out;
  bool clear = stream && isatty(STDOUT_FILENO);
  for (;;) {
    poll(NULL, 0, stream ? STREAM_MS : NO_STREAM_MS);
    sample(&eng, &s, s.cur, false, e);
    if (print(&s, t, json, no_trunc, clear) < 0 || !stream)
      break;
    struct engine_stats *swap = s.prev;
    s.prev = s.cur;
    s.cur = swap;
  }
  ret = 0;
out:
  free_samples(s.prev, s.n);
  free_samples(s.cur, s.n);
  template_free(t);
  return ret;
}
