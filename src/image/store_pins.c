/* Pins: what keeps an image from rmi and prune while a container uses it.
 * A pin lives in images.json ("pins": owner -> manifest), durably; a
 * transient one (IMAGE_PIN_TRANSIENT: run --rm in the foreground) is an
 * empty file pins/<owner>@<manifest hex> instead. Replacing images.json,
 * once to pin and once to unpin, cost such a run 1 to 3 ms on ext4 (a
 * rename over a file forces its blocks out, and frees the old ones);
 * making and removing an empty file costs neither. Both are made under the
 * store's lock held shared, which rmi and prune hold exclusively. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/store_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

#define PINS_DIR "pins"
#define DIGEST_PREFIX "sha256:"

static bool owner_valid(const char *owner) {
  if (!*owner || strlen(owner) > 128)
    return false;
  for (const char *p = owner; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
      return false;
  return true;
}

/* "<owner>@<hex>": '@' is never in an owner. */
static int pin_name(char *out, size_t cap, const char *owner, const char *manifest) {
  if (strncmp(manifest, DIGEST_PREFIX, strlen(DIGEST_PREFIX)))
    return -1;
  int n = snprintf(out, cap, "%s@%s", owner, manifest + strlen(DIGEST_PREFIX));
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int transient_pin(struct image_store *s, const char *owner, const char *manifest,
                         err_t *e) {
  char name[256];
  if (pin_name(name, sizeof name, owner, manifest) < 0)
    return err_set(e, EINVAL, "invalid image digest '%s'", manifest);
  _cleanup_json_ json_t *db = db_read(s, e);
  if (!db)
    return -1;
  if (!json_object_get(db_images(db), manifest))
    return err_set(e, ENOENT, "no such image: %s", manifest);
  if (mkdirat(s->rootfd, PINS_DIR, 0700) < 0 && errno != EEXIST)
    return err_sys(e, "%s/%s", s->root, PINS_DIR);
  _cleanup_close_ int dir = openat(s->rootfd, PINS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int fd =
      dir < 0 ? -1 : openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  return fd < 0 ? err_sys(e, "%s/%s/%s", s->root, PINS_DIR, name) : 0;
}

int image_store_pin(struct image_store *s, const char *owner, const char *manifest_digest,
                    int flags, err_t *e) {
  if (!owner_valid(owner))
    return err_set(e, EINVAL, "invalid pin owner '%s'", owner);
  if (flags & IMAGE_PIN_TRANSIENT)
    return transient_pin(s, owner, manifest_digest, e);
  return db_point(s, db_pins, owner, manifest_digest, e);
}

/* Call fn(owner, manifest hex, data) on each transient pin; > 0 stops. */
static int each_transient(struct image_store *s, int (*fn)(int dir, const char *name, size_t at,
                                                            void *data),
                          void *data, err_t *e) {
  _cleanup_close_ int dir = openat(s->rootfd, PINS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return errno == ENOENT ? 0 : err_sys(e, "%s/%s", s->root, PINS_DIR);
  _cleanup_closedir_ DIR *d = fdopendir_dup(dir);
  if (!d)
    return err_sys(e, "%s/%s", s->root, PINS_DIR);
  for (struct dirent *de; (de = readdir(d));) {
    const char *at = strchr(de->d_name, '@');
    int r = at ? fn(dir, de->d_name, (size_t)(at - de->d_name), data) : 0;
    if (r)
      return r < 0 ? err_sys(e, "%s/%s/%s", s->root, PINS_DIR, de->d_name) : 0;
  }
  return 0;
}

static int remove_if_owner(int dir, const char *name, size_t at, void *owner) {
  if (strlen(owner) != at || strncmp(name, owner, at))
    return 0;
  return unlinkat(dir, name, 0) < 0 && errno != ENOENT ? -1 : 0;
}

int image_store_unpin(struct image_store *s, const char *owner, int flags, err_t *e) {
  if (each_transient(s, remove_if_owner, (void *)owner, e) < 0)
    return -1;
  if (flags & IMAGE_PIN_TRANSIENT) /* its pin is no other */
    return 0;
  struct db_txn t;
  if (db_begin(s, &t, e) < 0)
    return -1;
  int r = 0;
  if (json_object_del(db_pins(t.db), owner) == 0)
    r = db_commit(s, &t, e);
  db_end(&t);
  return r;
}

struct owners {
  const char *hex;
  char **v;
  size_t n;
};

static int add_if_image(int dir, const char *name, size_t at, void *data) {
  (void)dir;
  struct owners *o = data;
  if (strcmp(name + at + 1, o->hex))
    return 0;
  char **grown = realloc(o->v, (o->n + 2) * sizeof *grown);
  if (!grown)
    return -1;
  o->v = grown;
  if (!(o->v[o->n] = strndup(name, at)))
    return -1;
  o->v[++o->n] = NULL;
  return 0;
}

int store_add_transient_pins(struct image_store *s, const char *manifest, char ***pins,
                             err_t *e) {
  struct owners o = {.hex = manifest + strlen(DIGEST_PREFIX), .v = *pins};
  for (; o.v && o.v[o.n]; o.n++)
    ;
  int r = each_transient(s, add_if_image, &o, e);
  *pins = o.v;
  return r;
}
