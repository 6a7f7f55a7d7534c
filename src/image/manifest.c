#include "image/manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "util/cleanup.h"
#include "util/json.h"

enum manifest_kind manifest_kind_of_media_type(const char *mt) {
  if (!mt)
    return MANIFEST_UNKNOWN;
  if (!strcmp(mt, MEDIA_OCI_MANIFEST) || !strcmp(mt, MEDIA_DOCKER_MANIFEST))
    return MANIFEST_IMAGE;
  if (!strcmp(mt, MEDIA_OCI_INDEX) || !strcmp(mt, MEDIA_DOCKER_LIST))
    return MANIFEST_INDEX;
  return MANIFEST_UNKNOWN;
}

enum manifest_kind manifest_kind_of(const char *buf, size_t len, const char *media_type) {
  enum manifest_kind k = manifest_kind_of_media_type(media_type);
  if (k != MANIFEST_UNKNOWN)
    return k;
  _cleanup_json_ json_t *root = json_loadb(buf, len, 0, NULL);
  if (!json_is_object(root))
    return MANIFEST_UNKNOWN;
  k = manifest_kind_of_media_type(json_string_value(json_object_get(root, "mediaType")));
  if (k != MANIFEST_UNKNOWN)
    return k;
  if (json_is_array(json_object_get(root, "manifests")))
    return MANIFEST_INDEX;
  if (json_is_array(json_object_get(root, "layers")))
    return MANIFEST_IMAGE;
  return MANIFEST_UNKNOWN;
}

int platform_parse(const char *s, struct platform *out, err_t *e) {
  *out = (struct platform){0};
  const char *a = strchr(s, '/');
  const char *v = a ? strchr(a + 1, '/') : NULL;
  size_t los = a ? (size_t)(a - s) : 0;
  size_t larch = a ? (v ? (size_t)(v - a - 1) : strlen(a + 1)) : 0;
  size_t lvar = v ? strlen(v + 1) : 0;
  if (!a || los == 0 || larch == 0 || (v && lvar == 0) || (v && strchr(v + 1, '/')) ||
      los >= sizeof(out->os) || larch >= sizeof(out->arch) || lvar >= sizeof(out->variant))
    return err_set(e, EINVAL, "invalid platform '%s' (want os/arch[/variant], e.g. linux/arm64)",
                   s);
  memcpy(out->os, s, los);
  memcpy(out->arch, a + 1, larch);
  if (v)
    memcpy(out->variant, v + 1, lvar);
  return 0;
}

void platform_host(struct platform *out) {
  *out = (struct platform){.os = "linux"};
#if defined(__x86_64__)
  strcpy(out->arch, "amd64");
#elif defined(__aarch64__)
  strcpy(out->arch, "arm64");
#elif defined(__i386__)
  strcpy(out->arch, "386");
#elif defined(__arm__)
  strcpy(out->arch, "arm");
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  strcpy(out->arch, "ppc64le");
#elif defined(__s390x__)
  strcpy(out->arch, "s390x");
#elif defined(__riscv) && __riscv_xlen == 64
  strcpy(out->arch, "riscv64");
#else
  strcpy(out->arch, "unknown");
#endif
}

void descriptor_free(struct descriptor *d) {
  free(d->media_type);
  free(d->ref_name);
  free(d->image_name);
  *d = (struct descriptor){0};
}

static int copy_field(char *dst, size_t cap, json_t *obj, const char *key, const char *where,
                      err_t *e) {
  const char *s = NULL;
  if (json_opt_str(obj, key, where, &s, e) < 0)
    return -1;
  if (s && strlen(s) >= cap)
    return err_set(e, EINVAL, "%s.%s: too long", where, key);
  snprintf(dst, cap, "%s", s ? s : "");
  return 0;
}

static int descriptor_parse(json_t *j, const char *where, struct descriptor *d, err_t *e) {
  *d = (struct descriptor){0};
  if (!json_is_object(j))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(j));
  const char *mt = NULL, *digest = NULL;
  int64_t size = -1;
  if (json_opt_str(j, "mediaType", where, &mt, e) < 0 ||
      json_opt_str(j, "digest", where, &digest, e) < 0 ||
      json_opt_i64(j, "size", where, &size, e) < 0)
    return -1;
  if (!digest)
    return err_set(e, EINVAL, "%s: no digest", where);
  if (!digest_valid(digest))
    return err_set(e, EINVAL, "%s: unsupported digest '%s' (want sha256:<64 hex digits>)", where,
                   digest);
  if (size < 0)
    return err_set(e, EINVAL, "%s: no valid size", where);
  snprintf(d->digest, sizeof(d->digest), "%s", digest);
  d->size = size;
  if (mt && !(d->media_type = strdup(mt)))
    return err_sys(e, "%s", where);
  json_t *platform = NULL, *annotations = NULL;
  if (json_opt_obj(j, "platform", where, &platform, e) < 0 ||
      json_opt_obj(j, "annotations", where, &annotations, e) < 0)
    goto fail;
  if (platform && (copy_field(d->platform.os, sizeof(d->platform.os), platform, "os", where, e) ||
                   copy_field(d->platform.arch, sizeof(d->platform.arch), platform,
                              "architecture", where, e) ||
                   copy_field(d->platform.variant, sizeof(d->platform.variant), platform,
                              "variant", where, e)))
    goto fail;
  const char *ref = NULL, *name = NULL;
  if (annotations && (json_opt_str(annotations, ANNOTATION_REF_NAME, where, &ref, e) < 0 ||
                      json_opt_str(annotations, ANNOTATION_IMAGE_NAME, where, &name, e) < 0))
    goto fail;
  if ((ref && !(d->ref_name = strdup(ref))) || (name && !(d->image_name = strdup(name)))) {
    err_sys(e, "%s", where);
    goto fail;
  }
  return 0;
fail:
  descriptor_free(d);
  return -1;
}

int layer_media_type_compression(const char *mt, enum layer_compression *out, err_t *e) {
  static const struct {
    const char *type;
    enum layer_compression c;
  } known[] = {
      {MEDIA_OCI_LAYER, LAYER_TAR},
      {MEDIA_OCI_LAYER_GZIP, LAYER_GZIP},
      {MEDIA_OCI_LAYER_ZSTD, LAYER_ZSTD},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar", LAYER_TAR},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", LAYER_GZIP},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", LAYER_ZSTD},
      {"application/vnd.docker.image.rootfs.diff.tar", LAYER_TAR},
      {MEDIA_DOCKER_LAYER_GZIP, LAYER_GZIP},
      {"application/vnd.docker.image.rootfs.diff.tar.zstd", LAYER_ZSTD},
  };
  for (size_t i = 0; mt && i < sizeof(known) / sizeof(known[0]); i++)
    if (!strcmp(mt, known[i].type)) {
      *out = known[i].c;
      return 0;
    }
  return err_set(e, EINVAL, "unsupported layer media type '%s'", mt ? mt : "(none)");
}

const char *oci_layer_media_type(enum layer_compression c) {
  return c == LAYER_GZIP ? MEDIA_OCI_LAYER_GZIP : c == LAYER_ZSTD ? MEDIA_OCI_LAYER_ZSTD
                                                                  : MEDIA_OCI_LAYER;
}

void manifest_free(struct manifest *m) {
  free(m->media_type);
  descriptor_free(&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    descriptor_free(&m->layers[i]);
  free(m->layers);
  *m = (struct manifest){0};
}

static int check_schema_version(json_t *root, const char *what, err_t *e) {
  int64_t v = 0;
  if (json_opt_i64(root, "schemaVersion", what, &v, e) < 0)
    return -1;
  if (v != 2)
    return err_set(e, EINVAL, "%s: unsupported schemaVersion %lld (want 2)", what, (long long)v);
  return 0;
}

int manifest_parse(const char *buf, size_t len, struct manifest *out, err_t *e) {
  *out = (struct manifest){0};
  _cleanup_json_ json_t *root = json_load_object_buf(buf, len, "manifest", e);
  if (!root || check_schema_version(root, "manifest", e) < 0)
    return -1;
  const char *mt = MEDIA_OCI_MANIFEST;
  if (json_opt_str(root, "mediaType", "manifest", &mt, e) < 0)
    return -1;
  if (manifest_kind_of_media_type(mt) != MANIFEST_IMAGE)
    return err_set(e, EINVAL, "manifest: media type '%s' is not an image manifest", mt);
  if (!(out->media_type = strdup(mt)))
    return err_sys(e, "manifest");
  json_t *config = json_object_get(root, "config");
  json_t *layers = NULL;
  if (!config) {
    err_set(e, EINVAL, "manifest: no config");
    goto fail;
  }
  if (descriptor_parse(config, "manifest.config", &out->config, e) < 0)
    goto fail;
  if (json_opt_arr(root, "layers", "manifest", &layers, e) <= 0) {
    if (!e->code)
      err_set(e, EINVAL, "manifest: no layers");
    goto fail;
  }
  out->n_layers = json_array_size(layers);
  if (!(out->layers = calloc(out->n_layers + 1, sizeof(*out->layers)))) {
    err_sys(e, "manifest");
    goto fail;
  }
  for (size_t i = 0; i < out->n_layers; i++) {
    char where[48];
    snprintf(where, sizeof(where), "manifest.layers[%zu]", i);
    enum layer_compression c;
    if (descriptor_parse(json_array_get(layers, i), where, &out->layers[i], e) < 0 ||
        layer_media_type_compression(out->layers[i].media_type, &c, e) < 0) {
      err_wrap(e, "%s", where);
      goto fail;
    }
  }
  return 0;
fail:
  manifest_free(out);
  return -1;
}

void image_index_free(struct image_index *x) {
  free(x->media_type);
  for (size_t i = 0; i < x->n_manifests; i++)
    descriptor_free(&x->manifests[i]);
  free(x->manifests);
  *x = (struct image_index){0};
}

int image_index_parse(const char *buf, size_t len, struct image_index *out, err_t *e) {
  *out = (struct image_index){0};
  _cleanup_json_ json_t *root = json_load_object_buf(buf, len, "index", e);
  if (!root || check_schema_version(root, "index", e) < 0)
    return -1;
  const char *mt = MEDIA_OCI_INDEX;
  json_t *list = NULL;
  if (json_opt_str(root, "mediaType", "index", &mt, e) < 0)
    return -1;
  if (manifest_kind_of_media_type(mt) != MANIFEST_INDEX)
    return err_set(e, EINVAL, "index: media type '%s' is not an index", mt);
  if (json_opt_arr(root, "manifests", "index", &list, e) <= 0)
    return e->code ? -1 : err_set(e, EINVAL, "index: no manifests");
  if (!(out->media_type = strdup(mt)))
    return err_sys(e, "index");
  out->n_manifests = json_array_size(list);
  if (!(out->manifests = calloc(out->n_manifests + 1, sizeof(*out->manifests)))) {
    image_index_free(out);
    return err_sys(e, "index");
  }
  for (size_t i = 0; i < out->n_manifests; i++) {
    char where[48];
    snprintf(where, sizeof(where), "index.manifests[%zu]", i);
    if (descriptor_parse(json_array_get(list, i), where, &out->manifests[i], e) < 0) {
      image_index_free(out);
      return -1;
    }
  }
  return 0;
}

/* How well entry `d` fits `want`: 0 not at all, 1 os/arch, 2 and the variant. */
static int platform_fit(const struct descriptor *d, const struct platform *want) {
  const struct platform *p = &d->platform;
  if (manifest_kind_of_media_type(d->media_type) == MANIFEST_UNKNOWN && d->media_type)
    return 0;
  if (strcmp(p->os, want->os) || strcmp(p->arch, want->arch))
    return 0;
  if (want->variant[0])
    return !p->variant[0] ? 1 : !strcmp(p->variant, want->variant) ? 2 : 0;
  /* No variant wanted: arm64 images are "v8" or unmarked; prefer those. */
  return !p->variant[0] || !strcmp(p->variant, "v8") ? 2 : 1;
}

const struct descriptor *image_index_select(const struct image_index *x,
                                            const struct platform *want, err_t *e) {
  struct platform host;
  if (!want) {
    platform_host(&host);
    want = &host;
  }
  const struct descriptor *best = NULL;
  int best_fit = 0;
  for (size_t i = 0; i < x->n_manifests; i++) {
    int fit = platform_fit(&x->manifests[i], want);
    if (fit > best_fit) {
      best = &x->manifests[i];
      best_fit = fit;
    }
  }
  if (best)
    return best;
  char offers[512] = "";
  size_t off = 0;
  for (size_t i = 0; i < x->n_manifests && off < sizeof(offers); i++) {
    const struct platform *p = &x->manifests[i].platform;
    off += (size_t)snprintf(offers + off, sizeof(offers) - off, "%s%s/%s%s%s", i ? ", " : "",
                            p->os[0] ? p->os : "?", p->arch[0] ? p->arch : "?",
                            p->variant[0] ? "/" : "", p->variant);
  }
  err_set(e, ENOENT, "no image for %s/%s%s%s in the index (it offers %s)", want->os, want->arch,
          want->variant[0] ? "/" : "", want->variant, offers[0] ? offers : "nothing");
  return NULL;
}
