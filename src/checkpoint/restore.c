/* `restore`: a container from a bundle and CRIU's images, as runc does.
 *
 * The state directory, config and cgroup are made as by create (and undone
 * the same way on failure); then CRIU, started inside the container's cgroup
 * so that the restored tasks land there, rebuilds the namespaces, mounts and
 * process tree on the bundle's rootfs. CRIU runs in its own mount namespace,
 * where the rootfs is bound onto itself (CRIU pivots into a mount point), so
 * the host keeps no mount of it. With rst_sibling the restored init is our
 * child, as a created one is: a foreground restore waits for it, a detached
 * one leaves it to our parent's subreaper (conmon). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint/internal.h"
#include "runtime/console.h"
#include "runtime/rootfs_path.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/json.h"

struct restore_call {
  struct container *c;
  const struct restore_opts *o;
  const char *rootfs;
  pid_t pid;     /* the restored init, from "post-restore" */
  int netns_fd;  /* a joined network namespace, handed to CRIU */
  char *images_path;
  int images_slot; /* the fd number CRIU finds the images at */
};

/* In the swrk child, before exec: a private mount namespace with the rootfs
 * bound onto itself. */
static int swrk_setup(void *arg) {
  const struct restore_call *rc = arg;
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount(rc->rootfs, rc->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return -1;
  int dir = open(rc->images_path, O_RDONLY | O_DIRECTORY);
  return dir < 0 || dup2(dir, rc->images_slot) < 0 ? -1 : 0;
}

static int swrk_started(pid_t criu, void *arg, err_t *e) {
  struct restore_call *rc = arg;
  if (cgroup_attach(rc->c->cgroup, criu, e) < 0)
    return err_wrap(e, "put criu into the container's cgroup");
  return 0;
}

static int send_console(const char *path, int master, err_t *e) {
  _cleanup_close_ int sock = console_socket_connect(path, e);
  if (sock < 0)
    return -1;
  static const char name[] = "/dev/ptmx";
  if (send_with_fd(sock, name, sizeof name - 1, master) < 0)
    return err_sys(e, "--console-socket: send the terminal");
  return 0;
}

static int on_notify(const char *script, pid_t pid, int fd, void *arg, err_t *e) {
  struct restore_call *rc = arg;
  if (!strcmp(script, "orphan-pts-master")) {
    if (fd < 0)
      return err_set(e, EPROTO, "criu sent no terminal with orphan-pts-master");
    int r = send_console(rc->o->console_socket, fd, e);
    close(fd);
    return r;
  }
  if (fd >= 0)
    close(fd);
  if (!strcmp(script, "post-restore") && pid > 0)
    rc->pid = pid;
  return 0;
}

/* descriptors.json: each of the init's stdio that was a pipe becomes ours. */
static int inherit_stdio(struct criu_req_build *b, err_t *e) {
  err_t missing = ERR_INIT;
  _cleanup_free_ char *text =
      read_file_at(b->images_fd, DESCRIPTORS_FILE, 64 * 1024, NULL, &missing);
  if (!text)
    return 0; /* images of a bare `criu dump`: CRIU restores what it has */
  _cleanup_json_ json_t *arr = json_loads(text, 0, NULL);
  if (!json_is_array(arr) || json_array_size(arr) > 3)
    return err_set(e, EINVAL, "%s: not an array of at most three paths", DESCRIPTORS_FILE);
  for (size_t i = 0; i < json_array_size(arr); i++) {
    const char *t = json_string_value(json_array_get(arr, i));
    if (t && !strncmp(t, "pipe:[", 6) && req_build_inherit(b, t, (int)i, e) < 0)
      return -1;
  }
  return 0;
}

/* Restored tasks go into the container's groups, each hierarchy's own
 * (a relative cgroupsPath lies below the caller's group, which differs
 * between hierarchies). */
static int cgroup_roots(struct criu_req_build *b, const struct cgroup *cg, err_t *e) {
  for (size_t i = 0; i < cg->n_hierarchies; i++) {
    const struct cgroup_hierarchy *h = &cg->hierarchies[i];
    const char *ctrl = h->v2 ? NULL : h->name;
    size_t root = strlen(h->mount);
    if ((ctrl && !strncmp(ctrl, "name=", 5)) || strncmp(h->dir, h->mount, root))
      continue;
    if (req_build_cg_root(b, ctrl, h->dir[root] ? h->dir + root : "/", e) < 0)
      return -1;
  }
  return 0;
}

/* The cgroup mounts the dump found bound from the host: now the new
 * container's groups of the same hierarchies. */
static int bound_cgroups(struct criu_req_build *b, const struct cgroup *cg, err_t *e) {
  err_t missing = ERR_INIT;
  _cleanup_free_ char *text = read_file_at(b->images_fd, CGROUP_MOUNTS_FILE, 64 * 1024, NULL,
                                           &missing);
  if (!text)
    return 0;
  _cleanup_json_ json_t *list = json_loads(text, 0, NULL);
  if (!json_is_array(list))
    return err_set(e, EINVAL, "%s: not an array", CGROUP_MOUNTS_FILE);
  size_t i;
  json_t *m;
  json_array_foreach(list, i, m) {
    const char *at = json_string_value(json_object_get(m, "mount"));
    const char *ctl = json_string_value(json_object_get(m, "controllers"));
    if (!at || !ctl || at[0] != '/')
      return err_set(e, EINVAL, "%s[%zu]: needs an absolute \"mount\" and \"controllers\"",
                     CGROUP_MOUNTS_FILE, i);
    const struct cgroup_hierarchy *h = cgroup_hierarchy_named(cg, ctl);
    if (!h)
      return err_set(e, ENOENT, "the checkpoint has a cgroup mount of hierarchy \"%s\", "
                                "which this host does not have", *ctl ? ctl : "cgroup2");
    if (req_build_ext_mount(b, at, h->dir, e) < 0)
      return -1;
  }
  return 0;
}

static int joined_netns(struct criu_req_build *b, struct restore_call *rc, err_t *e) {
  const struct oci_spec *s = rc->c->spec;
  if (!s->namespaces[NS_NET].present || !s->namespaces[NS_NET].path)
    return 0;
  rc->netns_fd = open(s->namespaces[NS_NET].path, O_RDONLY | O_CLOEXEC);
  if (rc->netns_fd < 0)
    return err_sys(e, "network namespace %s", s->namespaces[NS_NET].path);
  return req_build_inherit(b, "extRootNetNS", rc->netns_fd, e);
}

static int build(struct criu_req_build *b, struct restore_call *rc, err_t *e) {
  CriuOpts *p = &b->opts;
  if (!(p->root = req_build_str(b, rc->rootfs)) || !(p->log_file = req_build_str(b, "restore.log")))
    return err_sys(e, "criu request");
  /* CRIU opens the fds we name through /proc/OUR_PID/fd, which lie in our
   * mount namespace, not its own: it could not mount in a work directory
   * reached that way. So the swrk child opens the images itself, at a
   * number we reserve, and CRIU works (logs) there; by plain path CRIU 4.1
   * fails (it readlink()s the path). */
  if (!(rc->images_path = realpath(rc->o->c.image_path, NULL)))
    return err_sys(e, "--image-path %s", rc->o->c.image_path);
  if ((rc->images_slot = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
    return err_sys(e, "/dev/null");
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/self/fd/%d", rc->images_slot);
  if (!(p->images_dir = req_build_str(b, dir)))
    return err_sys(e, "criu request");
  p->images_dir_fd = -1;
  p->has_work_dir_fd = false;
  p->has_rst_sibling = true;
  p->rst_sibling = true;
  if (rc->c->spec->process.terminal) {
    if (!rc->o->console_socket)
      return err_set(e, EINVAL, "the container has a terminal: restore needs --console-socket");
    p->has_orphan_pts_master = true;
    p->orphan_pts_master = true;
  }
  return req_build_bind_mounts(b, rc->c->spec, true, e) < 0 || inherit_stdio(b, e) < 0 ||
                 cgroup_roots(b, rc->c->cgroup, e) < 0 || bound_cgroups(b, rc->c->cgroup, e) < 0 ||
                 joined_netns(b, rc, e) < 0
             ? -1
             : 0;
}

/* The bind mounts' targets, which a rootfs made afresh (podman's restore
 * --import) lacks: CRIU mounts on existing paths only. Made inside the root
 * as create makes them (no symlink leads out). */
static int make_bind_targets(const struct oci_spec *s, err_t *e) {
  _cleanup_close_ int rootfd = open(s->root_path_abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return err_sys(e, "root.path %s", s->root_path_abs);
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct oci_mount *m = &s->mounts[i];
    if (!m->bind || !m->source)
      continue;
    struct stat st;
    char src[4096];
    fmt_cut(src, sizeof src, "%s%s%s", m->source[0] == '/' ? "" : s->bundle,
            m->source[0] == '/' ? "" : "/", m->source);
    if (stat(src, &st) < 0)
      return err_sys(e, "mount source %s", src);
    int fd = rootfs_open_target(rootfd, m->destination, S_ISDIR(st.st_mode) ? TARGET_DIR : TARGET_FILE, e);
    if (fd < 0)
      return err_wrap(e, "mount %s", m->destination);
    close(fd);
  }
  return 0;
}

static int run_criu(struct restore_call *rc, const struct criu_host *host, err_t *e) {
  struct criu_req_build b;
  size_t cap = rc->c->spec->n_mounts + 2 * rc->c->cgroup->n_hierarchies + 8;
  int r = req_build_init(&b, CRIU_REQ_TYPE__RESTORE, &rc->o->c, false, cap, e);
  if (r == 0)
    r = build(&b, rc, e);
  int keep[8];
  size_t n_keep = 0;
  for (size_t i = 0; r == 0 && i < b.n_inherit && n_keep < 8; i++)
    keep[n_keep++] = b.inherit[i].fd;
  CriuResp *resp = NULL;
  if (r == 0) {
    struct criu_call call = {.host = host, .req = &b.req, .notify = on_notify, .arg = rc,
                             .setup = swrk_setup, .keep_fds = keep, .n_keep = n_keep,
                             .started = swrk_started, .work_dirfd = b.images_fd,
                             .log_name = "restore.log"};
    r = criu_call(&call, &resp, e);
  }
  if (r == 0 && resp->restore)
    rc->pid = resp->restore->pid;
  if (resp)
    criu_resp__free_unpacked(resp, NULL);
  req_build_free(&b);
  if (r == 0 && rc->pid <= 0)
    r = err_set(e, EPROTO, "criu restored no process");
  return r;
}

int restore_container(const struct runtime_ctx *rt, const char *id, const struct restore_opts *o,
                      int *status, err_t *e) {
  struct criu_host host;
  if (criu_opts_check(&o->c, e) < 0 || criu_host_find(&host, e) < 0)
    return -1;
  struct create_opts co = {.bundle = o->bundle, .pid_file = o->pid_file,
                           .console_socket = o->console_socket, .no_pivot = o->no_pivot};
  struct container *c;
  if (container_new(rt, id, &co, &c, e) < 0)
    return -1;
  struct restore_call rc = {.c = c, .o = o, .rootfs = c->spec->root_path_abs, .netns_fd = -1,
                          .images_slot = -1};
  int r = make_bind_targets(c->spec, e) < 0 || container_make_cgroup(c, e) < 0 ||
                  container_limit_devices(c, e) < 0 || container_limit_cgroup(c, e) < 0
              ? -1
              : run_criu(&rc, &host, e);
  if (rc.netns_fd >= 0)
    close(rc.netns_fd);
  if (rc.images_slot >= 0)
    close(rc.images_slot);
  free(rc.images_path);
  c->pid = rc.pid;
  if (r == 0)
    r = container_record_init(c, &co, e);
  if (r < 0) {
    container_abort(c);
    return err_wrap(e, "restore \"%s\"", id);
  }
  container_run_hooks_warn(c, HOOK_POSTSTART, STATUS_RUNNING);
  if (o->detach) {
    container_release(c);
    return 0;
  }
  flock(c->dirfd, LOCK_UN);
  return container_wait_and_delete(c, status, e);
}
