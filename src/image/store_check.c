/* `capsule system check`: verify the whole store, repair what a crash or a
 * bad disk can leave, report what cannot be repaired. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/ref_display.h"
#include "image/store_gc.h"
#include "image/store_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

struct checker {
  struct image_store *s;
  store_note_fn note;
  void *data;
  unsigned problems;
};

/* Every note goes through here: problems are counted. */
static void count_note(void *data, const char *kind, const char *text) {
  struct checker *c = data;
  if (!strcmp(kind, "problem"))
    c->problems++;
  if (c->note)
    c->note(c->data, kind, text);
}
#define say(c, ...) store_notef(count_note, (c), __VA_ARGS__)

static unsigned count_entries(int fd) {
  _cleanup_closedir_ DIR *d = fdopendir_dup(fd);
  unsigned n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)))
    n += de->d_name[0] != '.';
  return n;
}

static int check_blobs(struct checker *c, err_t *e) {
  _cleanup_closedir_ DIR *d = fdopendir_dup(c->s->blobsfd);
  if (!d)
    return err_sys(e, "%s/blobs/sha256", c->s->root);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    char digest[DIGEST_BUF], got[DIGEST_BUF] = "";
    _cleanup_close_ int fd =
        store_name_digest(de->d_name, digest)
            ? openat(c->s->blobsfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            : -1;
    struct stat st;
    err_t ignored = ERR_INIT;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        digest_fd(fd, got, NULL, &ignored) == 0 && !strcmp(got, digest))
      continue;
    if (remove_tree_at(c->s->blobsfd, de->d_name, e) < 0)
      return -1;
    if (fd >= 0 && got[0] && digest_valid(got) && !ignored.code)
      say(c, "repaired", "removed corrupt blob %s (its content hashes to %s)", digest, got);
    else
      say(c, "repaired", "removed stray entry blobs/sha256/%s", de->d_name);
  }
  return 0;
}

/* A layer directory is whole when its layer.json names it and diff/ exists. */
static bool layer_whole(struct checker *c, const char *name) {
  char chain[DIGEST_BUF], path[DIGEST_BUF + 16];
  if (!store_name_digest(name, chain))
    return false;
  err_t ignored = ERR_INIT;
  _cleanup_json_ json_t *meta = store_layer_meta(c->s, chain, &ignored);
  const char *id = json_string_value(json_object_get(meta, "chain_id"));
  const char *diff_id = json_string_value(json_object_get(meta, "diff_id"));
  const char *parent = json_string_value(json_object_get(meta, "parent"));
  char expect[DIGEST_BUF];
  if (!id || strcmp(id, chain) || !diff_id || !digest_valid(diff_id) ||
      chain_id_next(parent, diff_id, expect, &ignored) < 0 || strcmp(expect, chain))
    return false;
  snprintf(path, sizeof(path), "%s/" LAYER_DIFF, name);
  struct stat st;
  return fstatat(c->s->layersfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int check_layers(struct checker *c, err_t *e) {
  _cleanup_closedir_ DIR *d = fdopendir_dup(c->s->layersfd);
  if (!d)
    return err_sys(e, "%s/layers", c->s->root);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (layer_whole(c, de->d_name))
      continue;
    if (store_drop_layer(c->s, de->d_name, e) < 0)
      return -1;
    say(c, "repaired", "removed incomplete or damaged layer %s", de->d_name);
  }
  return 0;
}

/* Drop the entries of `section` (refs, pins) that name no stored image. */
static bool check_pointers(struct checker *c, json_t *db, const char *section) {
  json_t *sec = json_object_get(db, section);
  bool changed = false;
  const char *k;
  json_t *v, *tmp;
  json_object_foreach_safe(sec, tmp, k, v) {
    if (json_is_string(v) && json_object_get(db_images(db), json_string_value(v)))
      continue;
    say(c, "repaired", "removed %s %s: it pointed at no stored image",
        !strcmp(section, "refs") ? "reference" : "pin", ref_familiar(k));
    json_object_del(sec, k);
    changed = true;
  }
  return changed;
}

static void check_image(struct checker *c, json_t *db, const char *m, json_t *rec) {
  _cleanup_image_info_ struct image_info img = {0};
  err_t e = ERR_INIT;
  const char *name = m;
  if (db_image_info(c->s, db, m, &img, &e) < 0) {
    say(c, "problem", "image %s: %s", m, e.msg);
    return;
  }
  if (img.refs[0])
    name = ref_familiar(img.refs[0]);
  json_t *missing = json_array();
  bool failed = !missing;
  for (size_t i = 0; i < img.n_layers; i++)
    if (!image_store_has_layer(c->s, img.chains[i]))
      json_push(missing, json_string(img.chains[i]), &failed);
  if (failed)
    say(c, "problem", "image %s: out of memory listing its missing layers", name);
  const char *index = json_string_value(json_object_get(rec, "index"));
  _cleanup_json_ json_t *fresh = store_build_record(c->s, m, index, &e);
  if (!fresh) {
    say(c, "problem", "image %s: %s; remove it (capsule rmi) and pull or load it again", name,
        e.msg);
  } else if (!json_equal(json_object_get(fresh, "chains"), json_object_get(rec, "chains"))) {
    say(c, "problem", "image %s: its recorded layers do not match its manifest", name);
  } else {
    size_t i;
    json_t *ch;
    json_array_foreach(missing, i, ch) say(c, "repaired", "image %s: unpacked missing layer %s again",
                                           name, json_string_value(ch));
  }
  json_decref(missing);
}

int image_store_check(struct image_store *s, store_note_fn note, void *data, err_t *e) {
  if (!s->exclusive)
    return err_set(e, EPERM, "checking needs the store opened exclusively");
  struct checker c = {.s = s, .note = note, .data = data};
  unsigned tmp = 0;
  if (store_clear_tmp(s, &tmp, e) < 0)
    return -1;
  if (tmp)
    say(&c, "repaired", "removed %u leftover%s of interrupted commands", tmp, tmp > 1 ? "s" : "");
  if (check_blobs(&c, e) < 0 || check_layers(&c, e) < 0)
    return -1;
  struct db_txn t;
  if (db_begin(s, &t, e) < 0)
    return -1;
  bool changed = check_pointers(&c, t.db, "refs");
  changed |= check_pointers(&c, t.db, "pins");
  const char *m;
  json_t *rec;
  json_object_foreach(db_images(t.db), m, rec) check_image(&c, t.db, m, rec);
  struct sweep_result sw = {0};
  int r = changed ? db_commit(s, &t, e) : 0;
  if (r == 0)
    r = store_sweep(s, t.db, &sw, e);
  size_t images = json_object_size(db_images(t.db));
  db_end(&t);
  if (r < 0)
    return -1;
  if (sw.blobs || sw.layers)
    say(&c, "repaired", "removed %u orphan blob%s and %u orphan layer%s (%llu bytes)", sw.blobs,
        sw.blobs == 1 ? "" : "s", sw.layers, sw.layers == 1 ? "" : "s",
        (unsigned long long)sw.bytes);
  if (c.problems)
    return err_set(e, EIO, "store %s: %u problem%s left", s->root, c.problems,
                   c.problems == 1 ? "" : "s");
  unsigned layers = count_entries(s->layersfd), blobs = count_entries(s->blobsfd);
  say(&c, "ok", "%zu image%s, %u layer%s, %u blob%s verified", images, images == 1 ? "" : "s",
      layers, layers == 1 ? "" : "s", blobs, blobs == 1 ? "" : "s");
  return 0;
}
