/* Growable arrays: the one place that doubles a buffer. */
#ifndef CAPSULE_UTIL_ARRAY_H
#define CAPSULE_UTIL_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Make *items (of *cap elements of `size` bytes) hold at least `need`
 * elements, doubling from 16, zeroing the new part. 0, or -1 on ENOMEM
 * (then *items and *cap are unchanged). */
int array_reserve(void **items, int32_t *cap, int32_t need, size_t size);

/* The same for a capacity counted in size_t. */
int array_reserve_sz(void **items, size_t *cap, size_t need, size_t size);

/* Append one int32_t to *items (*n used of *cap); -1 on ENOMEM. */
int array_push_i32(int32_t **items, int32_t *n, int32_t *cap, int32_t value);

#endif
