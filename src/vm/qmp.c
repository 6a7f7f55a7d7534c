/* QMP, QEMU's JSON control protocol, over its unix socket: a greeting,
 * qmp_capabilities, then one command at a time, each answered by
 * {"return": ...} or {"error": ...} (asynchronous events in between are
 * skipped). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "vm/vm.h"

#define QMP_TIMEOUT_MS 10000

/* One JSON line from QEMU (it sends one object per line). */
static json_t *read_message(int fd, err_t *e) {
  char buf[16384];
  size_t n = 0;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, QMP_TIMEOUT_MS);
    if (r == 0) {
      err_set(e, ETIMEDOUT, "QMP: no answer from QEMU");
      return NULL;
    }
    /* Byte by byte: a following message stays in the socket. */
    ssize_t got = r < 0 ? -1 : read(fd, buf + n, 1);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (got <= 0) {
      err_set(e, got < 0 ? errno : EPIPE, "QMP: QEMU closed the connection");
      return NULL;
    }
    if (buf[n] == '\n')
      return json_load_object_buf(buf, n, "QMP message", e);
    if (++n == sizeof buf) {
      err_set(e, E2BIG, "QMP: message too long");
      return NULL;
    }
  }
}

static int exchange(int fd, const char *command, json_t **reply, err_t *e) {
  char req[256];
  int len = snprintf(req, sizeof req, "{\"execute\":\"%s\"}\n", command);
  if (len < 0 || (size_t)len >= sizeof req)
    return err_set(e, EINVAL, "QMP command %s too long", command);
  if (write_all(fd, req, len) < 0)
    return err_sys(e, "QMP %s", command);
  for (;;) {
    _cleanup_json_ json_t *m = read_message(fd, e);
    if (!m)
      return -1;
    json_t *ret = json_object_get(m, "return");
    if (ret) {
      if (reply)
        *reply = json_incref(ret);
      return 0;
    }
    json_t *error = json_object_get(m, "error");
    if (error)
      return err_set(e, EIO, "QMP %s: %s", command,
                     json_string_value(json_object_get(error, "desc")) ?: "failed");
  }
}

int vm_qmp_connect(const char *path, err_t *e) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return err_set(e, ENAMETOOLONG, "QMP socket path too long: %s", path);
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_sys(e, "socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    err_sys(e, "connect to QEMU's QMP socket %s", path);
    close(fd);
    return -1;
  }
  _cleanup_json_ json_t *greeting = read_message(fd, e);
  if (!greeting || exchange(fd, "qmp_capabilities", NULL, e) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int vm_qmp_command(int fd, const char *command, json_t **reply, err_t *e) {
  return exchange(fd, command, reply, e);
}
