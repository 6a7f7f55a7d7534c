#include "util/sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>

int sha256_init(struct sha256 *h, err_t *e) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(ctx);
    h->ctx = NULL;
    return err_set(e, ENOMEM, "sha256: cannot create a digest context");
  }
  h->ctx = ctx;
  return 0;
}

void sha256_update(struct sha256 *h, const void *buf, size_t len) {
  EVP_DigestUpdate(h->ctx, buf, len);
}

void sha256_final(struct sha256 *h, char out[SHA256_DIGEST_STRLEN + 1]) {
  unsigned char md[32];
  unsigned int n = 0;
  EVP_DigestFinal_ex(h->ctx, md, &n);
  sha256_free(h);
  int off = snprintf(out, 8, "sha256:");
  for (unsigned i = 0; i < 32; i++)
    off += snprintf(out + off, 3, "%02x", md[i]);
}

void sha256_free(struct sha256 *h) {
  EVP_MD_CTX_free(h->ctx);
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
