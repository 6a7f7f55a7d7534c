#include "node/frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

int frame_auth_init(struct frame_auth *a, const uint8_t key[FRAME_KEY_LEN], bool acceptor,
                    err_t *e) {
  memset(a, 0, sizeof *a);
  memcpy(a->key, key, FRAME_KEY_LEN);
  a->acceptor = acceptor;
  if (RAND_bytes(a->mine, FRAME_NONCE_LEN) != 1)
    return err_set(e, EIO, "node: no random bytes for a connection nonce");
  return 0;
}

size_t frame_limit(uint8_t type) {
  return type == FRAME_MOVE ? FRAME_MOVE_MAX : FRAME_MAX;
}

/* HMAC-SHA256(key, nonce || role || header || payload). */
static int mac(const uint8_t key[FRAME_KEY_LEN], const uint8_t nonce[FRAME_NONCE_LEN], char role,
               const void *frame, size_t len, uint8_t out[FRAME_MAC_LEN]) {
  EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                         OSSL_PARAM_construct_end()};
  size_t n = 0;
  int rc = c && EVP_MAC_init(c, key, FRAME_KEY_LEN, params) == 1 &&
                   EVP_MAC_update(c, nonce, FRAME_NONCE_LEN) == 1 &&
                   EVP_MAC_update(c, (const uint8_t *)&role, 1) == 1 &&
                   EVP_MAC_update(c, frame, len) == 1 &&
                   EVP_MAC_final(c, out, &n, FRAME_MAC_LEN) == 1 && n == FRAME_MAC_LEN
               ? 0
               : -1;
  EVP_MAC_CTX_free(c);
  EVP_MAC_free(m);
  return rc;
}

uint8_t *frame_build(struct frame_auth *a, uint8_t type, const void *payload, size_t len,
                     size_t *out_len) {
  bool unsigned_hello = type == FRAME_HELLO && a->acceptor;
  size_t total = sizeof(struct frame_hdr) + len + (unsigned_hello ? 0 : FRAME_MAC_LEN);
  uint8_t *f = malloc(total);
  if (!f)
    return NULL;
  struct frame_hdr h = {.magic = FRAME_MAGIC, .version = FRAME_VERSION, .type = type,
                        .len = (uint32_t)len, .seq = unsigned_hello ? 0 : ++a->sent};
  memcpy(f, &h, sizeof h);
  if (len)
    memcpy(f + sizeof h, payload, len);
  if (!unsigned_hello &&
      mac(a->key, a->theirs, a->acceptor ? 'a' : 'c', f, sizeof h + len, f + sizeof h + len) < 0) {
    free(f);
    return NULL;
  }
  *out_len = total;
  return f;
}

int frame_check_hdr(const struct frame_hdr *h, bool with_mac, size_t *rest, err_t *e) {
  if (h->magic != FRAME_MAGIC)
    return err_set(e, EPROTO, "not a capsule node frame");
  if (h->version != FRAME_VERSION)
    return err_set(e, EPROTO, "frame version %u, this agent speaks %u", h->version, FRAME_VERSION);
  if (h->type < FRAME_HELLO || h->type > FRAME_HERE)
    return err_set(e, EPROTO, "unknown frame type %u", h->type);
  if (h->len > frame_limit(h->type))
    return err_set(e, EMSGSIZE, "frame of type %u: %u bytes, the limit is %zu", h->type, h->len,
                   frame_limit(h->type));
  *rest = h->len + (with_mac ? FRAME_MAC_LEN : 0);
  return 0;
}

int frame_verify(struct frame_auth *a, const uint8_t *frame, size_t len, err_t *e) {
  struct frame_hdr h;
  uint8_t want[FRAME_MAC_LEN];
  if (len < sizeof h + FRAME_MAC_LEN)
    return err_set(e, EPROTO, "frame too short");
  memcpy(&h, frame, sizeof h);
  if (mac(a->key, a->mine, a->acceptor ? 'c' : 'a', frame, len - FRAME_MAC_LEN, want) < 0)
    return err_set(e, ENOMEM, "frame: cannot compute its MAC");
  if (CRYPTO_memcmp(want, frame + len - FRAME_MAC_LEN, FRAME_MAC_LEN))
    return err_set(e, EACCES, "frame: bad MAC (not the cluster's key)");
  if (h.seq != a->received + 1)
    return err_set(e, EPROTO, "frame: sequence %llu, expected %llu (replayed?)",
                   (unsigned long long)h.seq, (unsigned long long)a->received + 1);
  a->received = h.seq;
  return 0;
}

int frame_key_new(uint8_t key[FRAME_KEY_LEN], err_t *e) {
  if (RAND_bytes(key, FRAME_KEY_LEN) != 1)
    return err_set(e, EIO, "node: no random bytes for a cluster key");
  return 0;
}

int frame_key_parse(const char *hex, size_t len, uint8_t key[FRAME_KEY_LEN], err_t *e) {
  while (len && (hex[len - 1] == '\n' || hex[len - 1] == ' '))
    len--;
  if (len != 2 * FRAME_KEY_LEN)
    return err_set(e, EINVAL, "cluster key: expected %d hex digits", 2 * FRAME_KEY_LEN);
  for (size_t i = 0; i < FRAME_KEY_LEN; i++) {
    unsigned v;
    char two[3] = {hex[2 * i], hex[2 * i + 1], 0};
    char *end;
    v = (unsigned)strtoul(two, &end, 16);
    if (*end || two[0] == '+' || two[0] == '-' || two[0] == ' ')
      return err_set(e, EINVAL, "cluster key: not hexadecimal");
    key[i] = (uint8_t)v;
  }
  return 0;
}

int frame_key_load(const char *path, uint8_t key[FRAME_KEY_LEN], err_t *e) {
  size_t len = 0;
  _cleanup_free_ char *text = read_file_at(AT_FDCWD, path, 256, &len, e);
  if (!text)
    return err_wrap(e, "cluster key %s (made by `capsule node init`)", path);
  if (frame_key_parse(text, len, key, e) < 0)
    return err_wrap(e, "%s", path);
  return 0;
}

int frame_parse_addr(const char *addr, uint32_t *ip, uint16_t *port, err_t *e) {
  char host[32];
  const char *colon = strrchr(addr, ':');
  struct in_addr in;
  char *end;
  if (!colon || (size_t)(colon - addr) >= sizeof host)
    return err_set(e, EINVAL, "address %s: expected IPV4:PORT", addr);
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = 0;
  unsigned long p = strtoul(colon + 1, &end, 10);
  if (inet_pton(AF_INET, host, &in) != 1 || *end || !colon[1] || p == 0 || p > 65535)
    return err_set(e, EINVAL, "address %s: expected IPV4:PORT", addr);
  *ip = in.s_addr;
  *port = (uint16_t)p;
  return 0;
}

/* ---- blocking use, for the move workers ---- */

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_full(int fd, void *buf, size_t len, double deadline, err_t *e) {
  size_t got = 0;
  while (got < len) {
    int ms = (int)((deadline - mono()) * 1000);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (ms <= 0 || poll(&p, 1, ms) == 0)
      return err_set(e, ETIMEDOUT, "node: peer did not answer in time");
    ssize_t n = read(fd, (char *)buf + got, len - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? err_sys(e, "node: read") : err_set(e, ECONNRESET, "node: peer closed");
    got += (size_t)n;
  }
  return 0;
}

int frame_send(int fd, struct frame_auth *a, uint8_t type, const void *payload, size_t len,
               err_t *e) {
  size_t n = 0;
  _cleanup_free_ uint8_t *f = frame_build(a, type, payload, len, &n);
  if (!f)
    return err_set(e, ENOMEM, "node: out of memory for a frame");
  if (write_all(fd, f, n) < 0)
    return err_sys(e, "node: send");
  return 0;
}

static uint8_t *recv_frame(int fd, struct frame_auth *a, bool with_mac, uint8_t want,
                           double timeout, size_t *len, err_t *e) {
  double deadline = mono() + timeout;
  struct frame_hdr h;
  size_t rest = 0;
  if (read_full(fd, &h, sizeof h, deadline, e) < 0 || frame_check_hdr(&h, with_mac, &rest, e) < 0)
    return NULL;
  if (h.type != want)
    return err_set(e, EPROTO, "node: frame of type %u, expected %u", h.type, want), NULL;
  _cleanup_free_ uint8_t *f = malloc(sizeof h + rest + 1);
  if (!f)
    return err_set(e, ENOMEM, "node: out of memory for a frame"), NULL;
  memcpy(f, &h, sizeof h);
  if (read_full(fd, f + sizeof h, rest, deadline, e) < 0 ||
      (with_mac && frame_verify(a, f, sizeof h + rest, e) < 0))
    return NULL;
  uint8_t *p = malloc(h.len + 1);
  if (!p)
    return err_set(e, ENOMEM, "node: out of memory for a frame"), NULL;
  memcpy(p, f + sizeof h, h.len);
  p[h.len] = 0;
  *len = h.len;
  return p;
}

uint8_t *frame_recv(int fd, struct frame_auth *a, uint8_t want, double timeout, size_t *len,
                    err_t *e) {
  return recv_frame(fd, a, true, want, timeout, len, e);
}

int frame_dial(const char *addr, struct frame_auth *a, const char *self, double timeout,
               err_t *e) {
  uint32_t ip;
  uint16_t port;
  if (frame_parse_addr(addr, &ip, &port, e) < 0)
    return -1;
  _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = ip};
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    return err_sys(e, "node: connect to %s", addr);
  struct timeval tv = {.tv_sec = (time_t)timeout};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  size_t n = 0;
  _cleanup_free_ uint8_t *hello = recv_frame(fd, a, false, FRAME_HELLO, timeout, &n, e);
  if (!hello || n < FRAME_NONCE_LEN)
    return hello ? err_set(e, EPROTO, "node: short HELLO from %s", addr) : -1;
  memcpy(a->theirs, hello, FRAME_NONCE_LEN);
  size_t slen = strlen(self);
  _cleanup_free_ uint8_t *mine = malloc(FRAME_NONCE_LEN + slen);
  if (!mine)
    return err_set(e, ENOMEM, "node: out of memory");
  memcpy(mine, a->mine, FRAME_NONCE_LEN);
  memcpy(mine + FRAME_NONCE_LEN, self, slen);
  if (frame_send(fd, a, FRAME_HELLO, mine, FRAME_NONCE_LEN + slen, e) < 0)
    return -1;
  return steal_fd(&fd);
}
