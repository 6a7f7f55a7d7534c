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

/* The largest JSON document read back: a config.json (annotations may be
 * large), or a file holding a copy of its parts, such as a state.json: what
 * one create accepts, every later command must be able to read. */
#define JSON_DOC_MAX_BYTES (64u << 20)

/* Parse a file (at most JSON_DOC_MAX_BYTES) that must hold a JSON object. */
json_t *json_load_object_file(const char *path, err_t *e);
json_t *json_load_object_buf(const char *buf, size_t len, const char *what, err_t *e);

/* "object", "array", "string", ...; "nothing" for NULL (a missing member). */
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

/* Building documents, checked. jansson's inserts fail when memory runs out,
 * and a document saved without a member it needs (a state.json without its
 * cgroup) breaks later commands. json_set() and json_push() take `v` (a new
 * reference, as json_object_set_new does; NULL, from a constructor that ran
 * out of memory, is a failure too; a NULL `obj` or `arr` as well) and return
 * -1 on failure, which they also record in *failed (when not NULL), so that a
 * run of calls is checked once, before the document is used or saved:
 *   bool failed = false;
 *   json_set(j, "rootfs", json_string(rootfs), &failed);
 *   json_set(j, "cgroup", cgroup_to_json(cg), &failed);
 *   if (json_built(failed, "state.json", e) < 0)
 *     return -1;
 * A borrowed value is given as json_incref(v). */
int json_set(json_t *obj, const char *key, json_t *v, bool *failed);
int json_push(json_t *arr, json_t *v, bool *failed);
/* Record a jansson call's result `rc` (-1: failed) in *failed; returns rc. */
int json_checked(int rc, bool *failed);
/* 0, or -1 with e set ("WHAT: out of memory building it") when failed. */
int json_built(bool failed, const char *what, err_t *e);
/* For functions that return what they built: `j`, or NULL (j released) when
 * failed. */
json_t *json_done(json_t *j, bool failed);

/* A JSON array of the strings of a NULL-terminated vector (NULL when out of
 * memory). */
json_t *json_string_array(const char *const *v);

/* Put "KEY=VALUE" into an array of environment strings, replacing the
 * entry of the same KEY if there is one (a duplicate would leave getenv()
 * the old value). Checked as json_set(). */
int json_env_set(json_t *env, const char *kv, bool *failed);

/* Compact serialisation on the heap (NULL on allocation failure). */
char *json_to_string(const json_t *j);

/* json_dumps() for documents that are saved: NULL unless the text reads back
 * as `j`. jansson 2.14 ignores a failed write of an object key, so memory
 * short for a moment gives `{"id":"x",:1}` instead of NULL. */
char *json_dump_checked(const json_t *j, size_t flags);

#endif
