#include "util/dynlib.h"

#include <dlfcn.h>
#include <errno.h>

int dynlib_load(struct dynlib *l, err_t *e) {
  if (__atomic_load_n(&l->loaded, __ATOMIC_ACQUIRE))
    return 0;
  pthread_mutex_lock(&l->lock);
  int r = 0;
  if (!l->loaded) {
    void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
    const char *missing = h ? l->resolve(h) : NULL;
    if (!h)
      r = err_set(e, ELIBACC, "%s (needed for %s; install Debian's %s)", dlerror(), l->purpose,
                  l->package);
    else if (missing)
      r = err_set(e, ELIBACC, "%s: no symbol %s (needed for %s; install a newer %s)", l->soname,
                  missing, l->purpose, l->package);
    if (h && missing)
      dlclose(h);
    if (r == 0)
      __atomic_store_n(&l->loaded, true, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&l->lock);
  return r;
}
