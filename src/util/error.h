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

/* The three above always return -1. The macros say so to the compiler (the
 * value of each call expression is the constant -1 from an inline function),
 * so `return err_set(...)` is known to fail: gcc -fanalyzer and
 * -Wmaybe-uninitialized then follow error paths exactly instead of also
 * exploring a "success" that cannot happen. Writing the function's name in
 * parentheses, `(err_set)(...)`, calls it without the macro. */
static inline int err_failed(void) {
  return -1;
}
#define err_set(...) ((err_set)(__VA_ARGS__), err_failed())
#define err_sys(...) ((err_sys)(__VA_ARGS__), err_failed())
#define err_wrap(...) ((err_wrap)(__VA_ARGS__), err_failed())

/* Forget an error that the caller chose to handle. */
void err_clear(err_t *e);

/* snprintf for text bound for a message (a field's path, "hooks.prestart[2]"),
 * cut visibly: text that does not fit in `cap` ends in "...". */
void fmt_cut(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
