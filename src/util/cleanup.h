/* Scope-bound cleanup, so every early return is leak-free.
 *
 *   _cleanup_free_ char *s = NULL;
 *   _cleanup_close_ int fd = -1;
 *   return steal_fd(&fd);     hands ownership to the caller
 */
#ifndef CAPSULE_UTIL_CLEANUP_H
#define CAPSULE_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p) {
  free(*(void **)p);
}

static inline void cleanup_closep(int *fd) {
  if (*fd >= 0) {
    int saved = errno; /* close() must not clobber the errno being reported */
    close(*fd);
    errno = saved;
  }
}

static inline void cleanup_fclosep(FILE **f) {
  if (*f)
    fclose(*f);
}

static inline void cleanup_closedirp(DIR **d) {
  if (*d)
    closedir(*d);
}

/* A NULL-terminated array of heap strings, itself on the heap. */
static inline void strv_free(char **v) {
  if (!v)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

static inline void cleanup_strvp(char ***v) {
  strv_free(*v);
}

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(cleanup_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(cleanup_strvp)))

static inline void *steal_ptr_impl(void *pp) {
  void **p = pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_ptr(pp) steal_ptr_impl(pp)

static inline int steal_fd(int *fd) {
  int v = *fd;
  *fd = -1;
  return v;
}

#endif
