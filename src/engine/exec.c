/* exec: another process in a running container, through the runtime's
 * exec (runtime/exec.c) into the container's runtime state. The process
 * is the container's own (env, user, working directory, capabilities,
 * seccomp) with docker exec's overrides. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/internal.h"
#include "oci/names.h"
#include "util/cleanup.h"
#include "util/json.h"

/* docker's exit codes for a process that could not be started: the
 * runtime reports the execve()'s failure as `exec: "ARG0": ...` (the words
 * podman matches too). */
static int failed_start_status(const err_t *e) {
  if (strncmp(e->msg, "exec: \"", 7))
    return ENGINE_EXIT_ERROR;
  return e->code == ENOENT ? ENGINE_EXIT_NOT_FOUND : ENGINE_EXIT_CANNOT_INVOKE;
}

/* "uid:gid" of docker's --user, looked up in the running container. */
static int exec_user(pid_t pid, const char *spec, char out[48], err_t *e) {
  char root[64];
  snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
  _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return err_sys(e, "open the container's root");
  unsigned long uid, gid;
  if (engine_user_lookup(rootfd, spec, &uid, &gid, e) < 0)
    return -1;
  snprintf(out, 48, "%lu:%lu", uid, gid);
  return 0;
}

/* Every capability the kernel has and we may give (--privileged: all of
 * our bounding set, as dockerd gives its own), as a NULL-terminated vector
 * of static names. */
static const char **all_caps(err_t *e) {
  int last = cap_kernel_last();
  if (last < 0 || last > cap_known_last())
    last = cap_known_last();
  const char **v = calloc((size_t)last + 2, sizeof *v);
  if (!v) {
    err_sys(e, "--privileged");
    return NULL;
  }
  size_t n = 0;
  for (int c = 0; c <= last; c++)
    if (cap_name(c) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
      v[n++] = cap_name(c);
  return v;
}

/* "exec_create: sh -c ..." as docker names exec events. */
static char *exec_action(const char *what, char **cmd) {
  size_t len = strlen(what) + 2;
  for (char **p = cmd; *p; p++)
    len += strlen(*p) + 1;
  char *s = malloc(len);
  if (!s)
    return NULL;
  char *at = stpcpy(stpcpy(s, what), ":");
  for (char **p = cmd; *p; p++)
    at = stpcpy(stpcpy(at, " "), *p);
  return s;
}

static void exec_event(const struct engine *eng, const struct container_record *r,
                       const char *what, char **cmd, const char *exec_id) {
  _cleanup_free_ char *action = exec_action(what, cmd);
  const char *attrs[] = {"execID", exec_id, NULL};
  if (action)
    engine_event_of(eng, r, action, attrs);
}

struct exec_started {
  const struct engine *eng;
  const struct container_record *r;
  char **cmd;
  const char *exec_id;
};

static void record_exec_start(void *arg) {
  struct exec_started *s = arg;
  exec_event(s->eng, s->r, "exec_start", s->cmd, s->exec_id);
}

static void new_exec_id(char id[65]) {
  unsigned char raw[32] = {0};
  /* Names an exec in events only: a short read leaves zeros, no harm. */
  if (getrandom(raw, sizeof raw, 0) < 0)
    memset(raw, 0, sizeof raw);
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(id + 2 * i, 3, "%02x", raw[i]);
}

int engine_exec(const struct engine *eng, const char *name, const struct engine_exec_opts *o,
                int *status, err_t *e) {
  *status = ENGINE_EXIT_ERROR;
  if (!o->cmd || !o->cmd[0])
    return err_set(e, EINVAL, "exec: no command given");
  if (o->workdir && o->workdir[0] != '/')
    return err_set(e, EINVAL, "the working directory '%s' is invalid, it needs to be an "
                              "absolute path", o->workdir);
  for (char **v = o->env; v && *v; v++)
    if (!strchr(*v, '=') || **v == '=')
      return err_set(e, EINVAL, "-e %s: expected KEY=VALUE", *v);
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  int ret = -1;
  _cleanup_free_ const char **caps = NULL;
  _cleanup_close_ int null_fd = -1;
  json_int_t pid;
  const char *st = engine_status(eng, r.id, &pid);
  if (!strcmp(st, "paused")) {
    err_set(e, EBUSY, "container %s is paused, unpause the container before exec", name);
    goto out;
  }
  if (strcmp(st, "running")) {
    err_set(e, EINVAL, "container %s is not running", name);
    goto out;
  }
  char user[48];
  if (o->user && exec_user((pid_t)pid, o->user, user, e) < 0)
    goto out;
  if (o->privileged && !(caps = all_caps(e)))
    goto out;
  /* A detached process has nobody to talk to (and must not hold our
   * caller's pipes open): its stdio is /dev/null, and no terminal. */
  if (o->detach && (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
    err_sys(e, "open /dev/null");
    goto out;
  }
  char exec_id[65];
  new_exec_id(exec_id);
  /* exec_start is recorded once the process runs: a failed start has none. */
  struct exec_started started = {eng, &r, o->cmd, exec_id};
  struct exec_opts xo = {.args = o->cmd, .env = o->env, .cwd = o->workdir,
                         .user = o->user ? user : NULL, .tty = o->tty && !o->detach,
                         .detach = o->detach, .caps = caps, .has_stdio = o->detach,
                         .stdio_fds = {null_fd, null_fd, null_fd},
                         .started = record_exec_start, .started_arg = &started};
  exec_event(eng, &r, "exec_create", o->cmd, exec_id);
  struct runtime_ctx rt = engine_runtime(eng);
  int code = 0;
  if (runtime_exec(&rt, r.id, &xo, &code, e) < 0) {
    *status = failed_start_status(e);
    goto out;
  }
  if (!o->detach) {
    char text[16];
    snprintf(text, sizeof text, "%d", code);
    engine_event_of(eng, &r, "exec_die",
                    (const char *const[]){"execID", exec_id, "exitCode", text, NULL});
  }
  *status = code;
  ret = 0;
out:
  container_record_free(&r);
  return ret;
}
