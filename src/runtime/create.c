/* create and run: the runtime's side of starting a container.
 *
 * Everything that can be checked is checked before anything exists on the
 * host (config, rootfs, seccomp profile, namespace paths). Then the state
 * directory and the cgroup are made and the init cloned into the cgroup
 * (see cgroup/join.c: no migration lock); while the child builds its root,
 * the parent writes the limits (the two cores work in parallel). Any
 * failure kills the init and removes the cgroup and state directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>

#include "runtime/console.h"
#include "runtime/foreground.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/launch.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/syscalls.h"

static const unsigned long ns_flag[NS_KINDS] = {
    [NS_PID] = CLONE_NEWPID, [NS_NET] = CLONE_NEWNET,   [NS_MNT] = CLONE_NEWNS,
    [NS_IPC] = CLONE_NEWIPC, [NS_UTS] = CLONE_NEWUTS,   [NS_USER] = CLONE_NEWUSER,
    [NS_CGROUP] = CLONE_NEWCGROUP, [NS_TIME] = CLONE_NEWTIME,
};

/* A namespace to join, by path: opened O_PATH first (a FIFO or a device
 * there must neither block nor be opened for reading), checked to be an nsfs
 * file of kind `k`, then reopened for setns(), which takes no O_PATH fd. */
static int open_namespace(enum oci_ns_kind k, const char *path, err_t *e) {
  _cleanup_close_ int pathfd = open(path, O_PATH | O_CLOEXEC);
  if (pathfd < 0)
    return err_sys(e, "linux.namespaces: %s namespace %s", oci_ns_name(k), path);
  struct statfs fs;
  if (fstatfs(pathfd, &fs) < 0)
    return err_sys(e, "linux.namespaces: %s namespace %s", oci_ns_name(k), path);
  if (fs.f_type != NSFS_MAGIC)
    return err_set(e, EINVAL, "linux.namespaces: %s namespace %s is not a namespace file "
                              "(a /proc/PID/ns file or a bind mount of one)",
                   oci_ns_name(k), path);
  char again[64];
  snprintf(again, sizeof again, "/proc/self/fd/%d", pathfd);
  _cleanup_close_ int fd = open(again, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "linux.namespaces: %s namespace %s", oci_ns_name(k), path);
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type < 0)
    return err_sys(e, "linux.namespaces: %s namespace %s", oci_ns_name(k), path);
  if ((unsigned long)type != ns_flag[k])
    return err_set(e, EINVAL, "linux.namespaces: %s namespace %s is a namespace of another kind",
                   oci_ns_name(k), path);
  return steal_fd(&fd);
}

/* The root is built in a joined mount namespace as in a new one (as runc
 * does), and pivot_root there moves the root of every process of that
 * namespace: never the runtime's own (the host's, as a rule) or its pid
 * 1's. */
static int check_joined_mount_namespace(int fd, const char *path, err_t *e) {
  static const char *const refused[] = {"/proc/self/ns/mnt", "/proc/1/ns/mnt"};
  struct stat theirs, ours;
  if (fstat(fd, &theirs) < 0)
    return err_sys(e, "linux.namespaces: mount namespace %s", path);
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    if (stat(refused[i], &ours) == 0 && ours.st_dev == theirs.st_dev &&
        ours.st_ino == theirs.st_ino)
      return err_set(e, EINVAL, "linux.namespaces: mount namespace %s is the runtime's own or "
                                "its pid 1's: building the container's root there would move "
                                "their root", path);
  return 0;
}

/* Decide how the init is made and open the namespaces it joins. */
static int plan_namespaces(struct launch *l, err_t *e) {
  const struct oci_spec *s = l->spec;
  if (!s->namespaces[NS_MNT].present)
    return err_set(e, EINVAL, "linux.namespaces: a mount namespace is required "
                              "(sharing the runtime's is not supported)");
  for (int k = 0; k < NS_KINDS; k++) {
    l->ns_fds[k] = -1;
    if (!s->namespaces[k].present)
      continue;
    if (s->namespaces[k].path) {
      if ((l->ns_fds[k] = open_namespace(k, s->namespaces[k].path, e)) < 0)
        return -1;
      if (k == NS_MNT && check_joined_mount_namespace(l->ns_fds[k], s->namespaces[k].path, e) < 0)
        return -1;
    } else if (k == NS_CGROUP) {
      l->late_flags |= CLONE_NEWCGROUP; /* made once the init is in its group */
    } else {
      l->clone_flags |= ns_flag[k];
    }
  }
  /* A time namespace takes its offsets before anyone enters it, joined
   * user, pid or time namespaces must be entered before the others are
   * made, and a process must join its v1 cgroups (cgroup/join.c) before it
   * becomes a stranger to the host in a new user namespace: all of these
   * need a first child that prepares and a second that becomes the init. */
  l->staged = l->ns_fds[NS_USER] >= 0 || l->ns_fds[NS_PID] >= 0 || l->ns_fds[NS_TIME] >= 0 ||
              (l->clone_flags & (CLONE_NEWTIME | CLONE_NEWUSER));
  return 0;
}

static int write_id_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
                        err_t *e) {
  char buf[4096];
  size_t len = 0;
  for (size_t i = 0; i < n && len < sizeof buf - 64; i++)
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%u %u %u\n", m[i].container_id,
                            m[i].host_id, m[i].size);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  if (write_file_at(AT_FDCWD, path, buf, len, e) < 0)
    return err_wrap(e, "linux.%s", strcmp(file, "uid_map") ? "gidMappings" : "uidMappings");
  return 0;
}

static int write_id_maps(const struct oci_spec *s, pid_t pid, err_t *e) {
  return write_id_map(pid, "uid_map", s->uid_mappings, s->n_uid_mappings, e) < 0 ||
                 write_id_map(pid, "gid_map", s->gid_mappings, s->n_gid_mappings, e) < 0
             ? -1
             : 0;
}

static int write_pid_file(const char *path, pid_t pid, err_t *e) {
  char buf[16];
  int n = snprintf(buf, sizeof buf, "%d", (int)pid);
  if (atomic_replace_at(AT_FDCWD, path, buf, (size_t)n, 0644, e) < 0)
    return err_wrap(e, "--pid-file");
  return 0;
}

int container_record_init(struct container *c, const struct create_opts *o, err_t *e) {
  if (proc_stat(c->pid, &c->state.pid_start_time, NULL) < 0)
    return err_set(e, ECHILD, "container init %d exited during create", (int)c->pid);
  c->state.pid = c->pid;
  if (state_save(c->dirfd, &c->state, e) < 0)
    return -1;
  if (o->pid_file && write_pid_file(o->pid_file, c->pid, e) < 0)
    return -1;
  return 0;
}
/* The parent's half of the handshake, up to the init's READY. */
static int drive_init(struct container *c, const struct create_opts *o, int sock, err_t *e) {
  const struct oci_spec *s = c->spec;
  struct sync_msg m;
  for (;;) {
    int r = sync_recv(sock, &m, e);
    if (r < 0)
      return -1;
    if (r == 0)
      return err_set(e, ECHILD, "container init exited before it was ready");
    if (m.fd >= 0 && m.type != SYNC_CONSOLE)
      close(m.fd);
    switch (m.type) {
    case SYNC_ERROR:
      *e = m.err;
      return -1;
    case SYNC_IDMAP_REQUEST:
      if (write_id_maps(s, m.value, e) < 0 || sync_send(sock, SYNC_IDMAP_DONE, 0, e) < 0)
        return -1;
      break;
    case SYNC_INIT_PID:
      /* The first child of the staged path is done; the init is its sibling. */
      waitpid(c->pid, NULL, 0);
      c->pid = m.value;
      if (container_limit_cgroup(c, e) < 0 || sync_send(sock, SYNC_CGROUP_DONE, c->pid, e) < 0 ||
          container_record_init(c, o, e) < 0)
        return -1;
      break;
    case SYNC_HOOKS_REQUEST:
      if (container_run_hooks(c, HOOK_PRESTART, STATUS_CREATING, e) < 0 ||
          container_run_hooks(c, HOOK_CREATE_RUNTIME, STATUS_CREATING, e) < 0 ||
          sync_send(sock, SYNC_HOOKS_DONE, 0, e) < 0)
        return -1;
      break;
    case SYNC_CONSOLE:
      /* Foreground run with a terminal: we relay the pty ourselves. */
      c->console_master = m.fd;
      break;
    case SYNC_READY:
      return 0;
    default:
      return err_set(e, EPROTO, "container init sent message %d", m.type);
    }
  }
}

/* The init went without a word (a signal: the OOM killer, a seccomp
 * kill, a SIGKILL from outside): say how it ended. It has closed its end,
 * so it is exiting; it is reaped here, and forgotten (its pid may be
 * reused). */
static void explain_silent_exit(struct container *c, err_t *e) {
  int status;
  pid_t r = 0;
  for (int i = 0; i < 200 && c->pid > 0 && (r = waitpid(c->pid, &status, WNOHANG)) == 0; i++)
    usleep(10000); /* exiting: up to 2 s */
  if (r != c->pid)
    return;
  c->pid = 0;
  char was[sizeof e->msg];
  snprintf(was, sizeof was, "%s", e->msg);
  if (WIFSIGNALED(status))
    err_set(e, ECHILD, "%s (killed by signal %d, %s)", was, WTERMSIG(status),
            strsignal(WTERMSIG(status)));
  else
    err_set(e, ECHILD, "%s (exit status %d)", was, WEXITSTATUS(status));
}

/* Whether another container of this root saved the group `dir` (its
 * v2 directory, else its first) in its state: read without its lock (two
 * creates would wait on each other), as state.json is replaced whole. */
static bool root_has_group(const struct container *c, const char *dir) {
  _cleanup_closedir_ DIR *d = opendir(c->rt->root);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.' || !strcmp(de->d_name, c->id))
      continue;
    err_t ignored = ERR_INIT;
    _cleanup_free_ char *path = path_join(de->d_name, "state.json");
    _cleanup_free_ char *text =
        path ? read_file_at(dirfd(d), path, JSON_DOC_MAX_BYTES, NULL, &ignored) : NULL;
    _cleanup_json_ json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    json_t *list = json_object_get(json_object_get(j, "cgroup"), "hierarchies");
    size_t i;
    json_t *h;
    json_array_foreach(list, i, h) {
      if (!json_is_true(json_object_get(h, "v2")) && i + 1 < json_array_size(list))
        continue;
      if (!strcmp(json_string_value(json_object_get(h, "dir")) ?: "", dir))
        return true;
      break;
    }
  }
  return false;
}

/* Refuse a group that another container uses: `delete` of a container
 * without its own pid namespace, `kill --all` and `delete --force` signal
 * every process of the group, and `delete` removes it, so one of two
 * containers sharing it could kill the other's processes (runc 1.1 only
 * warns, 1.2 refuses a group that holds processes). */
static int check_cgroup_unshared(const struct container *c, err_t *e) {
  const struct cgroup_hierarchy *h = &c->cgroup->hierarchies[c->cgroup->n_hierarchies - 1];
  /* The usual case, a group nobody made yet, costs one stat. */
  if (access(h->dir, F_OK) < 0 && errno == ENOENT)
    return 0;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cgroup_pids(c->cgroup, &pids, &n, e) < 0)
    return -1;
  if (n)
    return err_set(e, EBUSY, "linux.cgroupsPath: cgroup %s already holds %zu process%s (pid %d): "
                             "containers sharing a cgroup could kill each other's processes",
                   c->cgroup->path, n, n == 1 ? "" : "es", (int)pids[0]);
  if (root_has_group(c, h->dir))
    return err_set(e, EBUSY, "linux.cgroupsPath: cgroup %s belongs to another container of %s "
                             "(delete it first): containers sharing a cgroup could kill each "
                             "other's processes",
                   c->cgroup->path, c->rt->root);
  return 0;
}

static int bind_start_socket(int dirfd, err_t *e) {
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_sys(e, "start socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  /* Through the directory fd: the state path itself may exceed sun_path. */
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/start.sock", dirfd);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 1) < 0)
    return err_sys(e, "start socket");
  return steal_fd(&fd);
}

static void launch_close(struct launch *l) {
  for (int k = 0; k < NS_KINDS; k++)
    if (l->ns_fds[k] >= 0)
      close(l->ns_fds[k]);
  if (l->start_fd >= 0)
    close(l->start_fd);
  if (l->console_fd >= 0)
    close(l->console_fd);
  if (l->cgroup_v2_fd >= 0)
    close(l->cgroup_v2_fd);
  seccomp_listener_close(&l->listener);
}

/* Start the init; on return c->pid is set and the init is READY. */
static int launch_init(struct container *c, const struct create_opts *o, bool foreground,
                       err_t *e) {
  struct launch l = {.id = c->id, .spec = c->spec, .opts = o, .process = &c->spec->process,
                     .cgroup = c->cgroup, .seccomp = c->seccomp, .start_fd = -1,
                     .console_fd = -1, .cgroup_v2_fd = -1, .listener = {.sock = -1},
                     .foreground = foreground};
  int ret = -1;
  int sv[2] = {-1, -1};
  for (int k = 0; k < NS_KINDS; k++)
    l.ns_fds[k] = -1;
  if (plan_namespaces(&l, e) < 0)
    goto out;
  l.hooks_in_parent = c->spec->n_hooks[HOOK_PRESTART] || c->spec->n_hooks[HOOK_CREATE_RUNTIME];
  if (!foreground && !c->detached_run && (l.start_fd = bind_start_socket(c->dirfd, e)) < 0)
    goto out;
  if (c->spec->process.terminal) {
    if (o->console_fd > 0) {
      if ((l.console_fd = fcntl(o->console_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
        err_sys(e, "console socket");
        goto out;
      }
    } else if (o->console_socket) {
      if ((l.console_fd = console_socket_connect(o->console_socket, e)) < 0)
        goto out;
    } else if (!foreground) {
      err_set(e, EINVAL, "process.terminal needs --console-socket when the container is detached");
      goto out;
    }
  } else if (o->console_socket || o->console_fd > 0) {
    /* Refused as runc does: the caller waits for a pty that never comes. */
    err_set(e, EINVAL, "--console-socket: process.terminal is false, there is no terminal to send");
    goto out;
  }
  if (c->seccomp && c->seccomp->notify && seccomp_listener_connect(c->seccomp, &l.listener, e) < 0)
    goto out;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    err_sys(e, "sync socket");
    goto out;
  }
  l.sync_fd = sv[1];
  if (check_cgroup_unshared(c, e) < 0 || container_make_cgroup(c, e) < 0 ||
      container_limit_devices(c, e) < 0 || (l.cgroup_v2_fd = cgroup_v2_dir_fd(c->cgroup, e)) < -1)
    goto out;
  pid_t pid = sys_clone3_fork(l.staged ? 0 : l.clone_flags, l.cgroup_v2_fd);
  if (pid < 0) {
    err_sys(e, "clone the container init");
    goto out;
  }
  if (pid == 0) {
    close(sv[0]);
    container_init(&l);
  }
  c->pid = pid;
  close(sv[1]);
  sv[1] = -1;
  /* Fast path: the limits are written now, in parallel with the child's mounts. */
  if (!l.staged && (container_limit_cgroup(c, e) < 0 ||
                    sync_send(sv[0], SYNC_CGROUP_DONE, c->pid, e) < 0 || container_record_init(c, o, e) < 0))
    goto out;
  if (drive_init(c, o, sv[0], e) < 0)
    goto out;
  c->sync_fd = sv[0];
  sv[0] = -1;
  ret = 0;
out:
  if (ret < 0 && e->code == ECHILD)
    explain_silent_exit(c, e);
  if (sv[0] >= 0)
    close(sv[0]);
  if (sv[1] >= 0)
    close(sv[1]);
  launch_close(&l);
  return ret;
}

static int create_common(const struct runtime_ctx *rt, const char *id,
                         const struct create_opts *o, bool foreground, bool detached_run,
                         struct container **out, err_t *e) {
  struct container *c = NULL;
  if (container_new(rt, id, o, &c, e) < 0)
    return -1;
  c->detached_run = detached_run;
  if (launch_init(c, o, foreground, e) < 0) {
    container_abort(c);
    return -1;
  }
  *out = c;
  return 0;
}

int runtime_create(const struct runtime_ctx *rt, const char *id, const struct create_opts *o,
                   err_t *e) {
  struct container *c;
  if (create_common(rt, id, o, false, false, &c, e) < 0)
    return -1;
  container_release(c);
  return 0;
}

int runtime_run(const struct runtime_ctx *rt, const char *id, const struct create_opts *o,
                bool detach, int *status, err_t *e) {
  struct container *c;
  if (create_common(rt, id, o, !detach, detach, &c, e) < 0)
    return -1;
  /* Other commands (state, kill, pause) must not wait for us. */
  flock(c->dirfd, LOCK_UN);
  /* EOF on the sync socket: execve() succeeded (the init's end is
   * close-on-exec); a message: it failed. */
  struct sync_msg m;
  int r = sync_recv(c->sync_fd, &m, e);
  if (r != 0) {
    if (r > 0)
      *e = m.type == SYNC_ERROR ? m.err : (err_t){EPROTO, "unexpected message from init"};
    container_abort(c);
    return -1;
  }
  container_run_hooks_warn(c, HOOK_POSTSTART, STATUS_RUNNING);
  if (o->started)
    o->started(o->started_arg);
  if (detach) {
    container_release(c);
    return 0;
  }
  if (o->keep) {
    /* runc's --keep: `state` says stopped until `delete` removes it. */
    int wait_r = foreground_wait(c->pid, c->console_master, status, e);
    c->pid = 0; /* reaped */
    container_release(c);
    return wait_r;
  }
  return container_wait_and_delete(c, status, e);
}
