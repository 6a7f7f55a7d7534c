/* From an image to an OCI config: the image's Entrypoint, Cmd, Env,
 * WorkingDir and User, the command line's overrides (docker's rules), over
 * the runtime's default config and the engine's security profile; the
 * record's mounts (mounts.c) and the options of oci_options.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "oci/defaults.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* docker's rules: --entrypoint replaces the image's entrypoint and drops its
 * Cmd; a command given on the line replaces Cmd. */
json_t *engine_process_args(const struct run_opts *o, const struct image_config *ic, err_t *e) {
  json_t *args = json_array();
  char **entry = o->entrypoint ? o->entrypoint : ic->entrypoint;
  char **cmd = o->cmd ? o->cmd : (o->entrypoint ? NULL : ic->cmd);
  bool failed = !args;
  for (char **p = entry; p && *p; p++)
    json_push(args, json_string(*p), &failed);
  for (char **p = cmd; p && *p; p++)
    json_push(args, json_string(*p), &failed);
  if (json_built(failed, "process.args", e) < 0) {
    json_decref(args);
    return NULL;
  }
  if (json_array_size(args) == 0) {
    json_decref(args);
    err_set(e, EINVAL, "image %s has no command (no Entrypoint or Cmd): give one", o->image);
    return NULL;
  }
  return args;
}

static json_t *process_env(const struct run_opts *o, const struct image_config *ic,
                           const char *hostname, err_t *e) {
  json_t *env = json_array();
  bool failed = false;
  json_push(env, json_string(DEFAULT_PATH), &failed);
  for (char **p = ic->env; p && *p; p++)
    json_env_set(env, *p, &failed);
  char host[300];
  snprintf(host, sizeof host, "HOSTNAME=%s", hostname);
  json_env_set(env, host, &failed);
  if (o->tty)
    json_env_set(env, "TERM=xterm", &failed);
  for (char **p = o->env; p && *p; p++) {
    if (!strchr(*p, '=') || **p == '=') {
      json_decref(env);
      err_set(e, EINVAL, "-e %s: expected KEY=VALUE", *p);
      return NULL;
    }
    json_env_set(env, *p, &failed);
  }
  if (json_built(failed, "process.env", e) < 0) {
    json_decref(env);
    return NULL;
  }
  return env;
}

/* "user[:group]" (names or ids) looked up in the container's root; a user
 * alone takes its primary group. */
static json_t *process_user(const char *spec, const char *rootfs, err_t *e) {
  _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  unsigned long uid, gid;
  if (rootfd < 0) {
    err_sys(e, "open %s", rootfs);
    return NULL;
  }
  if (engine_user_lookup(rootfd, spec, &uid, &gid, e) < 0)
    return NULL;
  return json_pack("{s:I, s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid);
}

static json_t *resources(const struct run_opts *o) {
  json_t *r = json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm");
  bool failed = !r;
  if (o->memory > 0)
    json_set(r, "memory", json_pack("{s:I}", "limit", (json_int_t)o->memory), &failed);
  if (o->pids_limit > 0)
    json_set(r, "pids", json_pack("{s:I}", "limit", (json_int_t)o->pids_limit), &failed);
  if (o->cpus > 0)
    json_set(r, "cpu",
             json_pack("{s:I, s:I}", "quota", (json_int_t)(o->cpus * 100000), "period", 100000),
             &failed);
  return json_done(r, failed); /* NULL: json_set() of it fails in turn */
}

json_t *engine_oci_config(const struct run_opts *o, const struct image_config *ic,
                          const struct container_record *r, const char *rootfs, err_t *e) {
  _cleanup_json_ json_t *spec = oci_default_spec(false);
  char hostname[64];
  snprintf(hostname, sizeof hostname, "%.12s", r->id);
  const char *host = o->hostname ? o->hostname : hostname;
  _cleanup_json_ json_t *env = process_env(o, ic, host, e);
  _cleanup_json_ json_t *user = env ? process_user(o->user ? o->user : ic->user, rootfs, e) : NULL;
  if (!spec || !user)
    return NULL;
  const char *cwd = o->workdir ? o->workdir : (ic->working_dir && *ic->working_dir
                                                  ? ic->working_dir : "/");
  if (cwd[0] != '/') {
    err_set(e, EINVAL, "working directory %s: must be an absolute path", cwd);
    return NULL;
  }
  json_t *proc = json_object_get(spec, "process");
  bool failed = false;
  json_set(proc, "terminal", json_boolean(o->tty), &failed);
  json_set(proc, "args", json_incref(r->command), &failed);
  json_set(proc, "env", json_incref(env), &failed);
  json_set(proc, "user", json_incref(user), &failed);
  json_set(proc, "cwd", json_string(cwd), &failed);
  json_set(proc, "capabilities", engine_default_caps(), &failed);
  json_set(proc, "noNewPrivileges", json_false(), &failed);
  json_object_del(proc, "rlimits"); /* the caller's limits, as docker and podman keep them */
  json_set(spec, "root", json_pack("{s:s, s:b}", "path", rootfs, "readonly", o->read_only),
           &failed);
  json_set(spec, "hostname", json_string(host), &failed);
  json_t *lx = json_object_get(spec, "linux");
  json_set(lx, "resources", resources(o), &failed);
  json_set(lx, "seccomp", engine_default_seccomp(), &failed);
  char cgpath[ENGINE_CGROUP_MAX];
  engine_cgroup_path(cgpath, sizeof cgpath, r->id);
  json_set(lx, "cgroupsPath", json_string(cgpath), &failed);
  if (json_built(failed, "container config", e) < 0 || engine_oci_mounts(spec, r->mounts, e) < 0 ||
      engine_oci_options(spec, o, e) < 0)
    return NULL;
  return steal_ptr(&spec);
}
