/* Handing a seccomp notify fd to the listener at linux.seccomp.listenerPath. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/json.h"

int seccomp_listener_connect(const struct seccomp_filter *f, struct seccomp_listener *l, err_t *e) {
  l->sock = -1;
  l->message = NULL;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(f->listener_path) >= sizeof addr.sun_path)
    return err_set(e, ENAMETOOLONG, "linux.seccomp.listenerPath %s: too long", f->listener_path);
  strcpy(addr.sun_path, f->listener_path);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return err_sys(e, "linux.seccomp.listenerPath %s", f->listener_path);
  l->sock = steal_fd(&fd);
  return 0;
}

int seccomp_listener_message(const struct seccomp_filter *f, struct seccomp_listener *l, pid_t pid,
                             json_t *state, err_t *e) {
  _cleanup_json_ json_t *j =
      json_pack("{s:s, s:[s], s:i, s:s, s:O}", "ociVersion", "1.1.0", "fds", "seccompFd", "pid",
                (int)pid, "metadata", f->listener_metadata ? f->listener_metadata : "", "state",
                state);
  if (!j || !(l->message = json_dumps(j, JSON_COMPACT)))
    return err_set(e, ENOMEM, "seccomp listener message");
  return 0;
}

int seccomp_listener_send(struct seccomp_listener *l, int notify_fd, err_t *e) {
  size_t len = strlen(l->message);
  ssize_t n = send_with_fd(l->sock, l->message, len, notify_fd);
  int ret = n < 0 ? err_sys(e, "send the seccomp notify fd to its listener") : 0;
  /* The rest of the message, if the socket took only part of it. */
  if (ret == 0 && (size_t)n < len &&
      write_all(l->sock, l->message + n, len - (size_t)n) < 0)
    ret = err_sys(e, "send the seccomp state to its listener");
  seccomp_listener_close(l);
  return ret;
}

void seccomp_listener_close(struct seccomp_listener *l) {
  if (l->sock >= 0)
    close(l->sock);
  l->sock = -1;
  free(l->message);
  l->message = NULL;
}
