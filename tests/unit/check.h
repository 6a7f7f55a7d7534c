/* Minimal assertions for C unit tests: each failure prints file:line and the
 * expression; the test binary exits non-zero if any check failed. */
#ifndef CAPSULE_TESTS_CHECK_H
#define CAPSULE_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                              \
  do {                                                                           \
    check_count++;                                                               \
    if (!(cond)) {                                                               \
      check_failures++;                                                          \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
    }                                                                            \
  } while (0)

#define CHECK_STR(a, b)                                                          \
  do {                                                                           \
    const char *check_a_ = (a), *check_b_ = (b);                                 \
    check_count++;                                                               \
    if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_)) {                  \
      check_failures++;                                                          \
      fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", __FILE__,   \
              __LINE__, check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
    }                                                                            \
  } while (0)

/* For the test's own set-up (fopen, malloc): no test can go on without it. */
#define CHECK_FATAL(cond)                                                        \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: set-up failed: %s\n", __FILE__, __LINE__, #cond);   \
      exit(1);                                                                   \
    }                                                                            \
  } while (0)

/* A part that cannot run here is reported, never passed silently: one line
 * "skip WHAT: WHY", which scripts/test prints and counts as skipped. A binary
 * with nothing it can run returns CHECK_SKIP_EXIT from main(). */
#define CHECK_SKIP_EXIT 77
__attribute__((format(printf, 2, 3))) static inline void check_skip(const char *what,
                                                                    const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "skip %s: ", what);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* Call at the end of main(): prints a summary line, returns the exit code. */
static inline int check_report(const char *name) {
  fprintf(stderr, "%s: %d checks, %d failed\n", name, check_count, check_failures);
  return check_failures ? 1 : 0;
}

#endif
