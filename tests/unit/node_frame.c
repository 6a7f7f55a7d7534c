/* The node agents' frames: a frame verifies only with the cluster's key,
 * the receiver's nonce and the next sequence number; a tampered, replayed
 * or oversized frame, or one of an unknown version, is refused. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "node/frame.h"

static const uint8_t key[FRAME_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

/* A connector and an acceptor that exchanged nonces. */
static void pair(struct frame_auth *c, struct frame_auth *a, const uint8_t *ckey) {
  err_t e = ERR_INIT;
  CHECK_FATAL(frame_auth_init(c, ckey, false, &e) == 0 && frame_auth_init(a, key, true, &e) == 0);
  memcpy(c->theirs, a->mine, FRAME_NONCE_LEN);
  memcpy(a->theirs, c->mine, FRAME_NONCE_LEN);
}

static void test_roundtrip_and_tamper(void) {
  struct frame_auth c, a;
  err_t e = ERR_INIT;
  size_t n = 0;
  pair(&c, &a, key);
  uint8_t *f = frame_build(&c, FRAME_MSG, "hello", 5, &n);
  CHECK_FATAL(f);
  size_t rest = 0;
  CHECK(frame_check_hdr((const struct frame_hdr *)f, true, &rest, &e) == 0 &&
        rest == 5 + FRAME_MAC_LEN);
  f[sizeof(struct frame_hdr)] ^= 1; /* one bit of the payload */
  CHECK(frame_verify(&a, f, n, &e) < 0 && e.code == EACCES);
  f[sizeof(struct frame_hdr)] ^= 1;
  CHECK(frame_verify(&a, f, n, &e) == 0);
  CHECK(frame_verify(&a, f, n, &e) < 0); /* the same frame again: a replay */
  uint8_t *g = frame_build(&c, FRAME_MSG, "again", 5, &n);
  CHECK(g && frame_verify(&a, g, n, &e) == 0);
  /* The acceptor's frames verify at the connector, not at itself. */
  uint8_t *h = frame_build(&a, FRAME_PING, "x", 1, &n);
  struct frame_auth a2 = a;
  CHECK(h && frame_verify(&c, h, n, &e) == 0);
  CHECK(frame_verify(&a2, h, n, &e) < 0);
  free(f);
  free(g);
  free(h);
}

static void test_wrong_key(void) {
  uint8_t other[FRAME_KEY_LEN] = {9};
  struct frame_auth c, a;
  err_t e = ERR_INIT;
  size_t n = 0;
  pair(&c, &a, other);
  uint8_t *f = frame_build(&c, FRAME_HELLO, "0123456789abcdef", 16, &n);
  CHECK(f && frame_verify(&a, f, n, &e) < 0 && e.code == EACCES);
  free(f);
}

static void test_headers(void) {
  err_t e = ERR_INIT;
  size_t rest = 0;
  struct frame_hdr h = {.magic = FRAME_MAGIC, .version = FRAME_VERSION, .type = FRAME_MSG,
                        .len = FRAME_MAX + 1};
  CHECK(frame_check_hdr(&h, true, &rest, &e) < 0 && e.code == EMSGSIZE);
  h.type = FRAME_MOVE;
  CHECK(frame_check_hdr(&h, true, &rest, &e) == 0);
  h.len = FRAME_MOVE_MAX + 1u;
  CHECK(frame_check_hdr(&h, true, &rest, &e) < 0);
  h.len = 0;
  h.version = FRAME_VERSION + 1;
  CHECK(frame_check_hdr(&h, true, &rest, &e) < 0);
  h.version = FRAME_VERSION;
  h.type = 99;
  CHECK(frame_check_hdr(&h, true, &rest, &e) < 0);
  h.type = FRAME_MSG;
  h.magic = 0;
  CHECK(frame_check_hdr(&h, true, &rest, &e) < 0);
}

static void test_keys_and_addresses(void) {
  uint8_t k[FRAME_KEY_LEN];
  err_t e = ERR_INIT;
  char hex[65];
  memset(hex, 'a', 64);
  hex[64] = 0;
  CHECK(frame_key_parse(hex, 64, k, &e) == 0 && k[0] == 0xaa);
  hex[5] = 'g';
  CHECK(frame_key_parse(hex, 64, k, &e) < 0);
  CHECK(frame_key_parse(hex, 10, k, &e) < 0);
  uint32_t ip;
  uint16_t port;
  CHECK(frame_parse_addr("10.77.0.3:7946", &ip, &port, &e) == 0 && port == 7946 &&
        ((uint8_t *)&ip)[3] == 3);
  CHECK(frame_parse_addr("10.77.0.3", &ip, &port, &e) < 0);
  CHECK(frame_parse_addr("10.77.0.3:0", &ip, &port, &e) < 0);
  CHECK(frame_parse_addr("host:80", &ip, &port, &e) < 0);
  CHECK(frame_parse_addr("10.0.0.1:65536", &ip, &port, &e) < 0);
}

int main(void) {
  test_roundtrip_and_tamper();
  test_wrong_key();
  test_headers();
  test_keys_and_addresses();
  return check_report("node_frame");
}
