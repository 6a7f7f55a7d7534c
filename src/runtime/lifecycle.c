/* The commands on an existing container: start, state, kill, delete,
 * pause, resume, ps, update, list. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/runtime.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/proc.h"
#include "util/syscalls.h"

static void cleanup_containerp(struct container **c) {
  container_release(*c);
}
#define _cleanup_container_ __attribute__((cleanup(cleanup_containerp)))

static int refuse_status(const char *id, const char *what, enum container_status st, err_t *e) {
  return err_set(e, EINVAL, "cannot %s container \"%s\": it is %s", what, id,
                 container_status_name(st));
}

/* Tell the waiting init to go: connect to start.sock; EOF then means its
 * execve() succeeded, a message carries the error that stopped it. */
static int signal_start(struct container *c, err_t *e) {
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_sys(e, "start");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/start.sock", c->dirfd);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return err_sys(e, "start container \"%s\": its init is not waiting", c->id);
  /* From now on the container counts as running. */
  unlinkat(c->dirfd, "start.sock", 0);
  struct sync_msg m;
  int r = sync_recv(fd, &m, e);
  if (r < 0)
    return -1;
  if (r > 0 && m.type == SYNC_ERROR) {
    *e = m.err;
    return err_wrap(e, "start container \"%s\"", c->id);
  }
  return 0;
}

int runtime_start(const struct runtime_ctx *rt, const char *id, err_t *e) {
  _cleanup_container_ struct container *c = NULL;
  if (container_open(rt, id, true, &c, e) < 0)
    return -1;
  enum container_status st = state_status(c->dirfd, &c->state);
  if (st != STATUS_CREATED)
    return refuse_status(id, "start", st, e);
  if (signal_start(c, e) < 0)
    return -1;
  container_run_hooks_warn(c, HOOK_POSTSTART, STATUS_RUNNING);
  return 0;
}

int runtime_state(const struct runtime_ctx *rt, const char *id, json_t **out, err_t *e) {
  _cleanup_container_ struct container *c = NULL;
  if (container_open(rt, id, false, &c, e) < 0)
    return -1;
  *out = state_to_oci_json(&c->state, state_status(c->dirfd, &c->state));
  return *out ? 0 : err_set(e, ENOMEM, "state");
}

/* Signal the init by pidfd, so a recycled pid can never be hit. */
static int signal_init(struct container *c, int sig, err_t *e) {
  _cleanup_close_ int pidfd = sys_pidfd_open(c->state.pid, 0);
  if (pidfd < 0 || !proc_alive(c->state.pid, c->state.pid_start_time))
    return err_set(e, ESRCH, "container \"%s\" is not running", c->id);
  if (sys_pidfd_send_signal(pidfd, sig) < 0)
    return err_sys(e, "signal container \"%s\"", c->id);
  return 0;
}

int runtime_kill(const struct runtime_ctx *rt, const char *id, int sig, bool all, err_t *e) {
  _cleanup_container_ struct container *c = NULL;
  if (container_open(rt, id, false, &c, e) < 0)
    return -1;
  enum container_status st = state_status(c->dirfd, &c->state);
  if (all) {
    if (!c->cgroup)
      return err_set(e, EINVAL, "kill --all: container \"%s\" has no cgroup", id);
    return cgroup_signal_all(c->cgroup, sig, e);
  }
  if (st == STATUS_STOPPED)
    return err_set(e, ESRCH, "container \"%s\" is not running", id);
  return signal_init(c, sig, e);
}

/* After SIGKILL the init may take a moment to become a zombie. Returns
 * whether it has, within `ms`. */
static bool wait_stopped(struct container *c, int ms) {
  for (int i = 0; i < ms / 2; i++) {
    if (!proc_alive(c->state.pid, c->state.pid_start_time))
      return true;
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return !proc_alive(c->state.pid, c->state.pid_start_time);
}

/* SIGKILL the init and wait for it. A frozen task takes no signal, and
 * the init may be frozen in a freezer group that is not the container's
 * (someone moved it there; its state reads "running"): moving it back
 * into the container's own groups, which are not frozen, thaws it, and
 * only it (thawing that other group would wake its other tasks too). */
static void kill_init(struct container *c) {
  err_t gone = ERR_INIT; /* it may have died since we looked */
  signal_init(c, SIGKILL, &gone);
  if (wait_stopped(c, 100) || !c->cgroup)
    return;
  err_t ignored = ERR_INIT;
  if (proc_alive(c->state.pid, c->state.pid_start_time))
    cgroup_attach(c->cgroup, c->state.pid, &ignored);
  wait_stopped(c, 1000);
}

/* A container without a readable state (a create that crashed before
 * saving it, a damaged file): its config was saved first, so the cgroup
 * it may have made, and every process in it, can be found and removed. */
static int delete_stateless(const struct runtime_ctx *rt, const char *id, err_t *e) {
  _cleanup_close_ int dirfd = state_dir_open(rt->root, id, e);
  if (dirfd < 0)
    return e->code == ENOENT ? 0 : -1;
  err_t ignored = ERR_INIT;
  _cleanup_free_ char *text = read_file_at(dirfd, "config.json", JSON_DOC_MAX_BYTES, NULL, &ignored);
  _cleanup_json_ json_t *doc =
      text ? json_load_object_buf(text, strlen(text), "config.json", &ignored) : NULL;
  json_t *lx = doc ? json_object_get(doc, "linux") : NULL;
  const char *path = json_string_value(json_object_get(lx, "cgroupsPath"));
  struct cgroup *cg = NULL;
  if (doc && cgroup_resolve(path, id, &cg, &ignored) == 0) {
    cgroup_signal_all(cg, SIGKILL, &ignored);
    cgroup_destroy(cg, &ignored);
    cgroup_free(cg);
  }
  return state_dir_remove(rt->root, id, e);
}

int runtime_delete(const struct runtime_ctx *rt, const char *id, bool force, err_t *e) {
  struct container *c = NULL;
  if (container_open(rt, id, true, &c, e) < 0) {
    if (!force)
      return -1;
    /* --force: what does not exist is deleted already (runc agrees, and
     * podman relies on it after a failed create). */
    if (e->code == ENOENT)
      return 0;
    /* Not an id ("../x"): it names nothing under the root, and nothing
     * outside it may be deleted for it (container_open said why). */
    err_t bad_id = ERR_INIT;
    if (runtime_check_id(id, &bad_id) < 0)
      return -1;
    /* No state, or one we cannot read: the container is found through its
     * config, so that nothing of it outlives this. */
    *e = (err_t)ERR_INIT;
    return delete_stateless(rt, id, e);
  }
  enum container_status st = state_status(c->dirfd, &c->state);
  if (st != STATUS_STOPPED && st != STATUS_CREATED && !force) {
    err_t tmp = ERR_INIT;
    refuse_status(id, "delete", st, &tmp);
    container_release(c);
    *e = tmp;
    return err_wrap(e, "use --force");
  }
  if (st != STATUS_STOPPED) {
    if (st == STATUS_PAUSED) {
      err_t ignored = ERR_INIT;
      cgroup_freeze(c->cgroup, false, &ignored);
    }
    kill_init(c);
  }
  c->pid = 0; /* not our child: whoever made it reaps it */
  return container_destroy(c, e);
}

static int set_frozen(const struct runtime_ctx *rt, const char *id, bool frozen, err_t *e) {
  _cleanup_container_ struct container *c = NULL;
  if (container_open(rt, id, false, &c, e) < 0)
    return -1;
  enum container_status st = state_status(c->dirfd, &c->state);
  if (frozen && st != STATUS_RUNNING)
    return refuse_status(id, "pause", st, e);
  if (!frozen && st != STATUS_PAUSED)
    return err_set(e, EINVAL, "cannot resume container \"%s\": it is not paused", id);
  return cgroup_freeze(c->cgroup, frozen, e);
}

int runtime_pause(const struct runtime_ctx *rt, const char *id, err_t *e) {
  return set_frozen(rt, id, true, e);
}

int runtime_resume(const struct runtime_ctx *rt, const char *id, err_t *e) {
  return set_frozen(rt, id, false, e);
}

int runtime_ps(const struct runtime_ctx *rt, const char *id, pid_t **pids, size_t *n, err_t *e) {
  _cleanup_container_ struct container *c = NULL;
  if (container_open(rt, id, false, &c, e) < 0)
    return -1;
  if (!c->cgroup) {
    *pids = NULL;
    *n = 0;
    return 0;
  }
  return cgroup_pids(c->cgroup, pids, n, e);
}

int runtime_update(const struct runtime_ctx *rt, const char *id,
                   const struct cgroup_resources *res, err_t *e) {
  _cleanup_container_ struct container *c = NULL;
  if (container_open(rt, id, false, &c, e) < 0)
    return -1;
  enum container_status st = state_status(c->dirfd, &c->state);
  if (st == STATUS_STOPPED)
    return refuse_status(id, "update", st, e);
  return cgroup_apply(c->cgroup, res, e);
}

static int compare_ids(const void *a, const void *b) {
  return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "id")),
                json_string_value(json_object_get(*(json_t *const *)b, "id")));
}

int runtime_list(const struct runtime_ctx *rt, json_t **out, err_t *e) {
  _cleanup_json_ json_t *arr = json_array();
  if (!arr)
    return err_set(e, ENOMEM, "list");
  _cleanup_closedir_ DIR *d = opendir(rt->root);
  if (!d && errno != ENOENT)
    return err_sys(e, "list %s", rt->root);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    json_t *st = NULL;
    err_t skip = ERR_INIT;
    /* A container being created or deleted right now is simply not listed. */
    if (runtime_state(rt, de->d_name, &st, &skip) == 0 && json_push(arr, st, NULL) < 0)
      return err_set(e, ENOMEM, "list");
  }
  size_t n = json_array_size(arr);
  if (n > 1) {
    json_t **items = calloc(n, sizeof *items);
    if (!items)
      return err_sys(e, "list");
    for (size_t i = 0; i < n; i++)
      items[i] = json_incref(json_array_get(arr, i));
    qsort(items, n, sizeof *items, compare_ids);
    json_array_clear(arr);
    bool failed = false;
    for (size_t i = 0; i < n; i++)
      json_push(arr, items[i], &failed);
    free(items);
    if (json_built(failed, "list", e) < 0)
      return -1;
  }
  *out = steal_ptr(&arr);
  return 0;
}
