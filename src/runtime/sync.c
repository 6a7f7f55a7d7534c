#include "runtime/sync.h"
#include "util/fdpass.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Only the header travels unless there is an error to carry. */
#define HEADER_LEN offsetof(struct sync_msg, err)

/* The peer closed its end (a send got EPIPE, or ECONNRESET when it went
 * with our last message unread): what it sent before going is still
 * queued, and its error, if it sent one, is what failed. Nothing blocks:
 * with the peer gone, a read returns what is queued, then EOF. */
static int peer_gone(int fd, err_t *e) {
  struct sync_msg m;
  int r;
  while ((r = sync_recv(fd, &m, e)) > 0) {
    if (m.fd >= 0)
      close(m.fd);
    if (m.type == SYNC_ERROR) {
      *e = m.err;
      return -1;
    }
  }
  return r < 0 ? -1 : err_set(e, ECHILD, "container init exited before it was ready");
}

int sync_send(int fd, int type, int value, err_t *e) {
  struct sync_msg m = {.type = type, .value = value, .fd = -1};
  while (send(fd, &m, HEADER_LEN, MSG_NOSIGNAL) < 0) {
    if (errno == EPIPE || errno == ECONNRESET)
      return peer_gone(fd, e);
    if (errno != EINTR)
      return err_sys(e, "sync with container init");
  }
  return 0;
}

void sync_send_error(int fd, const err_t *err) {
  struct sync_msg m = {.type = SYNC_ERROR, .fd = -1, .err = *err};
  size_t len = offsetof(struct sync_msg, err.msg) + strlen(err->msg) + 1;
  while (send(fd, &m, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
    ;
}

int sync_send_fd(int sock, int fd, err_t *e) {
  struct sync_msg m = {.type = SYNC_CONSOLE, .fd = -1};
  if (send_with_fd(sock, &m, HEADER_LEN, fd) < 0)
    return err_sys(e, "send the console");
  return 0;
}

int sync_recv(int fd, struct sync_msg *m, err_t *e) {
  memset(m, 0, sizeof *m);
  m->fd = -1;
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
  ssize_t n;
  /* ECONNRESET: the peer went with a message of ours unread. The kernel
   * reports that (once) before the messages it queued, which hold its
   * error: read on. */
  while ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) < 0)
    if (errno != EINTR && errno != ECONNRESET)
      return err_sys(e, "sync with container init");
  int passed = -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
    memcpy(&passed, CMSG_DATA(c), sizeof passed);
  m->fd = passed;
  if (n == 0)
    return 0;
  if ((size_t)n < HEADER_LEN) {
    if (passed >= 0)
      close(passed);
    return err_set(e, EPROTO, "sync with container init: short message");
  }
  m->err.msg[sizeof m->err.msg - 1] = '\0';
  return 1;
}

int sync_expect(int fd, int type, int *value, err_t *e) {
  struct sync_msg m;
  int r = sync_recv(fd, &m, e);
  if (r < 0)
    return -1;
  if (r == 0)
    return err_set(e, ECHILD, "container init exited before it was ready");
  if (m.fd >= 0)
    close(m.fd);
  if (m.type == SYNC_ERROR) {
    *e = m.err;
    return -1;
  }
  if (m.type != type)
    return err_set(e, EPROTO, "sync with container init: got message %d, expected %d", m.type,
                   type);
  if (value)
    *value = m.value;
  return 0;
}
