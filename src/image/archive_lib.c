#include "image/archive_lib.h"

#include <dlfcn.h>

struct archive_lib archive_lib;

static const char *resolve(void *handle) {
  ARCHIVE_LIB_FUNCTIONS(DYNLIB_RESOLVE, archive_lib)
  return NULL;
}

static struct dynlib lib =
    DYNLIB_INIT("libarchive.so.13", "libarchive13", "reading and writing tar archives", resolve);

int archive_lib_load(err_t *e) {
  return dynlib_load(&lib, e);
}
