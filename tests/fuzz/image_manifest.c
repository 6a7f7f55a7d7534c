/* A manifest document as the registry client and the image store read it:
 * its kind (from the media type, else its shape), then the image manifest
 * or index parser (both: a document's kind is the caller's guess), and
 * for an index the platform selection. */
#include "fuzz.h"
#include "image/manifest.h"

static void select_platform(const struct image_index *x, const char *want) {
  err_t e = ERR_INIT;
  struct platform p;
  if (platform_parse(want, &p, &e) < 0)
    fuzz_die("platform_parse(%s): %s", want, e.msg);
  const struct descriptor *d = image_index_select(x, &p, &e);
  fuzz_check_result("image_index_select", d ? 0 : -1, &e);
  if (d && (d < x->manifests || d >= x->manifests + x->n_manifests))
    fuzz_die("image_index_select returned an entry outside the index");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  err_t e = ERR_INIT;
  enum manifest_kind kind = manifest_kind_of(buf, size, NULL);
  if (kind != MANIFEST_UNKNOWN && kind != MANIFEST_IMAGE && kind != MANIFEST_INDEX)
    fuzz_die("manifest_kind_of returned %d", kind);

  struct manifest m;
  int r = manifest_parse(buf, size, &m, &e);
  fuzz_check_result("manifest_parse", r, &e);
  if (r == 0) {
    for (size_t i = 0; i < m.n_layers; i++) {
      enum layer_compression c;
      if (layer_media_type_compression(m.layers[i].media_type, &c, &e) < 0)
        fuzz_die("manifest_parse accepted layer %zu: %s", i, e.msg);
    }
    manifest_free(&m);
  }

  struct image_index x;
  e = (err_t)ERR_INIT;
  r = image_index_parse(buf, size, &x, &e);
  fuzz_check_result("image_index_parse", r, &e);
  if (r == 0) {
    select_platform(&x, "linux/amd64");
    select_platform(&x, "linux/arm64/v8");
    image_index_free(&x);
  }
  return 0;
}
