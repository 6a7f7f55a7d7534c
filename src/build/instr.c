/* The instructions that change only the image config or the build's own
 * state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/args.h"
#include "build/internal.h"
#include "util/cleanup.h"
#include "util/json.h"

static char **words(struct builder *b, struct stage *s, const char *text, bool split, err_t *e) {
  struct lookup l = {b, s};
  char **w = NULL;
  return build_words(text, b->df.escape, build_lookup, &l, split, &w, e) < 0 ? NULL : w;
}

static size_t count(char **v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

/* "K=V K2=V2" or the old "K V..." (one pair, the rest is the value). */
static int pairs(struct builder *b, struct stage *s, const struct df_instr *in, json_t *out,
                 bool env, err_t *e) {
  _cleanup_strv_ char **w = words(b, s, in->args, true, e);
  if (!w)
    return -1;
  size_t n = count(w);
  if (!n)
    return err_set(e, EINVAL, "%s needs at least one argument", in->keyword);
  bool failed = false;
  if (!strchr(w[0], '=')) {
    /* The old form: the value is the rest of the line, blanks and all. */
    const char *rest = in->args + strcspn(in->args, " \t");
    rest += strspn(rest, " \t");
    _cleanup_strv_ char **v = words(b, s, rest, false, e);
    if (!v)
      return -1;
    if (n < 2)
      return err_set(e, EINVAL, "%s %s: no value (want %s NAME=VALUE)", in->keyword, w[0],
                      in->keyword);
    _cleanup_free_ char *kv = NULL;
    if (env && asprintf(&kv, "%s=%s", w[0], v[0]) < 0)
      return err_sys(e, "%s", in->keyword);
    return env ? json_built(json_env_set(out, kv, &failed) < 0, in->keyword, e)
               : json_built(json_set(out, w[0], json_string(v[0]), &failed) < 0, in->keyword, e);
  }
  for (size_t i = 0; i < n; i++) {
    char *eq = strchr(w[i], '=');
    if (!eq || eq == w[i])
      return err_set(e, EINVAL, "%s: '%s' is not NAME=VALUE", in->keyword, w[i]);
    if (env)
      json_env_set(out, w[i], &failed);
    else {
      *eq = '\0';
      json_set(out, w[i], json_string(eq + 1), &failed);
    }
  }
  return json_built(failed, in->keyword, e);
}

static json_t *member(json_t *config, const char *key, bool array) {
  json_t *m = json_object_get(config, key);
  if (array ? json_is_array(m) : json_is_object(m))
    return m;
  m = array ? json_array() : json_object();
  return json_object_set_new(config, key, m) < 0 ? NULL : m;
}

/* A path made absolute against the working directory, cleaned. */
char *build_path(const char *wd, const char *p) {
  char *joined = NULL;
  if (asprintf(&joined, "%s/%s", *p == '/' ? "" : (wd ? wd : ""), p) < 0)
    return NULL;
  char *out = malloc(strlen(joined) + 2);
  if (!out) {
    free(joined);
    return NULL;
  }
  size_t n = 0;
  for (char *save = NULL, *t = strtok_r(joined, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
    if (!strcmp(t, "."))
      continue;
    if (!strcmp(t, "..")) {
      while (n && out[n - 1] != '/')
        n--;
      if (n)
        n--;
      continue;
    }
    out[n++] = '/';
    memcpy(out + n, t, strlen(t));
    n += strlen(t);
  }
  if (!n)
    out[n++] = '/';
  out[n] = '\0';
  free(joined);
  return out;
}

/* CMD, ENTRYPOINT, SHELL: the exec form, or the shell form run by SHELL. */
static json_t *command(struct stage *s, const struct df_instr *in) {
  if (in->exec)
    return json_string_array((const char *const *)in->exec);
  json_t *v = json_deep_copy(s->shell);
  if (v && json_array_append_new(v, json_string(in->args)) < 0) {
    json_decref(v);
    return NULL;
  }
  return v;
}

/* HEALTHCHECK [--interval=D ...] CMD ... | NONE, in docker's form. */
static int healthcheck(struct stage *s, const struct df_instr *in, err_t *e) {
  const char *a = in->args;
  if (!strcasecmp(a, "NONE"))
    return json_object_set_new(s->config, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
  if (strncasecmp(a, "CMD", 3) || (a[3] != ' ' && a[3] != '\t'))
    return err_set(e, EINVAL, "HEALTHCHECK: want CMD COMMAND or NONE");
  struct df_instr cmd = *in;
  cmd.args = (char *)a + 4 + strspn(a + 4, " \t");
  _cleanup_json_ json_t *test = NULL;
  if (cmd.exec || *cmd.args == '[')
    test = json_pack("[s]", "CMD");
  else
    test = json_pack("[s, s]", "CMD-SHELL", cmd.args);
  if (*cmd.args == '[') {
    json_error_t je;
    _cleanup_json_ json_t *arr = json_loads(cmd.args, 0, &je);
    if (!json_is_array(arr) || json_array_extend(test, arr) < 0)
      return err_set(e, EINVAL, "HEALTHCHECK CMD: not a JSON array of strings");
  }
  json_t *hc = json_pack("{s:O}", "Test", test);
  static const char *const flags[] = {"interval", "timeout", "start-period", "start-interval",
                                      "retries", NULL};
  static const char *const keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval",
                                     "Retries"};
  for (size_t i = 0; hc && flags[i]; i++) {
    const char *v = df_flag(in, flags[i]);
    if (!v)
      continue;
    char *end;
    double x = strtod(v, &end);
    double unit = !strcmp(end, "s") ? 1e9 : !strcmp(end, "ms") ? 1e6 : !strcmp(end, "m") ? 60e9
                : !strcmp(end, "h") ? 3600e9 : !strcmp(end, "") && !strcmp(flags[i], "retries") ? 1 : 0;
    if (end == v || !unit || x < 0) {
      json_decref(hc);
      return err_set(e, EINVAL, "HEALTHCHECK --%s=%s: not a duration", flags[i], v);
    }
    json_object_set_new(hc, keys[i], json_integer((json_int_t)(x * unit)));
  }
  return hc ? json_object_set_new(s->config, "Healthcheck", hc) : err_set(e, ENOMEM, "HEALTHCHECK");
}

static int set_str(struct stage *s, const char *key, const char *v, err_t *e) {
  return json_object_set_new(s->config, key, json_string(v)) < 0 ? err_set(e, ENOMEM, "%s", key)
                                                                  : 0;
}

int build_arg(struct builder *b, json_t *args, struct stage *s, const struct df_instr *in,
              err_t *e) {
  _cleanup_strv_ char **w = words(b, s, in->args, true, e);
  if (!w)
    return -1;
  if (!*w)
    return err_set(e, EINVAL, "ARG needs a NAME[=default]");
  for (char **p = w; *p; p++) {
    char *eq = strchr(*p, '=');
    if (eq)
      *eq = '\0';
    if (!**p)
      return err_set(e, EINVAL, "ARG %s: no name", *p + 1);
    /* --build-arg first, then the default, then (in a stage) the global
     * ARG of that name; none of them: declared without a value. */
    json_t *v = json_object_get(b->build_args, *p);
    if (!v && !eq && s)
      v = json_object_get(b->global_args, *p);
    int r = v ? json_object_set(args, *p, v)
              : json_object_set_new(args, *p, eq ? json_string(eq + 1) : json_null());
    if (r < 0)
      return err_set(e, ENOMEM, "ARG");
  }
  return 0;
}

char **build_run_env(struct builder *b, struct stage *s, err_t *e) {
  (void)b;
  json_t *env = json_object_get(s->config, "Env");
  size_t n = json_object_size(s->args), k = 0;
  char **v = calloc(n + 1, sizeof *v);
  if (!v) {
    err_sys(e, "RUN");
    return NULL;
  }
  const char *name;
  json_t *val;
  json_object_foreach(s->args, name, val) {
    size_t len = strlen(name), i;
    json_t *it;
    bool overridden = false;
    json_array_foreach(env, i, it) {
      const char *kv = json_string_value(it);
      overridden |= kv && !strncmp(kv, name, len) && kv[len] == '=';
    }
    if (!json_is_string(val) || overridden)
      continue;
    if (asprintf(&v[k++], "%s=%s", name, json_string_value(val)) < 0) {
      v[--k] = NULL;
      strv_free(v);
      err_sys(e, "RUN");
      return NULL;
    }
  }
  return v;
}

static char *history_of(const struct df_instr *in, const char *value) {
  char *h = NULL;
  return asprintf(&h, "%s %s", in->keyword, value) < 0 ? NULL : h;
}

int build_meta(struct builder *b, struct stage *s, const struct df_instr *in, char **history,
               err_t *e) {
  const char *k = in->keyword;
  json_t *c = s->config;
  *history = NULL;
  if (!strcmp(k, "ARG"))
    return build_arg(b, s->args, s, in, e);
  _cleanup_strv_ char **w = NULL;
  if (!strcmp(k, "ENV") || !strcmp(k, "LABEL")) {
    json_t *into = member(c, !strcmp(k, "ENV") ? "Env" : "Labels", !strcmp(k, "ENV"));
    if (!into || pairs(b, s, in, into, !strcmp(k, "ENV"), e) < 0)
      return -1;
  } else if (!strcmp(k, "WORKDIR") || !strcmp(k, "USER") || !strcmp(k, "STOPSIGNAL")) {
    if (!(w = words(b, s, in->args, false, e)))
      return -1;
    if (!*w[0])
      return err_set(e, EINVAL, "%s needs an argument", k);
    if (!strcmp(k, "WORKDIR")) {
      _cleanup_free_ char *p = build_path(json_string_value(json_object_get(c, "WorkingDir")), w[0]);
      if (!p || set_str(s, "WorkingDir", p, e) < 0)
        return p ? -1 : err_sys(e, "WORKDIR");
    } else if (set_str(s, !strcmp(k, "USER") ? "User" : "StopSignal", w[0], e) < 0)
      return -1;
  } else if (!strcmp(k, "CMD") || !strcmp(k, "ENTRYPOINT")) {
    json_t *v = command(s, in);
    if (!v || json_object_set_new(c, !strcmp(k, "CMD") ? "Cmd" : "Entrypoint", v) < 0)
      return err_set(e, ENOMEM, "%s", k);
    if (!strcmp(k, "CMD"))
      s->cmd_set = true;
    else if (!s->cmd_set)
      json_object_del(c, "Cmd"); /* an inherited CMD goes with a new ENTRYPOINT */
  } else if (!strcmp(k, "EXPOSE") || !strcmp(k, "VOLUME")) {
    bool vol = !strcmp(k, "VOLUME");
    if (!(w = in->exec && vol ? NULL : words(b, s, in->args, true, e)) && !(in->exec && vol))
      return -1;
    json_t *into = member(c, vol ? "Volumes" : "ExposedPorts", false);
    char **list = in->exec && vol ? in->exec : w;
    if (!into || !list[0])
      return into ? err_set(e, EINVAL, "%s needs an argument", k) : err_set(e, ENOMEM, "%s", k);
    for (char **p = list; *p; p++) {
      _cleanup_free_ char *key = NULL;
      if (vol ? !(key = strdup(*p)) : asprintf(&key, "%s%s", *p, strchr(*p, '/') ? "" : "/tcp") < 0)
        return err_sys(e, "%s", k);
      if (json_object_set_new(into, key, json_object()) < 0)
        return err_set(e, ENOMEM, "%s", k);
    }
  } else if (!strcmp(k, "SHELL")) {
    if (!in->exec || !in->exec[0])
      return err_set(e, EINVAL, "SHELL requires the arguments in JSON form");
    json_decref(s->shell);
    if (!(s->shell = json_string_array((const char *const *)in->exec)))
      return err_set(e, ENOMEM, "SHELL");
  } else if (!strcmp(k, "HEALTHCHECK")) {
    if (healthcheck(s, in, e) < 0)
      return -1;
  } else if (!strcmp(k, "ONBUILD")) {
    json_t *on = member(c, "OnBuild", true);
    if (!on || json_array_append_new(on, json_string(in->args)) < 0)
      return err_set(e, ENOMEM, "ONBUILD");
  } else if (strcmp(k, "MAINTAINER")) { /* (deprecated: only its history entry) */
    return 0;
  }
  if (!(*history = history_of(in, in->args)))
    return err_sys(e, "%s", k);
  return 1;
}
