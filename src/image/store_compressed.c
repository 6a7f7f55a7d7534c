/* gzip'd forms of uncompressed layers, for pushes: an image loaded from a
 * docker-archive, imported from a tar or committed holds its layers as plain
 * tars, which no registry client sends as they are (a Debian image was a
 * 170 MB upload instead of 50 MB). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "image/config.h"
#include "image/store_internal.h"
#include "util/cleanup.h"
#include "util/json.h"

#define CHUNK (128 * 1024)

/* Layer `k` of the stored image `manifest`, when it is gzip'd and of diff id
 * `diff_id`, into `out` (digest and size). */
static bool gzip_layer_of(struct image_store *s, const char *manifest, const char *diff_id,
                          char out[DIGEST_BUF], int64_t *size) {
  err_t ignored = ERR_INIT;
  _cleanup_manifest_ struct manifest m = {0};
  if (store_read_manifest(s, manifest, &m, &ignored) < 0)
    return false;
  size_t len;
  _cleanup_free_ char *buf = image_store_read_blob(s, m.config.digest, 0, &len, &ignored);
  _cleanup_image_config_ struct image_config c = {0};
  if (!buf || image_config_parse(buf, len, &c, &ignored) < 0)
    return false;
  for (size_t k = 0; k < m.n_layers && k < c.n_diff_ids; k++) {
    enum layer_compression comp;
    if (strcmp(c.diff_ids[k], diff_id) ||
        layer_media_type_compression(m.layers[k].media_type, &comp, &ignored) < 0 ||
        comp != LAYER_GZIP || image_store_has_blob(s, m.layers[k].digest, size) != 1)
      continue;
    memcpy(out, m.layers[k].digest, DIGEST_BUF);
    return true;
  }
  return false;
}

/* The gzip blob a record keeps for its layer `diff_id`, or NULL. */
static const char *kept_gzip(json_t *rec, const char *diff_id) {
  return json_string_value(json_object_get(json_object_get(rec, "compressed"), diff_id));
}

/* A gzip blob of diff id `diff_id` the store has: one an earlier push made
 * (in a record's "compressed"), or a layer of an image pulled or loaded
 * compressed. */
static bool find_gzip(struct image_store *s, json_t *db, const char *diff_id, char out[DIGEST_BUF],
                      int64_t *size) {
  const char *m;
  json_t *rec;
  json_object_foreach(db_images(db), m, rec) {
    const char *made = kept_gzip(rec, diff_id);
    if (made && digest_valid(made) && image_store_has_blob(s, made, size) == 1) {
      memcpy(out, made, DIGEST_BUF);
      return true;
    }
  }
  json_object_foreach(db_images(db), m, rec) {
    if (gzip_layer_of(s, m, diff_id, out, size))
      return true;
  }
  return false;
}

/* Stream `fd` through deflate into `w`. The gzip header is zlib's: no name,
 * no time, so the same tar always gives the same bytes. */
static int gzip_into(int fd, struct blob_writer *w, const char *what, err_t *e) {
  z_stream z = {0};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return err_set(e, ENOMEM, "%s: cannot start gzip", what);
  _cleanup_free_ unsigned char *in = malloc(CHUNK), *out = malloc(CHUNK);
  int rc = in && out ? 0 : err_sys(e, "%s", what);
  int flush = Z_NO_FLUSH;
  while (rc == 0 && flush != Z_FINISH) {
    ssize_t n = read(fd, in, CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = err_sys(e, "%s: read", what);
      break;
    }
    flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = in;
    z.avail_in = (uInt)n;
    do {
      z.next_out = out;
      z.avail_out = CHUNK;
      if (deflate(&z, flush) == Z_STREAM_ERROR)
        rc = err_set(e, EIO, "%s: gzip failed", what);
      else
        rc = blob_writer_write(w, out, CHUNK - z.avail_out, e);
    } while (rc == 0 && z.avail_out == 0);
  }
  deflateEnd(&z);
  return rc;
}

/* Remember, in the image's record, that `gz` is the gzip'd form of its layer
 * `diff_id`: it keeps the blob alive and the next push finds it. */
static int record_gzip(struct image_store *s, const char *manifest, const char *diff_id,
                       const char *gz, err_t *e) {
  struct db_txn t;
  if (db_begin(s, &t, e) < 0)
    return -1;
  int r;
  json_t *rec = json_object_get(db_images(t.db), manifest);
  json_t *comp = json_object_get(rec, "compressed");
  bool failed = false;
  if (!rec) {
    r = err_set(e, ENOENT, "image %s was removed", manifest);
  } else {
    if (!json_is_object(comp) && json_set(rec, "compressed", comp = json_object(), &failed) < 0)
      comp = NULL;
    json_set(comp, diff_id, json_string(gz), &failed);
    r = json_built(failed, DB_FILE, e) < 0 ? -1 : db_commit(s, &t, e);
  }
  db_end(&t);
  return r;
}

int image_store_gzip_layer(struct image_store *s, const struct image_info *img,
                           const char *tar_digest, const char *diff_id, char digest[DIGEST_BUF],
                           int64_t *size, err_t *e) {
  _cleanup_json_ json_t *db = db_read(s, e);
  if (!db)
    return -1;
  if (find_gzip(s, db, diff_id, digest, size)) {
    /* Kept with this image too: the next push sends it even once the image
     * it came from is gone. */
    const char *kept = kept_gzip(json_object_get(db_images(db), img->manifest), diff_id);
    return kept && !strcmp(kept, digest) ? 0 : record_gzip(s, img->manifest, diff_id, digest, e);
  }
  _cleanup_close_ int fd = image_store_open_blob(s, tar_digest, e);
  struct blob_writer *w = NULL;
  if (fd < 0 || blob_writer_new(s, NULL, -1, &w, e) < 0)
    return -1;
  if (gzip_into(fd, w, tar_digest, e) < 0) {
    blob_writer_abort(w);
    return -1;
  }
  *size = (int64_t)blob_writer_size(w);
  if (blob_writer_commit(w, digest, e) < 0)
    return -1;
  return record_gzip(s, img->manifest, diff_id, digest, e);
}
