/* capsule load: docker-archive and oci-archive tarballs into the store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/archive.h"
#include "image/archive_members.h"
#include "image/decompress.h"
#include "image/ref_display.h"
#include "image/reference.h"
#include "util/cleanup.h"
#include "util/json.h"

#define MAX_NESTING 4

struct loader {
  struct image_store *s;
  struct members m;
  const struct platform *platform;
  char **loaded; /* names for the report, NULL-terminated */
  size_t n_loaded;
};

static int note_loaded(struct loader *l, const char *name, err_t *e) {
  char **v = realloc(l->loaded, (l->n_loaded + 2) * sizeof(*v));
  if (!v)
    return err_sys(e, "load");
  l->loaded = v;
  if (!(v[l->n_loaded] = strdup(name)))
    return err_sys(e, "load");
  v[++l->n_loaded] = NULL;
  return 0;
}

/* Tag the loaded image with `name` (a full reference), or report its ID. */
static int name_image(struct loader *l, const struct image_info *img, const char *name,
                      err_t *e) {
  if (!name)
    return note_loaded(l, img->config, e);
  if (image_store_tag(l->s, name, img->manifest, e) < 0)
    return -1;
  _cleanup_image_ref_ struct image_ref ref = {0};
  _cleanup_free_ char *norm = NULL;
  if (image_ref_parse(name, &ref, e) < 0 || !(norm = image_ref_string(&ref)))
    return -1;
  return note_loaded(l, ref_familiar(norm), e);
}

static struct member *need(struct loader *l, const char *name, const char *what, err_t *e) {
  struct member *x = members_find(&l->m, name);
  if (!x)
    err_set(e, ENOENT, "%s %s is not in the archive", what, name);
  return x;
}

/* ---- docker-archive: manifest.json + <config>.json + layer tars ---- */

/* The OCI manifest for a docker-archive entry, its blobs published. */
static json_t *docker_entry_manifest(struct loader *l, json_t *item, size_t idx, err_t *e) {
  char where[48];
  snprintf(where, sizeof(where), "manifest.json[%zu]", idx);
  const char *config_name = NULL;
  json_t *layers = NULL;
  if (!json_is_object(item)) {
    err_set(e, EINVAL, "%s: expected an object", where);
    return NULL;
  }
  if (json_opt_str(item, "Config", where, &config_name, e) < 0 ||
      json_opt_arr(item, "Layers", where, &layers, e) < 0)
    return NULL;
  if (!config_name || !layers) {
    err_set(e, EINVAL, "%s: needs Config and Layers", where);
    return NULL;
  }
  struct member *cfg = need(l, config_name, "config", e);
  if (!cfg || member_publish(l->s, cfg, e) < 0)
    return NULL;
  _cleanup_json_ json_t *descs = json_array();
  size_t i;
  json_t *name;
  json_array_foreach(layers, i, name) {
    struct member *x = json_is_string(name) ? need(l, json_string_value(name), "layer", e) : NULL;
    if (!x) {
      if (!e->code)
        err_set(e, EINVAL, "%s.Layers[%zu]: expected a file name", where, i);
      return NULL;
    }
    unsigned char head[8];
    enum layer_compression c;
    if (member_publish(l->s, x, e) < 0)
      return NULL;
    ssize_t n = member_head(l->s, x, head, sizeof(head));
    if (compression_sniff(head, n > 0 ? (size_t)n : 0, &c, e) < 0)
      return NULL;
    bool failed = false;
    json_push(descs,
              json_pack("{s:s, s:s, s:I}", "mediaType", oci_layer_media_type(c), "digest",
                        x->digest, "size", (json_int_t)x->size),
              &failed);
    if (json_built(failed, where, e) < 0)
      return NULL;
  }
  return json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
                   MEDIA_OCI_MANIFEST, "config", "mediaType", MEDIA_OCI_CONFIG, "digest",
                   cfg->digest, "size", (json_int_t)cfg->size, "layers", descs);
}

/* The image of a docker-archive entry: the stored one with its config, if
 * any (a docker-archive carries no manifest: a new one would only duplicate
 * it), else a new one. */
static int docker_entry_image(struct loader *l, json_t *item, size_t idx, struct image_info *img,
                              err_t *e) {
  const char *config_name = json_string_value(json_object_get(item, "Config"));
  struct member *cfg = config_name ? members_find(&l->m, config_name) : NULL;
  err_t ignored = ERR_INIT;
  if (cfg && image_store_resolve(l->s, cfg->digest, img, &ignored) == 0 &&
      !strcmp(img->config, cfg->digest))
    return 0;
  image_info_free(img);
  _cleanup_json_ json_t *man = docker_entry_manifest(l, item, idx, e);
  _cleanup_free_ char *text = man ? json_dump_checked(man, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  char digest[DIGEST_BUF];
  if (!text)
    return e->code ? -1 : err_set(e, ENOMEM, "manifest.json");
  if (image_store_put_blob(l->s, text, strlen(text), NULL, digest, e) < 0)
    return -1;
  return image_store_add_image(l->s, digest, NULL, img, e);
}

static int load_docker(struct loader *l, struct member *manifest_json, err_t *e) {
  _cleanup_json_ json_t *list = json_loadb(manifest_json->data ? manifest_json->data : "",
                                           manifest_json->len, 0, NULL);
  if (!json_is_array(list) || !json_array_size(list))
    return err_set(e, EINVAL, "manifest.json: expected a non-empty JSON array");
  size_t i;
  json_t *item;
  json_array_foreach(list, i, item) {
    _cleanup_image_info_ struct image_info img = {0};
    if (docker_entry_image(l, item, i, &img, e) < 0)
      return -1;
    json_t *tags = json_object_get(item, "RepoTags");
    size_t j;
    json_t *tag;
    json_array_foreach(tags, j, tag) if (json_is_string(tag) &&
                                         name_image(l, &img, json_string_value(tag), e) < 0) return -1;
    if (!json_array_size(tags) && name_image(l, &img, NULL, e) < 0)
      return -1;
  }
  return 0;
}

/* ---- oci-archive: oci-layout, index.json, blobs/sha256/ ---- */

static struct member *blob_member(struct loader *l, const char *digest, err_t *e) {
  char name[DIGEST_BUF + 16];
  snprintf(name, sizeof(name), "blobs/sha256/%s", digest_hex(digest));
  struct member *x = need(l, name, "blob", e);
  if (x && member_publish(l->s, x, e) < 0)
    return NULL;
  return x;
}

/* A descriptor's name: io.containerd.image.name, or a ref.name that is a
 * whole reference (a bare tag names no repository: the image stays untagged). */
static const char *descriptor_name(const struct descriptor *d) {
  if (d->image_name)
    return d->image_name;
  if (d->ref_name && (strchr(d->ref_name, '/') || strchr(d->ref_name, ':')))
    return d->ref_name;
  return NULL;
}

static int load_oci_manifest(struct loader *l, const struct descriptor *d, const char *index,
                             const char *name, err_t *e) {
  struct member *x = blob_member(l, d->digest, e);
  if (!x)
    return -1;
  struct manifest m;
  if (manifest_parse(x->data ? x->data : "", x->len, &m, e) < 0)
    return err_wrap(e, "%s", x->name);
  int r = blob_member(l, m.config.digest, e) ? 0 : -1;
  for (size_t i = 0; r == 0 && i < m.n_layers; i++)
    r = blob_member(l, m.layers[i].digest, e) ? 0 : -1;
  manifest_free(&m);
  _cleanup_image_info_ struct image_info img = {0};
  if (r < 0 || image_store_add_image(l->s, d->digest, index, &img, e) < 0)
    return -1;
  return name_image(l, &img, name, e);
}

static bool platform_matches(const struct descriptor *d, const struct platform *want) {
  struct platform host;
  if (!want) {
    platform_host(&host);
    want = &host;
  }
  return !d->platform.os[0] ||
         (!strcmp(d->platform.os, want->os) && !strcmp(d->platform.arch, want->arch) &&
          (!want->variant[0] || !d->platform.variant[0] ||
           !strcmp(d->platform.variant, want->variant)));
}

static int load_index(struct loader *l, const char *buf, size_t len, const char *index_digest,
                      const char *outer_name, int depth, err_t *e) {
  struct image_index x;
  if (depth > MAX_NESTING)
    return err_set(e, EINVAL, "index.json: indexes nested too deep");
  if (image_index_parse(buf, len, &x, e) < 0)
    return -1;
  int r = 0;
  size_t before = l->n_loaded;
  for (size_t i = 0; r == 0 && i < x.n_manifests; i++) {
    const struct descriptor *d = &x.manifests[i];
    const char *name = descriptor_name(d) ? descriptor_name(d) : outer_name;
    enum manifest_kind k = manifest_kind_of_media_type(d->media_type);
    if (k == MANIFEST_INDEX) {
      struct member *nested = blob_member(l, d->digest, e);
      r = nested ? load_index(l, nested->data ? nested->data : "", nested->len, d->digest, name,
                              depth + 1, e)
                 : -1;
    } else if (k == MANIFEST_IMAGE && platform_matches(d, l->platform)) {
      r = load_oci_manifest(l, d, index_digest, name, e);
    }
  }
  if (r == 0 && l->n_loaded == before) {
    /* Nothing for us: say what the index offers. */
    const struct descriptor *pick = image_index_select(&x, l->platform, e);
    r = pick ? err_set(e, ENOENT, "index.json: no image manifest for this platform") : -1;
  }
  image_index_free(&x);
  return r;
}

int image_load(struct image_store *s, int fd, const struct platform *platform, char ***loaded,
               err_t *e) {
  struct loader l = {.s = s, .platform = platform};
  if (members_read(s, fd, &l.m, e) < 0)
    return -1;
  struct member *docker = members_find(&l.m, "manifest.json");
  struct member *oci = members_find(&l.m, "index.json");
  int r;
  if (docker && docker->data)
    r = load_docker(&l, docker, e);
  else if (oci && oci->data)
    r = load_index(&l, oci->data, oci->len, NULL, NULL, 0, e);
  else
    r = err_set(e, EINVAL, "not an image archive: neither manifest.json (docker-archive) nor "
                           "index.json (oci-archive) in it");
  members_free(&l.m);
  if (r < 0) {
    strv_free(l.loaded);
    image_store_cleanup(s);
    return -1;
  }
  *loaded = l.loaded;
  return 0;
}
