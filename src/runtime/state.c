#include "runtime/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/passwd.h"
#include "util/proc.h"

#define OCI_VERSION "1.1.0"

static const char *const status_names[] = {
    [STATUS_CREATING] = "creating", [STATUS_CREATED] = "created", [STATUS_RUNNING] = "running",
    [STATUS_PAUSED] = "paused",     [STATUS_STOPPED] = "stopped",
};

const char *container_status_name(enum container_status s) {
  return status_names[s];
}

static int lock_dir(int fd, const char *id, err_t *e) {
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return err_sys(e, "lock container \"%s\"", id);
  return 0;
}

int state_dir_create(const char *root, const char *id, err_t *e) {
  if (mkdir_p_at(AT_FDCWD, root, 0700, e) < 0)
    return err_wrap(e, "create state root");
  _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return err_sys(e, "open state root %s", root);
  if (mkdirat(rootfd, id, 0700) < 0) {
    if (errno == EEXIST)
      return err_set(e, EEXIST, "container \"%s\" already exists", id);
    return err_sys(e, "create state for \"%s\"", id);
  }
  int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    err_sys(e, "open state of \"%s\"", id);
    unlinkat(rootfd, id, AT_REMOVEDIR);
    return -1;
  }
  if (lock_dir(fd, id, e) < 0) {
    close(fd);
    unlinkat(rootfd, id, AT_REMOVEDIR);
    return -1;
  }
  return fd;
}

int state_dir_open(const char *root, const char *id, err_t *e) {
  _cleanup_free_ char *path = path_join(root, id);
  if (!path)
    return err_sys(e, "container \"%s\"", id);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return err_set(e, ENOENT, "container \"%s\" does not exist", id);
    return err_sys(e, "open state of \"%s\"", id);
  }
  if (lock_dir(fd, id, e) < 0)
    return -1;
  /* A concurrent delete may have removed the directory while we waited. */
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_nlink == 0)
    return err_set(e, ENOENT, "container \"%s\" does not exist", id);
  return steal_fd(&fd);
}

int state_dir_remove(const char *root, const char *id, err_t *e) {
  _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return errno == ENOENT ? 0 : err_sys(e, "open state root %s", root);
  /* The files we know of first, by name; anything else the slow way. */
  static const char *const files[] = {"state.json", "config.json", "start.sock"};
  _cleanup_close_ int dirfd = openat(rootfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  for (size_t i = 0; dirfd >= 0 && i < sizeof files / sizeof files[0]; i++)
    unlinkat(dirfd, files[i], 0);
  return remove_tree_at(rootfd, id, e);
}

int state_save(int dirfd, const struct container_state *st, err_t *e) {
  _cleanup_json_ json_t *j = json_pack(
      "{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:I, s:b}", "ociVersion", OCI_VERSION, "id", st->id,
      "pid", (json_int_t)st->pid, "pidStartTime", (json_int_t)st->pid_start_time, "bundle",
      st->bundle, "rootfs", st->rootfs, "created", st->created, "owner", (json_int_t)st->owner,
      "systemdCgroup", st->systemd_cgroup);
  bool failed = !j;
  if (st->annotations)
    json_set(j, "annotations", json_incref(st->annotations), &failed);
  /* Without its cgroup, a saved state could never be deleted. */
  if (st->cgroup)
    json_set(j, "cgroup", cgroup_to_json(st->cgroup), &failed);
  if (failed)
    return err_set(e, ENOMEM, "state of \"%s\": cannot encode", st->id);
  _cleanup_free_ char *text = json_dump_checked(j, JSON_COMPACT);
  if (!text)
    return err_set(e, ENOMEM, "state of \"%s\": cannot encode", st->id);
  size_t len = strlen(text);
  if (len > JSON_DOC_MAX_BYTES)
    return err_set(e, EFBIG, "state of \"%s\": %zu bytes, more than the %u that can be read back",
                   st->id, len, JSON_DOC_MAX_BYTES);
  return atomic_replace_at(dirfd, "state.json", text, len, 0600, e);
}

static int dup_str(json_t *j, const char *key, char **out, err_t *e) {
  const char *v = NULL;
  if (json_opt_str(j, key, "state", &v, e) < 0)
    return -1;
  if (!v)
    return err_set(e, EINVAL, "state.%s: missing", key);
  if (!(*out = strdup(v)))
    return err_sys(e, "state");
  return 0;
}

int state_load(int dirfd, const char *id, struct container_state *st, err_t *e) {
  memset(st, 0, sizeof *st);
  size_t len;
  _cleanup_free_ char *text = read_file_at(dirfd, "state.json", JSON_DOC_MAX_BYTES, &len, e);
  if (!text) {
    /* We hold the lock, so no create is running: one crashed before saving. */
    if (e->code == ENOENT)
      return err_set(e, ENODATA,
                     "container \"%s\" has no state (its create failed); delete --force removes it",
                     id);
    return err_wrap(e, "container \"%s\"", id);
  }
  _cleanup_json_ json_t *j = json_load_object_buf(text, len, "state.json", e);
  if (!j)
    return err_wrap(e, "container \"%s\"", id);
  int64_t pid = 0, start = 0, owner = 0;
  json_t *cg = NULL, *ann = NULL;
  if (dup_str(j, "id", &st->id, e) < 0 || dup_str(j, "bundle", &st->bundle, e) < 0 ||
      dup_str(j, "rootfs", &st->rootfs, e) < 0 || dup_str(j, "created", &st->created, e) < 0 ||
      json_opt_i64(j, "pid", "state", &pid, e) < 0 ||
      json_opt_i64(j, "pidStartTime", "state", &start, e) < 0 ||
      json_opt_i64(j, "owner", "state", &owner, e) < 0 ||
      json_opt_bool(j, "systemdCgroup", "state", &st->systemd_cgroup, e) < 0 ||
      json_opt_obj(j, "cgroup", "state", &cg, e) < 0 ||
      json_opt_obj(j, "annotations", "state", &ann, e) < 0)
    goto fail;
  st->pid = (pid_t)pid;
  st->pid_start_time = (unsigned long long)start;
  st->owner = (uid_t)owner;
  st->annotations = json_incref(ann);
  if (cg && cgroup_from_json(cg, &st->cgroup, e) < 0)
    goto fail;
  return 0;
fail:
  state_free(st);
  return err_wrap(e, "container \"%s\"", id);
}

void state_free(struct container_state *st) {
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  json_decref(st->annotations);
  cgroup_free(st->cgroup);
  memset(st, 0, sizeof *st);
}

enum container_status state_status(int dirfd, const struct container_state *st) {
  if (!proc_alive(st->pid, st->pid_start_time))
    return STATUS_STOPPED;
  if (faccessat(dirfd, "start.sock", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return STATUS_CREATED;
  if (st->cgroup) {
    err_t ignored = ERR_INIT;
    if (cgroup_is_frozen(st->cgroup, &ignored) == 1)
      return STATUS_PAUSED;
  }
  return STATUS_RUNNING;
}

static json_t *user_name(uid_t uid) {
  _cleanup_free_ char *name = passwd_lookup("/etc/passwd", uid, PASSWD_NAME);
  if (name)
    return json_string(name);
  char buf[16];
  snprintf(buf, sizeof buf, "%u", (unsigned)uid);
  return json_string(buf);
}

json_t *state_to_oci_json(const struct container_state *st, enum container_status status) {
  json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "ociVersion", OCI_VERSION, "id", st->id,
                        "status", container_status_name(status), "bundle", st->bundle);
  bool failed = !j;
  /* A stopped container's pid is 0, as runc prints it: the saved one may
   * name another process by now. */
  json_set(j, "pid", json_integer(status == STATUS_STOPPED ? 0 : st->pid), &failed);
  json_set(j, "rootfs", json_string(st->rootfs), &failed);
  json_set(j, "created", json_string(st->created), &failed);
  json_set(j, "owner", user_name(st->owner), &failed);
  json_set(j, "annotations", st->annotations ? json_incref(st->annotations) : json_object(),
           &failed);
  return json_done(j, failed);
}
