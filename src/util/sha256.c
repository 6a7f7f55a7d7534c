#include "util/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* OpenSSL's SHA256_* calls, not EVP: EVP's first digest loads openssl.cnf
 * and sets up the providers and their name tables, about 1 ms of every
 * `capsule run` (the seccomp cache key) for one small hash. The same code
 * hashes underneath (with SHA-NI where the CPU has it); OpenSSL 3 marks the
 * calls deprecated, but keeps them. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

int sha256_init(struct sha256 *h, err_t *e) {
  SHA256_CTX *ctx = malloc(sizeof *ctx);
  if (!ctx || SHA256_Init(ctx) != 1) {
    free(ctx);
    h->ctx = NULL;
    return err_set(e, ENOMEM, "sha256: cannot create a digest context");
  }
  h->ctx = ctx;
  return 0;
}

void sha256_update(struct sha256 *h, const void *buf, size_t len) {
  SHA256_Update(h->ctx, buf, len);
}

void sha256_final(struct sha256 *h, char out[SHA256_DIGEST_STRLEN + 1]) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_Final(md, h->ctx);
  sha256_free(h);
  int off = snprintf(out, 8, "sha256:");
  for (unsigned i = 0; i < sizeof md; i++)
    off += snprintf(out + off, 3, "%02x", md[i]);
}

void sha256_free(struct sha256 *h) {
  free(h->ctx);
  h->ctx = NULL;
}

int sha256_digest(const void *buf, size_t len, char out[SHA256_DIGEST_STRLEN + 1], err_t *e) {
  struct sha256 h;
  if (sha256_init(&h, e) < 0)
    return -1;
  sha256_update(&h, buf, len);
  sha256_final(&h, out);
  return 0;
}
