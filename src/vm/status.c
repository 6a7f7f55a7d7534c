/* The guest init's reports on the status port, one line each: "started"
 * once the process runs, then "exit N"; or "error MSG" if it could not
 * start it (the message is the guest's, and is shown as it is). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "vm/vm.h"

static void line(struct vm_status *st, const char *l) {
  if (!strcmp(l, "started")) {
    st->started = true;
  } else if (!strncmp(l, "exit ", 5)) {
    char *end;
    long code = strtol(l + 5, &end, 10);
    /* A guest is not trusted to say more than an exit status. */
    if (end != l + 5 && !*end && code >= 0 && code <= 255) {
      st->exited = true;
      st->code = (int)code;
    }
  } else if (!strncmp(l, "error ", 6) && !st->error[0]) {
    /* Printable characters only: it goes to the user's terminal. */
    size_t n = 0;
    for (const char *c = l + 6; *c && n < sizeof st->error - 1; c++)
      st->error[n++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
    st->error[n] = '\0';
  }
}

int vm_status_read(int fd, struct vm_status *st, err_t *e) {
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0)
    return errno == EAGAIN || errno == EINTR ? 1 : err_sys(e, "read the guest's status");
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] == '\n' || buf[i] == '\r') {
      st->buf[st->len] = '\0';
      line(st, st->buf);
      st->len = 0;
    } else if (st->len < sizeof st->buf - 1) {
      st->buf[st->len++] = buf[i];
    }
  }
  return n > 0;
}

void vm_console_tail(const char *path, int lines, char *buf, size_t cap) {
  buf[0] = '\0';
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || cap < 2)
    return;
  off_t size = lseek(fd, 0, SEEK_END);
  off_t from = size > (off_t)cap - 1 ? size - (off_t)cap + 1 : 0;
  ssize_t n = pread(fd, buf, cap - 1, from);
  if (n <= 0)
    return;
  buf[n] = '\0';
  /* Carriage returns and control characters out, trailing newlines off. */
  size_t w = 0;
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] != '\r')
      buf[w++] = (buf[i] == '\n' || (buf[i] >= 0x20 && buf[i] < 0x7f)) ? buf[i] : '?';
  while (w && buf[w - 1] == '\n')
    w--;
  buf[w] = '\0';
  char *start = buf + w;
  for (int seen = 0; start > buf; start--)
    if (start[-1] == '\n' && ++seen == lines)
      break;
  memmove(buf, start, strlen(start) + 1);
}
