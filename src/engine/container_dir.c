/* Containers on disk, under <root>/containers/:
 *   <id>/         a container: container.json (its record, written durably
 *                 for containers that outlive the machine), upper/ and
 *                 work/ (its changes), merged/ (where its root is mounted)
 *   tmp/<id>/     a container being made or removed: a directory is built
 *                 here and renamed to <id>/ once complete, and moves back
 *                 here to be removed, so <id>/ always holds its record and
 *                 what a crash leaves is found by its id
 *   <id>/summary  what ps needs of the record, read without parsing JSON
 *                 (ps.c: a cache that names the record it is of)
 *   names/<name>  a symlink to the id: made with symlinkat(), it claims a
 *                 name atomically, and finds it without reading every
 *                 record. Claims and removals hold flock() on names/.
 * A container's directory is also its lock: see container_dir_lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "runtime/runtime.h"
#include "util/array.h"
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
  json_decref(r->mounts);
  json_decref(r->network);
  json_decref(r->labels);
  memset(r, 0, sizeof *r);
}

void container_run_config_default(struct container_run_config *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->restart_policy, sizeof c->restart_policy, "no");
  c->stop_signal = SIGTERM;
  c->stop_timeout = 10;
  c->log_max_file = 1;
}

/* docker's Config and HostConfig parts of the record (absent in records
 * written before them: the defaults). */
static int run_config_load(json_t *j, struct container_run_config *c, err_t *e) {
  container_run_config_default(c);
  json_t *config = NULL, *host = NULL, *policy = NULL, *log = NULL;
  const char *name = NULL, *runtime = NULL;
  int64_t sig = c->stop_signal, timeout = c->stop_timeout, max = 0, size = 0, files = 1;
  if (json_opt_obj(j, "config", "container", &config, e) < 0 ||
      json_opt_obj(j, "hostConfig", "container", &host, e) < 0)
    return -1;
  if (config && (json_opt_bool(config, "tty", "config", &c->tty, e) < 0 ||
                 json_opt_bool(config, "openStdin", "config", &c->interactive, e) < 0 ||
                 json_opt_i64(config, "stopSignal", "config", &sig, e) < 0 ||
                 json_opt_i64(config, "stopTimeout", "config", &timeout, e) < 0))
    return -1;
  if (host && (json_opt_bool(host, "autoRemove", "hostConfig", &c->auto_remove, e) < 0 ||
               json_opt_bool(host, "init", "hostConfig", &c->init, e) < 0 ||
               json_opt_str(host, "runtime", "hostConfig", &runtime, e) < 0 ||
               json_opt_obj(host, "restartPolicy", "hostConfig", &policy, e) < 0 ||
               json_opt_obj(host, "logConfig", "hostConfig", &log, e) < 0))
    return -1;
  if (policy && (json_opt_str(policy, "name", "restartPolicy", &name, e) < 0 ||
                 json_opt_i64(policy, "maximumRetryCount", "restartPolicy", &max, e) < 0))
    return -1;
  if (log && (json_opt_i64(log, "maxSize", "logConfig", &size, e) < 0 ||
              json_opt_i64(log, "maxFile", "logConfig", &files, e) < 0))
    return -1;
  if (sig < 1 || sig > 64 || timeout < -1 || timeout > INT32_MAX || max < 0 || max > INT32_MAX ||
      size < 0 || files < 1 || files > 1000 || (name && strlen(name) >= sizeof c->restart_policy))
    return err_set(e, EINVAL, "invalid run configuration");
  if (name)
    snprintf(c->restart_policy, sizeof c->restart_policy, "%s", name);
  c->stop_signal = (int)sig;
  c->stop_timeout = (int)timeout;
  c->restart_max = (int)max;
  c->log_max_size = size;
  c->log_max_file = (int)files;
  c->vm = runtime && !strcmp(runtime, "vm");
  return 0;
}

int container_dir_load(const struct engine *eng, const char *id, struct container_record *r,
                       err_t *e) {
  memset(r, 0, sizeof *r);
  _cleanup_free_ char *path = container_path(eng, id, "container.json");
  _cleanup_json_ json_t *j = path ? json_load_object_file(path, e) : NULL;
  if (!j)
    return -1;
  const char *s;
  json_t *img = NULL, *cmd = NULL, *mounts = NULL, *labels = NULL, *network = NULL;
  if (json_opt_str(j, "id", "container", &s, e) <= 0 || strlen(s) != 64)
    return e->code ? -1 : err_set(e, EINVAL, "%s: no valid id", path);
  memcpy(r->id, s, 65);
  const char *name = NULL, *created = NULL, *ref = NULL, *manifest = NULL, *image_id = NULL;
  if (json_opt_str(j, "name", "container", &name, e) < 0 ||
      json_opt_str(j, "created", "container", &created, e) < 0 ||
      json_opt_obj(j, "image", "container", &img, e) < 0 ||
      json_opt_arr(j, "command", "container", &cmd, e) < 0 ||
      json_opt_arr(j, "mounts", "container", &mounts, e) < 0 ||
      json_opt_obj(j, "labels", "container", &labels, e) < 0 ||
      json_opt_obj(j, "network", "container", &network, e) < 0)
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
  r->mounts = mounts ? json_incref(mounts) : json_array();
  r->labels = labels ? json_incref(labels) : json_object();
  r->network = json_incref(network);
  if (!r->name || !r->created || !r->image_ref || !r->image_manifest || !r->image_id ||
      !r->command || !r->mounts || !r->labels) {
    container_record_free(r);
    return err_sys(e, "container %s", id);
  }
  if (run_config_load(j, &r->run, e) < 0) {
    container_record_free(r);
    return err_wrap(e, "%s", path);
  }
  return 0;
}

static int record_save(const char *dir, const struct container_record *r, bool transient,
                       err_t *e) {
  const struct container_run_config *c = &r->run;
  _cleanup_json_ json_t *j = json_pack(
      "{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:O, s:{s:b, s:b, s:i, s:i},"
      " s:{s:b, s:b, s:s, s:{s:s, s:i}, s:{s:I, s:i}}}",
      "id", r->id, "name", r->name, "created", r->created, "image", "ref", r->image_ref,
      "manifest", r->image_manifest, "id", r->image_id, "command", r->command, "config", "tty",
      c->tty, "openStdin", c->interactive, "stopSignal", c->stop_signal, "stopTimeout",
      c->stop_timeout, "hostConfig", "autoRemove", c->auto_remove, "init", c->init,
      "runtime", c->vm ? "vm" : "runc", "restartPolicy", "name", c->restart_policy, "maximumRetryCount", c->restart_max,
      "logConfig", "maxSize", (json_int_t)c->log_max_size, "maxFile", c->log_max_file);
  bool failed = !j;
  if (r->mounts)
    json_set(j, "mounts", json_incref(r->mounts), &failed);
  if (r->labels)
    json_set(j, "labels", json_incref(r->labels), &failed);
  if (r->network)
    json_set(j, "network", json_incref(r->network), &failed);
  _cleanup_free_ char *text = !failed ? json_dump_checked(j, JSON_INDENT(2)) : NULL;
  _cleanup_free_ char *path = path_join(dir, "container.json");
  if (!text || !path)
    return err_set(e, ENOMEM, "container record");
  if (transient) /* a summary would only cost it: ps reads its record */
    return atomic_replace_at(AT_FDCWD, path, text, strlen(text), 0600, e);
  if (atomic_write_at(AT_FDCWD, path, text, strlen(text), 0600, e) < 0)
    return -1;
  /* Without a summary (it failed), ps reads the record: no error for it. */
  err_t ignored = ERR_INIT;
  ps_summary_write(dir, r, &ignored);
  return 0;
}

int container_record_save(const struct engine *eng, const struct container_record *r, err_t *e) {
  _cleanup_free_ char *dir = container_path(eng, r->id, NULL);
  return dir ? record_save(dir, r, r->run.auto_remove, e) : err_sys(e, "container record");
}

/* `dir` and its upper/, work/, merged/. */
static int make_dirs(const char *dir, err_t *e) {
  static const char *const leaves[] = {"upper", "work", "merged"};
  if (mkdir(dir, 0700) < 0)
    return err_sys(e, "create %s", dir);
  for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
    _cleanup_free_ char *p = path_join(dir, leaves[i]);
    if (!p)
      return err_sys(e, "container directory");
    if (mkdir(p, 0755) < 0)
      return err_sys(e, "create %s", p);
  }
  return 0;
}

static bool is_id(const char *s) {
  return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int lock_fd(int fd, int how) {
  int r;
  while ((r = flock(fd, how)) < 0 && errno == EINTR)
    ;
  return r;
}

/* Open the directory and take its lock without waiting. */
static int open_locked(const char *dir, err_t *e) {
  _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "open %s", dir);
  if (lock_fd(fd, LOCK_EX | LOCK_NB) < 0)
    return errno == EWOULDBLOCK ? err_set(e, EBUSY, "%s is in use by another command", dir)
                                : err_sys(e, "lock %s", dir);
  return steal_fd(&fd);
}

int container_dir_lock(const struct engine *eng, const char *id, err_t *e) {
  _cleanup_free_ char *dir = container_path(eng, id, NULL);
  if (!dir)
    return err_sys(e, "container %s", id);
  int fd = open_locked(dir, e);
  if (fd < 0 && e->code == ENOENT)
    return err_set(e, ENOENT, "no such container: %.12s", id);
  if (fd < 0 && e->code == EBUSY)
    return err_set(e, EBUSY, "container %.12s is in use by another command (starting, or "
                             "running in the foreground)", id);
  return fd;
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

/* The names directory, locked: claims and removals of names are ordered. */
static int names_lock(const struct engine *eng, err_t *e) {
  _cleanup_close_ int fd = names_dir(eng, e);
  if (fd < 0)
    return -1;
  if (lock_fd(fd, LOCK_EX) < 0)
    return err_sys(e, "lock %s/containers/names", eng->root);
  return steal_fd(&fd);
}

/* Unlink `name` if it still leads to `id`. */
static bool free_name(int names, const char *name, const char *id) {
  char target[80];
  ssize_t n = readlinkat(names, name, target, sizeof target - 1);
  return n == 64 && !strncmp(target, id, 64) && unlinkat(names, name, 0) == 0;
}

/* Claim `name` for `id`, under the names lock. A link to a container that
 * has no record is left by a run or rm that crashed (a create holds the
 * lock until its record is in place): it is taken over. */
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

int engine_random_id(char id[65], err_t *e) {
  unsigned char raw[32];
  if (getrandom(raw, sizeof raw, 0) != sizeof raw)
    return err_sys(e, "random id");
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(id + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

int container_id_new(struct container_record *r, err_t *e) {
  return engine_random_id(r->id, e);
}

/* Build the directory at `staged`, locked, with the record in it. */
static int stage(const struct engine *eng, const char *staged, const struct container_record *r,
                 bool transient, err_t *e) {
  _cleanup_free_ char *tmp = container_path(eng, "tmp", NULL);
  if (!tmp)
    return err_sys(e, "container directory");
  if (mkdir_p_at(AT_FDCWD, tmp, 0700, e) < 0 || make_dirs(staged, e) < 0)
    return -1;
  _cleanup_close_ int lock = open_locked(staged, e);
  if (lock < 0 || record_save(staged, r, transient, e) < 0)
    return -1;
  return steal_fd(&lock);
}

/* Move the complete directory into place. */
static int commit(const struct engine *eng, const char *staged, const char *dir, bool transient,
                  err_t *e) {
  if (rename(staged, dir) < 0)
    return err_sys(e, "rename %s to %s", staged, dir);
  if (transient)
    return 0;
  _cleanup_free_ char *parent = container_path(eng, ".", NULL);
  _cleanup_close_ int fd = parent ? open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd < 0 || fsync(fd) < 0)
    return err_sys(e, "sync %s/containers", eng->root);
  return 0;
}

int container_dir_create(const struct engine *eng, struct container_record *r, bool transient,
                         err_t *e) {
  /* A name follows the runtime's rule for ids. */
  if (r->name && runtime_check_id(r->name, e) < 0)
    return err_wrap(e, "--name");
  if (!r->name && asprintf(&r->name, "capsule_%.12s", r->id) < 0) {
    r->name = NULL;
    return err_sys(e, "container name");
  }
  if (!(r->created = rfc3339_now()))
    return err_sys(e, "container");
  _cleanup_free_ char *staged = container_path(eng, "tmp", r->id);
  _cleanup_free_ char *dir = container_path(eng, r->id, NULL);
  if (!staged || !dir)
    return err_sys(e, "container directory");
  _cleanup_close_ int names = names_lock(eng, e);
  if (names < 0 || claim_name(eng, names, r->name, r->id, e) < 0)
    return -1;
  _cleanup_close_ int lock = stage(eng, staged, r, transient, e);
  if (lock >= 0 && commit(eng, staged, dir, transient, e) == 0)
    return steal_fd(&lock);
  err_t undo = ERR_INIT;
  remove_tree_at(AT_FDCWD, staged, &undo);
  free_name(names, r->name, r->id);
  return -1;
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
    if (container_dir_load(eng, de->d_name, &r, &skip) < 0)
      continue;
    if (array_reserve_sz((void **)out, &cap, *n + 1, sizeof **out) < 0) {
      container_record_free(&r);
      return err_sys(e, "containers");
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
  if (container_dir_load(eng, id, r, e) < 0)
    return err_set(e, ENOENT, "no such container: %s", name);
  return 0;
}

int container_dir_remove(const struct engine *eng, const char *id, const char *name, err_t *e) {
  _cleanup_free_ char *dir = container_path(eng, id, NULL);
  _cleanup_free_ char *merged = container_path(eng, id, "merged");
  _cleanup_free_ char *gone = container_path(eng, "tmp", id);
  _cleanup_free_ char *gone_merged = gone ? path_join(gone, "merged") : NULL;
  _cleanup_free_ char *tmp = container_path(eng, "tmp", NULL);
  if (!dir || !merged || !gone || !gone_merged || !tmp)
    return err_sys(e, "container %s", id);
  if (overlay_unmount(merged, e) < 0 || overlay_unmount(gone_merged, e) < 0)
    return -1;
  _cleanup_close_ int names = names_lock(eng, e);
  if (names < 0 || mkdir_p_at(AT_FDCWD, tmp, 0700, e) < 0)
    return -1;
  /* Out of sight at once; the name goes once the record has. */
  if (rename(dir, gone) < 0 && errno != ENOENT)
    return err_sys(e, "rename %s to %s", dir, gone);
  if (name)
    free_name(names, name, id);
  return remove_tree_at(AT_FDCWD, gone, e);
}

int container_ids_in(const char *dir, bool links, json_t *ids, err_t *e) {
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : err_sys(e, "list %s", dir);
  for (struct dirent *de; (de = readdir(d));) {
    char target[80];
    const char *id = de->d_name;
    if (links) {
      ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
      target[n > 0 ? n : 0] = '\0';
      id = target;
    }
    if (is_id(id) && json_object_set_new(ids, id, json_true()) < 0)
      return err_set(e, ENOMEM, "container ids");
  }
  return 0;
}

int container_dir_add_ids(const struct engine *eng, json_t *ids, err_t *e) {
  _cleanup_free_ char *top = container_path(eng, ".", NULL);
  _cleanup_free_ char *tmp = container_path(eng, "tmp", NULL);
  _cleanup_free_ char *names = container_path(eng, "names", NULL);
  if (!top || !tmp || !names)
    return err_sys(e, "containers");
  return container_ids_in(top, false, ids, e) < 0 || container_ids_in(tmp, false, ids, e) < 0 ||
                 container_ids_in(names, true, ids, e) < 0
             ? -1
             : 0;
}

/* Whether the link `name` leads to a container of that name. */
static bool name_is_sound(const struct engine *eng, int names, const char *name) {
  char target[80];
  ssize_t n = readlinkat(names, name, target, sizeof target - 1);
  if (n != 64)
    return false;
  target[n] = '\0';
  struct container_record r;
  err_t ignored = ERR_INIT;
  if (!is_id(target) || container_dir_load(eng, target, &r, &ignored) < 0)
    return false;
  bool same = !strcmp(r.name, name);
  container_record_free(&r);
  return same;
}

int container_names_repair(const struct engine *eng, store_note_fn note, void *data, err_t *e) {
  char text[512];
  _cleanup_close_ int names = names_lock(eng, e);
  if (names < 0)
    return -1;
  _cleanup_closedir_ DIR *d = fdopendir_dup(names);
  if (!d)
    return err_sys(e, "list %s/containers/names", eng->root);
  for (struct dirent *de; (de = readdir(d));) {
    if (de->d_name[0] == '.' || name_is_sound(eng, names, de->d_name))
      continue;
    if (unlinkat(names, de->d_name, 0) < 0)
      return err_sys(e, "remove the name %s", de->d_name);
    snprintf(text, sizeof text, "removed the name %s: no container has it", de->d_name);
    note(data, "repaired", text);
  }
  struct container_record *list = NULL;
  size_t n = 0;
  if (container_dir_list(eng, &list, &n, e) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    char target[80];
    ssize_t len = readlinkat(names, list[i].name, target, sizeof target - 1);
    bool restored = len < 0 && symlinkat(list[i].id, names, list[i].name) == 0;
    if (restored || len != 64 || strncmp(target, list[i].id, 64)) {
      if (restored)
        snprintf(text, sizeof text, "gave container %.12s back its name %s", list[i].id,
                 list[i].name);
      else
        snprintf(text, sizeof text, "container %.12s cannot have its name %s: %s", list[i].id,
                 list[i].name, len < 0 ? strerror(errno) : "another container has it");
      note(data, restored ? "repaired" : "problem", text);
    }
    container_record_free(&list[i]);
  }
  free(list);
  return 0;
}

/* The record's "name" replaced, its other members kept as they are. */
static int record_set_name(const struct engine *eng, const char *id, const char *name, err_t *e) {
  _cleanup_free_ char *path = container_path(eng, id, "container.json");
  _cleanup_json_ json_t *j = path ? json_load_object_file(path, e) : NULL;
  if (!j)
    return e->code ? -1 : err_sys(e, "container %s", id);
  bool failed = false;
  json_set(j, "name", json_string(name), &failed);
  _cleanup_free_ char *text = failed ? NULL : json_dump_checked(j, JSON_INDENT(2));
  _cleanup_free_ char *dir = container_path(eng, id, NULL);
  if (!text || !dir)
    return err_set(e, ENOMEM, "container record");
  if (atomic_write_at(AT_FDCWD, path, text, strlen(text), 0600, e) < 0)
    return -1;
  /* The summary of the old record no longer matches: ps reads the record
   * until this one is made. */
  struct container_record r;
  err_t ignored = ERR_INIT;
  if (container_dir_load(eng, id, &r, &ignored) == 0) {
    ps_summary_write(dir, &r, &ignored);
    container_record_free(&r);
  }
  return 0;
}

int engine_rename(const struct engine *eng, const char *name, const char *new_name, err_t *e) {
  if (runtime_check_id(new_name, e) < 0)
    return err_wrap(e, "invalid container name \"%s\"", new_name);
  _cleanup_close_ int names = names_lock(eng, e);
  struct container_record r;
  if (names < 0 || container_dir_find(eng, name, &r, e) < 0)
    return -1;
  int rc = -1;
  if (!strcmp(r.name, new_name)) {
    err_set(e, EEXIST, "container %s already has the name %s", name, new_name);
    goto out;
  }
  /* New name, record, old name: a crash between two leaves a link whose
   * record disagrees, which `system check` removes. */
  if (claim_name(eng, names, new_name, r.id, e) < 0)
    goto out;
  if (record_set_name(eng, r.id, new_name, e) < 0) {
    free_name(names, new_name, r.id);
    goto out;
  }
  free_name(names, r.name, r.id);
  rc = 0;
out:
  container_record_free(&r);
  return rc;
}
