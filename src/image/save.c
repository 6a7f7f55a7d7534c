/* capsule save: images out of the store as docker-archive or oci-archive. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/archive_lib.h"
#include "image/decompress.h"
#include "image/ref_display.h"
#include "image/reference.h"
#include "util/cleanup.h"
#include "util/json.h"

#define COPY_BUF (128 * 1024)

int archive_format_parse(const char *s, enum archive_format *out, err_t *e) {
  if (!strcmp(s, "docker-archive"))
    *out = ARCHIVE_DOCKER;
  else if (!strcmp(s, "oci-archive"))
    *out = ARCHIVE_OCI;
  else
    return err_set(e, EINVAL, "unknown format '%s' (want oci-archive or docker-archive)", s);
  return 0;
}

struct saver {
  struct image_store *s;
  struct archive *a;
  json_t *written; /* entry names already in the archive */
  char *buf;
};

static int archive_err(struct saver *w, const char *name, err_t *e) {
  return err_set(e, EIO, "%s: %s", name, archive_error_string(w->a));
}

static int header(struct saver *w, const char *name, mode_t type, int64_t size, err_t *e) {
  struct archive_entry *ent = archive_entry_new();
  if (!ent)
    return err_sys(e, "%s", name);
  archive_entry_set_pathname(ent, name);
  archive_entry_set_filetype(ent, type);
  archive_entry_set_perm(ent, type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_size(ent, type == AE_IFDIR ? 0 : size);
  archive_entry_set_mtime(ent, 0, 0);
  int r = archive_write_header(w->a, ent);
  archive_entry_free(ent);
  if (r < ARCHIVE_WARN)
    return archive_err(w, name, e);
  bool failed = false;
  json_set(w->written, name, json_true(), &failed);
  return json_built(failed, name, e);
}

static int add_bytes(struct saver *w, const char *name, const char *data, size_t len, err_t *e) {
  if (header(w, name, AE_IFREG, (int64_t)len, e) < 0)
    return -1;
  if (len && archive_write_data(w->a, data, len) != (la_ssize_t)len)
    return archive_err(w, name, e);
  return 0;
}

/* Copy `size` bytes from `read` into the current entry. */
static int add_stream(struct saver *w, const char *name, uint64_t size,
                      ssize_t (*read_fn)(void *ctx, void *buf, size_t len, err_t *e), void *ctx,
                      struct sha256 *hash, err_t *e) {
  if (header(w, name, AE_IFREG, (int64_t)size, e) < 0)
    return -1;
  uint64_t done = 0;
  for (;;) {
    ssize_t n = read_fn(ctx, w->buf, COPY_BUF, e);
    if (n < 0)
      return err_wrap(e, "%s", name);
    if (n == 0)
      break;
    if ((done += (uint64_t)n) > size)
      break;
    if (hash)
      sha256_update(hash, w->buf, (size_t)n);
    if (archive_write_data(w->a, w->buf, (size_t)n) != n)
      return archive_err(w, name, e);
  }
  if (done != size)
    return err_set(e, EIO, "%s: the store holds %llu bytes where %llu were expected", name,
                   (unsigned long long)done, (unsigned long long)size);
  return 0;
}

static ssize_t read_fd(void *ctx, void *buf, size_t len, err_t *e) {
  ssize_t n = read(*(int *)ctx, buf, len);
  return n < 0 ? err_sys(e, "read") : n;
}

static ssize_t read_decompressed(void *ctx, void *buf, size_t len, err_t *e) {
  return decompress_read(ctx, buf, len, e);
}

/* A stored blob, as it is, under `name` (once per archive). */
static int add_blob(struct saver *w, const char *name, const char *digest, err_t *e) {
  if (json_object_get(w->written, name))
    return 0;
  int64_t size;
  _cleanup_close_ int fd = image_store_open_blob(w->s, digest, e);
  if (fd < 0 || !image_store_has_blob(w->s, digest, &size))
    return fd < 0 ? -1 : err_set(e, ENOENT, "blob %s vanished", digest);
  return add_stream(w, name, (uint64_t)size, read_fd, &fd, NULL, e);
}

/* A layer as an uncompressed tar (docker-archive), checked against its diff id. */
static int add_layer_tar(struct saver *w, const char *name, const char *blob, const char *chain,
                         err_t *e) {
  if (json_object_get(w->written, name))
    return 0;
  struct layer_info li;
  if (image_store_layer_info(w->s, chain, &li, e) < 0)
    return -1;
  _cleanup_close_ int fd = image_store_open_blob(w->s, blob, e);
  _cleanup_decompress_ struct decompress *d = NULL;
  struct sha256 h;
  if (fd < 0 || decompress_open(fd, &d, e) < 0 || sha256_init(&h, e) < 0)
    return -1;
  int r = add_stream(w, name, li.tar_size, read_decompressed, d, &h, e);
  char got[DIGEST_BUF];
  sha256_final(&h, got);
  if (r == 0 && strcmp(got, li.diff_id))
    r = err_set(e, EIO, "layer %s: content hashes to %s, not its diff id %s", blob, got,
                li.diff_id);
  return r;
}

/* The stored reference `name` stands for, if it names one of img's. */
static char *matching_ref(const char *name, const struct image_info *img) {
  _cleanup_image_ref_ struct image_ref ref = {0};
  err_t ignored = ERR_INIT;
  if (image_ref_parse(name, &ref, &ignored) < 0)
    return NULL;
  char *key = image_ref_string(&ref);
  for (char **r = img->refs; key && *r; r++)
    if (!strcmp(*r, key))
      return key;
  free(key);
  return NULL;
}

static int save_docker_image(struct saver *w, const char *name, const struct image_info *img,
                             json_t *list, err_t *e) {
  struct manifest m;
  char cname[DIGEST_BUF + 8];
  if (image_store_manifest(w->s, img, &m, e) < 0)
    return -1;
  snprintf(cname, sizeof(cname), "%s.json", digest_hex(img->config));
  json_t *layers = json_array();
  bool failed = false;
  int r = add_blob(w, cname, img->config, e);
  for (size_t i = 0; r == 0 && i < m.n_layers; i++) {
    struct layer_info li;
    char lname[DIGEST_BUF + 8];
    r = image_store_layer_info(w->s, img->chains[i], &li, e);
    if (r == 0) {
      snprintf(lname, sizeof(lname), "%s.tar", digest_hex(li.diff_id));
      r = add_layer_tar(w, lname, m.layers[i].digest, img->chains[i], e);
      json_push(layers, json_string(lname), &failed);
    }
  }
  manifest_free(&m);
  _cleanup_free_ char *ref = matching_ref(name, img);
  json_t *tags = json_array();
  if (ref && !strchr(ref, '@'))
    json_push(tags, json_string(ref_familiar(ref)), &failed);
  json_push(list, json_pack("{s:s, s:o, s:o}", "Config", cname, "RepoTags", tags, "Layers", layers),
            &failed);
  return r < 0 ? -1 : json_built(failed, "manifest.json", e);
}

static int save_oci_image(struct saver *w, const char *name, const struct image_info *img,
                          json_t *index, err_t *e) {
  struct manifest m;
  if (image_store_manifest(w->s, img, &m, e) < 0)
    return -1;
  char bname[DIGEST_BUF + 16];
  const char *blobs[] = {img->manifest, img->config};
  int r = 0;
  for (size_t i = 0; r == 0 && i < 2 + m.n_layers; i++) {
    const char *d = i < 2 ? blobs[i] : m.layers[i - 2].digest;
    snprintf(bname, sizeof(bname), "blobs/sha256/%s", digest_hex(d));
    r = add_blob(w, bname, d, e);
  }
  manifest_free(&m);
  int64_t size = 0;
  image_store_has_blob(w->s, img->manifest, &size);
  json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", img->manifest_media_type, "digest",
                           img->manifest, "size", (json_int_t)size);
  _cleanup_free_ char *ref = matching_ref(name, img);
  bool failed = false;
  if (ref && !strchr(ref, '@'))
    json_set(desc, "annotations", json_pack("{s:s}", ANNOTATION_REF_NAME, ref), &failed);
  json_push(json_object_get(index, "manifests"), desc, &failed);
  return r < 0 ? -1 : json_built(failed, "index.json", e);
}

static int write_json(struct saver *w, const char *name, json_t *j, err_t *e) {
  _cleanup_free_ char *text = json_dump_checked(j, JSON_COMPACT);
  return text ? add_bytes(w, name, text, strlen(text), e) : err_set(e, ENOMEM, "%s", name);
}

static int save_all(struct saver *w, const char *const *names, enum archive_format f, err_t *e) {
  _cleanup_json_ json_t *doc =
      f == ARCHIVE_DOCKER ? json_array()
                          : json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
                                      MEDIA_OCI_INDEX, "manifests");
  if (f == ARCHIVE_OCI &&
      (add_bytes(w, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30, e) < 0 ||
       header(w, "blobs/", AE_IFDIR, 0, e) < 0 || header(w, "blobs/sha256/", AE_IFDIR, 0, e) < 0))
    return -1;
  for (const char *const *n = names; *n; n++) {
    _cleanup_image_info_ struct image_info img = {0};
    if (image_store_resolve(w->s, *n, &img, e) < 0)
      return -1;
    int r = f == ARCHIVE_DOCKER ? save_docker_image(w, *n, &img, doc, e)
                                : save_oci_image(w, *n, &img, doc, e);
    if (r < 0)
      return err_wrap(e, "saving %s", *n);
  }
  return write_json(w, f == ARCHIVE_DOCKER ? "manifest.json" : "index.json", doc, e);
}

int image_save(struct image_store *s, const char *const *names, enum archive_format f, int fd,
               err_t *e) {
  if (archive_lib_load(e) < 0)
    return -1;
  struct saver w = {.s = s, .a = archive_write_new(), .written = json_object(),
                    .buf = malloc(COPY_BUF)};
  int r = -1;
  if (!w.a || !w.written || !w.buf) {
    err_sys(e, "save");
  } else if (archive_write_set_format_pax_restricted(w.a) != ARCHIVE_OK ||
             archive_write_open_fd(w.a, fd) != ARCHIVE_OK) {
    archive_err(&w, "save", e);
  } else if (save_all(&w, names, f, e) == 0) {
    r = archive_write_close(w.a) == ARCHIVE_OK ? 0 : archive_err(&w, "save", e);
  }
  if (w.a)
    archive_write_free(w.a);
  json_decref(w.written);
  free(w.buf);
  return r;
}
