/* run, rm, ps: containers from images, run in-process by the runtime. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "image/store.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static struct runtime_ctx runtime_of(const struct engine *eng) {
  return (struct runtime_ctx){.root = eng->run_root};
}

/* Resolve the image, reserve the container, pin the image to it and mount
 * its root. Returns the image config and the layer list through the out
 * parameters; on failure nothing is left. */
static int prepare(const struct engine *eng, const struct run_opts *o, struct container_record *r,
                   struct image_config *ic, err_t *e) {
  _cleanup_image_store_ struct image_store *store = NULL;
  struct image_info img = {0};
  _cleanup_strv_ char **layers = NULL;
  _cleanup_free_ char *upper = NULL, *work = NULL, *merged = NULL;
  int ret = -1;
  if (image_store_open(eng->root, 0, &store, e) < 0 ||
      image_store_resolve(store, o->image, &img, e) < 0)
    return -1;
  if (image_store_config(store, &img, ic, e) < 0 ||
      image_store_layer_dirs(store, &img, &layers, e) < 0 ||
      !(r->command = engine_process_args(o, ic, e)))
    goto out;
  r->name = o->name ? strdup(o->name) : NULL;
  r->image_ref = strdup(o->image);
  r->image_manifest = strdup(img.manifest);
  r->image_id = strdup(img.config);
  if (!r->image_ref || !r->image_manifest || !r->image_id || (o->name && !r->name)) {
    err_sys(e, "container");
    goto out;
  }
  int pin_flags = o->rm ? IMAGE_PIN_TRANSIENT : 0;
  if (container_dir_create(eng, r, o->rm, e) < 0)
    goto out;
  upper = container_path(eng, r->id, "upper");
  work = container_path(eng, r->id, "work");
  merged = container_path(eng, r->id, "merged");
  /* The pin keeps rmi and prune off the image's layers while we use them. */
  if (!upper || !work || !merged || image_store_pin(store, r->id, img.manifest, pin_flags, e) < 0 ||
      overlay_mount(merged, layers, upper, work, e) < 0) {
    err_t undo = ERR_INIT;
    image_store_unpin(store, r->id, pin_flags, &undo);
    container_dir_remove(eng, r, &undo);
    goto out;
  }
  ret = 0;
out:
  image_info_free(&img);
  if (ret < 0)
    image_config_free(ic);
  return ret;
}

/* Undo prepare(): unmount, unpin, remove the directory. */
static int remove_container(const struct engine *eng, const struct container_record *r,
                            int pin_flags, err_t *e) {
  _cleanup_image_store_ struct image_store *store = NULL;
  if (image_store_open(eng->root, 0, &store, e) < 0 ||
      image_store_unpin(store, r->id, pin_flags, e) < 0)
    return -1;
  return container_dir_remove(eng, r, e);
}

static int open_log(const struct engine *eng, const char *id, int *log_fd, int *null_fd,
                    err_t *e) {
  _cleanup_free_ char *path = container_path(eng, id, "container.log");
  if (!path)
    return err_sys(e, "container log");
  if ((*log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
    return err_sys(e, "open %s", path);
  if ((*null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
    return err_sys(e, "open /dev/null");
  return 0;
}

int engine_run(const struct engine *eng, const struct run_opts *o, int *status, char **id_out,
               err_t *e) {
  struct container_record r = {0};
  struct image_config ic = {0};
  if (o->rm && o->detach)
    return err_set(e, EINVAL, "--rm and --detach together are not supported: remove the "
                              "container with `capsule rm` once it has exited");
  if (prepare(eng, o, &r, &ic, e) < 0) {
    container_record_free(&r);
    return -1;
  }
  int ret = -1;
  _cleanup_free_ char *merged = container_path(eng, r.id, "merged");
  _cleanup_free_ char *bundle = container_path(eng, r.id, NULL);
  _cleanup_json_ json_t *config = merged ? engine_oci_config(o, &ic, &r, merged, e) : NULL;
  struct runtime_ctx rt = runtime_of(eng);
  struct create_opts co = {.bundle = bundle, .config = config};
  /* A detached container writes to its log, not to our terminal (nor to a
   * pipe its caller waits on). */
  _cleanup_close_ int log_fd = -1, null_fd = -1;
  if (config && o->detach && open_log(eng, r.id, &log_fd, &null_fd, e) == 0) {
    co.has_stdio = true;
    co.stdio_fds[0] = null_fd;
    co.stdio_fds[1] = co.stdio_fds[2] = log_fd;
  }
  if (config && (!o->detach || co.has_stdio) && runtime_run(&rt, r.id, &co, o->detach, status, e) == 0)
    ret = 0;
  /* A foreground container has exited: its root is no longer needed, and
   * with --rm nothing of it is. */
  err_t undo = ERR_INIT;
  if (ret < 0 || o->rm) {
    if (remove_container(eng, &r, o->rm ? IMAGE_PIN_TRANSIENT : 0, &undo) < 0 && ret == 0) {
      *e = undo;
      ret = -1;
    }
  } else if (!o->detach) {
    overlay_unmount(merged, &undo);
  }
  if (ret == 0 && id_out && !(*id_out = strdup(r.id)))
    ret = err_sys(e, "container id");
  container_record_free(&r);
  image_config_free(&ic);
  return ret;
}

/* The runtime's view of a container: its status and pid, or "exited"
 * when the runtime has no state for it (deleted after it exited). */
static const char *runtime_status(const struct engine *eng, const char *id, json_int_t *pid) {
  struct runtime_ctx rt = runtime_of(eng);
  _cleanup_json_ json_t *st = NULL;
  err_t e = ERR_INIT;
  *pid = 0;
  if (runtime_state(&rt, id, &st, &e) < 0)
    return "exited";
  *pid = json_integer_value(json_object_get(st, "pid"));
  const char *s = json_string_value(json_object_get(st, "status"));
  /* Owned by the state object: map to the static names. */
  static const char *const names[] = {"created", "running", "paused", "stopped"};
  for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(s, names[i]))
      return names[i];
  return "unknown";
}

int engine_rm(const struct engine *eng, const char *name, bool force, err_t *e) {
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  json_int_t pid;
  const char *status = runtime_status(eng, r.id, &pid);
  int ret = -1;
  struct runtime_ctx rt = runtime_of(eng);
  if (strcmp(status, "stopped") && strcmp(status, "exited") && !force) {
    err_set(e, EBUSY, "container %s is %s: stop it first or use --force", r.name, status);
    goto out;
  }
  if (strcmp(status, "exited") && runtime_delete(&rt, r.id, true, e) < 0)
    goto out;
  ret = remove_container(eng, &r, 0, e);
out:
  container_record_free(&r);
  return ret;
}

int engine_ps(const struct engine *eng, bool all, json_t **out, err_t *e) {
  struct container_record *list = NULL;
  size_t n = 0;
  if (container_dir_list(eng, &list, &n, e) < 0)
    return -1;
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    json_int_t pid;
    const char *status = runtime_status(eng, list[i].id, &pid);
    if (all || !strcmp(status, "running") || !strcmp(status, "paused"))
      json_array_append_new(
          arr, json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:I}", "id", list[i].id, "name",
                         list[i].name, "image", list[i].image_ref, "imageId", list[i].image_id,
                         "command", list[i].command, "created", list[i].created, "status", status,
                         "pid", pid));
    container_record_free(&list[i]);
  }
  free(list);
  /* Newest first: RFC 3339 times in UTC sort as strings. */
  size_t count = json_array_size(arr);
  for (size_t i = 1; i < count; i++)
    for (size_t j = i; j > 0; j--) {
      json_t *a = json_array_get(arr, j - 1), *b = json_array_get(arr, j);
      if (strcmp(json_string_value(json_object_get(a, "created")),
                 json_string_value(json_object_get(b, "created"))) >= 0)
        break;
      json_incref(a);
      json_array_set(arr, j - 1, b);
      json_array_set_new(arr, j, a);
    }
  *out = arr;
  return 0;
}
