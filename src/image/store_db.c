/* images.json: image records, references and pins, replaced atomically. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "image/store_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

#define DB_MAX (64u << 20)

static json_t *db_empty(void) {
  return json_pack("{s:i, s:{}, s:{}, s:{}}", "version", 1, "images", "refs", "pins");
}

json_t *db_read(struct image_store *s, err_t *e) {
  size_t len;
  _cleanup_free_ char *buf = read_file_at(s->rootfd, DB_FILE, DB_MAX, &len, e);
  if (!buf) {
    if (e->code != ENOENT)
      return NULL;
    err_clear(e);
    json_t *db = db_empty();
    if (!db)
      err_set(e, ENOMEM, "%s/%s", s->root, DB_FILE);
    return db;
  }
  json_t *db = json_load_object_buf(buf, len, DB_FILE, e);
  if (!db)
    return NULL;
  static const char *const sections[] = {"images", "refs", "pins"};
  for (size_t i = 0; i < 3; i++) {
    json_t *sec = json_object_get(db, sections[i]);
    if (!sec && json_object_set_new(db, sections[i], json_object()) == 0)
      continue;
    if (!json_is_object(sec)) {
      json_decref(db);
      err_set(e, EINVAL, "%s/%s: \"%s\" is not an object", s->root, DB_FILE, sections[i]);
      return NULL;
    }
  }
  return db;
}

int db_begin(struct image_store *s, struct db_txn *t, err_t *e) {
  t->db = NULL;
  t->lockfd = openat(s->rootfd, DB_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (t->lockfd < 0)
    return err_sys(e, "%s/%s", s->root, DB_LOCK);
  while (flock(t->lockfd, LOCK_EX) < 0)
    if (errno != EINTR) {
      err_sys(e, "%s/%s: lock", s->root, DB_LOCK);
      db_end(t);
      return -1;
    }
  if (!(t->db = db_read(s, e))) {
    db_end(t);
    return -1;
  }
  return 0;
}

int db_commit(struct image_store *s, struct db_txn *t, err_t *e) {
  _cleanup_free_ char *text = json_dump_checked(t->db, JSON_INDENT(1) | JSON_SORT_KEYS);
  if (!text)
    return err_set(e, ENOMEM, "%s/%s: serialise", s->root, DB_FILE);
  if (atomic_write_at(s->rootfd, DB_FILE, text, strlen(text), 0600, e) < 0)
    return err_wrap(e, "%s", s->root);
  return 0;
}

void db_end(struct db_txn *t) {
  json_decref(t->db);
  t->db = NULL;
  if (t->lockfd >= 0)
    close(t->lockfd); /* releases the flock */
  t->lockfd = -1;
}

json_t *db_images(json_t *db) {
  return json_object_get(db, "images");
}
json_t *db_refs(json_t *db) {
  return json_object_get(db, "refs");
}
json_t *db_pins(json_t *db) {
  return json_object_get(db, "pins");
}

void image_info_free(struct image_info *i) {
  free(i->manifest_media_type);
  strv_free(i->refs);
  strv_free(i->chains);
  strv_free(i->pins);
  free(i->created);
  free(i->added);
  *i = (struct image_info){0};
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys of `section` whose value is `manifest`, sorted. */
static char **keys_pointing_at(json_t *section, const char *manifest) {
  char **v = calloc(json_object_size(section) + 1, sizeof(*v));
  if (!v)
    return NULL;
  size_t n = 0;
  const char *k;
  json_t *val;
  json_object_foreach(section, k, val) {
    if (!json_is_string(val) || strcmp(json_string_value(val), manifest))
      continue;
    if (!(v[n++] = strdup(k))) {
      strv_free(v);
      return NULL;
    }
  }
  qsort(v, n, sizeof(*v), cmp_str);
  return v;
}

static int copy_digest(char out[DIGEST_BUF], json_t *rec, const char *key) {
  const char *s = json_string_value(json_object_get(rec, key));
  if (!s || strlen(s) >= DIGEST_BUF)
    return -1;
  strcpy(out, s);
  return 0;
}

static char *dup_member(json_t *rec, const char *key) {
  const char *s = json_string_value(json_object_get(rec, key));
  return s ? strdup(s) : NULL;
}

int db_image_info(struct image_store *s, json_t *db, const char *manifest, struct image_info *out,
                  err_t *e) {
  *out = (struct image_info){0};
  json_t *rec = json_object_get(db_images(db), manifest);
  if (!json_is_object(rec))
    return err_set(e, ENOENT, "no such image: %s", manifest);
  snprintf(out->manifest, sizeof(out->manifest), "%s", manifest);
  err_t ignored = ERR_INIT;
  if (copy_digest(out->config, rec, "config") < 0 ||
      json_opt_strv(rec, "chains", NULL, &out->chains, &ignored) <= 0) {
    image_info_free(out);
    return err_set(e, EINVAL, "%s: record of image %s is damaged", DB_FILE, manifest);
  }
  copy_digest(out->index, rec, "index");
  for (char **c = out->chains; *c; c++)
    out->n_layers++;
  out->size = (uint64_t)json_integer_value(json_object_get(rec, "size"));
  out->manifest_media_type = dup_member(rec, "media_type");
  out->created = dup_member(rec, "created");
  out->added = dup_member(rec, "added");
  out->refs = keys_pointing_at(db_refs(db), manifest);
  out->pins = keys_pointing_at(db_pins(db), manifest);
  if (!out->refs || !out->pins || !out->added || !out->manifest_media_type) {
    image_info_free(out);
    return err_set(e, ENOMEM, "image %s", manifest);
  }
  if (store_add_transient_pins(s, manifest, &out->pins, e) < 0) {
    image_info_free(out);
    return -1;
  }
  return 0;
}

int store_read_manifest(struct image_store *s, const char *digest, struct manifest *out,
                        err_t *e) {
  size_t len;
  _cleanup_free_ char *buf = image_store_read_blob(s, digest, 0, &len, e);
  if (!buf)
    return -1;
  if (manifest_parse(buf, len, out, e) < 0)
    return err_wrap(e, "%s", digest);
  return 0;
}
