#include "image/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "util/cleanup.h"
#include "util/json.h"

void image_config_free(struct image_config *c) {
  free(c->architecture);
  free(c->os);
  free(c->variant);
  free(c->created);
  free(c->author);
  strv_free(c->entrypoint);
  strv_free(c->cmd);
  strv_free(c->env);
  free(c->working_dir);
  free(c->user);
  strv_free(c->volumes);
  strv_free(c->exposed_ports);
  strv_free(c->labels);
  free(c->stop_signal);
  strv_free(c->diff_ids);
  for (size_t i = 0; i < c->n_history; i++) {
    free(c->history[i].created);
    free(c->history[i].created_by);
    free(c->history[i].comment);
  }
  free(c->history);
  *c = (struct image_config){0};
}

/* An optional string member, duplicated. */
static int dup_str(json_t *obj, const char *key, const char *where, char **out, err_t *e) {
  const char *s = NULL;
  int r = json_opt_str(obj, key, where, &s, e);
  if (r <= 0)
    return r;
  if (!(*out = strdup(s)))
    return err_sys(e, "%s.%s", where, key);
  return 1;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys of an object member ({"80/tcp": {}}), or with `with_values`
 * "key=value" strings (Labels), sorted. */
static int object_keys(json_t *obj, const char *key, const char *where, bool with_values,
                       char ***out, err_t *e) {
  json_t *o = NULL;
  int r = json_opt_obj(obj, key, where, &o, e);
  if (r <= 0)
    return r;
  _cleanup_strv_ char **v = calloc(json_object_size(o) + 1, sizeof(*v));
  if (!v)
    return err_sys(e, "%s.%s", where, key);
  size_t n = 0;
  const char *k;
  json_t *val;
  json_object_foreach(o, k, val) {
    if (with_values && !json_is_string(val))
      return err_set(e, EINVAL, "%s.%s.%s: expected a string, got %s", where, key, k,
                     json_type_name(val));
    int ok = with_values ? asprintf(&v[n], "%s=%s", k, json_string_value(val)) >= 0
                         : (v[n] = strdup(k)) != NULL;
    if (!ok) {
      v[n] = NULL;
      return err_sys(e, "%s.%s", where, key);
    }
    n++;
  }
  qsort(v, n, sizeof(*v), cmp_str);
  *out = steal_ptr(&v);
  return 1;
}

static int parse_history(json_t *root, struct image_config *c, err_t *e) {
  json_t *h = NULL;
  if (json_opt_arr(root, "history", "config", &h, e) <= 0)
    return e->code ? -1 : 0;
  c->n_history = json_array_size(h);
  if (!(c->history = calloc(c->n_history + 1, sizeof(*c->history))))
    return err_sys(e, "config.history");
  for (size_t i = 0; i < c->n_history; i++) {
    json_t *it = json_array_get(h, i);
    struct image_history_entry *x = &c->history[i];
    bool empty = false;
    if (!json_is_object(it))
      return err_set(e, EINVAL, "config.history[%zu]: expected an object, got %s", i,
                     json_type_name(it));
    if (dup_str(it, "created", "config.history", &x->created, e) < 0 ||
        dup_str(it, "created_by", "config.history", &x->created_by, e) < 0 ||
        dup_str(it, "comment", "config.history", &x->comment, e) < 0 ||
        json_opt_bool(it, "empty_layer", "config.history", &empty, e) < 0)
      return -1;
    x->empty_layer = empty;
  }
  return 0;
}

static int parse_rootfs(json_t *root, struct image_config *c, err_t *e) {
  json_t *rootfs = NULL;
  const char *type = NULL;
  if (json_opt_obj(root, "rootfs", "config", &rootfs, e) <= 0)
    return e->code ? -1 : err_set(e, EINVAL, "config: no rootfs");
  if (json_opt_str(rootfs, "type", "config.rootfs", &type, e) < 0)
    return -1;
  if (!type || strcmp(type, "layers"))
    return err_set(e, EINVAL, "config.rootfs.type: want \"layers\", got %s%s%s", type ? "\"" : "",
                   type ? type : "nothing", type ? "\"" : "");
  if (json_opt_strv(rootfs, "diff_ids", "config.rootfs", &c->diff_ids, e) <= 0)
    return e->code ? -1 : err_set(e, EINVAL, "config.rootfs: no diff_ids");
  for (char **d = c->diff_ids; *d; d++, c->n_diff_ids++)
    if (!digest_valid(*d))
      return err_set(e, EINVAL, "config.rootfs.diff_ids[%zu]: invalid digest '%s'",
                     c->n_diff_ids, *d);
  return 0;
}

int image_config_parse(const char *buf, size_t len, struct image_config *c, err_t *e) {
  *c = (struct image_config){0};
  _cleanup_json_ json_t *root = json_load_object_buf(buf, len, "config", e);
  if (!root)
    return -1;
  json_t *cfg = NULL;
  if (dup_str(root, "architecture", "config", &c->architecture, e) < 0 ||
      dup_str(root, "os", "config", &c->os, e) < 0 ||
      dup_str(root, "variant", "config", &c->variant, e) < 0 ||
      dup_str(root, "created", "config", &c->created, e) < 0 ||
      dup_str(root, "author", "config", &c->author, e) < 0 ||
      json_opt_obj(root, "config", "config", &cfg, e) < 0 || parse_rootfs(root, c, e) < 0 ||
      parse_history(root, c, e) < 0)
    goto fail;
  if (cfg && (json_opt_strv(cfg, "Entrypoint", "config.config", &c->entrypoint, e) < 0 ||
              json_opt_strv(cfg, "Cmd", "config.config", &c->cmd, e) < 0 ||
              json_opt_strv(cfg, "Env", "config.config", &c->env, e) < 0 ||
              dup_str(cfg, "WorkingDir", "config.config", &c->working_dir, e) < 0 ||
              dup_str(cfg, "User", "config.config", &c->user, e) < 0 ||
              dup_str(cfg, "StopSignal", "config.config", &c->stop_signal, e) < 0 ||
              object_keys(cfg, "Volumes", "config.config", false, &c->volumes, e) < 0 ||
              object_keys(cfg, "ExposedPorts", "config.config", false, &c->exposed_ports, e) < 0 ||
              object_keys(cfg, "Labels", "config.config", true, &c->labels, e) < 0))
    goto fail;
  return 0;
fail:
  image_config_free(c);
  return -1;
}
