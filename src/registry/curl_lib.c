#include "registry/curl_lib.h"

#include <dlfcn.h>

struct curl_lib curl_lib;

static const char *resolve(void *handle) {
  CURL_LIB_FUNCTIONS(DYNLIB_RESOLVE, curl_lib)
  return NULL;
}

static struct dynlib lib = DYNLIB_INIT("libcurl.so.4", "libcurl4", "registry access", resolve);

int curl_lib_load(err_t *e) {
  return dynlib_load(&lib, e);
}
