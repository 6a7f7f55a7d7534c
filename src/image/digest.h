/* Content digests ("sha256:<64 lowercase hex>") as the image store uses them,
 * on top of util/sha256.h, and the chain ids that key unpacked layers.
 *
 * Digest strings live in fixed buffers of DIGEST_BUF bytes so that records
 * hold them without allocation. */
#ifndef CAPSULE_IMAGE_DIGEST_H
#define CAPSULE_IMAGE_DIGEST_H

#include <stdint.h>

#include "util/error.h"
#include "util/sha256.h"

#define DIGEST_BUF (SHA256_DIGEST_STRLEN + 1) /* "sha256:" + 64 hex + NUL */

/* The digest of everything read from fd (to EOF); *size (may be NULL) gets
 * the byte count. */
int digest_fd(int fd, char out[DIGEST_BUF], uint64_t *size, err_t *e);

/* "sha256:<64 lowercase hex>": the only digest algorithm capsule accepts. */
int digest_valid(const char *digest);

/* The 64 hex characters of a valid digest (the part after "sha256:"). */
const char *digest_hex(const char *digest);

/* OCI chain id: chain(L1) = diff_id(L1); chain(Ln) = sha256(chain(Ln-1) + " " +
 * diff_id(Ln)). `parent` is NULL or "" for a base layer. */
int chain_id_next(const char *parent, const char *diff_id, char out[DIGEST_BUF], err_t *e);

#endif
