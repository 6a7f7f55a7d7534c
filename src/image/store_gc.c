/* Removing images and freeing what no image uses any more.
 *
 * Every blob and layer is counted by the image records that use it (and a
 * pinned record stays); one that nobody counts is freed. Records go first,
 * content after, so a crash in between leaves orphans, never a broken image. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/ref_display.h"
#include "image/reference.h"
#include "image/store_gc.h"
#include "image/store_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

void store_notef(store_note_fn note, void *data, const char *kind, const char *fmt, ...) {
  if (!note)
    return;
  char buf[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  note(data, kind, buf);
}

static void count(json_t *set, const char *key, bool *failed) {
  if (key)
    json_set(set, key, json_true(), failed);
}

int store_live_set(struct image_store *s, json_t *db, json_t *blobs, json_t *layers) {
  bool failed = false;
  const char *m;
  json_t *rec;
  json_object_foreach(db_images(db), m, rec) {
    count(blobs, m, &failed);
    count(blobs, json_string_value(json_object_get(rec, "config")), &failed);
    count(blobs, json_string_value(json_object_get(rec, "index")), &failed);
    const char *diff_id;
    json_t *gz;
    json_object_foreach(json_object_get(rec, "compressed"), diff_id, gz) {
      count(blobs, json_string_value(gz), &failed);
    }
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(rec, "chains"), i, c) {
      count(layers, json_string_value(c), &failed);
    }
    struct manifest man;
    err_t ignored = ERR_INIT;
    if (store_read_manifest(s, m, &man, &ignored) < 0)
      continue; /* system check reports it */
    for (i = 0; i < man.n_layers; i++)
      count(blobs, man.layers[i].digest, &failed);
    manifest_free(&man);
  }
  return failed ? -1 : 0;
}

int store_sweep(struct image_store *s, json_t *db, struct sweep_result *out, err_t *e) {
  *out = (struct sweep_result){0};
  _cleanup_json_ json_t *blobs = json_object(), *layers = json_object();
  if (!blobs || !layers)
    return err_set(e, ENOMEM, "gc");
  /* A set missing a live blob would free it. */
  if (store_live_set(s, db, blobs, layers) < 0)
    return err_set(e, ENOMEM, "gc: out of memory counting what is used");
  _cleanup_closedir_ DIR *d = fdopendir_dup(s->blobsfd);
  if (!d)
    return err_sys(e, "%s/blobs/sha256", s->root);
  struct dirent *de;
  char digest[DIGEST_BUF];
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    if (store_name_digest(de->d_name, digest) && json_object_get(blobs, digest))
      continue;
    struct stat st;
    if (fstatat(s->blobsfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      out->bytes += (uint64_t)st.st_size;
    if (unlinkat(s->blobsfd, de->d_name, 0) < 0 && errno != ENOENT)
      return err_sys(e, "%s/blobs/sha256/%s: remove", s->root, de->d_name);
    out->blobs++;
  }
  _cleanup_closedir_ DIR *l = fdopendir_dup(s->layersfd);
  if (!l)
    return err_sys(e, "%s/layers", s->root);
  while ((de = readdir(l))) {
    if (de->d_name[0] == '.')
      continue;
    bool named = store_name_digest(de->d_name, digest);
    if (named && json_object_get(layers, digest))
      continue;
    err_t ignored = ERR_INIT;
    _cleanup_json_ json_t *meta = named ? store_layer_meta(s, digest, &ignored) : NULL;
    out->bytes += (uint64_t)json_integer_value(json_object_get(meta, "size"));
    if (store_drop_layer(s, de->d_name, e) < 0)
      return -1;
    out->layers++;
  }
  if (s->exclusive && store_clear_tmp(s, &out->tmp, e) < 0)
    return -1;
  return 0;
}

/* Distinct repositories among an image's references. */
static size_t repositories(char **refs) {
  size_t n = 0;
  for (size_t i = 0; refs[i]; i++) {
    size_t len = strcspn(refs[i], "@");
    const char *colon = memrchr(refs[i], ':', len);
    const char *slash = memrchr(refs[i], '/', len);
    if (colon && (!slash || colon > slash))
      len = (size_t)(colon - refs[i]);
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = !strncmp(refs[j], refs[i], len) && strchr(":@", refs[j][len]);
    n += !seen;
  }
  return n;
}

static int delete_record(json_t *db, const struct image_info *img, store_note_fn note,
                         void *data) {
  for (char **r = img->refs; *r; r++) {
    json_object_del(db_refs(db), *r);
    store_notef(note, data, "untagged", "%s", ref_familiar(*r));
  }
  if (img->pins[0])
    return 0; /* kept until unpinned */
  json_object_del(db_images(db), img->manifest);
  store_notef(note, data, "deleted", "%s", img->config);
  return 0;
}

/* The normalised reference `name` stands for, when it is one stored. */
static char *stored_ref(json_t *db, const char *name) {
  struct image_ref ref;
  err_t ignored = ERR_INIT;
  if (image_ref_parse(name, &ref, &ignored) < 0)
    return NULL;
  char *key = image_ref_string(&ref);
  image_ref_free(&ref);
  if (key && !json_object_get(db_refs(db), key)) {
    free(key);
    key = NULL;
  }
  return key;
}

static int remove_in(struct db_txn *t, const char *name, const struct image_info *img, bool force,
                     store_note_fn note, void *data, err_t *e) {
  _cleanup_free_ char *ref = stored_ref(t->db, name);
  if (ref) {
    if (!img->refs[1] && img->pins[0] && !force)
      return err_set(e, EBUSY, "image %s is in use by %s (use -f to untag it anyway)", name,
                     img->pins[0]);
    json_object_del(db_refs(t->db), ref);
    store_notef(note, data, "untagged", "%s", ref_familiar(ref));
    if (img->refs[1] || img->pins[0])
      return 0;
    json_object_del(db_images(t->db), img->manifest);
    store_notef(note, data, "deleted", "%s", img->config);
    return 0;
  }
  if (!force && img->pins[0])
    return err_set(e, EBUSY, "image %s is in use by %s (use -f to untag it anyway)", name,
                   img->pins[0]);
  if (!force && repositories(img->refs) > 1)
    return err_set(e, EBUSY, "image %s is referenced in several repositories (use -f)", name);
  return delete_record(t->db, img, note, data);
}

static int need_exclusive(struct image_store *s, const char *what, err_t *e) {
  return s->exclusive ? 0 : err_set(e, EPERM, "%s needs the store opened exclusively", what);
}

int image_store_remove(struct image_store *s, const char *name, bool force, store_note_fn note,
                       void *data, err_t *e) {
  if (need_exclusive(s, "removing an image", e) < 0)
    return -1;
  _cleanup_image_info_ struct image_info img = {0};
  if (image_store_resolve(s, name, &img, e) < 0)
    return -1;
  struct db_txn t;
  if (db_begin(s, &t, e) < 0)
    return -1;
  struct sweep_result sw;
  int r = remove_in(&t, name, &img, force, note, data, e);
  if (r == 0)
    r = db_commit(s, &t, e);
  if (r == 0)
    r = store_sweep(s, t.db, &sw, e);
  db_end(&t);
  return r;
}

int image_store_prune(struct image_store *s, bool all, uint64_t *reclaimed, store_note_fn note,
                      void *data, err_t *e) {
  if (need_exclusive(s, "pruning", e) < 0)
    return -1;
  struct db_txn t;
  if (db_begin(s, &t, e) < 0)
    return -1;
  _cleanup_json_ json_t *doomed = json_array();
  bool failed = !doomed;
  const char *m;
  json_t *rec;
  int r = 0;
  json_object_foreach(db_images(t.db), m, rec) {
    struct image_info img;
    if ((r = db_image_info(s, t.db, m, &img, e)) < 0)
      break;
    if (!img.pins[0] && (all || !img.refs[0]))
      json_push(doomed, json_string(m), &failed);
    image_info_free(&img);
  }
  if (r == 0)
    r = json_built(failed, "prune", e);
  size_t i;
  json_t *d;
  json_array_foreach(doomed, i, d) {
    if (r < 0)
      break;
    struct image_info img;
    if ((r = db_image_info(s, t.db, json_string_value(d), &img, e)) == 0)
      delete_record(t.db, &img, note, data);
    image_info_free(&img);
  }
  struct sweep_result sw = {0};
  if (r == 0 && json_array_size(doomed))
    r = db_commit(s, &t, e);
  if (r == 0)
    r = store_sweep(s, t.db, &sw, e);
  if (reclaimed)
    *reclaimed = sw.bytes;
  db_end(&t);
  return r;
}
