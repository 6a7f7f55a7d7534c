#include "image/create.h"

#include <errno.h>
#include <string.h>

#include "image/changes.h"
#include "image/layer_tar.h"
#include "image/reference.h"
#include "image/store_internal.h"
#include "util/cleanup.h"
#include "util/json.h"

static json_t *layer_descriptor(enum layer_compression c, const char *digest, int64_t size) {
  return json_pack("{s:s, s:s, s:I}", "mediaType", oci_layer_media_type(c), "digest", digest, "size",
                   (json_int_t)size);
}

/* The parent's config document, or a new one for this host. */
static json_t *base_config(struct image_store *s, const struct image_info *parent, err_t *e) {
  if (!parent) {
    struct platform host;
    platform_host(&host);
    return json_pack("{s:s, s:s, s:{}}", "architecture", host.arch, "os", host.os, "config");
  }
  size_t len;
  _cleanup_free_ char *buf = image_store_read_blob(s, parent->config, 0, &len, e);
  return buf ? json_load_object_buf(buf, len, parent->config, e) : NULL;
}

static int build_config(struct image_store *s, const struct image_info *parent,
                        const struct imported_layer *l, const struct image_create_opts *o,
                        char digest[DIGEST_BUF], size_t *size, err_t *e) {
  _cleanup_json_ json_t *cfg = base_config(s, parent, e);
  if (!cfg)
    return -1;
  json_t *config = json_object_get(cfg, "config");
  bool failed = false;
  if (!json_is_object(config) && json_set(cfg, "config", config = json_object(), &failed) < 0)
    return json_built(failed, "image config", e);
  if (o->config && json_set(cfg, "config", config = json_deep_copy(o->config), &failed) < 0)
    return json_built(failed, "image config", e);
  for (const char *const *c = o->changes; c && *c; c++)
    if (image_config_apply_change(config, *c, e) < 0)
      return -1;
  char now[40];
  store_now(now);
  json_set(cfg, "created", json_string(now), &failed);
  if (o->author)
    json_set(cfg, "author", json_string(o->author), &failed);
  json_t *rootfs = json_object_get(cfg, "rootfs");
  json_t *diff_ids = json_object_get(rootfs, "diff_ids");
  if (!parent || !json_is_array(diff_ids)) {
    rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
    diff_ids = json_object_get(rootfs, "diff_ids");
    if (json_set(cfg, "rootfs", rootfs, &failed) < 0)
      diff_ids = NULL;
  }
  if (l)
    json_push(diff_ids, json_string(l->diff_id), &failed);
  if (l || o->created_by) { /* (none for a build's base FROM scratch: no step yet) */
    json_t *history = json_object_get(cfg, "history");
    if (!json_is_array(history) && json_set(cfg, "history", history = json_array(), &failed) < 0)
      history = NULL;
    json_t *step = json_pack("{s:s, s:s}", "created", now, "created_by",
                             o->created_by ? o->created_by : "capsule import");
    if (o->comment)
      json_set(step, "comment", json_string(o->comment), &failed);
    if (!l)
      json_set(step, "empty_layer", json_true(), &failed);
    json_push(history, step, &failed);
  }
  if (json_built(failed, "image config", e) < 0)
    return -1;
  _cleanup_free_ char *text = json_dump_checked(cfg, JSON_COMPACT | JSON_SORT_KEYS);
  if (!text)
    return err_set(e, ENOMEM, "image config");
  *size = strlen(text);
  return image_store_put_blob(s, text, *size, NULL, digest, e);
}

static int build_manifest(struct image_store *s, const struct image_info *parent,
                          const struct imported_layer *l, const char *config, size_t config_size,
                          char digest[DIGEST_BUF], err_t *e) {
  _cleanup_json_ json_t *layers = json_array();
  bool failed = false;
  if (parent) {
    struct manifest pm;
    if (store_read_manifest(s, parent->manifest, &pm, e) < 0)
      return -1;
    for (size_t i = 0; i < pm.n_layers; i++) {
      enum layer_compression c = LAYER_TAR;
      layer_media_type_compression(pm.layers[i].media_type, &c, e); /* checked when parsed */
      json_push(layers, layer_descriptor(c, pm.layers[i].digest, pm.layers[i].size), &failed);
    }
    manifest_free(&pm);
  }
  if (l)
    json_push(layers, layer_descriptor(l->compression, l->blob, (int64_t)l->size), &failed);
  if (json_built(failed, "manifest", e) < 0)
    return -1;
  _cleanup_json_ json_t *m =
      json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
                MEDIA_OCI_MANIFEST, "config", "mediaType", MEDIA_OCI_CONFIG, "digest", config,
                "size", (json_int_t)config_size, "layers", layers);
  _cleanup_free_ char *text = m ? json_dump_checked(m, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  if (!text)
    return err_set(e, ENOMEM, "manifest");
  return image_store_put_blob(s, text, strlen(text), NULL, digest, e);
}

static int create_from(struct image_store *s, layer_fill_fn fill, void *ctx,
                       const struct image_create_opts *o, struct image_info *out, err_t *e) {
  _cleanup_image_info_ struct image_info parent = {0};
  if (o->parent && image_store_resolve(s, o->parent, &parent, e) < 0)
    return -1;
  const struct image_info *p = o->parent ? &parent : NULL;
  /* Bad changes or references fail before any data is read. */
  _cleanup_image_ref_ struct image_ref ref = {0};
  if (o->reference && image_ref_parse(o->reference, &ref, e) < 0)
    return -1;
  _cleanup_json_ json_t *probe = json_object();
  for (const char *const *c = o->changes; c && *c; c++)
    if (image_config_apply_change(probe, *c, e) < 0)
      return -1;
  struct imported_layer layer, *l = fill ? &layer : NULL;
  const char *top = p && p->n_layers ? p->chains[p->n_layers - 1] : NULL;
  if (l && store_import_layer(s, fill, ctx, top, l, e) < 0)
    return -1;
  char config[DIGEST_BUF], manifest[DIGEST_BUF];
  size_t config_size = 0;
  if (build_config(s, p, l, o, config, &config_size, e) < 0 ||
      build_manifest(s, p, l, config, config_size, manifest, e) < 0 ||
      image_store_add_image(s, manifest, NULL, NULL, e) < 0)
    return -1;
  if (o->reference && image_store_tag(s, o->reference, manifest, e) < 0)
    return -1;
  return out ? image_store_resolve(s, manifest, out, e) : 0;
}

int image_import(struct image_store *s, int fd, const struct image_create_opts *o,
                 struct image_info *out, err_t *e) {
  return create_from(s, store_fill_from_fd, &fd, o, out, e);
}

static int sink_to_writer(void *w, const void *buf, size_t len, err_t *e) {
  return blob_writer_write(w, buf, len, e);
}

static int fill_from_tree(struct blob_writer *w, void *dirfdp, err_t *e) {
  struct layer_tar_result r;
  return layer_tar_write(*(int *)dirfdp, LAYER_GZIP, sink_to_writer, w, &r, e);
}

int image_commit(struct image_store *s, int dirfd, const struct image_create_opts *o,
                 struct image_info *out, err_t *e) {
  return create_from(s, fill_from_tree, &dirfd, o, out, e);
}

int image_build_step(struct image_store *s, int dirfd, const struct image_create_opts *o,
                     struct image_info *out, err_t *e) {
  return create_from(s, o->empty_layer ? NULL : fill_from_tree, &dirfd, o, out, e);
}
