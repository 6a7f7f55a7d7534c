/* Streaming sha256 in the "sha256:<64 hex>" form content addresses use. */
#ifndef CAPSULE_UTIL_SHA256_H
#define CAPSULE_UTIL_SHA256_H

#include <stddef.h>

#include "util/error.h"

#define SHA256_DIGEST_STRLEN (7 + 64) /* "sha256:" + hex, without the NUL */

struct sha256 {
  void *ctx; /* OpenSSL SHA256_CTX */
};

int sha256_init(struct sha256 *h, err_t *e);
void sha256_update(struct sha256 *h, const void *buf, size_t len);
/* Write "sha256:<hex>" into out (SHA256_DIGEST_STRLEN + 1 bytes) and free the context. */
void sha256_final(struct sha256 *h, char out[SHA256_DIGEST_STRLEN + 1]);
/* Free the context without a result (safe on a zeroed or finished struct). */
void sha256_free(struct sha256 *h);

/* One-shot digest of a buffer. */
int sha256_digest(const void *buf, size_t len, char out[SHA256_DIGEST_STRLEN + 1], err_t *e);

#endif
