/* What the libFuzzer harnesses share (docs/FUZZING.md): the input as a C
 * string or as a file, and the library's error contract as an assertion.
 *
 * A harness calls a parser's real entry point on each input and frees what
 * it returned; LeakSanitizer is on, so a leak on any path is a failure. The
 * library never prints, so harnesses run silent unless something breaks. */
#ifndef CAPSULE_TESTS_FUZZ_H
#define CAPSULE_TESTS_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness itself failed (not the code under test): stop loudly. */
__attribute__((noreturn, format(printf, 1, 2))) static inline void fuzz_die(const char *fmt,
                                                                            ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("fuzz harness: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

/* The input as a NUL-terminated string on the heap (a NUL inside ends it
 * early, as it would for any C caller). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    fuzz_die("out of memory");
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* The input in a memory file at offset 0, for entry points that read an fd
 * or a path (then "/proc/self/fd/N", see fuzz_fd_path). */
static inline int fuzz_memfd(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
  if (fd < 0 || write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) < 0)
    fuzz_die("memfd: %m");
  return fd;
}

struct fuzz_path {
  char s[32];
};

static inline struct fuzz_path fuzz_fd_path(int fd) {
  struct fuzz_path p;
  snprintf(p.s, sizeof(p.s), "/proc/self/fd/%d", fd);
  return p;
}

/* docs/CODING.md: a failure returns -1 with an errno code and a message
 * naming the cause. */
static inline void fuzz_check_result(const char *what, int r, const err_t *e) {
  if (r < -1)
    fuzz_die("%s returned %d (want -1 on failure)", what, r);
  if (r == -1 && (e->code == 0 || e->msg[0] == '\0'))
    fuzz_die("%s failed without an error code and message (code %d, \"%s\")", what, e->code,
             e->msg);
}

#endif
