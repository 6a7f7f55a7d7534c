/* events: the engine's recorded events (engine/events.c) as docker prints
 * them, streamed until interrupted or until --until. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/cli_engine.h"
#include "cli/capsule/commands.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/template.h"
#include "util/timefmt.h"

enum { OPT_SINCE = 256, OPT_UNTIL, OPT_FORMAT };

const struct cmdline_option events_options[] = {
    {'f', 'f', "filter", CMDLINE_LIST, "KEY=VALUE",
     "Filter output (container=, event=, image=, label=, type=)"},
    {OPT_FORMAT, 0, "format", CMDLINE_VALUE, "FORMAT",
     "Format the output with a template ({{.Action}}, {{json .}})"},
    {OPT_SINCE, 0, "since", CMDLINE_VALUE, "TIME", "Show all events created since timestamp"},
    {OPT_UNTIL, 0, "until", CMDLINE_VALUE, "TIME", "Stream events until this timestamp"},
    CMDLINE_OPTIONS_END,
};

static const char *const filter_keys[] = {"container", "event", "image", "label", "type", NULL};

struct printer {
  char **filters; /* "key=value" */
  struct template *t;
  bool json;
};

static const char *attr(json_t *ev, const char *key) {
  json_t *a = json_object_get(json_object_get(ev, "Actor"), "Attributes");
  return json_string_value(json_object_get(a, key));
}

static bool matches(json_t *ev, const char *key, const char *want) {
  const char *action = json_string_value(json_object_get(ev, "Action"));
  const char *id = json_string_value(json_object_get(json_object_get(ev, "Actor"), "ID"));
  if (!strcmp(key, "type"))
    return !strcmp(want, json_string_value(json_object_get(ev, "Type")) ?: "");
  if (!strcmp(key, "event"))
    /* "exec_start" matches "exec_start: sh -c ..." as in docker */
    return action && (!strcmp(action, want) ||
                      (!strncmp(action, want, strlen(want)) && action[strlen(want)] == ':'));
  if (!strcmp(key, "image"))
    return !strcmp(want, attr(ev, "image") ?: "");
  if (!strcmp(key, "label")) { /* KEY or KEY=VALUE, among the attributes */
    const char *eq = strchr(want, '=');
    _cleanup_free_ char *k = strndup(want, eq ? (size_t)(eq - want) : strlen(want));
    const char *v = k ? attr(ev, k) : NULL;
    return v && (!eq || !strcmp(v, eq + 1));
  }
  /* container: an id prefix or the name */
  return (id && *want && !strncmp(id, want, strlen(want))) || !strcmp(want, attr(ev, "name") ?: "");
}

/* Values of one key are alternatives; keys must all match. */
static bool selected(const struct printer *p, json_t *ev) {
  for (const char *const *k = filter_keys; *k; k++) {
    bool any = false, ok = false;
    size_t klen = strlen(*k);
    for (char **f = p->filters; f && *f; f++)
      if (!strncmp(*f, *k, klen) && (*f)[klen] == '=') {
        any = true;
        ok |= matches(ev, *k, *f + klen + 1);
      }
    if (any && !ok)
      return false;
  }
  return true;
}

/* The event as a template sees it: docker's Go field names (its JSON keys
 * are lowercase for some). */
static json_t *go_view(json_t *ev) {
  static const char *const names[][2] = {{"status", "Status"}, {"id", "ID"},
                                         {"from", "From"},     {"Type", "Type"},
                                         {"Action", "Action"}, {"Actor", "Actor"},
                                         {"scope", "Scope"},   {"time", "Time"},
                                         {"timeNano", "TimeNano"}};
  json_t *v = json_object();
  for (size_t i = 0; v && i < sizeof names / sizeof *names; i++) {
    json_t *x = json_object_get(ev, names[i][0]);
    if (x && json_object_set(v, names[i][1], x) < 0) {
      json_decref(v);
      return NULL;
    }
  }
  return v;
}

/* docker's line: time, type, action, id, (attributes sorted by key). */
static char *default_line(json_t *ev) {
  char when[64];
  time_format_local_ns(when, sizeof when, json_integer_value(json_object_get(ev, "timeNano")));
  json_t *a = json_object_get(json_object_get(ev, "Actor"), "Attributes");
  size_t n = json_object_size(a), i = 0;
  _cleanup_free_ const char **keys = calloc(n + 1, sizeof *keys);
  const char *k;
  json_t *v;
  json_object_foreach(a, k, v) if (keys) keys[i++] = k;
  for (size_t x = 1; keys && x < n; x++)
    for (size_t y = x; y > 0 && strcmp(keys[y - 1], keys[y]) > 0; y--) {
      const char *t = keys[y];
      keys[y] = keys[y - 1];
      keys[y - 1] = t;
    }
  char *attrs = NULL;
  size_t len = 0;
  _cleanup_fclose_ FILE *f = open_memstream(&attrs, &len);
  for (size_t x = 0; f && keys && x < n; x++)
    fprintf(f, "%s%s=%s", x ? ", " : "", keys[x], json_string_value(json_object_get(a, keys[x])));
  if (f)
    fclose(f);
  f = NULL;
  char *line = NULL;
  if (asprintf(&line, "%s %s %s %s (%s)", when,
               json_string_value(json_object_get(ev, "Type")) ?: "",
               json_string_value(json_object_get(ev, "Action")) ?: "",
               json_string_value(json_object_get(json_object_get(ev, "Actor"), "ID")) ?: "",
               attrs ? attrs : "") < 0)
    line = NULL;
  free(attrs);
  return line;
}

static int print_event(json_t *ev, void *arg, err_t *e) {
  struct printer *p = arg;
  if (!selected(p, ev))
    return 0;
  _cleanup_json_ json_t *view = p->t ? go_view(ev) : NULL;
  if (p->t && !view)
    return err_sys(e, "events");
  _cleanup_free_ char *line = p->json ? json_dumps(ev, JSON_COMPACT)
                              : p->t  ? template_render_json(p->t, view, e)
                                      : default_line(ev);
  if (!line)
    return p->t ? -1 : err_sys(e, "events");
  /* Each event as it comes: a reader of the stream waits for it. */
  if (printf("%s\n", line) < 0 || fflush(stdout) != 0)
    return err_sys(e, "events: write");
  return 0;
}

CAPSULE_COMMAND(cmd_events) {
  struct engine eng = cli_engine(cli);
  struct engine_events_query q = {.follow = true};
  int64_t now = time_now_ns();
  const char *since = cmdline_value(args, OPT_SINCE), *until = cmdline_value(args, OPT_UNTIL);
  if (since && time_parse_point(since, now, &q.since_ns, e) < 0)
    return err_wrap(e, "--since");
  if (until && time_parse_point(until, now, &q.until_ns, e) < 0)
    return err_wrap(e, "--until");
  /* 0 is "unbounded" to the reader: the epoch is as early as that. */
  if (since && !q.since_ns)
    q.since_ns = 1;
  if (until && !q.until_ns)
    q.until_ns = 1;
  struct printer p = {0};
  _cleanup_free_ char **filters = cmdline_values(args, 'f', e);
  if (!filters)
    return -1;
  for (char **f = filters; *f; f++) {
    bool known = false;
    for (const char *const *k = filter_keys; *k; k++)
      known |= !strncmp(*f, *k, strlen(*k)) && (*f)[strlen(*k)] == '=';
    if (!known)
      return err_set(e, EINVAL,
                     "invalid filter '%s' (known: container=, event=, image=, label=, type=)",
                     *f);
  }
  p.filters = filters;
  const char *format = cmdline_value(args, OPT_FORMAT);
  p.json = format && !strcmp(format, "{{json .}}");
  if (format && !p.json && template_parse_json(format, &p.t, e) < 0)
    return -1;
  int ret = engine_events(&eng, &q, print_event, &p, e);
  template_free(p.t);
  return ret < 0 ? -1 : 0;
}
