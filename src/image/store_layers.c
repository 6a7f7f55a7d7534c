/* Unpacked layers: layers/<chain hex>/{diff/,layer.json}, each created in
 * tmp/ and renamed into place once durable. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/decompress.h"
#include "image/digest.h"
#include "image/store_internal.h"
#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

int image_store_has_layer(struct image_store *s, const char *chain) {
  if (!digest_valid(chain))
    return 0;
  char path[DIGEST_BUF + sizeof(LAYER_META) + 1];
  snprintf(path, sizeof(path), "%s/%s", digest_hex(chain), LAYER_META);
  return faccessat(s->layersfd, path, F_OK, 0) == 0;
}

char *image_store_layer_dir(const struct image_store *s, const char *chain) {
  char *p = NULL;
  if (asprintf(&p, "%s/layers/%s/%s", s->root, digest_hex(chain), LAYER_DIFF) < 0)
    return NULL;
  return p;
}

json_t *store_layer_meta(struct image_store *s, const char *chain, err_t *e) {
  char path[DIGEST_BUF + sizeof(LAYER_META) + 1];
  snprintf(path, sizeof(path), "%s/%s", digest_hex(chain), LAYER_META);
  size_t len;
  _cleanup_free_ char *buf = read_file_at(s->layersfd, path, 1 << 16, &len, e);
  if (!buf)
    return NULL;
  return json_load_object_buf(buf, len, path, e);
}

int store_drop_layer(struct image_store *s, const char *hex, err_t *e) {
  char tmp[96];
  store_tmp_name(tmp, sizeof(tmp), "drop");
  if (renameat(s->layersfd, hex, s->tmpfd, tmp) < 0)
    return errno == ENOENT ? 0 : err_sys(e, "layer %s: move out", hex);
  /* Not durable, the move could be undone by a crash: the files stay (in
   * tmp/, cleared later), lest a crash bring back a half-removed layer. */
  if (fsync(s->layersfd) < 0)
    return err_sys(e, "%s/layers: fsync after moving out layer %s", s->root, hex);
  return remove_tree_at(s->tmpfd, tmp, e);
}

static int write_layer_meta(int dirfd, const char *chain, const char *parent,
                            const struct unpack_result *r, err_t *e) {
  char added[40];
  store_now(added);
  _cleanup_json_ json_t *meta =
      json_pack("{s:s, s:s, s:s?, s:I, s:I, s:I, s:s}", "chain_id", chain, "diff_id", r->diff_id,
                "parent", parent && *parent ? parent : NULL, "size", (json_int_t)r->size,
                "tar_size", (json_int_t)r->tar_size, "entries", (json_int_t)r->entries, "unpacked",
                added);
  _cleanup_free_ char *text = meta ? json_dump_checked(meta, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
  if (!text)
    return err_set(e, ENOMEM, "layer %s: metadata", chain);
  return atomic_write_at(dirfd, LAYER_META, text, strlen(text), 0644, e);
}

/* Unpack into tmp/<name>/diff, check or compute the diff id, make it durable. */
static int unpack_in_tmp(struct image_store *s, int blobfd, const char *tmp, const char *parent,
                         const char *expected_diff, char diff_id[DIGEST_BUF], char chain[DIGEST_BUF],
                         err_t *e) {
  if (mkdirat(s->tmpfd, tmp, 0700) < 0)
    return err_sys(e, "%s/tmp/%s", s->root, tmp);
  _cleanup_close_ int dirfd = openat(s->tmpfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0 || mkdirat(dirfd, LAYER_DIFF, 0755) < 0)
    return err_sys(e, "%s/tmp/%s", s->root, tmp);
  _cleanup_close_ int diff = openat(dirfd, LAYER_DIFF, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (diff < 0)
    return err_sys(e, "%s/tmp/%s/%s", s->root, tmp, LAYER_DIFF);
  struct unpack_result r;
  if (layer_unpack(blobfd, diff, &r, e) < 0)
    return -1;
  if (expected_diff && strcmp(r.diff_id, expected_diff))
    return err_set(e, EIO, "content hashes to %s, the image config says %s", r.diff_id,
                   expected_diff);
  memcpy(diff_id, r.diff_id, DIGEST_BUF);
  if (chain_id_next(parent, r.diff_id, chain, e) < 0)
    return -1;
  /* The layer is complete only once every file in it is on disk. */
  if (syncfs(diff) < 0)
    return err_sys(e, "%s/tmp/%s: sync", s->root, tmp);
  return write_layer_meta(dirfd, chain, parent, &r, e);
}

/* Unpack `blobfd` as a layer on `parent` and publish it under its chain id
 * (unless someone published that chain first, which is as good). */
static int unpack_and_publish(struct image_store *s, int blobfd, const char *what,
                              const char *parent, const char *expected_diff,
                              char diff_id[DIGEST_BUF], char chain[DIGEST_BUF], err_t *e) {
  char tmp[96];
  store_tmp_name(tmp, sizeof(tmp), "layer");
  err_t ignored = ERR_INIT;
  if (unpack_in_tmp(s, blobfd, tmp, parent, expected_diff, diff_id, chain, e) < 0) {
    remove_tree_at(s->tmpfd, tmp, &ignored);
    return err_wrap(e, "layer %s", what);
  }
  if (renameat(s->tmpfd, tmp, s->layersfd, digest_hex(chain)) < 0) {
    int saved = errno;
    remove_tree_at(s->tmpfd, tmp, &ignored);
    if ((saved == ENOTEMPTY || saved == EEXIST) && image_store_has_layer(s, chain))
      return 0;
    errno = saved;
    return err_sys(e, "layer %s: publish", what);
  }
  if (fsync(s->layersfd) < 0)
    return err_sys(e, "layer %s: publish: fsync %s/layers", what, s->root);
  return 0;
}

int image_store_unpack_layer(struct image_store *s, const char *blob_digest,
                             const char *parent_chain, const char *diff_id,
                             char chain_out[DIGEST_BUF], err_t *e) {
  char chain[DIGEST_BUF], got[DIGEST_BUF];
  if (!digest_valid(diff_id))
    return err_set(e, EINVAL, "invalid diff id '%s'", diff_id);
  if (parent_chain && *parent_chain && !digest_valid(parent_chain))
    return err_set(e, EINVAL, "invalid parent chain id '%s'", parent_chain);
  if (chain_id_next(parent_chain, diff_id, chain, e) < 0)
    return -1;
  if (chain_out)
    memcpy(chain_out, chain, DIGEST_BUF);
  if (image_store_has_layer(s, chain))
    return 0;
  _cleanup_close_ int blobfd = image_store_open_blob(s, blob_digest, e);
  if (blobfd < 0)
    return err_wrap(e, "layer %s", blob_digest);
  return unpack_and_publish(s, blobfd, blob_digest, parent_chain, diff_id, got, chain, e);
}

static int to_writer(void *w, const void *buf, size_t len, err_t *e) {
  return blob_writer_write(w, buf, len, e);
}

int store_fill_from_fd(struct blob_writer *w, void *fdp, err_t *e) {
  return read_chunks(*(int *)fdp, to_writer, w, e);
}

/* Unpack what `w` holds; fill out (but the blob digest). */
static int import_written(struct image_store *s, struct blob_writer *w, const char *parent_chain,
                          struct imported_layer *out, err_t *e) {
  _cleanup_close_ int reader = blob_writer_reader(w, e);
  if (reader < 0 ||
      unpack_and_publish(s, reader, "import", parent_chain, NULL, out->diff_id, out->chain, e) < 0)
    return -1;
  out->size = blob_writer_size(w);
  unsigned char head[8];
  ssize_t n = pread(reader, head, sizeof(head), 0);
  return compression_sniff(head, n > 0 ? (size_t)n : 0, &out->compression, e);
}

int store_import_layer(struct image_store *s, layer_fill_fn fill, void *ctx,
                       const char *parent_chain, struct imported_layer *out, err_t *e) {
  struct blob_writer *w;
  if (blob_writer_new(s, NULL, -1, &w, e) < 0)
    return -1;
  if (fill(w, ctx, e) < 0 || import_written(s, w, parent_chain, out, e) < 0) {
    blob_writer_abort(w);
    return -1;
  }
  return blob_writer_commit(w, out->blob, e);
}

static void copy_member(char out[DIGEST_BUF], json_t *meta, const char *key) {
  const char *v = json_string_value(json_object_get(meta, key));
  snprintf(out, DIGEST_BUF, "%s", v && digest_valid(v) ? v : "");
}

int image_store_layer_info(struct image_store *s, const char *chain, struct layer_info *out,
                           err_t *e) {
  *out = (struct layer_info){0};
  if (!digest_valid(chain))
    return err_set(e, EINVAL, "invalid chain id '%s'", chain);
  _cleanup_json_ json_t *meta = store_layer_meta(s, chain, e);
  if (!meta)
    return e->code == ENOENT ? err_set(e, ENOENT, "layer %s is not unpacked", chain)
                             : err_wrap(e, "layer %s", chain);
  copy_member(out->chain_id, meta, "chain_id");
  copy_member(out->diff_id, meta, "diff_id");
  copy_member(out->parent, meta, "parent");
  out->size = (uint64_t)json_integer_value(json_object_get(meta, "size"));
  out->tar_size = (uint64_t)json_integer_value(json_object_get(meta, "tar_size"));
  return 0;
}
