/* The node agent's network: an epoll event loop over TCP connections that
 * carry frames (node/frame.h), plus any other descriptor the agent watches
 * (its control socket, its move workers' pidfds).
 *
 * Each agent listens on its own address. To send, it dials the peer's
 * listen address and keeps that connection; what it receives comes in on
 * the connections others dialed. A connection is usable once both HELLOs
 * have passed: frames queued before are sealed then. The acceptor checks
 * that the address the connector claims is the one it connects from, and
 * drops a connector whose HELLO does not verify (no key, another key). */
#ifndef CAPSULE_NODE_NET_H
#define CAPSULE_NODE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/frame.h"
#include "util/error.h"

struct net;

/* A descriptor in the loop; `fn` runs when it is ready. */
struct net_watch {
  int fd;
  void (*fn)(struct net *n, struct net_watch *w, uint32_t events);
};

struct net_pending {
  uint8_t type;
  uint8_t *payload;
  size_t len;
};

struct net_conn {
  struct net_watch w;
  struct frame_auth auth;
  bool ready, outgoing, dead;
  char peer[48];               /* the peer's listen address */
  uint8_t *rbuf, *wbuf;
  size_t rlen, rcap, wlen, woff, wcap;
  struct net_pending *pending; /* before the handshake */
  int32_t npending, pending_cap;
  double since;
  int tag;                     /* the agent's (a move being served) */
};

struct net_ops {
  /* A verified frame from `c` (the peer's listen address in c->peer). */
  void (*frame)(void *data, struct net_conn *c, uint8_t type, const uint8_t *payload, size_t len);
  /* A connection closes (the agent drops what refers to it). */
  void (*closed)(void *data, struct net_conn *c);
  /* A connector was refused: `who` its address, `why` the reason. */
  void (*refused)(void *data, const char *who, const char *why);
};

struct net {
  int ep;
  struct net_watch listener;
  uint8_t key[FRAME_KEY_LEN];
  char self[48];
  struct net_conn **conns;
  int32_t nconns, conns_cap;
  struct net_conn **dead; /* closed during a poll, freed at its end */
  int32_t ndead, dead_cap;
  const struct net_ops *ops;
  void *data;
  double (*now)(void);
};

int net_init(struct net *n, const char *listen_addr, const uint8_t key[FRAME_KEY_LEN],
             const struct net_ops *ops, void *data, err_t *e);
void net_free(struct net *n);

int net_watch_add(struct net *n, struct net_watch *w, uint32_t events, err_t *e);
void net_watch_del(struct net *n, struct net_watch *w);

/* A connection to the agent at `addr` (dialing, non-blocking); NULL on
 * error. */
struct net_conn *net_dial(struct net *n, const char *addr);
/* Queue a frame (sealed now, or at the handshake). -1 when the connection
 * has too much queued already or on ENOMEM: the frame is dropped, as a
 * lost message would be. */
int net_send(struct net *n, struct net_conn *c, uint8_t type, const void *payload, size_t len);
void net_close(struct net *n, struct net_conn *c);

/* Wait up to `ms` for events and handle them; also closes connections
 * whose handshake takes too long. */
int net_poll(struct net *n, int ms, err_t *e);

#endif
