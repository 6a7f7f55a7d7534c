#include "util/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"

json_t *json_load_object_buf(const char *buf, size_t len, const char *what, err_t *e) {
  json_error_t je;
  json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    err_set(e, EINVAL, "%s: invalid JSON at line %d column %d: %s", what, je.line, je.column,
            je.text);
    return NULL;
  }
  if (!json_is_object(root)) {
    err_set(e, EINVAL, "%s: expected a JSON object, got %s", what, json_type_name(root));
    json_decref(root);
    return NULL;
  }
  return root;
}

json_t *json_load_object_file(const char *path, err_t *e) {
  size_t len;
  _cleanup_free_ char *buf = read_file(path, JSON_DOC_MAX_BYTES, &len, e);
  if (!buf)
    return NULL;
  return json_load_object_buf(buf, len, path, e);
}

const char *json_type_name(const json_t *j) {
  if (!j) /* a member that is not there: json_object_get() gave NULL */
    return "nothing";
  switch (json_typeof(j)) {
  case JSON_OBJECT:
    return "object";
  case JSON_ARRAY:
    return "array";
  case JSON_STRING:
    return "string";
  case JSON_INTEGER:
    return "integer";
  case JSON_REAL:
    return "number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "boolean";
  case JSON_NULL:
    return "null";
  }
  return "unknown";
}

static int wrong_type(json_t *v, const char *key, const char *where, const char *want, err_t *e) {
  return err_set(e, EINVAL, "%s%s%s: expected %s, got %s", where ? where : "", where ? "." : "",
                 key, want, json_type_name(v));
}

/* A JSON null reads as "absent": generators such as podman emit `null`. */
static json_t *member(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_null(v) ? NULL : v;
}

int json_opt_str(json_t *obj, const char *key, const char *where, const char **out, err_t *e) {
  json_t *v = member(obj, key);
  if (!v)
    return 0;
  if (!json_is_string(v))
    return wrong_type(v, key, where, "a string", e);
  *out = json_string_value(v);
  return 1;
}

int json_opt_bool(json_t *obj, const char *key, const char *where, bool *out, err_t *e) {
  json_t *v = member(obj, key);
  if (!v)
    return 0;
  if (!json_is_boolean(v))
    return wrong_type(v, key, where, "a boolean", e);
  *out = json_is_true(v);
  return 1;
}

int json_opt_i64(json_t *obj, const char *key, const char *where, int64_t *out, err_t *e) {
  json_t *v = member(obj, key);
  if (!v)
    return 0;
  if (!json_is_integer(v))
    return wrong_type(v, key, where, "an integer", e);
  *out = json_integer_value(v);
  return 1;
}

int json_opt_u64(json_t *obj, const char *key, const char *where, uint64_t *out, err_t *e) {
  json_t *v = member(obj, key);
  if (!v)
    return 0;
  if (json_is_integer(v)) {
    if (json_integer_value(v) < 0)
      return err_set(e, EINVAL, "%s%s%s: must not be negative", where ? where : "",
                     where ? "." : "", key);
    *out = (uint64_t)json_integer_value(v);
    return 1;
  }
  /* Values above INT64_MAX (e.g. UINT64_MAX for "unlimited") arrive as reals.
   * Every double from 2^53 up is a whole number, so the range check is all. */
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (d >= 9.2233720368547758e18 && d <= 1.8446744073709552e19) {
      *out = d >= 1.8446744073709552e19 ? UINT64_MAX : (uint64_t)d;
      return 1;
    }
  }
  return wrong_type(v, key, where, "a non-negative integer", e);
}

int json_opt_u32(json_t *obj, const char *key, const char *where, uint32_t *out, err_t *e) {
  uint64_t v;
  int r = json_opt_u64(obj, key, where, &v, e);
  if (r <= 0)
    return r;
  if (v > UINT32_MAX)
    return err_set(e, EINVAL, "%s%s%s: %llu is out of range", where ? where : "",
                   where ? "." : "", key, (unsigned long long)v);
  *out = (uint32_t)v;
  return 1;
}

int json_opt_obj(json_t *obj, const char *key, const char *where, json_t **out, err_t *e) {
  json_t *v = member(obj, key);
  if (!v)
    return 0;
  if (!json_is_object(v))
    return wrong_type(v, key, where, "an object", e);
  *out = v;
  return 1;
}

int json_opt_arr(json_t *obj, const char *key, const char *where, json_t **out, err_t *e) {
  json_t *v = member(obj, key);
  if (!v)
    return 0;
  if (!json_is_array(v))
    return wrong_type(v, key, where, "an array", e);
  *out = v;
  return 1;
}

int json_opt_strv(json_t *obj, const char *key, const char *where, char ***out, err_t *e) {
  json_t *arr;
  int r = json_opt_arr(obj, key, where, &arr, e);
  if (r <= 0)
    return r;
  size_t n = json_array_size(arr);
  _cleanup_strv_ char **v = calloc(n + 1, sizeof *v);
  if (!v)
    return err_sys(e, "%s.%s", where ? where : "", key);
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(arr, i);
    if (!json_is_string(s))
      return err_set(e, EINVAL, "%s%s%s[%zu]: expected a string, got %s", where ? where : "",
                     where ? "." : "", key, i, json_type_name(s));
    if (!(v[i] = strdup(json_string_value(s))))
      return err_sys(e, "%s.%s", where ? where : "", key);
  }
  *out = steal_ptr(&v);
  return 1;
}

char *json_to_string(const json_t *j) {
  return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

char *json_dump_checked(const json_t *j, size_t flags) {
  char *text = j ? json_dumps(j, flags) : NULL;
  json_t *back = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
  bool same = back && json_equal(back, j);
  json_decref(back);
  if (!same) {
    free(text);
    return NULL;
  }
  return text;
}

json_t *json_string_array(const char *const *v) {
  json_t *a = json_array();
  bool failed = false;
  for (; a && v && *v; v++)
    json_push(a, json_string(*v), &failed);
  return json_done(a, failed);
}

int json_env_set(json_t *env, const char *kv, bool *failed) {
  size_t key_len = strcspn(kv, "=");
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *old = json_string_value(v);
    if (old && !strncmp(old, kv, key_len) && old[key_len] == '=')
      return json_checked(json_array_set_new(env, i, json_string(kv)), failed);
  }
  return json_push(env, json_string(kv), failed);
}

int json_checked(int rc, bool *failed) {
  if (rc < 0 && failed)
    *failed = true;
  return rc < 0 ? -1 : 0;
}

int json_set(json_t *obj, const char *key, json_t *v, bool *failed) {
  return json_checked(json_object_set_new(obj, key, v), failed);
}

int json_push(json_t *arr, json_t *v, bool *failed) {
  return json_checked(json_array_append_new(arr, v), failed);
}

json_t *json_done(json_t *j, bool failed) {
  if (!failed)
    return j;
  json_decref(j);
  return NULL;
}

int json_built(bool failed, const char *what, err_t *e) {
  return failed ? err_set(e, ENOMEM, "%s: out of memory building it", what) : 0;
}
