/* The container's init, from the clone to execve().
 *
 * Order matters and follows the spec and the security model: namespaces,
 * then the filesystem (inside the new mount namespace, targets resolved in
 * the root), pivot_root, kernel knobs, limits, the user and capabilities,
 * the working directory, and seccomp last, just before execve. Errors go to
 * the parent as an err_t over the sync socket; the parent undoes what
 * exists on the host. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/init_internal.h"
#include "runtime/process.h"
#include "runtime/rootfs.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/syscalls.h"

int init_wait_cgroup(struct launch *l, err_t *e) {
  if (l->cgroup_ready)
    return 0;
  int pid;
  if (sync_expect(l->sync_fd, SYNC_CGROUP_DONE, &pid, e) < 0)
    return -1;
  l->host_pid = pid;
  l->cgroup_ready = true;
  if (l->late_flags && unshare((int)l->late_flags) < 0)
    return err_sys(e, "create cgroup namespace");
  return 0;
}

static int request_idmap(struct launch *l, err_t *e) {
  if (sync_send(l->sync_fd, SYNC_IDMAP_REQUEST, (int)getpid(), e) < 0)
    return -1;
  return sync_expect(l->sync_fd, SYNC_IDMAP_DONE, NULL, e);
}

static const int ns_clone_flag[NS_KINDS] = {
    [NS_PID] = CLONE_NEWPID, [NS_NET] = CLONE_NEWNET,   [NS_MNT] = CLONE_NEWNS,
    [NS_IPC] = CLONE_NEWIPC, [NS_UTS] = CLONE_NEWUTS,   [NS_USER] = CLONE_NEWUSER,
    [NS_CGROUP] = CLONE_NEWCGROUP, [NS_TIME] = CLONE_NEWTIME,
};

/* Join the namespaces given by path (all but user, done first). */
static int join_namespaces(struct launch *l, err_t *e) {
  for (int k = 0; k < NS_KINDS; k++) {
    if (k == NS_USER || l->ns_fds[k] < 0)
      continue;
    if (setns(l->ns_fds[k], ns_clone_flag[k]) < 0)
      return err_sys(e, "join %s namespace %s", oci_ns_name(k), l->spec->namespaces[k].path);
    close(l->ns_fds[k]);
    l->ns_fds[k] = -1;
  }
  return 0;
}

static int write_time_offsets(const struct oci_spec *s, err_t *e) {
  char buf[128];
  snprintf(buf, sizeof buf, "monotonic %lld %u\nboottime %lld %u\n", (long long)s->monotonic_secs,
           s->monotonic_nsecs, (long long)s->boottime_secs, s->boottime_nsecs);
  if (write_str_at(AT_FDCWD, "/proc/self/timens_offsets", buf, e) < 0)
    return err_wrap(e, "linux.timeOffsets");
  return 0;
}

/* The staged path: a user namespace joined or made before the others, a pid
 * or time namespace that only children enter. This first child sets them
 * up, forks the init as a sibling (CLONE_PARENT keeps the runtime its
 * parent, so it can wait for it) and exits. Returns in the init only. */
static int staged_namespaces(struct launch *l, err_t *e) {
  if (cgroup_join_self_v1(l->cgroup, e) < 0)
    return -1;
  if (l->ns_fds[NS_USER] >= 0) {
    if (setns(l->ns_fds[NS_USER], CLONE_NEWUSER) < 0)
      return err_sys(e, "join user namespace %s", l->spec->namespaces[NS_USER].path);
  } else if (l->clone_flags & CLONE_NEWUSER) {
    if (unshare(CLONE_NEWUSER) < 0)
      return err_sys(e, "create user namespace");
    if (request_idmap(l, e) < 0)
      return -1;
  }
  /* Our host ids mean nothing in the new user namespace: become its root,
   * which the id maps tie to the container's host ids. */
  if ((l->ns_fds[NS_USER] >= 0 || (l->clone_flags & CLONE_NEWUSER)) &&
      (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
    return err_sys(e, "become root of the user namespace (is uid/gid 0 mapped?)");
  if (join_namespaces(l, e) < 0)
    return -1;
  unsigned long rest = l->clone_flags & ~(unsigned long)CLONE_NEWUSER;
  if (rest && unshare((int)rest) < 0)
    return err_sys(e, "create namespaces");
  if ((rest & CLONE_NEWTIME) && l->spec->has_time_offsets && write_time_offsets(l->spec, e) < 0)
    return -1;
  /* Born from us, the init inherits our cgroups. */
  pid_t pid = sys_clone3_fork(CLONE_PARENT, -1);
  if (pid < 0)
    return err_sys(e, "fork the container init");
  if (pid > 0) {
    err_t ignored = ERR_INIT;
    sync_send(l->sync_fd, SYNC_INIT_PID, pid, &ignored);
    _exit(0);
  }
  return 0;
}

/* A new network namespace starts with lo down; runc and crun bring it up,
 * and whatever talks to 127.0.0.1 (a container joining this one's network,
 * as podman's --network container: does) relies on it. Any socket reaches
 * the device ioctls; a unix one needs no IP stack. */
static int loopback_up(err_t *e) {
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_sys(e, "network namespace: socket to bring lo up");
  struct ifreq ifr = {.ifr_name = "lo"};
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
    return err_sys(e, "network namespace: flags of lo");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
    return err_sys(e, "network namespace: bring lo up");
  return 0;
}

static int setup_namespaces(struct launch *l, err_t *e) {
  if (l->staged ? staged_namespaces(l, e) < 0
                : cgroup_join_self_v1(l->cgroup, e) < 0 || join_namespaces(l, e) < 0)
    return -1;
  return (l->clone_flags & CLONE_NEWNET) ? loopback_up(e) : 0;
}

static int set_names(const struct oci_spec *s, err_t *e) {
  if (s->hostname && *s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
    return err_sys(e, "hostname: %s", s->hostname);
  if (s->domainname && *s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
    return err_sys(e, "domainname: %s", s->domainname);
  if (s->has_personality && personality(s->personality) < 0)
    return err_sys(e, "linux.personality");
  return 0;
}

/* The state hooks and a seccomp listener see from inside: the host pid is
 * what they need. */
static json_t *init_state(struct launch *l, const char *status) {
  json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", "1.1.0", "id", l->id,
                        "status", status, "pid", (int)l->host_pid, "bundle", l->spec->bundle);
  if (l->spec->annotations &&
      json_set(j, "annotations", json_incref(l->spec->annotations), NULL) < 0) {
    json_decref(j);
    return NULL;
  }
  return j;
}

static char *init_state_json(struct launch *l, const char *status) {
  _cleanup_json_ json_t *j = init_state(l, status);
  return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

/* `env`: what a hook without one gets (NULL: the runtime's). */
static int run_init_hooks(struct launch *l, enum oci_hook_kind kind, char *const *env,
                          err_t *e) {
  if (!l->spec->n_hooks[kind])
    return 0;
  _cleanup_free_ char *state = init_state_json(l, kind == HOOK_CREATE_CONTAINER ? "creating"
                                                                                 : "created");
  if (!state)
    return err_set(e, ENOMEM, "hook state");
  return hooks_run(kind, l->spec->hooks[kind], l->spec->n_hooks[kind], state, env, e);
}

/* Block until `start` connects to start.sock; the accepted connection is
 * close-on-exec, so `start` sees EOF when execve() succeeds. */
static int wait_for_start(struct launch *l, int *conn, err_t *e) {
  for (;;) {
    int c = accept4(l->start_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c >= 0) {
      *conn = c;
      close(l->start_fd);
      l->start_fd = -1;
      return 0;
    }
    if (errno != EINTR)
      return err_sys(e, "wait for start");
  }
}

/* Everything until the process is ready to run. */
static int prepare(struct launch *l, int *console_slave, err_t *e) {
  const struct oci_spec *s = l->spec;
  /* While it is still our binary, nothing in the container may open
   * /proc/<init>/exe (CVE-2019-5736). */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return err_sys(e, "make init non-dumpable");
  /* Everything we create gets exactly the mode we ask for; the process's
   * own umask is set just before execve. */
  umask(0);
  if (setup_namespaces(l, e) < 0)
    return -1;
  if (l->cgroup_v2_fd >= 0) {
    close(l->cgroup_v2_fd);
    l->cgroup_v2_fd = -1;
  }
  for (int fd = 0; l->opts->has_stdio && fd < 3; fd++)
    if (dup2(l->opts->stdio_fds[fd], fd) < 0)
      return err_sys(e, "set up the container's stdio");
  int keep[] = {l->sync_fd, l->start_fd, l->console_fd, l->listener.sock};
  /* Socket activation's fds come first, then --preserve-fds', as with runc. */
  if (close_fds_from(3 + process_listen_fds() + l->opts->preserve_fds, keep, 4, e) < 0)
    return -1;
  _cleanup_close_ int rootfd = rootfs_prepare(l, e);
  if (rootfd < 0)
    return -1;
  if (l->process->terminal) {
    int sink = l->console_fd >= 0 ? l->console_fd : l->sync_fd;
    if ((*console_slave = console_create(rootfd, l->process, sink, true, e)) < 0)
      return -1;
    if (l->console_fd >= 0) {
      close(l->console_fd);
      l->console_fd = -1;
    }
  }
  if (l->hooks_in_parent || s->n_hooks[HOOK_CREATE_CONTAINER]) {
    if (init_wait_cgroup(l, e) < 0)
      return -1;
    if (l->hooks_in_parent && (sync_send(l->sync_fd, SYNC_HOOKS_REQUEST, 0, e) < 0 ||
                               sync_expect(l->sync_fd, SYNC_HOOKS_DONE, NULL, e) < 0))
      return -1;
    if (run_init_hooks(l, HOOK_CREATE_CONTAINER, NULL, e) < 0)
      return -1;
  }
  if (rootfs_pivot(rootfd, l->opts->no_pivot, e) < 0 || rootfs_finish(s, e) < 0 ||
      set_names(s, e) < 0)
    return -1;
  if (process_apply_limits(l->process, e) < 0)
    return -1;
  if (*console_slave >= 0 && console_attach(*console_slave, e) < 0)
    return -1;
  /* The cgroup namespace needs privileges the identity switch drops. */
  return init_wait_cgroup(l, e);
}

__attribute__((noreturn)) void container_init(struct launch *l) {
  err_t e = ERR_INIT;
  int console_slave = -1, start_conn = -1;
  _cleanup_strv_ char **envp = NULL;
  _cleanup_free_ char *path = NULL;
  bool keep_admin = process_needs_admin_for_seccomp(l->process, l->seccomp);
  if (prepare(l, &console_slave, &e) < 0 ||
      process_apply_identity(l->process, keep_admin, &e) < 0 ||
      process_enter_cwd(l->process, &e) < 0 ||
      process_prepare_exec(l->process, process_listen_fds(), &envp, &path, &e) < 0)
    goto fail;
  if (sync_send(l->sync_fd, SYNC_READY, 0, &e) < 0)
    goto fail;
  if (l->start_fd >= 0) {
    /* The creating runtime has gone: report later failures to `start`. */
    if (wait_for_start(l, &start_conn, &e) < 0)
      goto fail;
    close(l->sync_fd);
    l->sync_fd = start_conn;
  }
  /* In the container, as the process is about to run: its environment,
   * as runc and crun give it. */
  if (run_init_hooks(l, HOOK_START_CONTAINER, envp, &e) < 0)
    goto fail;
  if (l->listener.sock >= 0) {
    _cleanup_json_ json_t *state = init_state(l, "created");
    if (!state || seccomp_listener_message(l->seccomp, &l->listener, l->host_pid, state, &e) < 0)
      goto fail;
  }
  process_exec(l->process, l->seccomp, &l->listener, keep_admin, path, envp, &e);
fail:
  sync_send_error(l->sync_fd, &e);
  _exit(127);
}
