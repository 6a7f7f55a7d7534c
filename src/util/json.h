/* Typed access to JSON documents (jansson) with errors that name the field.
 *
 * Getters for optional members return 0 when the member is absent (the
 * output is left untouched), 1 when present and of the right type, and -1
 * with `e` set ("process.cwd: expected a string, got number") otherwise.
 * `where` is the dotted path of `obj` in the document, for the message. */
#ifndef CAPSULE_UTIL_JSON_H
#define CAPSULE_UTIL_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

static inline void cleanup_json_decrefp(json_t **j) {
  json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(cleanup_json_decrefp)))

/* Parse a file that must hold a JSON object. */
json_t *json_load_object_file(const char *path, err_t *e);
json_t *json_load_object_buf(const char *buf, size_t len, const char *what, err_t *e);

const char *json_type_name(const json_t *j);

int json_opt_str(json_t *obj, const char *key, const char *where, const char **out, err_t *e);
int json_opt_bool(json_t *obj, const char *key, const char *where, bool *out, err_t *e);
int json_opt_i64(json_t *obj, const char *key, const char *where, int64_t *out, err_t *e);
/* Non-negative integer up to UINT64_MAX (jansson stores int64: larger values
 * arrive as reals and are accepted when exact). */
int json_opt_u64(json_t *obj, const char *key, const char *where, uint64_t *out, err_t *e);
int json_opt_u32(json_t *obj, const char *key, const char *where, uint32_t *out, err_t *e);
int json_opt_obj(json_t *obj, const char *key, const char *where, json_t **out, err_t *e);
int json_opt_arr(json_t *obj, const char *key, const char *where, json_t **out, err_t *e);

/* An array of strings as a NULL-terminated heap vector (free with strv_free).
 * Absent -> 0 and *out untouched. */
int json_opt_strv(json_t *obj, const char *key, const char *where, char ***out, err_t *e);

/* A JSON array of the strings of a NULL-terminated vector. */
json_t *json_string_array(const char *const *v);

/* Put "KEY=VALUE" into an array of environment strings, replacing the
 * entry of the same KEY if there is one (a duplicate would leave getenv()
 * the old value). */
void json_env_set(json_t *env, const char *kv);

/* Compact serialisation on the heap (NULL on allocation failure). */
char *json_to_string(const json_t *j);

#endif
