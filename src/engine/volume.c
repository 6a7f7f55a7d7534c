/* Volumes, under <root>/volumes/ (docker's layout):
 *   <name>/volume.json  its metadata (name, creation time, labels)
 *   <name>/_data/       its content, bound into containers
 *   .tmp/               volumes being made, filled (copy-up) or removed:
 *                       each is built here and renamed into place, and
 *                       moves back here to be removed, so <name>/ is always
 *                       whole and what a crash leaves is under .tmp/
 *                       (`system check` removes it; ".tmp" is no volume name)
 * Which containers use a volume is read from their records (the "mounts"
 * of container.json), never counted apart: a count could drift after a
 * crash, the records cannot. The volumes directory's flock orders it:
 * commands that make containers hold it shared from before their record
 * is written until their volumes exist; rm and prune hold it exclusively
 * while they look for users and remove. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "runtime/rootfs_path.h"
#include "util/cleanup.h"
#include "util/copy_tree.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/timefmt.h"

#define ANONYMOUS_LABEL "com.docker.volume.anonymous"

char *volume_path(const struct engine *eng, const char *name, const char *leaf) {
  char *p = NULL;
  if (asprintf(&p, "%s/volumes%s%s%s%s", eng->root, name ? "/" : "", name ? name : "",
               leaf ? "/" : "", leaf ? leaf : "") < 0)
    return NULL;
  return p;
}

/* docker's rule for local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+, so a
 * name is never a path ('/', "..", a leading '.'). */
int volume_name_check(const char *name, err_t *e) {
  static const char rest[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
  size_t len = strlen(name);
  if (len < 2 || len > 255 || !strchr(rest, name[0]) || name[0] == '_' || name[0] == '.' ||
      name[0] == '-' || strspn(name, rest) != len)
    return err_set(e, EINVAL,
                   "\"%s\" includes invalid characters for a local volume name, only "
                   "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                   "directory, use absolute path",
                   name);
  return 0;
}

int volumes_lock(const struct engine *eng, bool exclusive, err_t *e) {
  _cleanup_free_ char *dir = volume_path(eng, NULL, NULL);
  if (!dir)
    return err_sys(e, "volumes");
  if (mkdir_p_at(AT_FDCWD, dir, 0700, e) < 0)
    return -1;
  _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "open %s", dir);
  int r;
  while ((r = flock(fd, exclusive ? LOCK_EX : LOCK_SH)) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return err_sys(e, "lock %s", dir);
  return steal_fd(&fd);
}

/* volumes/.tmp/<kind>-<random>, created empty; its path on the heap. */
static char *staging_dir(const struct engine *eng, const char *kind, err_t *e) {
  char id[65];
  _cleanup_free_ char *tmp = volume_path(eng, ".tmp", NULL);
  char *p = NULL;
  if (!tmp) {
    err_sys(e, "volumes");
    return NULL;
  }
  if (engine_random_id(id, e) < 0 || mkdir_p_at(AT_FDCWD, tmp, 0700, e) < 0)
    return NULL;
  if (asprintf(&p, "%s/%s-%.16s", tmp, kind, id) < 0) {
    err_sys(e, "volumes");
    return NULL;
  }
  if (mkdir(p, 0700) < 0) {
    err_sys(e, "create %s", p);
    free(p);
    return NULL;
  }
  return p;
}

static int sync_volumes_dir(const struct engine *eng, err_t *e) {
  _cleanup_free_ char *dir = volume_path(eng, NULL, NULL);
  _cleanup_close_ int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd < 0 || fsync(fd) < 0)
    return err_sys(e, "sync %s/volumes", eng->root);
  return 0;
}

static json_t *volume_load(const struct engine *eng, const char *name, err_t *e) {
  _cleanup_free_ char *path = volume_path(eng, name, "volume.json");
  if (!path) {
    err_sys(e, "volume %s", name);
    return NULL;
  }
  if (access(path, F_OK) < 0 && errno == ENOENT) {
    err_set(e, ENOENT, "get %s: no such volume", name);
    return NULL;
  }
  return json_load_object_file(path, e);
}

char *volume_tmpfs_options(const struct engine *eng, const char *name) {
  err_t ignored = ERR_INIT;
  _cleanup_json_ json_t *meta = volume_load(eng, name, &ignored);
  json_t *options = json_object_get(meta, "Options");
  const char *type = json_string_value(json_object_get(options, "type"));
  if (!type || strcmp(type, "tmpfs"))
    return NULL;
  return strdup(json_string_value(json_object_get(options, "o")) ?: "");
}

int volume_make(const struct engine *eng, const char *name, json_t *labels, json_t *options,
                bool *created, err_t *e) {
  *created = false;
  if (volume_name_check(name, e) < 0)
    return -1;
  _cleanup_free_ char *dir = volume_path(eng, name, NULL);
  if (!dir)
    return err_sys(e, "volume %s", name);
  if (access(dir, F_OK) == 0)
    return 0;
  _cleanup_free_ char *staged = staging_dir(eng, "new", e);
  if (!staged)
    return -1;
  _cleanup_free_ char *data = path_join(staged, "_data");
  _cleanup_free_ char *meta = path_join(staged, "volume.json");
  _cleanup_free_ char *created_at = rfc3339_now();
  _cleanup_json_ json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "Name", name, "CreatedAt",
                                       created_at ? created_at : "", "Labels",
                                       labels ? json_incref(labels) : json_object(), "Options",
                                       options ? json_incref(options) : json_object());
  _cleanup_free_ char *text = j ? json_dump_checked(j, JSON_INDENT(2)) : NULL;
  int ret = -1;
  if (!data || !meta || !text || !created_at) {
    err_sys(e, "volume %s", name);
  } else if (mkdir(data, 0755) < 0) {
    err_sys(e, "create %s", data);
  } else if (atomic_write_at(AT_FDCWD, meta, text, strlen(text), 0600, e) == 0) {
    if (rename(staged, dir) == 0)
      ret = sync_volumes_dir(eng, e) < 0 ? -1 : (*created = true, 0);
    else if (errno == EEXIST || errno == ENOTEMPTY)
      ret = 0; /* made by another command meanwhile */
    else
      err_sys(e, "rename %s to %s", staged, dir);
  }
  err_t undo = ERR_INIT;
  remove_tree_at(AT_FDCWD, staged, &undo);
  return ret;
}

static bool dir_is_empty(int fd) {
  _cleanup_closedir_ DIR *d = fdopendir_dup(fd);
  for (struct dirent *de; d && (de = readdir(d));)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      return false;
  return d != NULL;
}

int volume_copy_up(const struct engine *eng, const char *name, const char *rootfs,
                   const char *target, err_t *e) {
  _cleanup_free_ char *data = volume_path(eng, name, "_data");
  if (!data)
    return err_sys(e, "volume %s", name);
  _cleanup_close_ int root = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return err_sys(e, "open %s", rootfs);
  /* Resolved as if the image's root were "/": an image's symlink cannot
   * make us copy the host's files into the volume. */
  err_t missing = ERR_INIT;
  _cleanup_close_ int src = rootfs_open(root, target, O_RDONLY | O_DIRECTORY, &missing);
  if (src < 0)
    return 0; /* nothing there, or not a directory: nothing to copy */
  _cleanup_close_ int dst = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dst < 0)
    return err_sys(e, "open %s", data);
  if (!dir_is_empty(dst) || dir_is_empty(src))
    return 0;
  /* Filled apart, then renamed over the empty _data at once: a crash
   * leaves a whole volume or an empty one, never half a copy. */
  _cleanup_free_ char *staged = staging_dir(eng, "copy", e);
  if (!staged)
    return -1;
  _cleanup_close_ int to = open(staged, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  char what[512];
  snprintf(what, sizeof what, "copy %s into volume %s", target, name);
  int ret = -1;
  if (to < 0)
    err_sys(e, "open %s", staged);
  else if (copy_tree(src, to, what, e) == 0 && copy_dir_attrs(src, to, what, e) == 0) {
    if (rename(staged, data) == 0 || errno == EEXIST || errno == ENOTEMPTY)
      ret = 0; /* (or another container filled it meanwhile: theirs stays) */
    else
      err_sys(e, "rename %s to %s", staged, data);
  }
  err_t undo = ERR_INIT;
  remove_tree_at(AT_FDCWD, staged, &undo);
  return ret;
}

/* Call fn for each volume a container's record mounts (name, record,
 * mount entry), until it fails. */
typedef int (*volume_mount_fn)(void *ctx, const char *name, const struct container_record *r,
                               json_t *m, err_t *e);

static int each_volume_mount(const struct engine *eng, volume_mount_fn fn, void *ctx, err_t *e) {
  struct container_record *list = NULL;
  size_t n = 0;
  if (container_dir_list(eng, &list, &n, e) < 0)
    return -1;
  int ret = 0;
  for (size_t i = 0; i < n; i++) {
    size_t k;
    json_t *m;
    json_array_foreach(list[i].mounts, k, m) {
      const char *name = json_string_value(json_object_get(m, "Name"));
      const char *type = json_string_value(json_object_get(m, "Type"));
      if (ret == 0 && name && type && !strcmp(type, "volume"))
        ret = fn(ctx, name, &list[i], m, e);
    }
    container_record_free(&list[i]);
  }
  free(list);
  return ret;
}

static int add_user(void *ctx, const char *name, const struct container_record *r, json_t *m,
                    err_t *e) {
  (void)m;
  json_t *users = ctx, *ids = json_object_get(users, name);
  bool failed = false;
  if (!ids)
    json_set(users, name, ids = json_array(), &failed);
  json_push(ids, json_string(r->id), &failed);
  return json_built(failed, "volume users", e);
}

/* name -> [ids of the containers whose record mounts it]. */
static int volume_users(const struct engine *eng, json_t **out, err_t *e) {
  json_t *users = json_object();
  if (!users)
    return err_set(e, ENOMEM, "volume users");
  if (each_volume_mount(eng, add_user, users, e) < 0) {
    json_decref(users);
    return -1;
  }
  *out = users;
  return 0;
}

/* docker's JSON of a volume. */
static json_t *volume_json(const struct engine *eng, const char *name, json_t *meta) {
  _cleanup_free_ char *mountpoint = volume_path(eng, name, "_data");
  json_t *labels = json_object_get(meta, "Labels");
  json_t *options = json_object_get(meta, "Options");
  const char *created = json_string_value(json_object_get(meta, "CreatedAt"));
  if (!mountpoint)
    return NULL;
  return json_pack("{s:s, s:s, s:O, s:s, s:s, s:O, s:s}", "CreatedAt", created ? created : "",
                   "Driver", "local", "Labels", json_is_object(labels) ? labels : json_null(),
                   "Mountpoint", mountpoint, "Name", name, "Options",
                   json_is_object(options) ? options : json_null(), "Scope", "local");
}

int engine_volume_inspect(const struct engine *eng, const char *name, json_t **out, err_t *e) {
  if (volume_name_check(name, e) < 0)
    return err_set(e, ENOENT, "get %s: no such volume", name);
  _cleanup_json_ json_t *meta = volume_load(eng, name, e);
  if (!meta)
    return -1;
  if (!(*out = volume_json(eng, name, meta)))
    return err_set(e, ENOMEM, "volume %s", name);
  return 0;
}

/* A volume that only a container's life needs: made for it (-v /path, an
 * image's VOLUME), removed with it by rm -v and --rm. */
static bool is_anonymous(json_t *vol) {
  return json_object_get(json_object_get(vol, "Labels"), ANONYMOUS_LABEL) != NULL;
}

json_t *volume_anonymous_labels(void) {
  return json_pack("{s:s}", ANONYMOUS_LABEL, "");
}

static bool label_matches(json_t *vol, const char *want) {
  json_t *labels = json_object_get(vol, "Labels");
  const char *eq = strchr(want, '=');
  size_t klen = eq ? (size_t)(eq - want) : strlen(want);
  const char *k;
  json_t *v;
  json_object_foreach(labels, k, v) {
    if (strlen(k) == klen && !strncmp(k, want, klen) &&
        (!eq || !strcmp(json_string_value(v) ? json_string_value(v) : "", eq + 1)))
      return true;
  }
  return false;
}

/* Whether the volume passes filter `f` ("key=value"); -1 for a bad one. */
static int filter_match(json_t *vol, json_t *users, const char *f, err_t *e) {
  const char *name = json_string_value(json_object_get(vol, "Name"));
  const char *eq = strchr(f, '=');
  if (!eq)
    return err_set(e, EINVAL, "bad format of filter (expected name=value): %s", f);
  const char *v = eq + 1;
  size_t klen = (size_t)(eq - f);
  if (klen == 4 && !strncmp(f, "name", 4))
    return strstr(name, v) != NULL;
  if (klen == 5 && !strncmp(f, "label", 5))
    return label_matches(vol, v);
  if (klen == 6 && !strncmp(f, "driver", 6))
    return !strcmp(v, "local");
  if (klen == 8 && !strncmp(f, "dangling", 8)) {
    bool want = !strcmp(v, "true") || !strcmp(v, "1");
    if (!want && strcmp(v, "false") && strcmp(v, "0"))
      return err_set(e, EINVAL, "invalid filter 'dangling=%s'", v);
    return want == !json_object_get(users, name);
  }
  return err_set(e, EINVAL, "invalid filter '%.*s'", (int)klen, f);
}

/* docker's rule: filters of one key are alternatives, of different keys
 * all apply. */
static int filters_match(json_t *vol, json_t *users, char **filters, err_t *e) {
  for (char **f = filters; f && *f; f++) {
    size_t klen = strcspn(*f, "=");
    int any = 0;
    for (char **g = filters; g && *g && !any; g++)
      if (strcspn(*g, "=") == klen && !strncmp(*f, *g, klen) &&
          (any = filter_match(vol, users, *g, e)) < 0)
        return -1;
    if (!any)
      return 0;
  }
  return 1;
}

/* Every volume passing the filters, by name, with the users' map. */
static int list_volumes(const struct engine *eng, char **filters, json_t **out, json_t **users_out,
                        err_t *e) {
  _cleanup_free_ char *dir = volume_path(eng, NULL, NULL);
  _cleanup_json_ json_t *users = NULL, *list = json_array();
  if (!dir || !list)
    return err_sys(e, "volumes");
  if (volume_users(eng, &users, e) < 0)
    return -1;
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d && errno != ENOENT)
    return err_sys(e, "list %s", dir);
  bool failed = false;
  for (struct dirent *de; d && (de = readdir(d));) {
    err_t skip = ERR_INIT; /* being made or removed right now */
    if (de->d_name[0] == '.')
      continue;
    _cleanup_json_ json_t *meta = volume_load(eng, de->d_name, &skip);
    json_t *vol = meta ? volume_json(eng, de->d_name, meta) : NULL;
    int keep = vol ? filters_match(vol, users, filters, e) : 0;
    if (keep < 0) {
      json_decref(vol);
      return -1;
    }
    if (keep)
      json_push(list, vol, &failed);
    else
      json_decref(vol);
  }
  if (json_built(failed, "volumes", e) < 0)
    return -1;
  /* By name, as docker lists them. */
  size_t n = json_array_size(list);
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0; j--) {
      json_t *a = json_array_get(list, j - 1), *b = json_array_get(list, j);
      if (strcmp(json_string_value(json_object_get(a, "Name")),
                 json_string_value(json_object_get(b, "Name"))) <= 0)
        break;
      json_incref(a);
      json_array_set(list, j - 1, b);
      json_array_set_new(list, j, a);
    }
  *out = steal_ptr(&list);
  if (users_out)
    *users_out = steal_ptr(&users);
  return 0;
}

int engine_volume_list(const struct engine *eng, char **filters, json_t **out, err_t *e) {
  _cleanup_close_ int lock = volumes_lock(eng, false, e);
  return lock < 0 ? -1 : list_volumes(eng, filters, out, NULL, e);
}

/* Under the exclusive lock: out of sight at once (renamed under .tmp/),
 * then removed. */
static int remove_volume(const struct engine *eng, const char *name, err_t *e) {
  _cleanup_free_ char *dir = volume_path(eng, name, NULL);
  _cleanup_free_ char *gone = staging_dir(eng, "rm", e);
  if (!gone)
    return -1;
  if (!dir)
    return err_sys(e, "volume %s", name);
  /* A rename onto an empty directory replaces it. */
  if (rename(dir, gone) < 0)
    return err_sys(e, "rename %s to %s", dir, gone);
  if (sync_volumes_dir(eng, e) < 0)
    return -1;
  return remove_tree_at(AT_FDCWD, gone, e);
}

static int in_use(json_t *users, const char *name, err_t *e) {
  json_t *ids = json_object_get(users, name);
  if (!ids)
    return 0;
  char list[512] = "";
  size_t i, at = 0;
  json_t *id;
  json_array_foreach(ids, i, id) {
    if (at >= sizeof list - 70)
      break;
    at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "",
                           json_string_value(id));
  }
  return err_set(e, EBUSY, "remove %s: volume is in use - [%s]", name, list);
}

/* docker's local driver options: type=tmpfs (the one type here: the others
 * mount host devices or network shares), device=tmpfs, o=OPTIONS (mount
 * options: size=, mode=, uid=, gid=, nr_inodes=, noexec...). */
static json_t *local_options(char **opts, err_t *e) {
  json_t *o = json_object();
  bool failed = !o;
  for (char **p = opts; p && *p; p++) {
    const char *eq = strchr(*p, '=');
    size_t klen = eq ? (size_t)(eq - *p) : 0;
    bool known = eq && ((klen == 4 && !strncmp(*p, "type", 4)) ||
                        (klen == 6 && !strncmp(*p, "device", 6)) || (klen == 1 && **p == 'o'));
    if (!known) {
      json_decref(o);
      err_set(e, EINVAL, "invalid option '%s' (the local driver takes type=, device=, o=)", *p);
      return NULL;
    }
    _cleanup_free_ char *k = strndup(*p, klen);
    json_set(o, k, json_string(eq + 1), &failed);
  }
  const char *type = json_string_value(json_object_get(o, "type"));
  const char *device = json_string_value(json_object_get(o, "device"));
  const char *mount = json_string_value(json_object_get(o, "o"));
  const char *bad = NULL;
  if (json_object_size(o) && (!type || strcmp(type, "tmpfs")))
    bad = "type=tmpfs is the only type supported";
  else if (device && strcmp(device, "tmpfs"))
    bad = "a tmpfs volume's device is tmpfs";
  else if (mount && strpbrk(mount, " \t\n\r\"'"))
    bad = "o= takes comma-separated mount options";
  if (bad || failed) {
    json_decref(o);
    bad ? err_set(e, EINVAL, "create volume: %s", bad) : err_sys(e, "volume options");
    return NULL;
  }
  return o;
}

int engine_volume_create(const struct engine *eng, const char *name, char **labels, char **opts,
                         char **name_out, err_t *e) {
  char anon[65];
  _cleanup_json_ json_t *lab = json_object();
  bool failed = !lab;
  for (char **l = labels; l && *l; l++) {
    const char *eq = strchr(*l, '=');
    _cleanup_free_ char *k = strndup(*l, eq ? (size_t)(eq - *l) : strlen(*l));
    if (!k || !*k)
      return k ? err_set(e, EINVAL, "invalid label '%s': empty name", *l) : err_sys(e, "label");
    json_set(lab, k, json_string(eq ? eq + 1 : ""), &failed);
  }
  if (json_built(failed, "volume labels", e) < 0)
    return -1;
  _cleanup_json_ json_t *options = local_options(opts, e);
  if (!options)
    return -1;
  if (!name) {
    if (engine_random_id(anon, e) < 0)
      return -1;
    name = anon;
  }
  _cleanup_close_ int lock = volumes_lock(eng, false, e);
  bool created;
  if (lock < 0 || volume_make(eng, name, lab, options, &created, e) < 0)
    return -1;
  if (name_out && !(*name_out = strdup(name)))
    return err_sys(e, "volume %s", name);
  return 0;
}

int engine_volume_rm(const struct engine *eng, const char *name, bool force, err_t *e) {
  _cleanup_close_ int lock = volumes_lock(eng, true, e);
  if (lock < 0)
    return -1;
  if (volume_name_check(name, e) < 0)
    return force ? 0 : err_set(e, ENOENT, "get %s: no such volume", name);
  _cleanup_json_ json_t *meta = volume_load(eng, name, e);
  if (!meta)
    return force && e->code == ENOENT ? (err_clear(e), 0) : -1;
  _cleanup_json_ json_t *users = NULL;
  if (volume_users(eng, &users, e) < 0 || in_use(users, name, e) < 0)
    return -1;
  return remove_volume(eng, name, e);
}

int volumes_remove_anonymous(const struct engine *eng, json_t *mounts, err_t *e) {
  if (!json_array_size(mounts))
    return 0;
  _cleanup_close_ int lock = volumes_lock(eng, true, e);
  _cleanup_json_ json_t *users = NULL;
  if (lock < 0 || volume_users(eng, &users, e) < 0)
    return -1;
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *name = json_string_value(json_object_get(m, "Name"));
    const char *type = json_string_value(json_object_get(m, "Type"));
    err_t gone = ERR_INIT;
    if (!name || !type || strcmp(type, "volume") || json_object_get(users, name))
      continue;
    _cleanup_json_ json_t *meta = volume_load(eng, name, &gone);
    if (meta && is_anonymous(meta) && remove_volume(eng, name, e) < 0)
      return -1;
  }
  return 0;
}

int engine_volume_prune(const struct engine *eng, bool all, char **filters, json_t **removed,
                        uint64_t *reclaimed, err_t *e) {
  *reclaimed = 0;
  _cleanup_close_ int lock = volumes_lock(eng, true, e);
  _cleanup_json_ json_t *list = NULL, *users = NULL, *names = json_array();
  if (lock < 0 || !names || list_volumes(eng, filters, &list, &users, e) < 0)
    return -1;
  size_t i;
  json_t *vol;
  bool failed = false;
  json_array_foreach(list, i, vol) {
    const char *name = json_string_value(json_object_get(vol, "Name"));
    /* docker 23's rule: named volumes only with --all. */
    if (json_object_get(users, name) || (!all && !is_anonymous(vol)))
      continue;
    _cleanup_free_ char *data = volume_path(eng, name, "_data");
    _cleanup_close_ int fd = data ? open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    uint64_t size = fd >= 0 ? tree_file_bytes(fd) : 0;
    if (remove_volume(eng, name, e) < 0)
      return -1;
    *reclaimed += size;
    json_push(names, json_string(name), &failed);
  }
  if (json_built(failed, "volume prune", e) < 0)
    return -1;
  *removed = steal_ptr(&names);
  return 0;
}

struct missing {
  const struct engine *eng;
  store_note_fn note;
  void *data;
};

/* A run killed after its record named a volume and before the volume
 * existed leaves a container that could not start: the volume is made
 * (empty: the image's content is copied into it only by a run). */
static int make_missing(void *ctx, const char *name, const struct container_record *r,
                        json_t *m, err_t *e) {
  struct missing *c = ctx;
  _cleanup_free_ char *vdir = volume_path(c->eng, name, NULL);
  if (!vdir)
    return err_sys(e, "volume %s", name);
  if (access(vdir, F_OK) == 0)
    return 0;
  _cleanup_json_ json_t *labels =
      json_is_true(json_object_get(m, "anonymous")) ? volume_anonymous_labels() : NULL;
  bool created;
  if (volume_make(c->eng, name, labels, NULL, &created, e) < 0)
    return -1;
  char text[512];
  snprintf(text, sizeof text, "made volume %.100s of container %s (%.12s): it was missing", name,
           r->name, r->id);
  c->note(c->data, "repaired", text);
  return 0;
}

int volumes_check(const struct engine *eng, store_note_fn note, void *data, err_t *e) {
  _cleanup_close_ int lock = volumes_lock(eng, true, e);
  _cleanup_free_ char *tmp = volume_path(eng, ".tmp", NULL);
  _cleanup_free_ char *dir = volume_path(eng, NULL, NULL);
  if (lock < 0)
    return -1;
  if (!tmp || !dir)
    return err_sys(e, "volumes");
  char text[ERR_MSG_MAX + 512];
  unsigned count = 0;
  _cleanup_closedir_ DIR *t = opendir(tmp);
  for (struct dirent *de; t && (de = readdir(t));) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    _cleanup_free_ char *p = path_join(tmp, de->d_name);
    if (!p || remove_tree_at(AT_FDCWD, p, e) < 0)
      return p ? -1 : err_sys(e, "volumes");
    /* new-: a volume being made, copy-: a copy-up, rm-: a removal. */
    snprintf(text, sizeof text, "removed what an interrupted command left of a volume: %s",
             de->d_name);
    note(data, "repaired", text);
  }
  struct missing missing = {eng, note, data};
  if (each_volume_mount(eng, make_missing, &missing, e) < 0)
    return -1;
  _cleanup_closedir_ DIR *d = opendir(dir);
  for (struct dirent *de; d && (de = readdir(d));) {
    if (de->d_name[0] == '.')
      continue;
    err_t bad = ERR_INIT;
    _cleanup_json_ json_t *meta = volume_load(eng, de->d_name, &bad);
    _cleanup_free_ char *vdata = volume_path(eng, de->d_name, "_data");
    struct stat st;
    count++;
    if (meta && vdata && stat(vdata, &st) == 0 && S_ISDIR(st.st_mode))
      continue;
    /* Never made this way: someone's data, to look at rather than delete. */
    snprintf(text, sizeof text, "volume %s: %s", de->d_name,
             meta ? "no _data directory" : bad.msg);
    note(data, "problem", text);
  }
  snprintf(text, sizeof text, "%u volume%s", count, count == 1 ? "" : "s");
  note(data, "ok", text);
  return 0;
}
