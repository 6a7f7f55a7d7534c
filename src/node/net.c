#include "node/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/array.h"

enum { NET_QUEUE_MAX = 4 << 20, NET_HANDSHAKE_TIMEOUT = 5, NET_CONNS_MAX = 1024 };

int net_watch_add(struct net *n, struct net_watch *w, uint32_t events, err_t *e) {
  struct epoll_event ev = {.events = events, .data.ptr = w};
  if (epoll_ctl(n->ep, EPOLL_CTL_ADD, w->fd, &ev) < 0)
    return err_sys(e, "node: epoll");
  return 0;
}

void net_watch_del(struct net *n, struct net_watch *w) {
  epoll_ctl(n->ep, EPOLL_CTL_DEL, w->fd, NULL);
}

static void set_events(struct net *n, struct net_conn *c) {
  struct epoll_event ev = {.events = EPOLLIN | (c->wlen > c->woff ? EPOLLOUT : 0u),
                           .data.ptr = &c->w};
  epoll_ctl(n->ep, EPOLL_CTL_MOD, c->w.fd, &ev);
}

void net_close(struct net *n, struct net_conn *c) {
  if (n->ops->closed)
    n->ops->closed(n->data, c);
  for (int32_t i = 0; i < n->nconns; i++)
    if (n->conns[i] == c) {
      n->conns[i] = n->conns[--n->nconns];
      break;
    }
  net_watch_del(n, &c->w);
  close(c->w.fd);
  c->dead = true;
  if (array_reserve((void **)&n->dead, &n->dead_cap, n->ndead + 1, sizeof *n->dead) == 0)
    n->dead[n->ndead++] = c; /* else it leaks: better than a use after free */
}

static void free_dead(struct net *n) {
  for (int32_t k = 0; k < n->ndead; k++) {
    struct net_conn *c = n->dead[k];
    for (int32_t i = 0; i < c->npending; i++)
      free(c->pending[i].payload);
    free(c->pending);
    free(c->rbuf);
    free(c->wbuf);
    free(c);
  }
  n->ndead = 0;
}

/* Append a sealed frame to the write buffer. */
static int queue(struct net *n, struct net_conn *c, uint8_t type, const void *p, size_t len) {
  if (c->wlen - c->woff + len > NET_QUEUE_MAX)
    return -1;
  size_t flen = 0;
  uint8_t *f = frame_build(&c->auth, type, p, len, &flen);
  if (!f)
    return -1;
  if (c->woff) {
    memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
    c->wlen -= c->woff;
    c->woff = 0;
  }
  if (array_reserve_sz((void **)&c->wbuf, &c->wcap, c->wlen + flen, 1) < 0) {
    free(f);
    return -1;
  }
  memcpy(c->wbuf + c->wlen, f, flen);
  c->wlen += flen;
  free(f);
  set_events(n, c);
  return 0;
}

int net_send(struct net *n, struct net_conn *c, uint8_t type, const void *payload, size_t len) {
  if (c->ready)
    return queue(n, c, type, payload, len);
  if (c->npending >= 256 ||
      array_reserve((void **)&c->pending, &c->pending_cap, c->npending + 1, sizeof *c->pending) < 0)
    return -1;
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy)
    return -1;
  memcpy(copy, payload, len);
  c->pending[c->npending++] = (struct net_pending){type, copy, len};
  return 0;
}

static void on_conn(struct net *n, struct net_watch *w, uint32_t events);

static struct net_conn *add_conn(struct net *n, int fd, bool outgoing) {
  struct net_conn *c = calloc(1, sizeof *c);
  err_t e = ERR_INIT;
  if (!c || n->nconns >= NET_CONNS_MAX ||
      array_reserve((void **)&n->conns, &n->conns_cap, n->nconns + 1, sizeof *n->conns) < 0 ||
      frame_auth_init(&c->auth, n->key, !outgoing, &e) < 0) {
    free(c);
    close(fd);
    return NULL;
  }
  c->w = (struct net_watch){.fd = fd, .fn = on_conn};
  c->outgoing = outgoing;
  c->since = n->now();
  if (net_watch_add(n, &c->w, EPOLLIN, &e) < 0) {
    free(c);
    close(fd);
    return NULL;
  }
  n->conns[n->nconns++] = c;
  return c;
}

struct net_conn *net_dial(struct net *n, const char *addr) {
  uint32_t ip;
  uint16_t port;
  err_t e = ERR_INIT;
  if (frame_parse_addr(addr, &ip, &port, &e) < 0)
    return NULL;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = ip};
  if (fd < 0)
    return NULL;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
    close(fd);
    return NULL;
  }
  struct net_conn *c = add_conn(n, fd, true);
  if (c)
    snprintf(c->peer, sizeof c->peer, "%s", addr);
  return c;
}

static void refuse(struct net *n, struct net_conn *c, const char *why) {
  char who[64] = "?";
  struct sockaddr_in sa;
  socklen_t sl = sizeof sa;
  if (getpeername(c->w.fd, (struct sockaddr *)&sa, &sl) == 0)
    inet_ntop(AF_INET, &sa.sin_addr, who, sizeof who);
  if (n->ops->refused)
    n->ops->refused(n->data, c->peer[0] ? c->peer : who, why);
  net_close(n, c);
}

/* The connector's HELLO: its nonce, its listen address, which must be
 * the address it connects from. */
static int hello_in(struct net_conn *c, const uint8_t *p, size_t len, const char **why) {
  char addr[48];
  uint32_t ip;
  uint16_t port;
  err_t e = ERR_INIT;
  struct sockaddr_in sa;
  socklen_t sl = sizeof sa;
  if (len < FRAME_NONCE_LEN || len - FRAME_NONCE_LEN >= sizeof addr)
    return *why = "malformed HELLO", -1;
  memcpy(addr, p + FRAME_NONCE_LEN, len - FRAME_NONCE_LEN);
  addr[len - FRAME_NONCE_LEN] = 0;
  if (frame_parse_addr(addr, &ip, &port, &e) < 0 ||
      getpeername(c->w.fd, (struct sockaddr *)&sa, &sl) < 0 || sa.sin_addr.s_addr != ip)
    return *why = "claims an address it does not connect from", -1;
  memcpy(c->auth.theirs, p, FRAME_NONCE_LEN);
  snprintf(c->peer, sizeof c->peer, "%s", addr);
  return 0;
}

/* The acceptor's HELLO reached a connector: seal what waited. */
static int hello_out(struct net *n, struct net_conn *c, const uint8_t *p, size_t len) {
  if (len < FRAME_NONCE_LEN)
    return -1;
  memcpy(c->auth.theirs, p, FRAME_NONCE_LEN);
  size_t slen = strlen(n->self);
  uint8_t hello[FRAME_NONCE_LEN + 48];
  memcpy(hello, c->auth.mine, FRAME_NONCE_LEN);
  memcpy(hello + FRAME_NONCE_LEN, n->self, slen);
  c->ready = true;
  if (queue(n, c, FRAME_HELLO, hello, FRAME_NONCE_LEN + slen) < 0)
    return -1;
  for (int32_t i = 0; i < c->npending; i++) {
    queue(n, c, c->pending[i].type, c->pending[i].payload, c->pending[i].len);
    free(c->pending[i].payload);
  }
  c->npending = 0;
  return 0;
}

/* Handle every whole frame in the read buffer; -1 when `c` was closed. */
static int parse(struct net *n, struct net_conn *c) {
  size_t off = 0;
  int rc = 0;
  while (c->rlen - off >= sizeof(struct frame_hdr)) {
    struct frame_hdr h;
    memcpy(&h, c->rbuf + off, sizeof h);
    bool unsigned_hello = c->outgoing && !c->ready;
    size_t rest = 0;
    err_t e = ERR_INIT;
    if (frame_check_hdr(&h, !unsigned_hello, &rest, &e) < 0) {
      refuse(n, c, e.msg);
      return -1;
    }
    /* Before the handshake only a HELLO may come: nothing unauthenticated
     * gets a MOVE's room (256 MiB) reserved. */
    if (!c->ready && h.type != FRAME_HELLO) {
      refuse(n, c, "no HELLO");
      return -1;
    }
    if (c->rlen - off < sizeof h + rest) {
      if (array_reserve_sz((void **)&c->rbuf, &c->rcap, sizeof h + rest, 1) < 0) {
        net_close(n, c);
        return -1;
      }
      break;
    }
    const uint8_t *f = c->rbuf + off, *payload = f + sizeof h;
    off += sizeof h + rest;
    const char *why = NULL;
    if (unsigned_hello) {
      if (h.type != FRAME_HELLO || hello_out(n, c, payload, h.len) < 0)
        why = "no HELLO";
    } else if (frame_verify(&c->auth, f, sizeof h + rest, &e) < 0) {
      why = e.msg;
    } else if (!c->ready) {
      if (h.type != FRAME_HELLO || hello_in(c, payload, h.len, &why) < 0)
        why = why ? why : "no HELLO";
      else
        c->ready = true;
    } else if (!c->outgoing || h.type == FRAME_MOVED || h.type == FRAME_HERE) {
      n->ops->frame(n->data, c, h.type, payload, h.len);
    }
    if (why) {
      refuse(n, c, why);
      return -1;
    }
    rc = 1;
  }
  memmove(c->rbuf, c->rbuf + off, c->rlen - off);
  c->rlen -= off;
  return rc;
}

static void on_conn(struct net *n, struct net_watch *w, uint32_t events) {
  struct net_conn *c = (struct net_conn *)w;
  if (c->dead)
    return;
  if (events & EPOLLOUT) {
    while (c->woff < c->wlen) {
      ssize_t r = write(w->fd, c->wbuf + c->woff, c->wlen - c->woff);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EAGAIN)
        break;
      if (r < 0) {
        net_close(n, c);
        return;
      }
      c->woff += (size_t)r;
    }
    if (c->woff == c->wlen)
      c->woff = c->wlen = 0;
    set_events(n, c);
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
    return;
  for (;;) {
    if (array_reserve_sz((void **)&c->rbuf, &c->rcap, c->rlen + 65536, 1) < 0) {
      net_close(n, c);
      return;
    }
    ssize_t r = read(w->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && errno == EAGAIN)
      return;
    if (r <= 0) {
      net_close(n, c);
      return;
    }
    c->rlen += (size_t)r;
    if (parse(n, c) < 0)
      return;
  }
}

static void on_accept(struct net *n, struct net_watch *w, uint32_t events) {
  (void)events;
  for (;;) {
    int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return;
    struct net_conn *c = add_conn(n, fd, false);
    if (c && queue(n, c, FRAME_HELLO, c->auth.mine, FRAME_NONCE_LEN) < 0)
      net_close(n, c);
  }
}

int net_init(struct net *n, const char *listen_addr, const uint8_t key[FRAME_KEY_LEN],
             const struct net_ops *ops, void *data, err_t *e) {
  uint32_t ip;
  uint16_t port;
  n->listener.fd = n->ep = -1;
  if (frame_parse_addr(listen_addr, &ip, &port, e) < 0)
    return -1;
  memcpy(n->key, key, FRAME_KEY_LEN);
  snprintf(n->self, sizeof n->self, "%s", listen_addr);
  n->ops = ops;
  n->data = data;
  n->ep = epoll_create1(EPOLL_CLOEXEC);
  n->listener.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  n->listener.fn = on_accept;
  int one = 1;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = ip};
  if (n->ep < 0 || n->listener.fd < 0 ||
      setsockopt(n->listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(n->listener.fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      listen(n->listener.fd, 64) < 0)
    return err_sys(e, "node: listen on %s", listen_addr);
  return net_watch_add(n, &n->listener, EPOLLIN, e);
}

void net_free(struct net *n) {
  while (n->nconns)
    net_close(n, n->conns[n->nconns - 1]);
  free(n->conns);
  free_dead(n);
  free(n->dead);
  if (n->listener.fd >= 0)
    close(n->listener.fd);
  if (n->ep >= 0)
    close(n->ep);
}

int net_poll(struct net *n, int ms, err_t *e) {
  struct epoll_event ev[32];
  int k = epoll_wait(n->ep, ev, 32, ms);
  if (k < 0)
    return errno == EINTR ? 0 : err_sys(e, "node: epoll_wait");
  for (int i = 0; i < k; i++) {
    struct net_watch *w = ev[i].data.ptr;
    w->fn(n, w, ev[i].events); /* a closed connection stays allocated until free_dead */
  }
  double now = n->now();
  for (int32_t i = n->nconns - 1; i >= 0; i--)
    if (!n->conns[i]->ready && now - n->conns[i]->since > NET_HANDSHAKE_TIMEOUT)
      refuse(n, n->conns[i], "no handshake in time");
  free_dead(n);
  return 0;
}
