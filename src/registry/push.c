#include "registry/push.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/config.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "registry/blobs.h"
#include "registry/manifest.h"
#include "util/cleanup.h"
#include "util/json.h"

struct push {
  struct image_store *s;
  struct registry *registry;
  struct image_ref dest;
  const struct push_opts *o;
  char **mount_from; /* other repositories of the registry that hold the image */
  struct transfer_progress tp;
};

static void report(struct push *p, enum transfer_stage stage, uint64_t done) {
  p->tp.stage = stage;
  p->tp.done = done;
  if (p->o->progress)
    p->o->progress(p->o->progress_data, &p->tp);
}

static void on_upload(void *data, uint64_t sent) {
  report(data, XFER_RUNNING, sent);
}

/* Repositories of the destination registry, other than the destination, in
 * which the image has a reference. */
static int mount_sources(struct push *p, char **refs, err_t *e) {
  size_t n = 0;
  for (char **r = refs; r && *r; r++)
    n++;
  if (!(p->mount_from = calloc(n + 1, sizeof *p->mount_from)))
    return err_sys(e, "push");
  size_t k = 0;
  for (char **r = refs; r && *r; r++) {
    _cleanup_image_ref_ struct image_ref ref = {0};
    err_t ignored = ERR_INIT;
    if (image_ref_parse(*r, &ref, &ignored) < 0 || strcmp(ref.registry, p->dest.registry) ||
        !strcmp(ref.repository, p->dest.repository))
      continue;
    bool seen = false;
    for (size_t j = 0; j < k; j++)
      seen = seen || !strcmp(p->mount_from[j], ref.repository);
    if (seen)
      continue;
    if (!(p->mount_from[k] = strdup(ref.repository)))
      return err_sys(e, "push");
    /* A mount needs pull access to the source repository in the token. */
    if (registry_add_scope(p->registry, p->mount_from[k++], "pull", e) < 0)
      return -1;
  }
  return 0;
}

/* Mount the blob from the first source that has it: 1 when mounted, 0 when
 * not (*upload_url may then hold an upload the registry opened instead). */
static int try_mounts(struct push *p, const char *digest, char **upload_url, err_t *e) {
  for (char **from = p->mount_from; *from; from++) {
    free(*upload_url);
    *upload_url = NULL;
    int rc = registry_mount_blob(p->registry, p->dest.repository, digest, *from, upload_url, e);
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int push_blob(struct push *p, const struct descriptor *d, err_t *e) {
  p->tp.digest = d->digest;
  p->tp.total = (uint64_t)d->size;
  int rc = registry_blob_exists(p->registry, p->dest.repository, d->digest, e);
  if (rc != 0) {
    if (rc > 0)
      report(p, XFER_SKIPPED, 0);
    return rc < 0 ? -1 : 0;
  }
  _cleanup_free_ char *upload_url = NULL;
  if ((rc = try_mounts(p, d->digest, &upload_url, e)) != 0) {
    if (rc > 0)
      report(p, XFER_MOUNTED, (uint64_t)d->size);
    return rc < 0 ? -1 : 0;
  }
  _cleanup_close_ int fd = image_store_open_blob(p->s, d->digest, e);
  if (fd < 0)
    return -1;
  report(p, XFER_RUNNING, 0);
  rc = registry_upload_blob(p->registry, p->dest.repository, d->digest, fd, (uint64_t)d->size,
                            upload_url, on_upload, p, e);
  if (rc < 0)
    return -1;
  report(p, rc > 0 ? XFER_SKIPPED : XFER_DONE, rc > 0 ? 0 : (uint64_t)d->size);
  return 0;
}

/* Layer `i` of `m` (and its entry in `doc`) becomes `gz`, the gzip'd form. */
static int name_gzip_layer(struct manifest *m, size_t i, json_t *doc, const char *gz,
                           int64_t size, err_t *e) {
  const char *type =
      strcmp(m->media_type, MEDIA_DOCKER_MANIFEST) ? MEDIA_OCI_LAYER_GZIP : MEDIA_DOCKER_LAYER_GZIP;
  json_t *entry = json_array_get(json_object_get(doc, "layers"), i);
  bool failed = false;
  json_set(entry, "mediaType", json_string(type), &failed);
  json_set(entry, "digest", json_string(gz), &failed);
  json_set(entry, "size", json_integer(size), &failed);
  if (json_built(failed, "manifest", e) < 0)
    return -1;
  struct descriptor *d = &m->layers[i];
  char *t = strdup(type);
  if (!t)
    return err_sys(e, "manifest");
  free(d->media_type);
  d->media_type = t;
  memcpy(d->digest, gz, DIGEST_BUF);
  d->size = size;
  return 0;
}

/* Plain tar layers (an image loaded from a docker-archive, imported,
 * committed) are pushed gzip'd, as docker and podman push them: `m`, and
 * `body` (replaced by a new manifest) then name the gzip blobs, which the
 * store keeps so that the next push sends the same manifest. */
static int gzip_layers(struct push *p, const struct image_info *img, struct manifest *m,
                       char **body, size_t *len, err_t *e) {
  _cleanup_image_config_ struct image_config c = {0};
  _cleanup_json_ json_t *doc = NULL;
  for (size_t i = 0; i < m->n_layers; i++) {
    enum layer_compression comp;
    if (layer_media_type_compression(m->layers[i].media_type, &comp, e) < 0)
      return -1;
    if (comp != LAYER_TAR)
      continue;
    if (!doc && (image_store_config(p->s, img, &c, e) < 0 ||
                 !(doc = json_load_object_buf(*body, *len, img->manifest, e))))
      return -1;
    if (i >= c.n_diff_ids)
      return err_set(e, EINVAL, "image %s: fewer diff ids than layers", img->config);
    char gz[DIGEST_BUF];
    int64_t size;
    if (image_store_gzip_layer(p->s, img, m->layers[i].digest, c.diff_ids[i], gz, &size, e) < 0 ||
        name_gzip_layer(m, i, doc, gz, size, e) < 0)
      return err_wrap(e, "layer %s", m->layers[i].digest);
  }
  if (!doc)
    return 0;
  char *text = json_dump_checked(doc, JSON_COMPACT);
  if (!text)
    return err_set(e, ENOMEM, "manifest");
  free(*body);
  *body = text;
  *len = strlen(text);
  return 0;
}

static int push_image(struct push *p, const struct image_info *img, char digest[DIGEST_BUF],
                      err_t *e) {
  size_t len;
  _cleanup_free_ char *body = image_store_read_blob(p->s, img->manifest, 0, &len, e);
  if (!body)
    return -1;
  struct manifest m;
  if (manifest_parse(body, len, &m, e) < 0)
    return err_wrap(e, "manifest %s", img->manifest);
  char pushed[DIGEST_BUF];
  int rc = gzip_layers(p, img, &m, &body, &len, e);
  if (rc == 0)
    rc = sha256_digest(body, len, pushed, e);
  if (rc == 0)
    rc = mount_sources(p, img->refs, e);
  p->tp.count = m.n_layers + 1;
  for (size_t i = 0; rc == 0 && i < m.n_layers; i++) {
    p->tp.index = i + 1;
    p->tp.kind = "layer";
    rc = push_blob(p, &m.layers[i], e);
  }
  if (rc == 0) {
    p->tp.index = 0;
    p->tp.kind = "config";
    rc = push_blob(p, &m.config, e);
  }
  const char *ref = p->dest.tag ? p->dest.tag : p->dest.digest;
  if (rc == 0)
    rc = registry_put_manifest(p->registry, p->dest.repository, ref, m.media_type, body, len, e);
  if (rc == 0 && digest)
    memcpy(digest, pushed, DIGEST_BUF);
  manifest_free(&m);
  return rc;
}

int registry_push(struct image_store *s, const char *source, const char *destination,
                  const struct push_opts *o, char digest[DIGEST_BUF], err_t *e) {
  struct push p = {.s = s, .o = o};
  _cleanup_image_info_ struct image_info img = {0};
  int rc = image_ref_parse(destination, &p.dest, e);
  if (rc == 0 && p.dest.digest && !p.dest.tag)
    rc = err_set(e, EINVAL, "%s: push to a tag, not a digest", destination);
  if (rc == 0)
    rc = image_store_resolve(s, source, &img, e);
  if (rc == 0 && !(p.registry = registry_connect(p.dest.registry, &o->registry, e)))
    rc = -1;
  if (rc == 0)
    rc = registry_add_scope(p.registry, p.dest.repository, "pull,push", e);
  if (rc == 0)
    rc = push_image(&p, &img, digest, e);
  strv_free(p.mount_from);
  registry_close(p.registry);
  image_ref_free(&p.dest);
  return rc < 0 ? err_wrap(e, "push %s", destination) : 0;
}
