#include "image/digest.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int digest_fd(int fd, char out[DIGEST_BUF], uint64_t *size, err_t *e) {
  struct sha256 h;
  if (sha256_init(&h, e) < 0)
    return -1;
  char buf[1 << 16];
  uint64_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      sha256_free(&h);
      return err_sys(e, "read");
    }
    if (n == 0)
      break;
    sha256_update(&h, buf, (size_t)n);
    total += (uint64_t)n;
  }
  sha256_final(&h, out);
  if (size)
    *size = total;
  return 0;
}

int digest_valid(const char *digest) {
  if (strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
    return 0;
  for (const char *p = digest + 7; *p; p++)
    if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
      return 0;
  return 1;
}

const char *digest_hex(const char *digest) {
  return strncmp(digest, "sha256:", 7) ? digest : digest + 7;
}

int chain_id_next(const char *parent, const char *diff_id, char out[DIGEST_BUF], err_t *e) {
  if (!parent || !*parent) {
    snprintf(out, DIGEST_BUF, "%s", diff_id);
    return 0;
  }
  char buf[2 * DIGEST_BUF];
  int n = snprintf(buf, sizeof(buf), "%s %s", parent, diff_id);
  return sha256_digest(buf, (size_t)n, out, e);
}
