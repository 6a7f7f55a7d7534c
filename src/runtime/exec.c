/* exec: another process in a running container.
 *
 * A first child, born in the container's v2 group (CLONE_INTO_CGROUP),
 * joins its v1 groups itself (cgroup/join.c: no migration lock), then all
 * of the init's namespaces at once (setns on a pidfd), then forks the
 * process itself as our sibling so it lands in the container's pid
 * namespace and stays our child. That process takes the configuration (the
 * container's own process with the caller's overrides) and the container's
 * seccomp profile, and execs. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/foreground.h"
#include "runtime/process.h"
#include "runtime/rootfs_path.h"
#include "runtime/self_protect.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/syscalls.h"

static const struct {
  const char *file;
  int flag;
} ns_files[] = {
    {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},     {"pid", CLONE_NEWPID},
    {"net", CLONE_NEWNET},   {"ipc", CLONE_NEWIPC},    {"uts", CLONE_NEWUTS},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

/* The namespaces of `pid` that differ from ours. */
static int namespaces_to_join(pid_t pid, err_t *e) {
  int flags = 0;
  for (size_t i = 0; i < sizeof ns_files / sizeof ns_files[0]; i++) {
    char theirs[64], ours[64];
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, ns_files[i].file);
    snprintf(ours, sizeof ours, "/proc/self/ns/%s", ns_files[i].file);
    struct stat a, b;
    if (stat(theirs, &a) < 0) {
      if (errno == ENOENT && i > 0)
        continue; /* a kernel without this namespace kind */
      return err_sys(e, "inspect the container's namespaces");
    }
    if (stat(ours, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
      flags |= ns_files[i].flag;
  }
  return flags;
}

/* "uid[:gid]" */
static int parse_user(const char *s, json_t *user, err_t *e) {
  char *end;
  unsigned long uid = strtoul(s, &end, 10), gid = 0;
  bool has_gid = *end == ':';
  if (end == s || (*end && !has_gid))
    return err_set(e, EINVAL, "--user %s: expected uid[:gid]", s);
  if (has_gid) {
    const char *g = end + 1;
    gid = strtoul(g, &end, 10);
    if (end == g || *end)
      return err_set(e, EINVAL, "--user %s: expected uid[:gid]", s);
  }
  bool failed = false;
  json_set(user, "uid", json_integer((json_int_t)uid), &failed);
  json_set(user, "gid", json_integer((json_int_t)gid), &failed);
  return json_built(failed, "process.user", e);
}

/* Append `v` (a new reference) to the array `key` of `obj`, made if
 * missing, unless an equal value is there already. */
static void add_unique(json_t *obj, const char *key, json_t *v, bool *failed) {
  json_t *arr = json_object_get(obj, key);
  if (!json_is_array(arr) && json_set(obj, key, arr = json_array(), failed) < 0) {
    json_decref(v);
    return;
  }
  size_t i;
  json_t *have;
  json_array_foreach(arr, i, have) {
    if (json_equal(have, v)) {
      json_decref(v);
      return;
    }
  }
  json_push(arr, v, failed);
}

/* --no-new-privs, --cap and --additional-gids, on --process too: a security
 * flag is never dropped. A process without a capabilities object keeps them
 * all already (root), so --cap adds nothing there. */
static int apply_privilege_flags(json_t *p, const struct exec_opts *o, err_t *e) {
  bool failed = false;
  if (o->no_new_privs)
    json_set(p, "noNewPrivileges", json_true(), &failed);
  json_t *caps = json_object_get(p, "capabilities");
  for (size_t i = 0; o->caps && o->caps[i] && json_is_object(caps); i++) {
    static const char *const sets[] = {"bounding", "effective", "permitted"};
    for (size_t k = 0; k < sizeof sets / sizeof *sets; k++)
      add_unique(caps, sets[k], json_string(o->caps[i]), &failed);
  }
  if (o->n_gids) {
    json_t *user = json_object_get(p, "user");
    if (!json_is_object(user) && json_set(p, "user", user = json_object(), &failed) < 0)
      user = NULL;
    for (size_t i = 0; user && i < o->n_gids; i++)
      add_unique(user, "additionalGids", json_integer((json_int_t)o->gids[i]), &failed);
  }
  return json_built(failed, "exec process", e);
}

/* The container's own process with the command line's overrides. */
static json_t *process_from_config(const struct container *c, const struct exec_opts *o,
                                   err_t *e) {
  if (!o->args || !o->args[0]) {
    err_set(e, EINVAL, "exec: a command or --process is required");
    return NULL;
  }
  json_t *base = json_object_get(c->spec->doc, "process");
  _cleanup_json_ json_t *p = base ? json_deep_copy(base) : json_object();
  if (!p) {
    err_set(e, ENOMEM, "exec");
    return NULL;
  }
  bool failed = false;
  json_set(p, "args", json_string_array((const char *const *)o->args), &failed);
  if (o->env) {
    json_t *env = json_object_get(p, "env");
    if (!json_is_array(env) && json_set(p, "env", env = json_array(), &failed) < 0)
      env = NULL;
    /* Replacing what the container's env has, as runc does. */
    for (char **v = o->env; *v; v++)
      json_env_set(env, *v, &failed);
  }
  if (o->cwd)
    json_set(p, "cwd", json_string(o->cwd), &failed);
  if (o->tty >= 0)
    json_set(p, "terminal", json_boolean(o->tty), &failed);
  if (json_built(failed, "exec process", e) < 0)
    return NULL;
  if (o->user) {
    json_t *user = json_object_get(p, "user");
    if (!json_is_object(user) && json_set(p, "user", user = json_object(), NULL) < 0)
      user = NULL;
    json_object_del(user, "additionalGids");
    if (parse_user(o->user, user, e) < 0)
      return NULL;
  }
  return steal_ptr(&p);
}

/* The process to run: --process as given, or the container's own with the
 * command line's overrides; the privilege flags apply to both. */
static json_t *exec_process(const struct container *c, const struct exec_opts *o, err_t *e) {
  _cleanup_json_ json_t *p = NULL;
  if (o->process && !(p = json_deep_copy(o->process))) {
    err_set(e, ENOMEM, "exec");
    return NULL;
  }
  if (!o->process && !(p = process_from_config(c, o, e)))
    return NULL;
  if (apply_privilege_flags(p, o, e) < 0)
    return NULL;
  return steal_ptr(&p);
}

struct exec_child {
  struct seccomp_listener listener; /* sock -1 unless the profile notifies */
  json_t *state;                    /* the container's, for the listener */
  const struct oci_spec *spec;
  const struct cgroup *cgroup;
  const struct oci_process *p;
  const struct seccomp_filter *seccomp;
  const struct exec_opts *o;
  int pidfd, ns_flags, sync_fd, console_fd;
};

/* The process itself, inside the container. */
static int exec_setup(struct exec_child *x, int *slave, err_t *e) {
  for (int i = 0; x->o->has_stdio && i < 3; i++)
    if (dup2(x->o->stdio_fds[i], i) < 0)
      return err_sys(e, "exec: stdio");
  int keep[] = {x->sync_fd, x->console_fd, x->listener.sock};
  if (close_fds_from(3 + x->o->preserve_fds, keep, 3, e) < 0)
    return -1;
  /* The listener is told our pid, which only the runtime sees. */
  int host_pid;
  if (x->listener.sock >= 0 &&
      (sync_expect(x->sync_fd, SYNC_CGROUP_DONE, &host_pid, e) < 0 ||
       seccomp_listener_message(x->seccomp, &x->listener, host_pid, x->state, e) < 0))
    return -1;
  if (process_apply_limits(x->p, e) < 0)
    return -1;
  /* The personality is the container's, not one process's: a 32-bit
   * userland sees i686 in every process. */
  if (x->spec->has_personality && personality(x->spec->personality) < 0)
    return err_sys(e, "linux.personality");
  if (x->p->terminal) {
    _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int sink = x->console_fd >= 0 ? x->console_fd : x->sync_fd;
    if (root < 0 || (*slave = console_create(root, x->p, sink, false, e)) < 0)
      return root < 0 ? err_sys(e, "open /") : -1;
    if (console_attach(*slave, e) < 0)
      return -1;
  }
  return 0;
}

__attribute__((noreturn)) static void exec_child_main(struct exec_child *x) {
  err_t e = ERR_INIT;
  int slave = -1;
  _cleanup_strv_ char **envp = NULL;
  _cleanup_free_ char *path = NULL;
  bool keep_admin = process_needs_admin_for_seccomp(x->p, x->seccomp);
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
    err_sys(&e, "make exec non-dumpable");
    goto fail;
  }
  if (x->cgroup && cgroup_join_self_v1(x->cgroup, &e) < 0)
    goto fail;
  if (setns(x->pidfd, x->ns_flags) < 0) {
    err_sys(&e, "join the container's namespaces");
    goto fail;
  }
  /* Entering the pid namespace takes a fork; CLONE_PARENT keeps the
   * runtime as the parent. */
  pid_t pid = sys_clone3_fork(CLONE_PARENT, -1);
  if (pid < 0) {
    err_sys(&e, "fork into the container");
    goto fail;
  }
  if (pid > 0) {
    sync_send(x->sync_fd, SYNC_INIT_PID, pid, &e);
    _exit(0);
  }
  if (exec_setup(x, &slave, &e) < 0 || process_apply_identity(x->p, keep_admin, &e) < 0 ||
      process_enter_cwd(x->p, &e) < 0 || process_prepare_exec(x->p, 0, &envp, &path, &e) < 0 ||
      sync_send(x->sync_fd, SYNC_READY, 0, &e) < 0)
    goto fail;
  process_exec(x->p, x->seccomp, &x->listener, keep_admin, path, envp, &e);
fail:
  sync_send_error(x->sync_fd, &e);
  _exit(127);
}

/* Our side: reap the joiner, learn the process's pid (and tell it, when a
 * seccomp listener needs it), wait for READY. The joiner sends the pid
 * after its fork, so READY may come first. */
static int drive_exec(int sock, pid_t joiner, bool tell_pid, pid_t *pid, int *master, err_t *e) {
  struct sync_msg m;
  bool ready = false;
  *pid = 0;
  while (!ready || *pid == 0) {
    int r = sync_recv(sock, &m, e);
    if (r < 0)
      return -1;
    if (r == 0)
      return err_set(e, ECHILD, "exec: the process exited before it was ready");
    switch (m.type) {
    case SYNC_ERROR:
      *e = m.err;
      return -1;
    case SYNC_INIT_PID:
      waitpid(joiner, NULL, 0);
      *pid = m.value;
      if (tell_pid && sync_send(sock, SYNC_CGROUP_DONE, m.value, e) < 0)
        return -1;
      break;
    case SYNC_CONSOLE:
      *master = m.fd;
      break;
    case SYNC_READY:
      ready = true;
      break;
    default:
      return err_set(e, EPROTO, "exec: unexpected message %d", m.type);
    }
  }
  return 0;
}

static int spawn(struct container *c, const struct oci_process *p,
                 const struct seccomp_filter *seccomp, const struct exec_opts *o, int *status,
                 err_t *e) {
  int ns_flags = namespaces_to_join(c->state.pid, e);
  if (ns_flags < 0)
    return -1;
  _cleanup_close_ int pidfd = sys_pidfd_open(c->state.pid, 0);
  if (pidfd < 0)
    return err_sys(e, "exec: open the container's init");
  _cleanup_close_ int console_fd = -1;
  if (p->terminal && o->console_socket &&
      (console_fd = console_socket_connect(o->console_socket, e)) < 0)
    return -1;
  if (p->terminal && !o->console_socket && o->detach)
    return err_set(e, EINVAL, "exec: a terminal needs --console-socket when detached");
  /* --cgroup: a group below the container's, which must exist. */
  _cleanup_cgroup_ struct cgroup *sub = NULL;
  if (o->cgroups && o->cgroups[0]) {
    if (!c->cgroup)
      return err_set(e, EINVAL, "exec --cgroup: the container has no cgroup");
    if (cgroup_sub(c->cgroup, o->cgroups, &sub, e) < 0)
      return err_wrap(e, "exec --cgroup");
  }
  const struct cgroup *target = sub ? sub : c->cgroup;
  _cleanup_close_ int cgroup_fd = target ? cgroup_v2_dir_fd(target, e) : -1;
  if (cgroup_fd < -1)
    return -1;
  struct exec_child x = {.listener = {.sock = -1}, .spec = c->spec, .cgroup = target, .p = p,
                         .seccomp = seccomp, .o = o, .pidfd = pidfd, .ns_flags = ns_flags,
                         .console_fd = console_fd};
  _cleanup_json_ json_t *state = NULL;
  if (seccomp && seccomp->notify) {
    if (!(state = x.state = state_to_oci_json(&c->state, STATUS_RUNNING)))
      return err_set(e, ENOMEM, "exec: state");
    if (seccomp_listener_connect(seccomp, &x.listener, e) < 0)
      return -1;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    seccomp_listener_close(&x.listener);
    return err_sys(e, "exec: sync socket");
  }
  _cleanup_close_ int sock = sv[0];
  x.sync_fd = sv[1];
  pid_t joiner = sys_clone3_fork(0, cgroup_fd);
  if (joiner == 0) {
    close(sv[0]);
    exec_child_main(&x);
  }
  /* The child has its own copies. */
  close(sv[1]);
  seccomp_listener_close(&x.listener);
  if (joiner < 0)
    return err_sys(e, "exec: fork");
  pid_t pid = 0;
  _cleanup_close_ int master = -1;
  struct sync_msg m;
  int r = drive_exec(sock, joiner, seccomp && seccomp->notify, &pid, &master, e);
  if (r == 0 && o->pid_file) {
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d", (int)pid);
    r = atomic_replace_at(AT_FDCWD, o->pid_file, buf, (size_t)n, 0644, e);
  }
  /* EOF: the process is running its program; a message: execve failed. */
  if (r == 0 && (r = sync_recv(sock, &m, e)) > 0) {
    *e = m.type == SYNC_ERROR ? m.err : (err_t){EPROTO, "exec: unexpected message"};
    r = -1;
  }
  if (r < 0) {
    waitpid(joiner, NULL, WNOHANG);
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
    }
    return -1;
  }
  if (o->started)
    o->started(o->started_arg);
  if (o->detach)
    return 0;
  return foreground_wait(pid, master, status, e);
}

int runtime_exec(const struct runtime_ctx *rt, const char *id, const struct exec_opts *o,
                 int *status, err_t *e) {
  struct container *c = NULL;
  enum container_status st;
  if (container_open_unlocked(rt, id, true, &c, &st, e) < 0)
    return -1;
  int ret = -1;
  struct oci_process p = {0};
  struct seccomp_filter *seccomp = NULL;
  _cleanup_free_ char *cache = NULL;
  _cleanup_json_ json_t *pj = NULL;
  /* runc's --ignore-paused: the process joins the frozen group and runs
   * once the container is resumed. */
  if (st != STATUS_RUNNING && !(st == STATUS_PAUSED && o->ignore_paused)) {
    err_set(e, EINVAL, "cannot exec in container \"%s\": it is %s%s", id,
            container_status_name(st),
            st == STATUS_PAUSED ? " (--ignore-paused execs all the same)" : "");
    goto out;
  }
  /* Our process will be visible inside the container before its execve. */
  if (runtime_require_sealed("exec", e) < 0)
    goto out;
  if (!(pj = exec_process(c, o, e)) || oci_process_parse(pj, "process", &p, e) < 0)
    goto out;
  if (c->spec->seccomp && (cache = container_seccomp_cache(rt), true) &&
      seccomp_compile_cached(c->spec->seccomp, cache, &seccomp, e) < 0)
    goto out;
  ret = spawn(c, &p, seccomp, o, status, e);
out:
  oci_process_free(&p);
  seccomp_filter_free(seccomp);
  container_release(c);
  return ret;
}
