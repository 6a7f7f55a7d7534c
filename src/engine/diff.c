/* `capsule diff`: what a container changed, from its overlay upper dir,
 * in docker's terms: A (added), C (changed), D (deleted), sorted by path.
 *
 * The upper dir is walked alongside the image's layers (one directory fd
 * per layer at each level, topmost first): a name the layers show is a
 * change, otherwise an addition. A 0/0 character device is a whiteout (a
 * deletion); a directory with trusted.overlay.opaque=y replaced the
 * layers' one: shown deleted, its entries added (docker's and podman's
 * output). As docker does, the parent of an added or deleted entry is a
 * change, and a directory whose mode and owner match the layers' is no
 * change by itself. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/internal.h"
#include "image/whiteout.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

enum { KIND_CHANGED = 0, KIND_ADDED = 1, KIND_DELETED = 2 }; /* docker's API numbers */

struct differ {
  size_t n;      /* layers */
  json_t *kinds; /* path -> kind */
  json_t *mount_points; /* paths -> true: made only to mount over */
};

/* The files the network binds over (network.c), and the container's
 * mounts' destinations: made by the runtime when the image lacks them,
 * empty, and no change of the container's (docker makes them in a layer
 * of its own, which its diff does not show). */
static int note_mount_points(struct differ *d, const struct container_record *r, err_t *e) {
  static const char *const net_files[] = {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"};
  bool failed = !d->mount_points;
  for (size_t i = 0; !failed && i < sizeof net_files / sizeof net_files[0]; i++)
    json_set(d->mount_points, net_files[i], json_true(), &failed);
  size_t i;
  json_t *m;
  json_array_foreach(r->mounts, i, m) {
    const char *dst = json_string_value(json_object_get(m, "Destination"));
    if (dst)
      json_set(d->mount_points, dst, json_true(), &failed);
  }
  return json_built(failed, "diff", e);
}

static bool is_mount_point(const struct differ *d, const char *path, const struct stat *st) {
  bool empty = S_ISREG(st->st_mode) ? st->st_size == 0 : S_ISDIR(st->st_mode);
  return empty && json_object_get(d->mount_points, path);
}

static bool is_whiteout(const struct stat *st) {
  return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd, const char *name) {
  char proc[64 + NAME_MAX], v[2];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", dirfd, name);
  return lgetxattr(proc, XATTR_OPAQUE, v, sizeof v) == 1 && v[0] == 'y';
}

/* A change is noted once; the first kind noted for a path stays. */
static int note(struct differ *d, const char *path, int kind, err_t *e) {
  if (json_object_get(d->kinds, path))
    return 0;
  return json_object_set_new(d->kinds, path, json_integer(kind)) < 0
             ? err_set(e, ENOMEM, "diff")
             : 0;
}

static int note_parent(struct differ *d, const char *path, err_t *e) {
  const char *slash = strrchr(path, '/');
  if (slash == path)
    return 0;
  _cleanup_free_ char *parent = strndup(path, (size_t)(slash - path));
  return parent ? note(d, parent, KIND_CHANGED, e) : err_sys(e, "diff");
}

/* What the layers show at `name` (lower[i]: the directory in layer i, or
 * -1): 1 and *st if something, 0 if nothing or a whiteout. */
static int lower_lookup(const struct differ *d, const int *lower, const char *name,
                        struct stat *st) {
  for (size_t i = 0; i < d->n; i++)
    if (lower[i] >= 0 && fstatat(lower[i], name, st, AT_SYMLINK_NOFOLLOW) == 0)
      return !is_whiteout(st);
  return 0;
}

/* The layers' directories for `name`, as overlayfs merges them: down to
 * the first layer where it is not a directory, or opaque. */
static void lower_subdirs(const struct differ *d, const int *lower, const char *name, int *sub) {
  bool hidden = false;
  for (size_t i = 0; i < d->n; i++) {
    sub[i] = -1;
    if (hidden || lower[i] < 0)
      continue;
    struct stat st;
    if (fstatat(lower[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    hidden = true; /* unless a plain directory below */
    if (!S_ISDIR(st.st_mode))
      continue;
    sub[i] = openat(lower[i], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    hidden = is_opaque(lower[i], name);
  }
}

static void close_all(int *fds, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
}

static int walk(struct differ *d, int upfd, const int *lower, const char *path, err_t *e);

static int walk_entry(struct differ *d, int upfd, const int *lower, const char *name,
                      const char *path, err_t *e) {
  struct stat st, low;
  if (fstatat(upfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return err_sys(e, "%s", path);
  bool present = lower_lookup(d, lower, name, &low) == 1;
  if (!present && is_mount_point(d, path, &st))
    return 0;
  if (is_whiteout(&st))
    return note_parent(d, path, e) < 0 ? -1 : note(d, path, KIND_DELETED, e);
  if (!S_ISDIR(st.st_mode)) {
    if (!present && note_parent(d, path, e) < 0)
      return -1;
    return note(d, path, present ? KIND_CHANGED : KIND_ADDED, e);
  }
  /* A directory made again over the layers' one (opaque): docker and
   * podman show it deleted, and its entries added. */
  bool opaque = is_opaque(upfd, name);
  /* Not its mtime: the runtime's mount points made in it change it. */
  bool same = present && S_ISDIR(low.st_mode) && !opaque && low.st_mode == st.st_mode &&
              low.st_uid == st.st_uid && low.st_gid == st.st_gid;
  int kind = !present ? KIND_ADDED : opaque ? KIND_DELETED : KIND_CHANGED;
  if (kind != KIND_CHANGED && note_parent(d, path, e) < 0)
    return -1;
  if (!same && note(d, path, kind, e) < 0)
    return -1;
  _cleanup_close_ int sub = openat(upfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return err_sys(e, "%s", path);
  _cleanup_free_ int *subs = calloc(d->n + 1, sizeof *subs);
  if (!subs)
    return err_sys(e, "diff");
  for (size_t i = 0; i < d->n; i++) /* nothing below an opaque one shows through */
    subs[i] = -1;
  if (!opaque)
    lower_subdirs(d, lower, name, subs);
  int rc = walk(d, sub, subs, path, e);
  close_all(subs, d->n);
  return rc;
}

static int walk(struct differ *d, int upfd, const int *lower, const char *path, err_t *e) {
  _cleanup_closedir_ DIR *dir = fdopendir_dup(upfd);
  if (!dir)
    return err_sys(e, "read %s", *path ? path : "/");
  for (struct dirent *de; (errno = 0, de = readdir(dir));) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    _cleanup_free_ char *child = NULL;
    if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
      return err_sys(e, "diff");
    if (walk_entry(d, upfd, lower, de->d_name, child, e) < 0)
      return -1;
  }
  return errno ? err_sys(e, "read %s", *path ? path : "/") : 0;
}

static int by_path(const void *a, const void *b) {
  return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Path")),
                json_string_value(json_object_get(*(json_t *const *)b, "Path")));
}

/* The noted changes as docker's [{"Path", "Kind"}], sorted by path. */
static json_t *sorted(json_t *kinds, err_t *e) {
  size_t n = json_object_size(kinds), i = 0;
  _cleanup_free_ json_t **v = calloc(n + 1, sizeof *v);
  const char *path;
  json_t *kind;
  bool failed = !v;
  json_object_foreach(kinds, path, kind) {
    if (!failed && !(v[i++] = json_pack("{s:s, s:O}", "Path", path, "Kind", kind)))
      failed = true;
  }
  if (!failed)
    qsort(v, n, sizeof *v, by_path);
  json_t *out = json_array();
  for (size_t k = 0; k < i; k++)
    json_push(out, v[k], &failed);
  if (json_built(failed, "diff", e) < 0) {
    json_decref(out);
    return NULL;
  }
  return out;
}

/* Walk the upper dir of `r` alongside its image's layers. */
static int diff_record(const struct engine *eng, const struct container_record *r, json_t *kinds,
                       err_t *e) {
  _cleanup_image_store_ struct image_store *store = NULL;
  _cleanup_image_info_ struct image_info img = {0};
  _cleanup_strv_ char **layers = NULL;
  _cleanup_free_ char *upper = container_path(eng, r->id, "upper");
  if (!upper)
    return err_sys(e, "diff");
  if (image_store_open(eng->root, 0, &store, e) < 0 ||
      image_store_resolve(store, r->image_manifest, &img, e) < 0 ||
      image_store_layer_dirs(store, &img, &layers, e) < 0)
    return -1;
  _cleanup_json_ json_t *mount_points = json_object();
  struct differ d = {.n = img.n_layers, .kinds = kinds, .mount_points = mount_points};
  if (note_mount_points(&d, r, e) < 0)
    return -1;
  _cleanup_free_ int *lower = calloc(d.n + 1, sizeof *lower);
  _cleanup_close_ int up = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (!lower || up < 0)
    return err_sys(e, "open %s", upper);
  for (size_t i = 0; i < d.n; i++) /* topmost first */
    lower[i] = open(layers[d.n - 1 - i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = walk(&d, up, lower, "", e);
  close_all(lower, d.n);
  return rc;
}

int engine_diff(const struct engine *eng, const char *name, json_t **out, err_t *e) {
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  _cleanup_json_ json_t *kinds = json_object();
  int rc = kinds ? diff_record(eng, &r, kinds, e) : err_sys(e, "diff");
  container_record_free(&r);
  if (rc == 0 && !(*out = sorted(kinds, e)))
    rc = -1;
  return rc;
}
