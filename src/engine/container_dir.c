/* Containers on disk: <root>/containers/<id>/ with container.json (the
 * record, written durably for containers that outlive the machine, so a
 * later `rm` finds and cleans what exists), upper/ and work/ (the
 * container's changes), merged/ (where its root is mounted), and
 * <root>/containers/names/<name>, a symlink to the id: made with
 * symlinkat(), it claims a name atomically, and finds it without reading
 * every record. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/timefmt.h"

char *container_path(const struct engine *eng, const char *id, const char *leaf) {
  char *p = NULL;
  if (asprintf(&p, "%s/containers/%s%s%s", eng->root, id, leaf ? "/" : "", leaf ? leaf : "") < 0)
    return NULL;
  return p;
}

void container_record_free(struct container_record *r) {
  free(r->name);
  free(r->image_ref);
  free(r->image_manifest);
  free(r->image_id);
  free(r->created);
  json_decref(r->command);
  memset(r, 0, sizeof *r);
}

static int record_load(const struct engine *eng, const char *id, struct container_record *r,
                       err_t *e) {
  memset(r, 0, sizeof *r);
  _cleanup_free_ char *path = container_path(eng, id, "container.json");
  _cleanup_json_ json_t *j = path ? json_load_object_file(path, e) : NULL;
  if (!j)
    return -1;
  const char *s;
  json_t *img = NULL, *cmd = NULL;
  if (json_opt_str(j, "id", "container", &s, e) <= 0 || strlen(s) != 64)
    return e->code ? -1 : err_set(e, EINVAL, "%s: no valid id", path);
  memcpy(r->id, s, 65);
  const char *name = NULL, *created = NULL, *ref = NULL, *manifest = NULL, *image_id = NULL;
  if (json_opt_str(j, "name", "container", &name, e) < 0 ||
      json_opt_str(j, "created", "container", &created, e) < 0 ||
      json_opt_obj(j, "image", "container", &img, e) < 0 ||
      json_opt_arr(j, "command", "container", &cmd, e) < 0)
    return -1;
  if (img && (json_opt_str(img, "ref", "image", &ref, e) < 0 ||
              json_opt_str(img, "manifest", "image", &manifest, e) < 0 ||
              json_opt_str(img, "id", "image", &image_id, e) < 0))
    return -1;
  r->name = strdup(name ? name : "");
  r->created = strdup(created ? created : "");
  r->image_ref = strdup(ref ? ref : "");
  r->image_manifest = strdup(manifest ? manifest : "");
  r->image_id = strdup(image_id ? image_id : "");
  r->command = cmd ? json_incref(cmd) : json_array();
  if (!r->name || !r->created || !r->image_ref || !r->image_manifest || !r->image_id) {
    container_record_free(r);
    return err_sys(e, "container %s", id);
  }
  return 0;
}

static int record_save(const struct engine *eng, const struct container_record *r,
                       bool transient, err_t *e) {
  _cleanup_json_ json_t *j = json_pack(
      "{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:O}", "id", r->id, "name", r->name, "created",
      r->created, "image", "ref", r->image_ref, "manifest", r->image_manifest, "id", r->image_id,
      "command", r->command);
  _cleanup_free_ char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
  _cleanup_free_ char *path = container_path(eng, r->id, "container.json");
  if (!text || !path)
    return err_set(e, ENOMEM, "container record");
  return transient ? atomic_replace_at(AT_FDCWD, path, text, strlen(text), 0600, e)
                   : atomic_write_at(AT_FDCWD, path, text, strlen(text), 0600, e);
}

static int make_dirs(const struct engine *eng, const char *id, err_t *e) {
  static const char *const leaves[] = {NULL, "upper", "work", "merged"};
  for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
    _cleanup_free_ char *p = container_path(eng, id, leaves[i]);
    if (!p)
      return err_sys(e, "container directory");
    if (mkdir(p, i == 0 ? 0700 : 0755) < 0)
      return err_sys(e, "create %s", p);
  }
  return 0;
}

/* The names directory, created on first use. */
static int names_dir(const struct engine *eng, err_t *e) {
  _cleanup_free_ char *dir = NULL;
  if (asprintf(&dir, "%s/containers/names", eng->root) < 0)
    return err_sys(e, "containers");
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && mkdir_p_at(AT_FDCWD, dir, 0700, e) == 0)
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && !e->code)
    err_sys(e, "open %s", dir);
  return fd;
}

/* Claim `name` for `id`. A link to a container that no longer exists (a
 * create that crashed) is taken over. */
static int claim_name(const struct engine *eng, int names, const char *name, const char *id,
                      err_t *e) {
  for (int attempt = 0; attempt < 2; attempt++) {
    if (symlinkat(id, names, name) == 0)
      return 0;
    if (errno != EEXIST)
      return err_sys(e, "container name %s", name);
    char other[80];
    ssize_t n = readlinkat(names, name, other, sizeof other - 1);
    if (n < 0)
      continue;
    other[n] = '\0';
    _cleanup_free_ char *record = container_path(eng, other, "container.json");
    if (record && access(record, F_OK) == 0)
      break;
    unlinkat(names, name, 0);
  }
  return err_set(e, EEXIST, "the container name \"%s\" is already in use", name);
}

int container_dir_create(const struct engine *eng, struct container_record *r, bool transient,
                         err_t *e) {
  unsigned char raw[32];
  if (getrandom(raw, sizeof raw, 0) != sizeof raw)
    return err_sys(e, "container id");
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(r->id + 2 * i, 3, "%02x", raw[i]);
  /* A name follows the runtime's rule for ids. */
  if (r->name && runtime_check_id(r->name, e) < 0)
    return err_wrap(e, "--name");
  if (!r->name && asprintf(&r->name, "capsule_%.12s", r->id) < 0)
    return err_sys(e, "container name");
  if (!(r->created = rfc3339_now()))
    return err_sys(e, "container");
  _cleanup_close_ int names = names_dir(eng, e);
  if (names < 0 || claim_name(eng, names, r->name, r->id, e) < 0)
    return -1;
  if (make_dirs(eng, r->id, e) < 0 || record_save(eng, r, transient, e) < 0) {
    err_t rm = ERR_INIT;
    container_dir_remove(eng, r, &rm);
    return -1;
  }
  return 0;
}

int container_dir_list(const struct engine *eng, struct container_record **out, size_t *n,
                       err_t *e) {
  *out = NULL;
  *n = 0;
  _cleanup_free_ char *dir = NULL;
  if (asprintf(&dir, "%s/containers", eng->root) < 0)
    return err_sys(e, "containers");
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : err_sys(e, "list %s", dir);
  struct dirent *de;
  size_t cap = 0;
  while ((de = readdir(d))) {
    if (strlen(de->d_name) != 64)
      continue;
    struct container_record r;
    err_t skip = ERR_INIT; /* one being created or removed right now */
    if (record_load(eng, de->d_name, &r, &skip) < 0)
      continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 8;
      struct container_record *grown = realloc(*out, cap * sizeof **out);
      if (!grown) {
        container_record_free(&r);
        return err_sys(e, "containers");
      }
      *out = grown;
    }
    (*out)[(*n)++] = r;
  }
  return 0;
}

static bool is_hex(const char *s) {
  return *s && strspn(s, "0123456789abcdef") == strlen(s);
}

/* The id a user means by `name`: a name, a full id, or an id prefix. */
static int resolve_id(const struct engine *eng, const char *name, char id[65], err_t *e) {
  _cleanup_close_ int names = names_dir(eng, e);
  if (names < 0)
    return -1;
  ssize_t n = readlinkat(names, name, id, 64);
  if (n == 64) {
    id[64] = '\0';
    return 0;
  }
  size_t len = strlen(name);
  if (len < 4 || len > 64 || !is_hex(name))
    return err_set(e, ENOENT, "no such container: %s", name);
  _cleanup_free_ char *dir = NULL;
  if (asprintf(&dir, "%s/containers", eng->root) < 0)
    return err_sys(e, "containers");
  _cleanup_closedir_ DIR *d = opendir(dir);
  int found = 0;
  for (struct dirent *de; d && (de = readdir(d));) {
    if (strlen(de->d_name) != 64 || strncmp(de->d_name, name, len))
      continue;
    if (found++)
      return err_set(e, EINVAL, "container id prefix %s is ambiguous", name);
    memcpy(id, de->d_name, 65);
  }
  return found ? 0 : err_set(e, ENOENT, "no such container: %s", name);
}

int container_dir_find(const struct engine *eng, const char *name, struct container_record *r,
                       err_t *e) {
  char id[65];
  if (resolve_id(eng, name, id, e) < 0)
    return -1;
  if (record_load(eng, id, r, e) < 0)
    return err_set(e, ENOENT, "no such container: %s", name);
  return 0;
}

int container_dir_remove(const struct engine *eng, const struct container_record *r, err_t *e) {
  _cleanup_free_ char *merged = container_path(eng, r->id, "merged");
  _cleanup_free_ char *dir = container_path(eng, r->id, NULL);
  if (!merged || !dir)
    return err_sys(e, "container %s", r->id);
  if (overlay_unmount(merged, e) < 0 || remove_tree_at(AT_FDCWD, dir, e) < 0)
    return -1;
  /* The name goes last: until then the container can still be found. */
  err_t ignored = ERR_INIT;
  _cleanup_close_ int names = names_dir(eng, &ignored);
  char target[80];
  ssize_t n = names >= 0 ? readlinkat(names, r->name, target, sizeof target - 1) : -1;
  if (n == 64 && !strncmp(target, r->id, 64))
    unlinkat(names, r->name, 0);
  return 0;
}
