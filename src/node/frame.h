/* The node agents' wire format: framed, versioned, authenticated messages
 * over TCP (docs/NODE.md).
 *
 * A frame is a header (magic, version, type, payload length, sequence
 * number), the payload, and an HMAC-SHA256 over both, keyed by the
 * cluster's pre-shared key. A connection starts with each side sending a
 * HELLO that carries a fresh random nonce (the connector's also its listen
 * address, and a MAC); every later frame's MAC covers the nonce the
 * receiver chose and the direction, and sequence numbers must follow each
 * other, so a frame cannot be replayed on another connection or within
 * one. A peer without the key cannot produce a valid HELLO: the acceptor
 * drops it before reading anything else. Lengths are checked against
 * per-type limits before anything is allocated. */
#ifndef CAPSULE_NODE_FRAME_H
#define CAPSULE_NODE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define FRAME_MAGIC 0x4e535043u /* "CPSN" */
#define FRAME_VERSION 1
enum { FRAME_KEY_LEN = 32, FRAME_NONCE_LEN = 16, FRAME_MAC_LEN = 32 };
/* Control frames are small; a cold move carries a container's file system. */
enum { FRAME_MAX = 64 << 10, FRAME_MOVE_MAX = 256 << 20 };

enum frame_type {
  FRAME_HELLO = 1, /* nonce [+ the connector's listen address] */
  FRAME_MSG,       /* a protocol message (proto/transport.h), as its bytes */
  FRAME_PING,      /* membership: the sender's members, one "slot addr" per line */
  FRAME_LEAVE,     /* the sender leaves the ring */
  FRAME_MOVE,      /* a cold move: u32 meta length, meta JSON, the file system as tar */
  FRAME_MOVED,     /* its answer: u8 ok, then the reason */
  FRAME_WHERE,     /* a source with a move in doubt asks: i32 VE */
  FRAME_HERE,      /* the answer: i32 VE, u8 enum move_where */
};

struct frame_hdr {
  uint32_t magic;
  uint8_t version, type;
  uint16_t reserved;
  uint32_t len; /* payload bytes */
  uint32_t pad;
  uint64_t seq;
};

/* One side of a connection's authentication. */
struct frame_auth {
  uint8_t key[FRAME_KEY_LEN];
  uint8_t mine[FRAME_NONCE_LEN], theirs[FRAME_NONCE_LEN];
  bool acceptor;
  uint64_t sent, received;
};

/* A fresh nonce in a->mine. -1 when the random source fails. */
int frame_auth_init(struct frame_auth *a, const uint8_t key[FRAME_KEY_LEN], bool acceptor,
                    err_t *e);

/* The largest payload a frame of `type` may have. */
size_t frame_limit(uint8_t type);

/* The whole frame (header, payload, MAC) in a heap buffer, *out_len its
 * size; the HELLO of an acceptor carries no MAC (the connector has no
 * nonce of its own yet). NULL on ENOMEM. */
uint8_t *frame_build(struct frame_auth *a, uint8_t type, const void *payload, size_t len,
                     size_t *out_len);

/* Check a received header: magic, version, known type, length within its
 * limit. Returns the bytes still to read after it (payload and MAC). */
int frame_check_hdr(const struct frame_hdr *h, bool mac, size_t *rest, err_t *e);

/* Verify the MAC and sequence number of a whole received frame (header,
 * payload, MAC). */
int frame_verify(struct frame_auth *a, const uint8_t *frame, size_t len, err_t *e);

/* The cluster key: 64 hex digits in a file of mode 0600. */
int frame_key_load(const char *path, uint8_t key[FRAME_KEY_LEN], err_t *e);
/* A new random key. */
int frame_key_new(uint8_t key[FRAME_KEY_LEN], err_t *e);
int frame_key_parse(const char *hex, size_t len, uint8_t key[FRAME_KEY_LEN], err_t *e);

/* Blocking use of a connection (the move workers): connect to "ip:port"
 * and shake hands, send a frame, receive one, each within `timeout` s. */
int frame_dial(const char *addr, struct frame_auth *a, const char *self, double timeout,
               err_t *e);
int frame_send(int fd, struct frame_auth *a, uint8_t type, const void *payload, size_t len,
               err_t *e);
/* The payload (heap) of the next frame, which must be of type `want`. */
uint8_t *frame_recv(int fd, struct frame_auth *a, uint8_t want, double timeout, size_t *len,
                    err_t *e);

/* "ip:port" -> sockaddr pieces; the slot is the address's last byte. */
int frame_parse_addr(const char *addr, uint32_t *ip, uint16_t *port, err_t *e);

#endif
