/* The one error convention of capsule.
 *
 * A function that can fail returns -1 (or NULL) and fills a caller-owned
 * `struct err`. Callers add context with err_wrap() on the way up; the front
 * end prints the message once. The struct is plain data (no heap), so it can
 * be filled in a forked child and written down a pipe as it is. */
#ifndef CAPSULE_UTIL_ERROR_H
#define CAPSULE_UTIL_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define ERR_MSG_MAX 1024

typedef struct err {
  int code;               /* an errno value; EINVAL for bad input */
  char msg[ERR_MSG_MAX];  /* one line, no trailing newline */
} err_t;

#define ERR_INIT {0, {0}}

/* Set *e to `code` and the formatted message; returns -1. */
int err_set(err_t *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like err_set() with the current errno, appending ": strerror(errno)". */
int err_sys(err_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the existing message with context: "context: old message". */
int err_wrap(err_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Forget an error that the caller chose to handle. */
void err_clear(err_t *e);

/* snprintf for text bound for a message (a field's path, "hooks.prestart[2]"),
 * cut visibly: text that does not fit in `cap` ends in "...". */
void fmt_cut(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
