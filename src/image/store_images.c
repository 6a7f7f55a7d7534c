/* Image records, references, lookups and pins. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "image/reference.h"
#include "image/store_internal.h"
#include "util/cleanup.h"
#include "util/json.h"

int image_store_manifest(struct image_store *s, const struct image_info *img,
                         struct manifest *out, err_t *e) {
  return store_read_manifest(s, img->manifest, out, e);
}

int image_store_config(struct image_store *s, const struct image_info *img,
                       struct image_config *out, err_t *e) {
  size_t len;
  _cleanup_free_ char *buf = image_store_read_blob(s, img->config, 0, &len, e);
  if (!buf)
    return -1;
  if (image_config_parse(buf, len, out, e) < 0)
    return err_wrap(e, "image %s", img->config);
  return 0;
}

/* Check the manifest's blobs, unpack its layers; fills the record's fields. */
json_t *store_build_record(struct image_store *s, const char *manifest_digest,
                            const char *index_digest, err_t *e) {
  _cleanup_manifest_ struct manifest m = {0};
  _cleanup_image_config_ struct image_config c = {0};
  if (store_read_manifest(s, manifest_digest, &m, e) < 0)
    return NULL;
  int64_t size;
  if (!image_store_has_blob(s, m.config.digest, &size)) {
    err_set(e, ENOENT, "config blob %s is not in the store", m.config.digest);
    return NULL;
  }
  size_t len;
  _cleanup_free_ char *cbuf = image_store_read_blob(s, m.config.digest, 0, &len, e);
  if (!cbuf || image_config_parse(cbuf, len, &c, e) < 0)
    return NULL;
  if (c.n_diff_ids != m.n_layers) {
    err_set(e, EINVAL, "the manifest lists %zu layers, the config %zu diff ids", m.n_layers,
            c.n_diff_ids);
    return NULL;
  }
  _cleanup_json_ json_t *chains = json_array();
  bool failed = !chains;
  char chain[DIGEST_BUF] = "";
  uint64_t total = 0;
  for (size_t i = 0; i < m.n_layers; i++) {
    const struct descriptor *l = &m.layers[i];
    if (!image_store_has_blob(s, l->digest, &size) || size != l->size) {
      err_set(e, ENOENT, "layer blob %s is %s", l->digest,
              image_store_has_blob(s, l->digest, NULL) ? "not of the size the manifest says"
                                                       : "not in the store");
      return NULL;
    }
    char parent[DIGEST_BUF];
    memcpy(parent, chain, DIGEST_BUF);
    if (image_store_unpack_layer(s, l->digest, parent, c.diff_ids[i], chain, e) < 0)
      return NULL;
    _cleanup_json_ json_t *meta = store_layer_meta(s, chain, e);
    if (!meta)
      return NULL;
    total += (uint64_t)json_integer_value(json_object_get(meta, "size"));
    json_push(chains, json_string(chain), &failed);
  }
  char added[40];
  store_now(added);
  json_t *rec = failed ? NULL
                       : json_pack("{s:s, s:s, s:O, s:I, s:s}", "config", m.config.digest,
                                   "media_type", m.media_type, "chains", chains, "size",
                                   (json_int_t)total, "added", added);
  failed = !rec;
  if (index_digest)
    json_set(rec, "index", json_string(index_digest), &failed);
  if (c.created)
    json_set(rec, "created", json_string(c.created), &failed);
  if (json_built(failed, "image record", e) < 0) {
    json_decref(rec);
    return NULL;
  }
  return rec;
}

int image_store_add_image(struct image_store *s, const char *manifest_digest,
                          const char *index_digest, struct image_info *out, err_t *e) {
  if (!digest_valid(manifest_digest))
    return err_set(e, EINVAL, "invalid manifest digest '%s'", manifest_digest);
  if (index_digest && !image_store_has_blob(s, index_digest, NULL))
    return err_set(e, ENOENT, "index blob %s is not in the store", index_digest);
  /* The slow part (unpacking) happens before the database is locked. */
  _cleanup_json_ json_t *rec = store_build_record(s, manifest_digest, index_digest, e);
  if (!rec)
    return err_wrap(e, "image %s", manifest_digest);
  struct db_txn t;
  if (db_begin(s, &t, e) < 0)
    return -1;
  json_t *old = json_object_get(db_images(t.db), manifest_digest);
  int r = 0;
  if (!old || (index_digest && !json_object_get(old, "index"))) {
    bool failed = false;
    if (old)
      json_set(old, "index", json_string(index_digest), &failed);
    else
      json_set(db_images(t.db), manifest_digest, json_incref(rec), &failed);
    r = json_built(failed, "images.json", e) < 0 ? -1 : db_commit(s, &t, e);
  }
  if (r == 0 && out)
    r = db_image_info(s, t.db, manifest_digest, out, e);
  db_end(&t);
  return r;
}

/* The key a reference is stored under: "registry/repo:tag" or "...@digest". */
static int ref_key(const char *reference, char **key, err_t *e) {
  _cleanup_image_ref_ struct image_ref ref = {0};
  if (image_ref_parse(reference, &ref, e) < 0)
    return -1;
  if (!(*key = image_ref_string(&ref)))
    return err_sys(e, "%s", reference);
  return 0;
}

int db_point(struct image_store *s, json_t *(*section)(json_t *), const char *key,
                    const char *manifest_digest, err_t *e) {
  struct db_txn t;
  if (db_begin(s, &t, e) < 0)
    return -1;
  int r;
  if (!json_object_get(db_images(t.db), manifest_digest))
    r = err_set(e, ENOENT, "no such image: %s", manifest_digest);
  else if (json_object_set_new(section(t.db), key, json_string(manifest_digest)) < 0)
    r = err_set(e, ENOMEM, "%s", key);
  else
    r = db_commit(s, &t, e);
  db_end(&t);
  return r;
}

int image_store_tag(struct image_store *s, const char *reference, const char *manifest_digest,
                    err_t *e) {
  _cleanup_free_ char *key = NULL;
  if (ref_key(reference, &key, e) < 0)
    return -1;
  return db_point(s, db_refs, key, manifest_digest, e);
}

static bool is_hex(const char *s, size_t min, size_t max) {
  size_t n = strlen(s);
  if (n < min || n > max)
    return false;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
      return false;
  return true;
}

/* The manifest digest of the image that has `field` (config, index) equal
 * to `digest`, or whose config starts with the hex `prefix`. */
static const char *find_by_field(json_t *db, const char *field, const char *value, size_t len,
                                 const char *name, err_t *e) {
  const char *found = NULL, *k;
  const char *found_config = NULL;
  json_t *rec;
  json_object_foreach(db_images(db), k, rec) {
    const char *v = json_string_value(json_object_get(rec, field));
    if (!v || strncmp(v, value, len))
      continue;
    const char *config = json_string_value(json_object_get(rec, "config"));
    if (found && strcmp(config, found_config)) {
      err_set(e, EINVAL, "%s is ambiguous: it matches several images", name);
      return NULL;
    }
    if (found) { /* one config under two manifests: the same image, the first wins */
      if (strcmp(k, found) < 0)
        found = k;
      continue;
    }
    found = k;
    found_config = config;
  }
  return found;
}

static const char *resolve_in(json_t *db, const char *name, err_t *e) {
  json_t *images = db_images(db);
  if (!strncmp(name, "sha256:", 7) && digest_valid(name)) {
    if (json_object_get(images, name))
      return json_object_iter_key(json_object_iter_at(images, name));
    const char *m = find_by_field(db, "config", name, strlen(name), name, e);
    if (!m && !e->code)
      m = find_by_field(db, "index", name, strlen(name), name, e);
    return m;
  }
  _cleanup_image_ref_ struct image_ref ref = {0};
  err_t parse_err = ERR_INIT;
  if (image_ref_parse(name, &ref, &parse_err) == 0) {
    _cleanup_free_ char *key = image_ref_string(&ref);
    const char *m = key ? json_string_value(json_object_get(db_refs(db), key)) : NULL;
    if (m)
      return m;
    if (ref.digest && !ref.tag) { /* name@digest: the repo digest of a stored image */
      if (json_object_get(images, ref.digest))
        return json_object_iter_key(json_object_iter_at(images, ref.digest));
      m = find_by_field(db, "index", ref.digest, strlen(ref.digest), name, e);
      if (m || e->code)
        return m;
    }
  }
  if (is_hex(name, 4, 64)) {
    char prefix[DIGEST_BUF];
    snprintf(prefix, sizeof(prefix), "sha256:%s", name);
    const char *m = find_by_field(db, "config", prefix, strlen(prefix), name, e);
    if (m || e->code)
      return m;
  }
  if (parse_err.code)
    *e = parse_err;
  else
    err_set(e, ENOENT, "no such image: %s", name);
  return NULL;
}

int image_store_resolve(struct image_store *s, const char *name, struct image_info *out,
                        err_t *e) {
  _cleanup_json_ json_t *db = db_read(s, e);
  if (!db)
    return -1;
  const char *m = resolve_in(db, name, e);
  if (!m)
    return -1;
  return db_image_info(s, db, m, out, e);
}

int image_store_list(struct image_store *s, struct image_info **out, size_t *n, err_t *e) {
  _cleanup_json_ json_t *db = db_read(s, e);
  if (!db)
    return -1;
  json_t *images = db_images(db);
  struct image_info *v = calloc(json_object_size(images) + 1, sizeof(*v));
  if (!v)
    return err_sys(e, "list images");
  size_t i = 0;
  const char *k;
  json_t *rec;
  json_object_foreach(images, k, rec) {
    if (db_image_info(s, db, k, &v[i], e) < 0) {
      while (i-- > 0)
        image_info_free(&v[i]);
      free(v);
      return -1;
    }
    i++;
  }
  *out = v;
  *n = i;
  return 0;
}

int image_store_layer_dirs(struct image_store *s, const struct image_info *img, char ***out,
                           err_t *e) {
  _cleanup_strv_ char **v = calloc(img->n_layers + 1, sizeof(*v));
  if (!v)
    return err_sys(e, "layer dirs");
  for (size_t i = 0; i < img->n_layers; i++) {
    if (!image_store_has_layer(s, img->chains[i]))
      return err_set(e, ENOENT, "image %s: layer %s is missing (run capsule system check)",
                     img->config, img->chains[i]);
    if (!(v[i] = image_store_layer_dir(s, img->chains[i])))
      return err_sys(e, "layer dirs");
  }
  *out = steal_ptr(&v);
  return 0;
}
