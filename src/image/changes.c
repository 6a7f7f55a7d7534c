#include "image/changes.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/cleanup.h"
#include "util/json.h"

/* Split `s` into words at blanks; "double quoted" parts keep their blanks
 * (and \" \\ inside). */
static int split_words(const char *s, char ***out, err_t *e) {
  size_t n = 0, cap = 8;
  _cleanup_strv_ char **v = calloc(cap, sizeof(*v));
  _cleanup_free_ char *word = malloc(strlen(s) + 1);
  if (!v || !word)
    return err_sys(e, "change");
  while (*s) {
    while (isspace((unsigned char)*s))
      s++;
    if (!*s)
      break;
    size_t len = 0;
    bool quoted = false;
    for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
      if (*s == '"') {
        quoted = !quoted;
      } else if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\')) {
        word[len++] = *++s;
      } else {
        word[len++] = *s;
      }
    }
    if (quoted)
      return err_set(e, EINVAL, "unterminated quote");
    if (array_reserve_sz((void **)&v, &cap, n + 2, sizeof(*v)) < 0)
      return err_sys(e, "change");
    if (!(v[n] = strndup(word, len)))
      return err_sys(e, "change");
    v[++n] = NULL;
  }
  *out = steal_ptr(&v);
  return 0;
}

/* The JSON form ["a", "b"] or, with `shell`, the shell form "a b" run by
 * /bin/sh -c (as docker does), else plain words. */
static json_t *command_value(const char *value, bool shell, err_t *e) {
  if (*value == '[') {
    json_error_t je;
    json_t *arr = json_loads(value, 0, &je);
    bool ok = json_is_array(arr);
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it) ok = ok && json_is_string(it);
    if (!ok) {
      json_decref(arr);
      err_set(e, EINVAL, "expected a JSON array of strings: %s", value);
      return NULL;
    }
    return arr;
  }
  if (shell)
    return json_pack("[s, s, s]", "/bin/sh", "-c", value);
  _cleanup_strv_ char **words = NULL;
  if (split_words(value, &words, e) < 0)
    return NULL;
  json_t *arr = json_array();
  bool failed = false;
  for (char **w = words; *w; w++)
    json_push(arr, json_string(*w), &failed);
  if (json_built(failed, "command", e) < 0) {
    json_decref(arr);
    return NULL;
  }
  return arr;
}

/* Set `key`=`value` in an "Env" style array of "K=V" strings. */
static void env_set(json_t *env, const char *key, const char *value, bool *failed) {
  _cleanup_free_ char *entry = NULL;
  if (asprintf(&entry, "%s=%s", key, value) < 0)
    *failed = true;
  else
    json_env_set(env, entry, failed);
}

/* config[key], made when absent (NULL when that fails). */
static json_t *member(json_t *config, const char *key, json_t *(*make)(void)) {
  json_t *v = json_object_get(config, key);
  if ((!v || json_is_null(v)) && json_set(config, key, v = make(), NULL) < 0)
    return NULL;
  return v;
}

/* "K=V K2=V2" (ENV, LABEL) or the legacy "K V" (ENV only). */
static int apply_pairs(json_t *config, const char *value, bool env, err_t *e) {
  _cleanup_strv_ char **words = NULL;
  if (split_words(value, &words, e) < 0)
    return -1;
  if (!words[0])
    return err_set(e, EINVAL, "expected KEY=VALUE");
  json_t *target = env ? member(config, "Env", json_array) : member(config, "Labels", json_object);
  bool failed = !target;
  if (env && !strchr(words[0], '=')) {
    const char *rest = value + strspn(value, " \t");
    rest += strcspn(rest, " \t");
    rest += strspn(rest, " \t");
    env_set(target, words[0], rest, &failed);
    return json_built(failed, "ENV", e);
  }
  for (char **w = words; *w; w++) {
    char *eq = strchr(*w, '=');
    if (!eq || eq == *w)
      return err_set(e, EINVAL, "expected KEY=VALUE, got '%s'", *w);
    *eq = '\0';
    if (env)
      env_set(target, *w, eq + 1, &failed);
    else
      json_set(target, *w, json_string(eq + 1), &failed);
  }
  return json_built(failed, env ? "ENV" : "LABEL", e);
}

/* EXPOSE 80 53/udp, VOLUME /a /b or ["/a"]: keys of an object of {}. */
static int apply_keys(json_t *config, const char *key, const char *value, bool ports, err_t *e) {
  _cleanup_json_ json_t *list = command_value(value, false, e);
  if (!list)
    return -1;
  if (!json_array_size(list))
    return err_set(e, EINVAL, "expected at least one value");
  json_t *obj = member(config, key, json_object);
  bool failed = !obj;
  size_t i;
  json_t *it;
  json_array_foreach(list, i, it) {
    const char *v = json_string_value(it);
    _cleanup_free_ char *name = NULL;
    if (ports) {
      char *end;
      long port = strtol(v, &end, 10);
      if (end == v || port < 1 || port > 65535 ||
          (*end && strcmp(end, "/tcp") && strcmp(end, "/udp") && strcmp(end, "/sctp")))
        return err_set(e, EINVAL, "invalid port '%s' (want PORT[/tcp|/udp|/sctp])", v);
      if (asprintf(&name, "%ld%s", port, *end ? end : "/tcp") < 0)
        return err_sys(e, "EXPOSE");
    } else if (v[0] != '/') {
      return err_set(e, EINVAL, "volume '%s' is not an absolute path", v);
    }
    json_set(obj, name ? name : v, json_object(), &failed);
  }
  return json_built(failed, key, e);
}

static int apply_workdir(json_t *config, const char *value, err_t *e) {
  if (!*value)
    return err_set(e, EINVAL, "expected a directory");
  const char *prev = json_string_value(json_object_get(config, "WorkingDir"));
  _cleanup_free_ char *dir = NULL;
  if (value[0] == '/')
    dir = strdup(value);
  else if (asprintf(&dir, "%s/%s", prev && strcmp(prev, "/") ? prev : "", value) < 0)
    dir = NULL;
  if (!dir)
    return err_sys(e, "WORKDIR");
  bool failed = false;
  json_set(config, "WorkingDir", json_string(dir), &failed);
  return json_built(failed, "WORKDIR", e);
}

static int apply_one(json_t *config, const char *instr, const char *value, err_t *e) {
  if (!strcmp(instr, "CMD") || !strcmp(instr, "ENTRYPOINT")) {
    json_t *cmd = command_value(value, true, e);
    if (!cmd)
      return -1;
    bool failed = false;
    json_set(config, !strcmp(instr, "CMD") ? "Cmd" : "Entrypoint", cmd, &failed);
    return json_built(failed, instr, e);
  }
  if (!strcmp(instr, "ENV") || !strcmp(instr, "LABEL"))
    return apply_pairs(config, value, !strcmp(instr, "ENV"), e);
  if (!strcmp(instr, "EXPOSE") || !strcmp(instr, "VOLUME"))
    return apply_keys(config, !strcmp(instr, "EXPOSE") ? "ExposedPorts" : "Volumes", value,
                      !strcmp(instr, "EXPOSE"), e);
  if (!strcmp(instr, "WORKDIR"))
    return apply_workdir(config, value, e);
  if (!strcmp(instr, "USER") || !strcmp(instr, "STOPSIGNAL")) {
    if (!*value)
      return err_set(e, EINVAL, "expected a value");
    bool failed = false;
    json_set(config, !strcmp(instr, "USER") ? "User" : "StopSignal", json_string(value), &failed);
    return json_built(failed, instr, e);
  }
  return err_set(e, EINVAL,
                 "unsupported instruction (want CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, "
                 "USER, VOLUME or WORKDIR)");
}

int image_config_apply_change(json_t *config, const char *change, err_t *e) {
  char instr[16];
  size_t n = 0;
  while (isalpha((unsigned char)change[n]) && n < sizeof(instr) - 1) {
    instr[n] = (char)toupper((unsigned char)change[n]);
    n++;
  }
  instr[n] = '\0';
  const char *value = change + n;
  if (*value == '=')
    value++;
  else if (n && isspace((unsigned char)*value))
    value += strspn(value, " \t");
  else
    n = 0;
  if (!n || apply_one(config, instr, value, e) < 0) {
    if (!e->code)
      err_set(e, EINVAL, "expected INSTRUCTION VALUE");
    return err_wrap(e, "--change '%s'", change);
  }
  return 0;
}
