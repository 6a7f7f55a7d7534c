#include "util/array.h"

#include <stdlib.h>
#include <string.h>

int array_reserve(void **items, int32_t *cap, int32_t need, size_t size) {
  if (need <= *cap)
    return 0;
  int64_t n = *cap ? *cap : 16;
  while (n < need)
    n *= 2;
  if (n > INT32_MAX)
    n = INT32_MAX;
  void *grown = realloc(*items, size * (size_t)n);
  if (!grown)
    return -1;
  memset((char *)grown + size * (size_t)*cap, 0, size * (size_t)(n - *cap));
  *items = grown;
  *cap = (int32_t)n;
  return 0;
}

int array_push_i32(int32_t **items, int32_t *n, int32_t *cap, int32_t value) {
  if (array_reserve((void **)items, cap, *n + 1, sizeof(**items)) < 0)
    return -1;
  (*items)[(*n)++] = value;
  return 0;
}
