/* `checkpoint`: dump a running container with CRIU, as runc does.
 *
 * What CRIU cannot see from inside is described to it: bind mounts of host
 * paths are external (restore binds their sources again), a joined network
 * namespace is external (restore gets a fd on it), the terminal's master is
 * the caller's. The container's stdio targets go to descriptors.json beside
 * the images, so that restore can hand new pipes in place of the old ones.
 * Without --leave-running the processes end with the dump and the
 * container is deleted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

/* Where /proc/PID/fd/0..2 point: "pipe:[123]", "/dev/null", ... */
static int save_descriptors(struct criu_req_build *b, pid_t pid, err_t *e) {
  _cleanup_json_ json_t *arr = json_array();
  if (!arr)
    return err_set(e, ENOMEM, DESCRIPTORS_FILE);
  for (int fd = 0; fd < 3; fd++) {
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    if (json_array_append_new(arr, json_string(target)) < 0)
      return err_set(e, ENOMEM, DESCRIPTORS_FILE);
  }
  _cleanup_free_ char *text = json_dump_checked(arr, JSON_COMPACT);
  if (!text)
    return err_set(e, ENOMEM, DESCRIPTORS_FILE);
  return atomic_write_at(b->images_fd, DESCRIPTORS_FILE, text, strlen(text), 0600, e);
}

/* The group CRIU freezes before it seizes the tasks (the freezer's v1
 * directory, else the v2 one): nothing forks away meanwhile, and a paused
 * container can be dumped. */
static const char *freezer_dir(const struct cgroup *cg) {
  for (size_t i = 0; i < cg->n_hierarchies; i++)
    if (!cg->hierarchies[i].v2 && strstr(cg->hierarchies[i].name, "freezer"))
      return cg->hierarchies[i].dir;
  for (size_t i = 0; i < cg->n_hierarchies; i++)
    if (cg->hierarchies[i].v2)
      return cg->hierarchies[i].dir;
  return NULL;
}

static int external_netns(struct criu_req_build *b, const struct oci_spec *s, err_t *e) {
  const char *path = s->namespaces[NS_NET].path;
  if (!s->namespaces[NS_NET].present || !path)
    return 0;
  struct stat st;
  if (stat(path, &st) < 0)
    return err_sys(e, "network namespace %s", path);
  char ext[64];
  /* runc's key: restore passes the namespace under the same name. */
  snprintf(ext, sizeof ext, "net[%llu]:extRootNetNS", (unsigned long long)st.st_ino);
  char *v = req_build_str(b, ext);
  if (!v)
    return err_sys(e, "criu request");
  b->opts.n_external = 1;
  b->opts.external = &b->strings[b->n_strings - 1];
  return 0;
}

struct bound_cgroups {
  struct criu_req_build *b;
  json_t *list;
};

static int add_bound_cgroup(const char *mount_point, const char *controllers, void *arg,
                            err_t *e) {
  struct bound_cgroups *bc = arg;
  if (json_array_append_new(bc->list, json_pack("{s:s, s:s}", "mount", mount_point,
                                                "controllers", controllers)) < 0)
    return err_set(e, ENOMEM, CGROUP_MOUNTS_FILE);
  return req_build_ext_mount(bc->b, mount_point, mount_point, e);
}

/* Without a cgroup namespace the container's cgroup mounts are binds of its
 * host groups, which CRIU cannot dump: external, and listed with their
 * hierarchy so that restore binds the new container's groups there. */
static int bound_cgroups(struct criu_req_build *b, pid_t pid, err_t *e) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)pid);
  _cleanup_free_ char *info = read_file_at(AT_FDCWD, path, 1 << 20, NULL, e);
  _cleanup_json_ json_t *list = json_array();
  if (!info || !list)
    return !info ? -1 : err_set(e, ENOMEM, CGROUP_MOUNTS_FILE);
  struct bound_cgroups bc = {b, list};
  if (cgroup_bound_mounts(info, add_bound_cgroup, &bc, e) < 0)
    return -1;
  _cleanup_free_ char *text = json_dump_checked(list, JSON_COMPACT);
  if (!text)
    return err_set(e, ENOMEM, CGROUP_MOUNTS_FILE);
  return atomic_write_at(b->images_fd, CGROUP_MOUNTS_FILE, text, strlen(text), 0600, e);
}

static int build(struct criu_req_build *b, struct container *c, const struct checkpoint_opts *o,
                 err_t *e) {
  const struct oci_spec *s = c->spec;
  CriuOpts *p = &b->opts;
  p->has_pid = true;
  p->pid = c->pid;
  if (!(p->root = req_build_str(b, c->state.rootfs)) ||
      !(p->log_file = req_build_str(b, o->pre_dump ? "predump.log" : "dump.log")))
    return err_sys(e, "criu request");
  p->has_leave_running = true;
  p->leave_running = o->leave_running || o->pre_dump;
  const char *freezer = freezer_dir(c->cgroup);
  if (freezer && !(p->freeze_cgroup = req_build_str(b, freezer)))
    return err_sys(e, "criu request");
  if (s->process.terminal) {
    p->has_orphan_pts_master = true;
    p->orphan_pts_master = true;
  }
  if (o->parent_path) {
    if (!(p->parent_img = req_build_str(b, o->parent_path)))
      return err_sys(e, "criu request");
    p->has_track_mem = true;
    p->track_mem = true;
  }
  if (o->pre_dump) {
    p->has_track_mem = true;
    p->track_mem = true;
  }
  if (req_build_bind_mounts(b, s, false, e) < 0 || external_netns(b, s, e) < 0 ||
      bound_cgroups(b, c->pid, e) < 0)
    return -1;
  return o->pre_dump ? 0 : save_descriptors(b, c->pid, e);
}

int checkpoint_container(const struct runtime_ctx *rt, const char *id,
                         const struct checkpoint_opts *o, err_t *e) {
  struct criu_host host;
  if (criu_opts_check(&o->c, e) < 0 || criu_host_find(&host, e) < 0)
    return -1;
  struct container *c;
  if (container_open(rt, id, true, &c, e) < 0)
    return -1;
  enum container_status st = state_status(c->dirfd, &c->state);
  if (st != STATUS_RUNNING && st != STATUS_PAUSED) {
    err_set(e, EINVAL, "container \"%s\" is %s: only a running or paused container can be "
                       "checkpointed", id, container_status_name(st));
    container_release(c);
    return -1;
  }
  struct criu_req_build b;
  int r = req_build_init(&b, o->pre_dump ? CRIU_REQ_TYPE__PRE_DUMP : CRIU_REQ_TYPE__DUMP, &o->c,
                         true, c->spec->n_mounts + c->cgroup->n_hierarchies + 4, e);
  if (r == 0)
    r = build(&b, c, o, e);
  CriuResp *resp = NULL;
  if (r == 0) {
    struct criu_call call = {.host = &host, .req = &b.req, .work_dirfd = b.work_fd,
                             .log_name = b.opts.log_file};
    r = criu_call(&call, &resp, e);
  }
  req_build_free(&b);
  if (resp)
    criu_resp__free_unpacked(resp, NULL);
  if (r < 0) {
    container_release(c);
    return err_wrap(e, "checkpoint \"%s\"", id);
  }
  if (o->leave_running || o->pre_dump) {
    container_release(c);
    return 0;
  }
  /* CRIU killed the processes: the container is over, as after runc's. */
  c->pid = 0;
  return container_destroy(c, e);
}
