#include "image/decompress.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "image/archive_lib.h"
#include "util/fs.h"

#define HEAD_LEN 6
#define READ_BUF (128 * 1024)

/* Decompression bombs (docs/IMAGES.md): a compressed layer may give at most
 * MAX_RATIO times its compressed size, and always RATIO_FLOOR bytes. deflate
 * cannot pass 1032:1, so no gzip layer reaches the default; zstd can (a
 * 142 KB layer gave 4 GiB). */
#define DEFAULT_MAX_RATIO 1100
#define RATIO_FLOOR (256ull << 20)
#define ENV_MAX_RATIO "CAPSULE_LAYER_MAX_RATIO"
#define ENV_MAX_SIZE "CAPSULE_LAYER_MAX_SIZE"

struct decompress {
  int fd;
  enum layer_compression kind;
  uint64_t in, out;     /* compressed bytes read so far, decompressed bytes given */
  uint64_t file_size;   /* of `fd` when a regular file, else 0 */
  uint64_t max_ratio;   /* 0: no ratio limit */
  uint64_t max_size;    /* 0: no absolute limit */
  unsigned char head[HEAD_LEN];
  size_t head_len, head_off;
  struct archive *raw; /* libarchive's zstd filter */
  z_stream z;          /* gzip: zlib, which checks each member's CRC32 and length */
  bool z_open, z_end;
  unsigned char *buf;  /* what the filter reads the file through */
};

const char *compression_name(enum layer_compression c) {
  return c == LAYER_GZIP ? "gzip" : c == LAYER_ZSTD ? "zstd" : "none";
}

int compression_sniff(const unsigned char *h, size_t len, enum layer_compression *out, err_t *e) {
  static const struct {
    const char *name;
    unsigned char magic[HEAD_LEN];
    size_t len;
  } refused[] = {
      {"xz", {0xfd, '7', 'z', 'X', 'Z', 0x00}, 6},
      {"bzip2", {'B', 'Z', 'h'}, 3},
      {"lz4", {0x04, 0x22, 0x4d, 0x18}, 4},
  };
  if (len >= 2 && h[0] == 0x1f && h[1] == 0x8b)
    *out = LAYER_GZIP;
  else if (len >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
    *out = LAYER_ZSTD;
  else {
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
      if (len >= refused[i].len && !memcmp(h, refused[i].magic, refused[i].len))
        return err_set(e, ENOTSUP,
                       "%s-compressed data is not supported (want tar, tar+gzip or tar+zstd)",
                       refused[i].name);
    *out = LAYER_TAR;
  }
  return 0;
}

/* The stream as the filter sees it: the bytes sniffed first, then the fd. */
static ssize_t source_read(struct decompress *d, void *buf, size_t len) {
  if (d->head_off < d->head_len) {
    size_t n = d->head_len - d->head_off < len ? d->head_len - d->head_off : len;
    memcpy(buf, d->head + d->head_off, n);
    d->head_off += n;
    return (ssize_t)n;
  }
  for (;;) {
    ssize_t n = read(d->fd, buf, len);
    if (n > 0)
      d->in += (uint64_t)n;
    if (n >= 0 || errno != EINTR)
      return n;
  }
}

/* A limit from the environment: a number of bytes (or a ratio), with an
 * optional K, M, G or T suffix (powers of 1024); unset: `dflt`. */
static int env_limit(const char *name, uint64_t dflt, uint64_t *out, err_t *e) {
  const char *v = getenv(name);
  *out = dflt;
  if (!v || !*v)
    return 0;
  char *end;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  unsigned shift = 0;
  if (*end && !end[1]) {
    const char *units = "KMGT", *u = strchr(units, *end);
    shift = u && *u ? 10 * (unsigned)(u - units + 1) : 0;
    end += shift ? 1 : 0;
  }
  if (errno || end == v || *end || v[0] == '-' || (shift && n > (UINT64_MAX >> shift)))
    return err_set(e, EINVAL, "%s=%s: expected a number (suffix K, M, G or T allowed)", name, v);
  *out = (uint64_t)n << shift;
  return 0;
}

static int limits_init(struct decompress *d, err_t *e) {
  struct stat st;
  if (fstat(d->fd, &st) == 0 && S_ISREG(st.st_mode))
    d->file_size = (uint64_t)st.st_size;
  return env_limit(ENV_MAX_RATIO, DEFAULT_MAX_RATIO, &d->max_ratio, e) < 0 ||
                 env_limit(ENV_MAX_SIZE, 0, &d->max_size, e) < 0
             ? -1
             : 0;
}

/* Count `n` more decompressed bytes; refuse past the limits. */
static ssize_t limit_output(struct decompress *d, ssize_t n, err_t *e) {
  if (n <= 0 || d->kind == LAYER_TAR)
    return n;
  d->out += (uint64_t)n;
  const char *kind = compression_name(d->kind);
  if (d->max_size && d->out > d->max_size)
    return err_set(e, EFBIG, "%s data decompresses to more than %llu bytes (the limit, %s)", kind,
                   (unsigned long long)d->max_size, ENV_MAX_SIZE);
  uint64_t compressed = d->file_size > d->in ? d->file_size : d->in;
  if (d->max_ratio && d->out > RATIO_FLOOR && d->out / d->max_ratio > compressed)
    return err_set(e, EFBIG,
                   "%s data decompresses to more than %llu times its size (%llu bytes from %llu;"
                   " the limit, %s): a decompression bomb?",
                   kind, (unsigned long long)d->max_ratio, (unsigned long long)d->out,
                   (unsigned long long)compressed, ENV_MAX_RATIO);
  return n;
}

static la_ssize_t filter_read_cb(struct archive *a, void *data, const void **out) {
  struct decompress *d = data;
  ssize_t n = source_read(d, d->buf, READ_BUF);
  if (n < 0)
    archive_set_error(a, errno, "read: %s", strerror(errno));
  *out = d->buf;
  return n;
}

int decompress_open(int fd, struct decompress **out, err_t *e) {
  struct decompress *d = calloc(1, sizeof(*d));
  if (!d)
    return err_sys(e, "decompress");
  d->fd = fd;
  ssize_t n = read_all(fd, d->head, HEAD_LEN);
  if (n < 0) {
    free(d);
    return err_sys(e, "read");
  }
  d->head_len = (size_t)n;
  d->in = d->head_len;
  if (compression_sniff(d->head, d->head_len, &d->kind, e) < 0 || limits_init(d, e) < 0) {
    free(d);
    return -1;
  }
  if (d->kind == LAYER_GZIP) {
    d->buf = malloc(READ_BUF);
    if (!d->buf || inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK) {
      decompress_close(d);
      return err_set(e, ENOMEM, "gzip: cannot start decompressing");
    }
    d->z_open = true;
  } else if (d->kind == LAYER_ZSTD) {
    if (archive_lib_load(e) < 0) {
      decompress_close(d);
      return -1;
    }
    d->raw = archive_read_new();
    d->buf = malloc(READ_BUF);
    if (!d->raw || !d->buf) {
      decompress_close(d);
      return err_sys(e, "decompress");
    }
    if (archive_read_support_filter_zstd(d->raw) != ARCHIVE_OK ||
        archive_read_support_format_raw(d->raw) != ARCHIVE_OK ||
        archive_read_open2(d->raw, d, NULL, filter_read_cb, NULL, NULL) != ARCHIVE_OK) {
      err_set(e, EIO, "corrupt %s data: %s", compression_name(d->kind),
              archive_error_string(d->raw));
      decompress_close(d);
      return -1;
    }
    struct archive_entry *ent;
    if (archive_read_next_header(d->raw, &ent) != ARCHIVE_OK) {
      err_set(e, EIO, "corrupt %s data: %s", compression_name(d->kind),
              archive_error_string(d->raw) ? archive_error_string(d->raw) : "empty stream");
      decompress_close(d);
      return -1;
    }
  }
  *out = d;
  return 0;
}

/* zlib over the source; concatenated gzip members are one stream. */
static ssize_t gzip_read(struct decompress *d, void *buf, size_t len, err_t *e) {
  d->z.next_out = buf;
  d->z.avail_out = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
  while (d->z.avail_out == len && !d->z_end) {
    if (d->z.avail_in == 0) {
      ssize_t n = source_read(d, d->buf, READ_BUF);
      if (n < 0)
        return err_sys(e, "read");
      if (n == 0)
        return err_set(e, EIO, "corrupt gzip data: truncated stream");
      d->z.next_in = d->buf;
      d->z.avail_in = (uInt)n;
    }
    int r = inflate(&d->z, Z_NO_FLUSH);
    if (r == Z_STREAM_END) {
      /* Another member may follow; anything else is garbage. */
      if (d->z.avail_in == 0) {
        ssize_t n = source_read(d, d->buf, READ_BUF);
        if (n < 0)
          return err_sys(e, "read");
        d->z.next_in = d->buf;
        d->z.avail_in = (uInt)n;
      }
      if (d->z.avail_in == 0)
        d->z_end = true;
      else if (d->z.avail_in >= 2 && d->z.next_in[0] == 0x1f && d->z.next_in[1] == 0x8b)
        inflateReset(&d->z);
      else
        return err_set(e, EIO, "corrupt gzip data: garbage after the end of the stream");
    } else if (r != Z_OK && !(r == Z_BUF_ERROR && d->z.avail_in == 0)) {
      return err_set(e, EIO, "corrupt gzip data: %s", d->z.msg ? d->z.msg : zError(r));
    }
  }
  return (ssize_t)(len - d->z.avail_out);
}

ssize_t decompress_read(struct decompress *d, void *buf, size_t len, err_t *e) {
  if (d->kind == LAYER_GZIP)
    return limit_output(d, gzip_read(d, buf, len, e), e);
  if (!d->raw) {
    ssize_t n = source_read(d, buf, len);
    return n < 0 ? err_sys(e, "read") : n;
  }
  la_ssize_t n = archive_read_data(d->raw, buf, len);
  if (n < 0)
    return err_set(e, EIO, "corrupt %s data: %s", compression_name(d->kind),
                   archive_error_string(d->raw));
  return limit_output(d, n, e);
}

enum layer_compression decompress_kind(const struct decompress *d) {
  return d->kind;
}

void decompress_close(struct decompress *d) {
  if (d->z_open)
    inflateEnd(&d->z);
  if (d->raw)
    archive_read_free(d->raw);
  free(d->buf);
  free(d);
}
