/* Building a criu_req: options both directions share, and the repeated
 * fields, whose elements live in arrays of the builder. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint/internal.h"
#include "util/fs.h"

static int open_dir(const char *path, bool make, const char *flag, err_t *e) {
  if (make && mkdir_p_at(AT_FDCWD, path, 0700, e) < 0)
    return err_wrap(e, "%s", flag);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "%s %s", flag, path);
  return fd;
}

static int cg_mode(const char *name, CriuCgMode *out, err_t *e) {
  static const struct {
    const char *name;
    CriuCgMode mode;
  } modes[] = {{"soft", CRIU_CG_MODE__SOFT},
               {"full", CRIU_CG_MODE__FULL},
               {"strict", CRIU_CG_MODE__STRICT},
               {"ignore", CRIU_CG_MODE__IGNORE}};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    if (!strcmp(name, modes[i].name)) {
      *out = modes[i].mode;
      return 0;
    }
  return err_set(e, EINVAL, "--manage-cgroups-mode: \"%s\" is not soft, full, strict or ignore",
                 name);
}

static int empty_ns_flag(const char *name, uint32_t *out, err_t *e) {
  /* runc accepts only the network namespace here. */
  if (strcmp(name, "network"))
    return err_set(e, EINVAL, "--empty-ns: \"%s\": only \"network\" may be left empty", name);
  *out = CLONE_NEWNET;
  return 0;
}

int criu_opts_check(const struct criu_opts_common *o, err_t *e) {
  CriuCgMode mode;
  uint32_t empty;
  if (!o->image_path)
    return err_set(e, EINVAL, "--image-path is required");
  return (o->manage_cgroups_mode && cg_mode(o->manage_cgroups_mode, &mode, e) < 0) ||
                 (o->empty_ns && empty_ns_flag(o->empty_ns, &empty, e) < 0)
             ? -1
             : 0;
}

int req_build_init(struct criu_req_build *b, CriuReqType type, const struct criu_opts_common *o,
                   bool make_dirs, size_t cap, err_t *e) {
  memset(b, 0, sizeof *b);
  b->images_fd = b->work_fd = -1;
  criu_req__init(&b->req);
  criu_opts__init(&b->opts);
  b->req.type = type;
  b->req.opts = &b->opts;
  b->cap = cap;
  if (!o->image_path)
    return err_set(e, EINVAL, "--image-path is required");
  CriuCgMode mode = CRIU_CG_MODE__SOFT;
  uint32_t empty = 0;
  if ((o->manage_cgroups_mode && cg_mode(o->manage_cgroups_mode, &mode, e) < 0) ||
      (o->empty_ns && empty_ns_flag(o->empty_ns, &empty, e) < 0))
    return -1;
  b->mnt = calloc(cap, sizeof *b->mnt);
  b->mnt_ptr = calloc(cap, sizeof *b->mnt_ptr);
  b->inherit = calloc(cap, sizeof *b->inherit);
  b->inherit_ptr = calloc(cap, sizeof *b->inherit_ptr);
  b->cg = calloc(cap, sizeof *b->cg);
  b->cg_ptr = calloc(cap, sizeof *b->cg_ptr);
  b->strings = calloc(cap * 4, sizeof *b->strings);
  if (!b->mnt || !b->mnt_ptr || !b->inherit || !b->inherit_ptr || !b->cg || !b->cg_ptr ||
      !b->strings)
    return err_sys(e, "criu request");
  if ((b->images_fd = open_dir(o->image_path, make_dirs, "--image-path", e)) < 0 ||
      (b->work_fd = open_dir(o->work_path ? o->work_path : o->image_path, make_dirs,
                             "--work-path", e)) < 0)
    return -1;
  CriuOpts *p = &b->opts;
  p->images_dir_fd = b->images_fd;
  p->has_work_dir_fd = true;
  p->work_dir_fd = b->work_fd;
  p->has_log_level = true;
  p->log_level = 4; /* runc's: the log says why when something fails */
  p->has_tcp_established = true;
  p->tcp_established = o->tcp_established;
  p->has_ext_unix_sk = true;
  p->ext_unix_sk = o->ext_unix_sk;
  p->has_shell_job = true;
  p->shell_job = o->shell_job;
  p->has_file_locks = true;
  p->file_locks = o->file_locks;
  p->has_manage_cgroups = true;
  p->manage_cgroups = true;
  p->has_manage_cgroups_mode = true;
  p->manage_cgroups_mode = mode;
  p->has_notify_scripts = true;
  p->notify_scripts = true;
  if (empty) {
    p->has_empty_ns = true;
    p->empty_ns = empty;
  }
  return 0;
}

void req_build_free(struct criu_req_build *b) {
  if (b->images_fd >= 0)
    close(b->images_fd);
  if (b->work_fd >= 0)
    close(b->work_fd);
  for (size_t i = 0; b->strings && i < b->n_strings; i++)
    free(b->strings[i]);
  free(b->strings);
  free(b->mnt);
  free(b->mnt_ptr);
  free(b->inherit);
  free(b->inherit_ptr);
  free(b->cg);
  free(b->cg_ptr);
}

char *req_build_str(struct criu_req_build *b, const char *s) {
  if (b->n_strings >= b->cap * 4)
    return NULL;
  char *copy = strdup(s);
  if (copy)
    b->strings[b->n_strings++] = copy;
  return copy;
}

static int full(const char *what, err_t *e) {
  return err_set(e, E2BIG, "criu request: too many %s", what);
}

int req_build_ext_mount(struct criu_req_build *b, const char *key, const char *val, err_t *e) {
  if (b->n_mnt >= b->cap)
    return full("external mounts", e);
  ExtMountMap *m = &b->mnt[b->n_mnt];
  ext_mount_map__init(m);
  if (!(m->key = req_build_str(b, key)) || !(m->val = req_build_str(b, val)))
    return err_sys(e, "criu request");
  b->mnt_ptr[b->n_mnt++] = m;
  b->opts.n_ext_mnt = b->n_mnt;
  b->opts.ext_mnt = b->mnt_ptr;
  return 0;
}

int req_build_inherit(struct criu_req_build *b, const char *key, int fd, err_t *e) {
  if (b->n_inherit >= b->cap)
    return full("inherited fds", e);
  InheritFd *f = &b->inherit[b->n_inherit];
  inherit_fd__init(f);
  if (!(f->key = req_build_str(b, key)))
    return err_sys(e, "criu request");
  f->fd = fd;
  b->inherit_ptr[b->n_inherit++] = f;
  b->opts.n_inherit_fd = b->n_inherit;
  b->opts.inherit_fd = b->inherit_ptr;
  return 0;
}

int req_build_cg_root(struct criu_req_build *b, const char *ctrl, const char *path, err_t *e) {
  if (b->n_cg >= b->cap)
    return full("cgroup roots", e);
  CgroupRoot *r = &b->cg[b->n_cg];
  cgroup_root__init(r);
  if ((ctrl && !(r->ctrl = req_build_str(b, ctrl))) || !(r->path = req_build_str(b, path)))
    return err_sys(e, "criu request");
  b->cg_ptr[b->n_cg++] = r;
  b->opts.n_cg_root = b->n_cg;
  b->opts.cg_root = b->cg_ptr;
  return 0;
}

int req_build_bind_mounts(struct criu_req_build *b, const struct oci_spec *s, bool restore,
                          err_t *e) {
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct oci_mount *m = &s->mounts[i];
    if (!m->bind || !m->source)
      continue;
    char dest[4096];
    fmt_cut(dest, sizeof dest, "%s%s", m->destination[0] == '/' ? "" : "/", m->destination);
    const char *val = dest;
    char src[4096];
    if (restore) {
      /* Relative sources are relative to the bundle, as at create. */
      fmt_cut(src, sizeof src, "%s%s%s", m->source[0] == '/' ? "" : s->bundle,
              m->source[0] == '/' ? "" : "/", m->source);
      val = src;
    }
    if (req_build_ext_mount(b, dest, val, e) < 0)
      return -1;
  }
  return 0;
}
