/* A container's root directory for commands that read or write its files
 * from the host (cp, export): the root its processes see while it runs,
 * else its overlay and volumes, mounted for the time of the command in a
 * mount namespace of its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/syscalls.h"

#define OVERLAYFS_MAGIC 0x794c7630

/* The root of the running init `pid` of container `id`, opened through
 * /proc/<pid>, a handle on that very process: the status is read again
 * once we hold it, so a pid reused by a host process is never entered. */
static int open_live_root(const struct engine *eng, const char *id, json_int_t pid, err_t *e) {
  char path[32];
  snprintf(path, sizeof path, "/proc/%lld", (long long)pid);
  _cleanup_close_ int proc = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  json_int_t again = 0;
  const char *status = proc >= 0 ? engine_status(eng, id, &again) : "exited";
  if (proc < 0 || !engine_status_live(status) || again != pid)
    return err_set(e, ESRCH, "container %.12s stopped meanwhile: try again", id);
  int fd = openat(proc, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? err_sys(e, "container %.12s: open its root", id) : fd;
}

static bool is_overlay(const char *dir) {
  struct statfs fs;
  return statfs(dir, &fs) == 0 && fs.f_type == OVERLAYFS_MAGIC;
}

/* The container's volumes and binds over its root, as its processes will
 * see them; read-only ones stay read-only. Destinations are resolved in
 * the root (a symlink in the image cannot send a mount elsewhere); one the
 * image lacks is left for the runtime to make at start. */
static int mount_volumes(const struct container_record *r, int root, err_t *e) {
  size_t i;
  json_t *m;
  json_array_foreach(r->mounts, i, m) {
    const char *type = json_string_value(json_object_get(m, "Type"));
    const char *src = json_string_value(json_object_get(m, "Source"));
    const char *dst = json_string_value(json_object_get(m, "Destination"));
    if (!type || !src || !dst || (strcmp(type, "volume") && strcmp(type, "bind")))
      continue;
    _cleanup_close_ int at = sys_openat2(root, dst, O_PATH | O_CLOEXEC, 0,
                                         RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (at < 0 && errno == ENOENT)
      continue;
    char target[64];
    snprintf(target, sizeof target, "/proc/self/fd/%d", at);
    if (at < 0 || mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
      return err_sys(e, "container %s: mount %s at %s", r->name, src, dst);
    if (!json_is_false(json_object_get(m, "RW")))
      continue;
    /* Opened again: the fd above is the directory under the new mount. */
    _cleanup_close_ int top = sys_openat2(root, dst, O_PATH | O_CLOEXEC, 0,
                                          RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    snprintf(target, sizeof target, "/proc/self/fd/%d", top);
    if (top < 0 || mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
      return err_sys(e, "container %s: %s read-only", r->name, dst);
  }
  return 0;
}

/* A stopped container's root, mounted in a mount namespace of our own
 * (the calling process moves into it): its overlay and its volumes, seen by
 * this command alone, gone with it however it ends. Under the container's
 * lock, so that no start mounts its overlay meanwhile. */
static int mount_stopped(const struct engine *eng, const struct container_record *r, bool live,
                         struct container_root *out, err_t *e) {
  if ((out->lock = container_dir_lock(eng, r->id, e)) < 0)
    return -1;
  json_int_t pid;
  if (engine_status_live(engine_status(eng, r->id, &pid)))
    return err_set(e, EBUSY, "container %s started meanwhile: try again", r->name);
  _cleanup_free_ char *merged = container_path(eng, r->id, "merged");
  _cleanup_free_ char *upper = container_path(eng, r->id, "upper");
  _cleanup_free_ char *work = container_path(eng, r->id, "work");
  if (!merged || !upper || !work)
    return err_sys(e, "container %s", r->name);
  bool ours = !is_overlay(merged); /* else a created container's, mounted by its start */
  if (ours) {
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
      return err_sys(e, "a mount namespace for container %s", r->name);
    struct image_info img = {0};
    _cleanup_strv_ char **layers = NULL;
    int rc = image_store_open(eng->root, 0, &out->store, e) < 0 ||
                     image_store_resolve(out->store, r->image_manifest, &img, e) < 0 ||
                     image_store_layer_dirs(out->store, &img, &layers, e) < 0 ||
                     overlay_mount(merged, layers, upper, work, e) < 0
                 ? -1
                 : 0;
    image_info_free(&img);
    if (rc < 0)
      return -1;
  }
  if ((out->fd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return err_sys(e, "open %s", merged);
  return ours && live ? mount_volumes(r, out->fd, e) : 0;
}

int container_root_open(const struct engine *eng, const struct container_record *r, bool live,
                        struct container_root *out, err_t *e) {
  *out = (struct container_root){.fd = -1, .lock = -1};
  json_int_t pid;
  const char *status = engine_status(eng, r->id, &pid);
  int rc;
  if (engine_status_live(status) && pid > 0 && strcmp(status, "created")) {
    if (live) {
      rc = (out->fd = open_live_root(eng, r->id, pid, e)) < 0 ? -1 : 0;
    } else {
      /* A running container's overlay stays mounted while it runs. */
      _cleanup_free_ char *merged = container_path(eng, r->id, "merged");
      out->fd = merged ? open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
      rc = out->fd < 0 || !is_overlay(merged) ? err_set(e, EIO, "container %s: its root is not "
                                                                "mounted", r->name)
                                              : 0;
    }
  } else {
    rc = mount_stopped(eng, r, live, out, e);
  }
  if (rc < 0)
    container_root_close(out);
  return rc;
}

void container_root_close(struct container_root *cr) {
  if (cr->fd >= 0)
    close(cr->fd);
  if (cr->store)
    image_store_close(cr->store);
  if (cr->lock >= 0)
    close(cr->lock);
  *cr = (struct container_root){.fd = -1, .lock = -1};
}
