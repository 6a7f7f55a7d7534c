#include "runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/names.h"
#include "runtime/caps.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/passwd.h"

#define CAP_SYS_ADMIN_BIT (1ULL << 21)
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int process_apply_limits(const struct oci_process *p, err_t *e) {
  for (size_t i = 0; i < p->n_rlimits; i++) {
    const struct oci_rlimit *r = &p->rlimits[i];
    struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};
    if (setrlimit(r->resource, &rl) < 0) {
      if (errno == EPERM)
        return err_set(e, EPERM,
                       "process.rlimits: %s %llu/%llu: raising a hard limit needs "
                       "CAP_SYS_RESOURCE, which the runtime lacks here",
                       rlimit_name(r->resource), (unsigned long long)r->soft,
                       (unsigned long long)r->hard);
      return err_sys(e, "process.rlimits: %s", rlimit_name(r->resource));
    }
  }
  if (p->has_oom_score_adj) {
    char buf[16];
    snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
    if (write_str_at(AT_FDCWD, "/proc/self/oom_score_adj", buf, e) < 0)
      return err_wrap(e, "process.oomScoreAdj");
  }
  return 0;
}

bool process_needs_admin_for_seccomp(const struct oci_process *p,
                                     const struct seccomp_filter *seccomp) {
  if (!seccomp || p->no_new_privileges)
    return false;
  /* Without a capabilities object root keeps every capability, but any
   * other user loses its effective set with setuid(). */
  if (!p->caps.present)
    return p->user.uid != 0;
  return !(p->caps.effective & CAP_SYS_ADMIN_BIT);
}

int process_apply_identity(const struct oci_process *p, bool keep_admin, err_t *e) {
  if (p->caps.present && caps_drop_bounding(p->caps.bounding, e) < 0)
    return -1;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return err_sys(e, "keep capabilities");
  if (setgroups(p->user.n_additional_gids, p->user.additional_gids) < 0 && errno != EPERM)
    return err_sys(e, "set additional groups");
  if (setresgid(p->user.gid, p->user.gid, p->user.gid) < 0)
    return err_sys(e, "set group id %u", (unsigned)p->user.gid);
  if (setresuid(p->user.uid, p->user.uid, p->user.uid) < 0)
    return err_sys(e, "set user id %u", (unsigned)p->user.uid);
  if ((p->caps.present || keep_admin) &&
      caps_set(&p->caps, keep_admin ? CAP_SYS_ADMIN_BIT : 0, e) < 0)
    return -1;
  return 0;
}

int process_enter_cwd(const struct oci_process *p, err_t *e) {
  if (chdir(p->cwd) < 0)
    return err_sys(e, "process.cwd: chdir to %s", p->cwd);
  char buf[PATH_MAX];
  /* getcwd() reports a directory outside our root as "(unreachable)/..."
   * or fails with ENOENT. */
  if (!getcwd(buf, sizeof buf) || buf[0] != '/')
    return err_set(e, EPERM, "process.cwd: %s is outside the container's root", p->cwd);
  return 0;
}


int process_listen_fds(void) {
  const char *v = getenv("LISTEN_FDS");
  char *end;
  errno = 0;
  long n = v ? strtol(v, &end, 10) : 0;
  /* More than the fd table could hold is no count. */
  if (!v || errno || end == v || *end || n <= 0 || n > 1 << 20)
    return 0;
  return (int)n;
}

/* The slot of variable `name` in envp (a NULL-terminated array with room
 * after its end): its entry, or the terminating NULL. */
static char **env_slot(char **envp, const char *name) {
  size_t n = strlen(name);
  char **v = envp;
  for (; *v; v++)
    if (!strncmp(*v, name, n) && (*v)[n] == '=')
      break;
  return v;
}

static const char *env_get(char **envp, const char *name) {
  char **slot = env_slot(envp, name);
  return *slot ? *slot + strlen(name) + 1 : NULL;
}

/* Sets NAME=value, replacing NAME's entry or taking the room at the end. */
static int env_put(char **envp, const char *name, int value, err_t *e) {
  char **slot = env_slot(envp, name);
  char *entry;
  if (asprintf(&entry, "%s=%d", name, value) < 0)
    return err_sys(e, "environment");
  free(*slot);
  *slot = entry;
  return 0;
}

int process_prepare_exec(const struct oci_process *p, int listen_fds, char ***envp_out,
                         char **path_out, err_t *e) {
  size_t n = 0;
  while (p->env[n])
    n++;
  /* Room for HOME, LISTEN_FDS, LISTEN_PID and the NULL. */
  _cleanup_strv_ char **envp = calloc(n + 4, sizeof *envp);
  if (!envp)
    return err_sys(e, "environment");
  for (size_t i = 0; i < n; i++)
    if (!(envp[i] = strdup(p->env[i])))
      return err_sys(e, "environment");
  if (!env_get(envp, "HOME")) {
    /* From the container's /etc/passwd; "/" for a user it does not list. */
    _cleanup_free_ char *home = passwd_lookup("/etc/passwd", p->user.uid, PASSWD_HOME);
    if (asprintf(&envp[n], "HOME=%s", home ? home : "/") < 0)
      return err_sys(e, "environment");
  }
  if (listen_fds > 0 &&
      ((!env_get(envp, "LISTEN_FDS") && env_put(envp, "LISTEN_FDS", listen_fds, e) < 0) ||
       env_put(envp, "LISTEN_PID", (int)getpid(), e) < 0))
    return -1;
  const char *arg0 = p->args[0];
  _cleanup_free_ char *path = NULL;
  if (strchr(arg0, '/')) {
    if (!(path = strdup(arg0)))
      return err_sys(e, "exec");
  } else {
    const char *search = env_get(envp, "PATH");
    _cleanup_free_ char *dirs = strdup(search ? search : DEFAULT_PATH);
    if (!dirs)
      return err_sys(e, "exec");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
      _cleanup_free_ char *cand = path_join(*d ? d : ".", arg0);
      struct stat st;
      if (cand && stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
        path = steal_ptr(&cand);
        break;
      }
    }
    /* These words are what podman matches to report exit codes 127 and 126. */
    if (!path)
      return err_set(e, ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
  }
  struct stat st;
  if (stat(path, &st) < 0)
    return err_set(e, errno, "exec: \"%s\": %s", arg0, strerror(errno));
  if (S_ISDIR(st.st_mode))
    return err_set(e, EACCES, "exec: \"%s\": is a directory: permission denied", arg0);
  if (access(path, X_OK) < 0)
    return err_set(e, errno, "exec: \"%s\": %s", arg0, strerror(errno));
  *envp_out = steal_ptr(&envp);
  *path_out = steal_ptr(&path);
  return 0;
}

int close_fds_from(int first, const int *keep, size_t n_keep, err_t *e) {
  /* close_range() over the gaps between the fds we keep. */
  int lo = first;
  for (;;) {
    int next = -1;
    for (size_t i = 0; i < n_keep; i++)
      if (keep[i] >= lo && (next < 0 || keep[i] < next))
        next = keep[i];
    unsigned hi = next < 0 ? ~0U : (unsigned)next - 1;
    if ((next < 0 || next > lo) && close_range((unsigned)lo, hi, 0) < 0)
      return err_sys(e, "close inherited file descriptors");
    if (next < 0)
      return 0;
    lo = next + 1;
  }
}

int process_exec(const struct oci_process *p, const struct seccomp_filter *seccomp,
                 struct seccomp_listener *listener, bool kept_admin, const char *path,
                 char **envp, err_t *e) {
  /* A session and process group of its own, as runc gives every container
   * process: the ones it was born in are the runtime's caller's, which in
   * a pid namespace it sees as 0. (With a terminal, console_attach made
   * it a session leader already.) */
  if (getsid(0) != getpid() && setsid() < 0)
    return err_sys(e, "setsid");
  if (p->user.has_umask)
    umask(p->user.umask);
  else
    umask(022);
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return err_sys(e, "set no_new_privs");
  /* Seccomp last: only the final capset and execve run under the filter. */
  int notify_fd = -1;
  if (seccomp && seccomp_load_filter(seccomp, &notify_fd, e) < 0)
    return -1;
  if (notify_fd >= 0) {
    /* The process itself must not keep its own notify fd. */
    int r = listener && listener->sock >= 0
                ? seccomp_listener_send(listener, notify_fd, e)
                : err_set(e, EINVAL, "seccomp: SCMP_ACT_NOTIFY without a listener");
    close(notify_fd);
    if (r < 0)
      return -1;
  }
  if (kept_admin && caps_set(&p->caps, 0, e) < 0)
    return -1;
  execve(path, p->args, envp);
  return err_set(e, errno, "exec: \"%s\": %s", p->args[0], strerror(errno));
}
