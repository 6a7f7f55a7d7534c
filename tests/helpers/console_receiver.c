/* The other end of --console-socket, for the runtime tests.
 *
 *   console_receiver [-i TEXT] [-w MS] [-t SECS] SOCKET
 *
 * Listens on the unix socket SOCKET, accepts one connection and receives
 * the pty master by SCM_RIGHTS (whatever payload comes with it is ignored:
 * capsule sends a small binary header, as conmon tolerates). Then writes
 * TEXT to the master (after MS milliseconds, default 0), copies everything
 * the container prints to stdout, and exits 0 when the container's side of
 * the terminal is closed. "ready" is printed on stderr once the socket
 * listens; after SECS seconds (default 20) it gives up with exit 3, so a
 * broken runtime never hangs a test. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int listen_on(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "console_receiver: %s: path too long\n", path);
    return -1;
  }
  strcpy(addr.sun_path, path);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlink(path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 1) < 0) {
    fprintf(stderr, "console_receiver: %s: %s\n", path, strerror(errno));
    return -1;
  }
  return steal_fd(&fd);
}

/* Wait until fd is readable or the deadline passes; 0 on timeout. */
static int wait_readable(int fd, long deadline) {
  for (;;) {
    long left = deadline - now_ms();
    if (left <= 0)
      return 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, (int)left);
    if (r >= 0 || errno != EINTR)
      return r;
  }
}

static int receive_fd(int conn) {
  char payload[512];
  struct iovec iov = {.iov_base = payload, .iov_len = sizeof payload};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
  if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0)
    return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
    errno = EBADMSG;
    return -1;
  }
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static int write_all_fd(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *input = NULL;
  long wait_before_input = 0, timeout_s = 20;
  int opt;
  while ((opt = getopt(argc, argv, "i:w:t:")) != -1) {
    switch (opt) {
    case 'i':
      input = optarg;
      break;
    case 'w':
      wait_before_input = atol(optarg);
      break;
    case 't':
      timeout_s = atol(optarg);
      break;
    default:
      fprintf(stderr, "usage: console_receiver [-i TEXT] [-w MS] [-t SECS] SOCKET\n");
      return 2;
    }
  }
  if (optind + 1 != argc) {
    fprintf(stderr, "usage: console_receiver [-i TEXT] [-w MS] [-t SECS] SOCKET\n");
    return 2;
  }
  long deadline = now_ms() + timeout_s * 1000L;
  _cleanup_close_ int sock = listen_on(argv[optind]);
  if (sock < 0)
    return 1;
  fprintf(stderr, "ready\n");
  if (wait_readable(sock, deadline) <= 0) {
    fprintf(stderr, "console_receiver: nobody connected\n");
    return 3;
  }
  _cleanup_close_ int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
  _cleanup_close_ int master = conn < 0 ? -1 : receive_fd(conn);
  if (master < 0) {
    fprintf(stderr, "console_receiver: receive the pty master: %s\n", strerror(errno));
    return 1;
  }
  if (input) {
    usleep((useconds_t)wait_before_input * 1000);
    if (write_all_fd(master, input, strlen(input)) < 0) {
      fprintf(stderr, "console_receiver: write to the pty: %s\n", strerror(errno));
      return 1;
    }
  }
  for (;;) {
    int r = wait_readable(master, deadline);
    if (r == 0) {
      fprintf(stderr, "console_receiver: the terminal is still open after %ld s\n", timeout_s);
      return 3;
    }
    char buf[4096];
    ssize_t n = read(master, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    /* EIO: every process holding the pty's other side has gone. */
    if (n == 0 || (n < 0 && errno == EIO))
      return 0;
    if (n < 0) {
      fprintf(stderr, "console_receiver: read the pty: %s\n", strerror(errno));
      return 1;
    }
    if (write_all_fd(STDOUT_FILENO, buf, (size_t)n) < 0)
      return 1;
  }
}
