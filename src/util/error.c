#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Newlines would break the "one line on stderr" promise and JSON logs. */
static void flatten(char *s) {
  for (; *s; s++)
    if (*s == '\n' || *s == '\r')
      *s = ' ';
}

int (err_set)(err_t *e, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  flatten(e->msg);
  e->code = code ? code : EINVAL;
  return -1;
}

int (err_sys)(err_t *e, const char *fmt, ...) {
  int saved = errno;
  char head[ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(head, sizeof head, fmt, ap);
  va_end(ap);
  return err_set(e, saved, "%s: %s", head, strerror(saved));
}

int (err_wrap)(err_t *e, const char *fmt, ...) {
  char head[ERR_MSG_MAX], old[ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(head, sizeof head, fmt, ap);
  va_end(ap);
  memcpy(old, e->msg, sizeof old);
  fmt_cut(e->msg, sizeof e->msg, "%s: %s", head, old);
  flatten(e->msg);
  if (!e->code)
    e->code = EINVAL;
  return -1;
}

void err_clear(err_t *e) {
  e->code = 0;
  e->msg[0] = '\0';
}

void fmt_cut(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n >= cap && cap >= 4)
    memcpy(buf + cap - 4, "...", 4);
}
