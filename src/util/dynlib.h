/* A shared library opened on first use (dlopen) rather than at start-up.
 *
 * Linking a large library costs every start of a program the loading and
 * relocation of it and of everything it depends on, even when the command
 * run never calls it. A dynlib is opened by the first dynlib_load() and
 * stays open for the life of the process; its functions are looked up once,
 * into a table of function pointers that the caller's `resolve` fills. A
 * missing library or symbol is an error naming it, never a crash. */
#ifndef CAPSULE_UTIL_DYNLIB_H
#define CAPSULE_UTIL_DYNLIB_H

#include <pthread.h>
#include <stdbool.h>

#include "util/error.h"

struct dynlib {
  const char *soname;  /* "libcurl.so.4" */
  const char *package; /* the Debian package that ships it, named in errors */
  const char *purpose; /* what needs it, named in errors: "registry access" */
  /* Fill the function table from `handle` (dlsym); returns the name of the
   * first symbol missing, or NULL when all were found. */
  const char *(*resolve)(void *handle);
  pthread_mutex_t lock;
  bool loaded;
};

/* The function table, from an X-macro list that calls X(table, name) for
 * each function: DYNLIB_POINTER declares the member `name_fn`, typed by the
 * function's prototype in the library's own header (declare the table before
 * any macro that redirects calls to it); DYNLIB_RESOLVE, in the `resolve`
 * function (its parameter named `handle`), looks the member up. The name is
 * only pasted and quoted there, never expanded. */
#define DYNLIB_POINTER(table, name) __typeof__(name) *name##_fn;
#define DYNLIB_RESOLVE(table, name)                                                   \
  if (!((table).name##_fn = (__typeof__((table).name##_fn))dlsym(handle, #name))) \
    return #name;

#define DYNLIB_INIT(soname_, package_, purpose_, resolve_)                                    \
  {.soname = (soname_), .package = (package_), .purpose = (purpose_), .resolve = (resolve_), \
   .lock = PTHREAD_MUTEX_INITIALIZER}

/* Open the library and resolve its table, once; safe from several threads.
 * Cheap after the first success. On failure (ELIBACC) nothing is kept, and
 * a later call tries again. */
int dynlib_load(struct dynlib *l, err_t *e);

#endif
