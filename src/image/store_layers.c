/* Unpacked layers: layers/<chain hex>/{diff/,layer.json}, each created in
 * tmp/ and renamed into place once durable. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/store_internal.h"
#include "image/unpack.h"
#include "registry/reference.h"
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
  fsync(s->layersfd);
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
  _cleanup_free_ char *text = meta ? json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
  if (!text)
    return err_set(e, ENOMEM, "layer %s: metadata", chain);
  return atomic_write_at(dirfd, LAYER_META, text, strlen(text), 0644, e);
}

/* Unpack into tmp/<name>/diff, check the diff id, make it durable. */
static int unpack_in_tmp(struct image_store *s, int blobfd, const char *tmp, const char *chain,
                         const char *parent, const char *diff_id, err_t *e) {
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
  if (strcmp(r.diff_id, diff_id))
    return err_set(e, EIO, "content hashes to %s, the image config says %s", r.diff_id, diff_id);
  /* The layer is complete only once every file in it is on disk. */
  if (syncfs(diff) < 0)
    return err_sys(e, "%s/tmp/%s: sync", s->root, tmp);
  return write_layer_meta(dirfd, chain, parent, &r, e);
}

int image_store_unpack_layer(struct image_store *s, const char *blob_digest,
                             const char *parent_chain, const char *diff_id,
                             char chain_out[DIGEST_BUF], err_t *e) {
  char chain[DIGEST_BUF];
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
  char tmp[96];
  store_tmp_name(tmp, sizeof(tmp), "layer");
  if (unpack_in_tmp(s, blobfd, tmp, chain, parent_chain, diff_id, e) < 0) {
    err_t ignored = ERR_INIT;
    remove_tree_at(s->tmpfd, tmp, &ignored);
    return err_wrap(e, "layer %s", blob_digest);
  }
  if (renameat(s->tmpfd, tmp, s->layersfd, digest_hex(chain)) < 0) {
    int saved = errno;
    err_t ignored = ERR_INIT;
    remove_tree_at(s->tmpfd, tmp, &ignored);
    /* Another command unpacked the same layer first: theirs is as good. */
    if ((saved == ENOTEMPTY || saved == EEXIST) && image_store_has_layer(s, chain))
      return 0;
    errno = saved;
    return err_sys(e, "layer %s: publish", blob_digest);
  }
  fsync(s->layersfd);
  return 0;
}
