/* config.json: the top level, root, mounts, hooks and annotations.
 * The process and linux sections live in spec_process.c and spec_linux.c. */
#include "oci/spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/mount_options.h"
#include "oci/spec_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static const char *const hook_names[HOOK_KINDS] = {
    [HOOK_PRESTART] = "prestart",
    [HOOK_CREATE_RUNTIME] = "createRuntime",
    [HOOK_CREATE_CONTAINER] = "createContainer",
    [HOOK_START_CONTAINER] = "startContainer",
    [HOOK_POSTSTART] = "poststart",
    [HOOK_POSTSTOP] = "poststop",
};

const char *oci_hook_name(enum oci_hook_kind k) {
  return hook_names[k];
}

static int parse_root(struct oci_spec *s, err_t *e) {
  json_t *root = NULL;
  if (json_opt_obj(s->doc, "root", NULL, &root, e) < 0)
    return -1;
  if (!root)
    return err_set(e, EINVAL, "root: required (the container's root filesystem)");
  if (json_opt_str(root, "path", "root", &s->root_path, e) < 0)
    return -1;
  if (!s->root_path || !*s->root_path)
    return err_set(e, EINVAL, "root.path: required");
  if (json_opt_bool(root, "readonly", "root", &s->root_readonly, e) < 0)
    return -1;
  s->root_path_abs = s->root_path[0] == '/' ? strdup(s->root_path)
                                            : path_join(s->bundle, s->root_path);
  if (!s->root_path_abs)
    return err_sys(e, "root.path");
  return 0;
}

static int parse_mount(json_t *m, size_t i, struct oci_mount *out, err_t *e) {
  char where[48];
  snprintf(where, sizeof where, "mounts[%zu]", i);
  if (!json_is_object(m))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(m));
  if (json_opt_str(m, "destination", where, &out->destination, e) < 0 ||
      json_opt_str(m, "source", where, &out->source, e) < 0 ||
      json_opt_str(m, "type", where, &out->type, e) < 0)
    return -1;
  if (!out->destination || !*out->destination)
    return err_set(e, EINVAL, "%s.destination: required", where);
  _cleanup_strv_ char **options = NULL;
  if (json_opt_strv(m, "options", where, &options, e) < 0)
    return -1;
  if (json_object_get(m, "uidMappings") || json_object_get(m, "gidMappings"))
    return err_set(e, ENOTSUP, "%s: id-mapped mounts (uidMappings/gidMappings) are not supported",
                   where);
  if (mount_options_decode(options, out, e) < 0)
    return -1;
  if (out->type && !strcmp(out->type, "bind"))
    out->bind = true;
  if (out->bind && !out->source)
    return err_set(e, EINVAL, "%s.source: required for a bind mount of %s", where,
                   out->destination);
  if (!out->bind && !out->type)
    return err_set(e, EINVAL, "%s.type: required for %s (or a \"bind\" option)", where,
                   out->destination);
  return 0;
}

static int parse_mounts(struct oci_spec *s, err_t *e) {
  json_t *arr = NULL;
  if (json_opt_arr(s->doc, "mounts", NULL, &arr, e) < 0)
    return -1;
  if (!arr)
    return 0;
  s->n_mounts = json_array_size(arr);
  s->mounts = calloc(s->n_mounts ? s->n_mounts : 1, sizeof *s->mounts);
  if (!s->mounts)
    return err_sys(e, "mounts");
  for (size_t i = 0; i < s->n_mounts; i++)
    if (parse_mount(json_array_get(arr, i), i, &s->mounts[i], e) < 0)
      return -1;
  return 0;
}

static int parse_hook(json_t *h, const char *where, struct oci_hook *out, err_t *e) {
  if (!json_is_object(h))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(h));
  if (json_opt_str(h, "path", where, &out->path, e) < 0)
    return -1;
  if (!out->path || out->path[0] != '/')
    return err_set(e, EINVAL, "%s.path: required, an absolute path", where);
  if (json_opt_strv(h, "args", where, &out->args, e) < 0 ||
      json_opt_strv(h, "env", where, &out->env, e) < 0)
    return -1;
  int64_t timeout = 0;
  if (json_opt_i64(h, "timeout", where, &timeout, e) < 0)
    return -1;
  if (json_object_get(h, "timeout") && timeout <= 0)
    return err_set(e, EINVAL, "%s.timeout: must be greater than zero", where);
  out->timeout = timeout > 86400 ? 86400 : (int)timeout;
  return 0;
}

static int parse_hooks(struct oci_spec *s, err_t *e) {
  json_t *hooks = NULL;
  if (json_opt_obj(s->doc, "hooks", NULL, &hooks, e) < 0)
    return -1;
  if (!hooks)
    return 0;
  for (int k = 0; k < HOOK_KINDS; k++) {
    json_t *arr = NULL;
    char where[48];
    snprintf(where, sizeof where, "hooks.%s", hook_names[k]);
    if (json_opt_arr(hooks, hook_names[k], "hooks", &arr, e) < 0)
      return -1;
    if (!arr)
      continue;
    size_t n = json_array_size(arr);
    s->hooks[k] = calloc(n ? n : 1, sizeof *s->hooks[k]);
    if (!s->hooks[k])
      return err_sys(e, "%s", where);
    s->n_hooks[k] = n;
    for (size_t i = 0; i < n; i++) {
      char item[sizeof where + 24]; /* fits any index */
      snprintf(item, sizeof item, "%s[%zu]", where, i);
      if (parse_hook(json_array_get(arr, i), item, &s->hooks[k][i], e) < 0)
        return -1;
    }
  }
  return 0;
}

static int parse_top(struct oci_spec *s, err_t *e) {
  if (json_opt_str(s->doc, "ociVersion", NULL, &s->oci_version, e) < 0)
    return -1;
  if (!s->oci_version)
    return err_set(e, EINVAL, "ociVersion: required");
  if (strncmp(s->oci_version, "1.", 2))
    return err_set(e, EINVAL, "ociVersion: unsupported version \"%s\" (capsule speaks 1.x)",
                   s->oci_version);
  if (json_opt_str(s->doc, "hostname", NULL, &s->hostname, e) < 0 ||
      json_opt_str(s->doc, "domainname", NULL, &s->domainname, e) < 0 ||
      json_opt_obj(s->doc, "annotations", NULL, &s->annotations, e) < 0)
    return -1;
  if (s->annotations) {
    const char *k;
    json_t *v;
    json_object_foreach(s->annotations, k, v) if (!json_is_string(v)) return err_set(
        e, EINVAL, "annotations.%s: expected a string, got %s", k, json_type_name(v));
  }
  json_t *proc = NULL;
  if (json_opt_obj(s->doc, "process", NULL, &proc, e) < 0)
    return -1;
  if (proc) {
    s->has_process = true;
    if (oci_process_parse(proc, "process", &s->process, e) < 0)
      return -1;
  }
  return 0;
}

int oci_spec_parse(json_t *doc, const char *bundle, struct oci_spec **out, err_t *e) {
  struct oci_spec *s = calloc(1, sizeof *s);
  if (!s)
    return err_sys(e, "config");
  s->doc = json_incref(doc);
  s->bundle = bundle;
  if (parse_top(s, e) < 0 || parse_root(s, e) < 0 || parse_mounts(s, e) < 0 ||
      parse_hooks(s, e) < 0 || oci_spec_parse_linux(s, e) < 0) {
    oci_spec_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

int oci_spec_load(const char *bundle, struct oci_spec **out, err_t *e) {
  _cleanup_free_ char *path = path_join(bundle, "config.json");
  if (!path)
    return err_sys(e, "config.json");
  _cleanup_json_ json_t *doc = json_load_object_file(path, e);
  if (!doc)
    return -1;
  if (oci_spec_parse(doc, bundle, out, e) < 0)
    return err_wrap(e, "%s", path);
  return 0;
}

void oci_spec_free(struct oci_spec *s) {
  if (!s)
    return;
  if (s->has_process)
    oci_process_free(&s->process);
  for (size_t i = 0; i < s->n_mounts; i++)
    free(s->mounts[i].data);
  free(s->mounts);
  for (int k = 0; k < HOOK_KINDS; k++) {
    for (size_t i = 0; i < s->n_hooks[k]; i++) {
      strv_free(s->hooks[k][i].args);
      strv_free(s->hooks[k][i].env);
    }
    free(s->hooks[k]);
  }
  oci_spec_free_linux(s);
  free(s->root_path_abs);
  json_decref(s->doc);
  free(s);
}
