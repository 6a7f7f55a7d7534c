/* The members of an image tarball (docker-archive, oci-archive), read in
 * one pass: small files in memory, the others streamed into unpublished
 * blobs (hashed on the way, checked against "blobs/sha256/<hex>" names).
 * Only the members an image uses are published afterwards. */
#ifndef CAPSULE_IMAGE_ARCHIVE_MEMBERS_H
#define CAPSULE_IMAGE_ARCHIVE_MEMBERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "image/store.h"

struct member {
  char *name;              /* cleaned path in the archive */
  char *alias;             /* a link's target path, or NULL */
  char *data;              /* a small member's bytes (NUL-terminated), or NULL */
  size_t len;
  struct blob_writer *w;   /* a large member's unpublished blob, or NULL */
  char digest[DIGEST_BUF];
  uint64_t size;
  bool published;
};

struct members {
  struct member *v;
  size_t n;
};

/* Read a tar (maybe gzip- or zstd-compressed) from `fd`. */
int members_read(struct image_store *s, int fd, struct members *out, err_t *e);
/* Drops the blobs never published. */
void members_free(struct members *m);

/* The regular member `name` designates (following links), or NULL. */
struct member *members_find(struct members *m, const char *name);
/* Make the member a blob of the store (once). */
int member_publish(struct image_store *s, struct member *x, err_t *e);
/* Its first bytes (of a published or small member); -1 when unreadable. */
ssize_t member_head(struct image_store *s, const struct member *x, void *buf, size_t len);

#endif
