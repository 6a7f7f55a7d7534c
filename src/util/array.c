#include "util/array.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Grow *items from `cap` to at least `need` (> cap) elements, at most
 * `max`: the new capacity in *grown. */
static int grow(void **items, size_t cap, size_t need, size_t size, size_t max, size_t *grown) {
  if (need > max) {
    errno = ENOMEM;
    return -1;
  }
  size_t n = cap ? cap : 16;
  while (n < need)
    n = n > max / 2 ? max : n * 2;
  void *p = realloc(*items, size * n);
  if (!p)
    return -1;
  memset((char *)p + size * cap, 0, size * (n - cap));
  *items = p;
  *grown = n;
  return 0;
}

int array_reserve(void **items, int32_t *cap, int32_t need, size_t size) {
  if (need <= *cap)
    return 0;
  size_t n;
  if (grow(items, (size_t)*cap, (size_t)need, size, INT32_MAX, &n) < 0)
    return -1;
  *cap = (int32_t)n;
  return 0;
}

int array_reserve_sz(void **items, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return 0;
  return grow(items, *cap, need, size, SIZE_MAX / (size ? size : 1), cap);
}

int array_push_i32(int32_t **items, int32_t *n, int32_t *cap, int32_t value) {
  if (array_reserve((void **)items, cap, *n + 1, sizeof(**items)) < 0)
    return -1;
  (*items)[(*n)++] = value;
  return 0;
}
