// seccomp_listener: a test listener for SCMP_ACT_NOTIFY (runtime-spec
// linux.seccomp.listenerPath).
//
//   seccomp_listener SOCKET STATE_FILE ERRNO
//
// Listens on SOCKET, accepts one connection, receives the notify fd and the
// container process state (written to STATE_FILE), then answers every
// notified syscall with -ERRNO until the notify fd closes (the process and
// its filter are gone). Exits 0, or 1 with a message on stderr.
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char *what) {
  fprintf(stderr, "seccomp_listener: %s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: seccomp_listener SOCKET STATE_FILE ERRNO\n");
    return 2;
  }
  int answer = atoi(argv[3]);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
  int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
  unlink(argv[1]);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 1) < 0)
    return die("listen");
  int c = accept(lfd, NULL, NULL);
  if (c < 0)
    return die("accept");
  char buf[65536];
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
                       .msg_controllen = sizeof u.b};
  ssize_t n = recvmsg(c, &msg, 0);
  if (n <= 0)
    return die("recvmsg");
  size_t len = (size_t)n;
  /* The rest of the state, until the runtime closes the connection. */
  while ((n = read(c, buf + len, sizeof buf - 1 - len)) > 0)
    len += (size_t)n;
  buf[len] = '\0';
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) {
    fprintf(stderr, "seccomp_listener: no fd received\n");
    return 1;
  }
  int nfd;
  memcpy(&nfd, CMSG_DATA(cm), sizeof nfd);
  FILE *f = fopen(argv[2], "w");
  if (!f || fputs(buf, f) < 0 || fclose(f) != 0)
    return die("write state");
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  for (;;) {
    struct pollfd p = {.fd = nfd, .events = POLLIN};
    if (poll(&p, 1, 10000) <= 0 || (p.revents & (POLLHUP | POLLERR)))
      return 0;
    memset(&req, 0, sizeof req);
    if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
      if (errno == EINTR || errno == ENOENT)
        continue;
      return 0;
    }
    resp = (struct seccomp_notif_resp){.id = req.id, .error = -answer, .val = 0, .flags = 0};
    if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
      return die("notif send");
  }
}
