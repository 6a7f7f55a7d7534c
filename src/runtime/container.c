#include "runtime/container.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/hooks.h"
#include "runtime/self_protect.h"
#include "runtime/sysctl.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/timefmt.h"
#include "util/log.h"
#include "util/proc.h"

int runtime_check_id(const char *id, err_t *e) {
  size_t n = strlen(id);
  if (n == 0 || n > 1024)
    return err_set(e, EINVAL, "invalid container id \"%.64s\": 1 to 1024 characters", id);
  for (size_t i = 0; i < n; i++) {
    char ch = id[i];
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
      return err_set(e, EINVAL,
                     "invalid container id \"%.64s\": must match [A-Za-z0-9][A-Za-z0-9_.-]*", id);
  }
  return 0;
}

static bool file_says_yes(const char *path) {
  char buf[8] = {0};
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read(fd, buf, sizeof buf - 1) > 0 && (buf[0] == 'Y' || buf[0] == '1');
}

/* Security labels: refused where the host enforces a module capsule cannot
 * drive, a documented warning where the host has none (docs/RUNTIME.md). */
static int check_security_labels(const struct oci_process *p, err_t *e) {
  if (p->apparmor_profile && *p->apparmor_profile) {
    if (file_says_yes("/sys/module/apparmor/parameters/enabled"))
      return err_set(e, ENOTSUP, "process.apparmorProfile: AppArmor is enabled on this host but "
                                 "capsule cannot apply profile \"%s\"",
                     p->apparmor_profile);
    log_warn("process.apparmorProfile: AppArmor is not enabled on this host; \"%s\" ignored",
             p->apparmor_profile);
  }
  if (p->selinux_label && *p->selinux_label) {
    if (access("/sys/fs/selinux/enforce", F_OK) == 0)
      return err_set(e, ENOTSUP, "process.selinuxLabel: SELinux is enabled on this host but "
                                 "capsule cannot apply label \"%s\"",
                     p->selinux_label);
    log_warn("process.selinuxLabel: SELinux is not enabled on this host; \"%s\" ignored",
             p->selinux_label);
  }
  return 0;
}

/* With --systemd-cgroup, cgroupsPath is "slice:prefix:name". Without systemd
 * there is nobody to ask for a scope. */
static int check_systemd(const struct runtime_ctx *rt, err_t *e) {
  if (!rt->systemd_cgroup)
    return 0;
  if (access("/run/systemd/system", F_OK) < 0)
    return err_set(e, ENOTSUP, "--systemd-cgroup: systemd is not running on this host "
                               "(no /run/systemd/system); use the default cgroupfs driver");
  return err_set(e, ENOTSUP, "--systemd-cgroup: the systemd cgroup driver is not supported "
                             "yet; use the default cgroupfs driver");
}

static int load_config(const struct create_opts *o, struct oci_spec **spec, err_t *e) {
  if (o->config)
    return oci_spec_parse(o->config, o->bundle, spec, e);
  return oci_spec_load(o->bundle, spec, e);
}

static int check_config(struct container *c, err_t *e) {
  const struct oci_spec *s = c->spec;
  if (!s->has_process)
    return err_set(e, EINVAL, "process: required to create a container");
  struct stat st;
  if (stat(s->root_path_abs, &st) < 0)
    return err_sys(e, "root.path: %s", s->root_path_abs);
  if (!S_ISDIR(st.st_mode))
    return err_set(e, ENOTDIR, "root.path: %s is not a directory", s->root_path_abs);
  if (check_security_labels(&s->process, e) < 0 || sysctl_check(s, e) < 0)
    return -1;
  /* Our init is this binary until its execve, and stays it if the
   * container's entrypoint is /proc/self/exe. */
  if (runtime_require_sealed("create", e) < 0)
    return -1;
  _cleanup_free_ char *cache = s->seccomp ? container_seccomp_cache(c->rt) : NULL;
  if (s->seccomp && seccomp_compile_cached(s->seccomp, cache, &c->seccomp, e) < 0)
    return -1;
  return 0;
}

char *container_seccomp_cache(const struct runtime_ctx *rt) {
  /* The root itself may not exist yet on a first start. */
  if (mkdir(rt->root, 0700) < 0 && errno != EEXIST)
    return NULL;
  return path_join(rt->root, ".seccomp");
}

static int init_state(struct container *c, err_t *e) {
  struct container_state *st = &c->state;
  if (!(st->id = strdup(c->id)) || !(st->bundle = strdup(c->spec->bundle)) ||
      !(st->rootfs = strdup(c->spec->root_path_abs)) || !(st->created = rfc3339_now()))
    return err_sys(e, "container state");
  st->owner = getuid();
  st->annotations = json_incref(c->spec->annotations);
  st->systemd_cgroup = c->rt->systemd_cgroup;
  if (cgroup_resolve(c->spec->cgroups_path, c->id, &st->cgroup, e) < 0)
    return err_wrap(e, "linux.cgroupsPath");
  c->cgroup = st->cgroup;
  _cleanup_free_ char *config = json_dump_checked(c->spec->doc, JSON_COMPACT);
  if (!config)
    return err_set(e, ENOMEM, "save config");
  return atomic_replace_at(c->dirfd, "config.json", config, strlen(config), 0600, e);
}

static struct container *container_alloc(const struct runtime_ctx *rt, const char *id) {
  struct container *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->rt = rt;
  c->id = id;
  c->dirfd = -1;
  c->sync_fd = -1;
  c->console_master = -1;
  return c;
}

int container_new(const struct runtime_ctx *rt, const char *id, const struct create_opts *o,
                  struct container **out, err_t *e) {
  if (runtime_check_id(id, e) < 0 || check_systemd(rt, e) < 0)
    return -1;
  struct container *c = container_alloc(rt, id);
  if (!c)
    return err_sys(e, "container");
  if (load_config(o, &c->spec, e) < 0 || check_config(c, e) < 0) {
    container_release(c);
    return -1;
  }
  if ((c->dirfd = state_dir_create(rt->root, id, e)) < 0) {
    container_release(c);
    return -1;
  }
  if (init_state(c, e) < 0) {
    container_abort(c);
    return -1;
  }
  *out = c;
  return 0;
}

int container_open(const struct runtime_ctx *rt, const char *id, bool with_spec,
                   struct container **out, err_t *e) {
  if (runtime_check_id(id, e) < 0)
    return -1;
  struct container *c = container_alloc(rt, id);
  if (!c)
    return err_sys(e, "container");
  if ((c->dirfd = state_dir_open(rt->root, id, e)) < 0 ||
      state_load(c->dirfd, id, &c->state, e) < 0) {
    container_release(c);
    return -1;
  }
  c->cgroup = c->state.cgroup;
  c->pid = c->state.pid;
  if (with_spec) {
    _cleanup_json_ json_t *doc = NULL;
    _cleanup_free_ char *text = read_file_at(c->dirfd, "config.json", JSON_DOC_MAX_BYTES, NULL, e);
    if (!text || !(doc = json_load_object_buf(text, strlen(text), "config.json", e)) ||
        oci_spec_parse(doc, c->state.bundle, &c->spec, e) < 0) {
      container_release(c);
      return err_wrap(e, "container \"%s\"", id);
    }
  }
  *out = c;
  return 0;
}

int container_open_unlocked(const struct runtime_ctx *rt, const char *id, bool with_spec,
                            struct container **out, enum container_status *status, err_t *e) {
  if (container_open(rt, id, with_spec, out, e) < 0)
    return -1;
  *status = state_status((*out)->dirfd, &(*out)->state);
  close((*out)->dirfd);
  (*out)->dirfd = -1;
  return 0;
}

/* The config's device rules, then an allow rule per configured device,
 * then the devices every container may use (the order runc applies). */
static const struct device_rule default_allowed[] = {
    {true, 'c', -1, -1, "m"},  {true, 'b', -1, -1, "m"},  {true, 'c', 1, 3, "rwm"},
    {true, 'c', 1, 5, "rwm"},  {true, 'c', 1, 7, "rwm"},  {true, 'c', 1, 8, "rwm"},
    {true, 'c', 1, 9, "rwm"},  {true, 'c', 5, 0, "rwm"},  {true, 'c', 5, 1, "rwm"},
    {true, 'c', 5, 2, "rwm"},  {true, 'c', 136, -1, "rwm"}, {true, 'c', 10, 200, "rwm"},
};

int container_limit_devices(struct container *c, err_t *e) {
  const struct oci_spec *s = c->spec;
  if (!s->has_resources || !s->resources.n_devices)
    return 0;
  size_t n_default = sizeof default_allowed / sizeof default_allowed[0];
  _cleanup_free_ struct device_rule *rules =
      calloc(s->resources.n_devices + s->n_devices + n_default, sizeof *rules);
  if (!rules)
    return err_sys(e, "device rules");
  size_t n = 0;
  for (size_t i = 0; i < s->resources.n_devices; i++)
    rules[n++] = s->resources.devices[i];
  for (size_t i = 0; i < s->n_devices; i++) {
    const struct oci_device *d = &s->devices[i];
    if (d->type == 'p')
      continue;
    rules[n++] = (struct device_rule){true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm"};
  }
  for (size_t i = 0; i < n_default; i++)
    rules[n++] = default_allowed[i];
  struct cgroup_resources res = s->resources;
  res.devices = rules;
  res.n_devices = n;
  if (cgroup_apply_devices(c->cgroup, &res, e) < 0)
    return err_wrap(e, "linux.resources");
  return 0;
}

int container_make_cgroup(struct container *c, err_t *e) {
  if (cgroup_create(c->cgroup, e) < 0)
    return err_wrap(e, "create cgroup");
  c->cgroup_made = true;
  return 0;
}

int container_limit_cgroup(struct container *c, err_t *e) {
  if (!c->spec->has_resources)
    return 0;
  struct cgroup_resources res = c->spec->resources;
  res.n_devices = 0; /* container_limit_devices wrote them */
  if (cgroup_apply(c->cgroup, &res, e) < 0)
    return err_wrap(e, "linux.resources");
  return 0;
}

int container_run_hooks(struct container *c, enum oci_hook_kind kind,
                        enum container_status status, err_t *e) {
  if (!c->spec || !c->spec->n_hooks[kind])
    return 0;
  c->state.pid = c->pid;
  _cleanup_json_ json_t *j = state_to_oci_json(&c->state, status);
  _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  if (!text)
    return err_set(e, ENOMEM, "hook state");
  return hooks_run(kind, c->spec->hooks[kind], c->spec->n_hooks[kind], text, NULL, e);
}

void container_run_hooks_warn(struct container *c, enum oci_hook_kind kind,
                              enum container_status status) {
  err_t e = ERR_INIT;
  if (container_run_hooks(c, kind, status, &e) < 0)
    log_warn("%s", e.msg);
}

static void kill_and_reap(struct container *c) {
  if (c->pid <= 0)
    return;
  kill(c->pid, SIGKILL);
  while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

int container_destroy(struct container *c, err_t *e) {
  int ret = 0;
  if (c->cgroup) {
    /* Without its own pid namespace, the init's death does not take the
     * other processes along: the cgroup knows them all. */
    bool own_pid_ns = c->spec && c->spec->namespaces[NS_PID].present &&
                      !c->spec->namespaces[NS_PID].path;
    err_t ignored = ERR_INIT;
    if (!own_pid_ns)
      cgroup_signal_all(c->cgroup, SIGKILL, &ignored);
    if (cgroup_destroy(c->cgroup, e) < 0) {
      /* The state is what finds the cgroup again: keep it for a retry. */
      err_wrap(e, "container \"%s\" (its state is kept: delete it again)", c->id);
      container_release(c);
      return -1;
    }
  }
  if (c->spec)
    container_run_hooks_warn(c, HOOK_POSTSTOP, STATUS_STOPPED);
  err_t rm = ERR_INIT;
  if (state_dir_remove(c->rt->root, c->id, &rm) < 0 && ret == 0) {
    *e = rm;
    ret = -1;
  }
  container_release(c);
  return ret;
}

void container_abort(struct container *c) {
  kill_and_reap(c);
  err_t ignored = ERR_INIT;
  if (c->cgroup_made)
    cgroup_destroy(c->cgroup, &ignored);
  if (c->dirfd >= 0)
    state_dir_remove(c->rt->root, c->id, &ignored);
  container_release(c);
}

void container_release(struct container *c) {
  if (!c)
    return;
  if (c->dirfd >= 0)
    close(c->dirfd);
  if (c->sync_fd >= 0)
    close(c->sync_fd);
  if (c->console_master >= 0)
    close(c->console_master);
  state_free(&c->state); /* frees the cgroup too */
  oci_spec_free(c->spec);
  seccomp_filter_free(c->seccomp);
  free(c);
}
