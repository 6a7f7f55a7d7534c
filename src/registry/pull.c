/* Resolving a reference to one image manifest on its registry. */
#include "registry/pull.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "registry/manifest.h"
#include "registry/pull_internal.h"
#include "util/cleanup.h"

void pull_plan_free(struct pull_plan *p) {
  if (!p)
    return;
  registry_close(p->registry);
  image_ref_free(&p->ref);
  free(p->ref_string);
  remote_manifest_free(&p->index);
  remote_manifest_free(&p->manifest);
  manifest_free(&p->parsed);
  free(p);
}

static void pull_plan_freep(struct pull_plan **p) {
  pull_plan_free(*p);
}

const char *pull_plan_digest(const struct pull_plan *p) {
  return p->manifest.digest;
}

const char *pull_plan_reference(const struct pull_plan *p) {
  return p->ref_string;
}

/* The top document is an index: keep it, and fetch the platform's manifest. */
static int select_platform(struct pull_plan *p, const struct platform *want, err_t *e) {
  struct image_index index;
  if (image_index_parse(p->manifest.body, p->manifest.len, &index, e) < 0)
    return err_wrap(e, "%s", p->ref_string);
  int rc = -1;
  const struct descriptor *d = image_index_select(&index, want, e);
  if (!d) {
    err_wrap(e, "%s", p->ref_string);
  } else if (manifest_kind_of_media_type(d->media_type) == MANIFEST_INDEX) {
    err_set(e, ENOTSUP, "%s: nested image indexes are not supported", p->ref_string);
  } else {
    p->index = p->manifest;
    p->manifest = (struct remote_manifest){0};
    rc = registry_get_manifest(p->registry, p->ref.repository, d->digest, &p->manifest, e);
  }
  image_index_free(&index);
  return rc;
}

int registry_pull_resolve(const char *reference, const struct pull_opts *o,
                          struct pull_plan **out, err_t *e) {
  __attribute__((cleanup(pull_plan_freep))) struct pull_plan *p = calloc(1, sizeof *p);
  if (!p)
    return err_sys(e, "pull %s", reference);
  p->opts = *o;
  if (image_ref_parse(reference, &p->ref, e) < 0)
    return -1;
  if (!(p->ref_string = image_ref_string(&p->ref)))
    return err_sys(e, "pull %s", reference);
  if (!(p->registry = registry_connect(p->ref.registry, &o->registry, e)) ||
      registry_add_scope(p->registry, p->ref.repository, "pull", e) < 0)
    return -1;
  const char *wanted = p->ref.digest ? p->ref.digest : p->ref.tag;
  if (registry_get_manifest(p->registry, p->ref.repository, wanted, &p->manifest, e) < 0)
    return -1;
  enum manifest_kind kind =
      manifest_kind_of(p->manifest.body, p->manifest.len, p->manifest.media_type);
  if (kind == MANIFEST_INDEX && select_platform(p, o->platform, e) < 0)
    return -1;
  if (kind == MANIFEST_UNKNOWN ||
      manifest_kind_of(p->manifest.body, p->manifest.len, p->manifest.media_type) !=
          MANIFEST_IMAGE)
    return err_set(e, ENOTSUP, "%s: unsupported manifest type %s", p->ref_string,
                   p->manifest.media_type);
  if (manifest_parse(p->manifest.body, p->manifest.len, &p->parsed, e) < 0)
    return err_wrap(e, "%s", p->ref_string);
  *out = steal_ptr(&p);
  return 0;
}
