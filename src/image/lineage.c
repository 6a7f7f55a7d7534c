#include <string.h>

#include "image/store.h"

/* True when a's layers are a proper prefix of b's. */
static bool proper_prefix(const struct image_info *a, const struct image_info *b) {
  if (a->n_layers >= b->n_layers)
    return false;
  for (size_t i = 0; i < a->n_layers; i++)
    if (strcmp(a->chains[i], b->chains[i]))
      return false;
  return true;
}

static long parent_of(const struct image_info *all, size_t n, const struct image_info *img) {
  long best = -1;
  for (size_t i = 0; i < n; i++) {
    if (!proper_prefix(&all[i], img))
      continue;
    /* The closest ancestor; among equals (one image under two manifests),
     * the first by config digest, so the answer does not depend on order. */
    if (best < 0 || all[i].n_layers > all[best].n_layers ||
        (all[i].n_layers == all[best].n_layers && strcmp(all[i].config, all[best].config) < 0))
      best = (long)i;
  }
  return best;
}

long image_lineage(const struct image_info *all, size_t n, const struct image_info *img,
                   long *children) {
  if (children) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      long p = proper_prefix(img, &all[i]) ? parent_of(all, n, &all[i]) : -1;
      if (p >= 0 && all[p].n_layers == img->n_layers && !strcmp(all[p].config, img->config))
        children[k++] = (long)i;
    }
    children[k] = -1;
  }
  return parent_of(all, n, img);
}
