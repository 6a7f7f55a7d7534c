/* A layer stream, decompressed: tar, tar+gzip or tar+zstd, recognised by the
 * magic bytes of its first block (never by a media type or file name).
 * gzip goes through zlib, which checks every member's CRC32 and length
 * (libarchive 3.6's gzip filter does not); zstd through libarchive's filter
 * (libzstd checks frame checksums). Other compressions (xz, bzip2) are named
 * and refused. */
#ifndef CAPSULE_IMAGE_DECOMPRESS_H
#define CAPSULE_IMAGE_DECOMPRESS_H

#include <sys/types.h>

#include "image/manifest.h"
#include "util/error.h"

struct decompress;

/* Start reading `fd` (a file or a pipe; it stays the caller's). */
int decompress_open(int fd, struct decompress **out, err_t *e);
/* Up to `len` decompressed bytes; 0 at the end; -1 with e set on corrupt
 * input ("corrupt gzip data: ...") and on compressed data that gives more
 * than the limits (EFBIG): CAPSULE_LAYER_MAX_RATIO times its compressed size
 * (default 1100, never less than 256 MiB; 0: no limit) and
 * CAPSULE_LAYER_MAX_SIZE bytes (default none), read from the environment at
 * decompress_open (docs/IMAGES.md). */
ssize_t decompress_read(struct decompress *d, void *buf, size_t len, err_t *e);
enum layer_compression decompress_kind(const struct decompress *d);
void decompress_close(struct decompress *d);

static inline void decompress_closep(struct decompress **d) {
  if (*d)
    decompress_close(*d);
}
#define _cleanup_decompress_ __attribute__((cleanup(decompress_closep)))

/* The compression named by the first bytes of a stream (at least 6 given). */
int compression_sniff(const unsigned char *head, size_t len, enum layer_compression *out,
                      err_t *e);
const char *compression_name(enum layer_compression c);

#endif
