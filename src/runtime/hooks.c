#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/self_protect.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/syscalls.h"

extern char **environ;

static int wait_hook(pid_t pid, int timeout, int *status, err_t *e) {
  _cleanup_close_ int pidfd = sys_pidfd_open(pid, 0);
  if (pidfd < 0)
    return err_sys(e, "watch hook");
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int wait_ms = -1;
    if (timeout > 0) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      wait_ms = elapsed >= timeout * 1000L ? 0 : (int)(timeout * 1000L - elapsed);
    }
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int r = poll(&p, 1, wait_ms);
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, status, 0);
      return err_set(e, ETIMEDOUT, "timed out after %d s", timeout);
    }
    break;
  }
  while (waitpid(pid, status, 0) < 0)
    if (errno != EINTR)
      return err_sys(e, "wait for hook");
  return 0;
}

/* Our own environment without capsule's private variables: what a hook
 * without `env` gets, as runc and crun give it theirs. The strings stay
 * environ's; only the array is ours. Built before the fork. */
static char **runtime_env(err_t *e) {
  size_t n = 0;
  while (environ && environ[n])
    n++;
  char **env = calloc(n + 1, sizeof *env);
  if (!env)
    return err_sys(e, "hook environment"), NULL;
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    if (!runtime_env_is_private(environ[i]))
      env[kept++] = environ[i];
  return env;
}

static int run_one(const struct oci_hook *h, const char *state_json, char *const *default_env,
                   err_t *e) {
  _cleanup_free_ char **ours = NULL;
  if (!h->env && !default_env && !(ours = runtime_env(e)))
    return -1;
  char *const *env = h->env ? h->env : default_env ? default_env : ours;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return err_sys(e, "hook pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return err_sys(e, "fork hook");
  }
  if (pid == 0) {
    dup2(pipefd[0], 0);
    char *default_args[] = {(char *)h->path, NULL};
    execve(h->path, h->args ? h->args : default_args, env);
    _exit(127);
  }
  close(pipefd[0]);
  /* A hook that does not read its stdin must not make us fail: ignore EPIPE. */
  struct sigaction ign = {.sa_handler = SIG_IGN}, old;
  sigaction(SIGPIPE, &ign, &old);
  write_all(pipefd[1], state_json, strlen(state_json));
  close(pipefd[1]);
  sigaction(SIGPIPE, &old, NULL);
  int status;
  if (wait_hook(pid, h->timeout, &status, e) < 0)
    return -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return err_set(e, ENOENT, "exited with status 127 (could not run %s?)", h->path);
  if (WIFEXITED(status))
    return err_set(e, ECANCELED, "exited with status %d", WEXITSTATUS(status));
  return err_set(e, ECANCELED, "killed by signal %d", WTERMSIG(status));
}

int hooks_run(enum oci_hook_kind kind, const struct oci_hook *hooks, size_t n,
              const char *state_json, char *const *default_env, err_t *e) {
  /* The spec: a failing poststart or poststop hook is a warning, and the
   * remaining hooks and the lifecycle go on. */
  bool warn_only = kind == HOOK_POSTSTART || kind == HOOK_POSTSTOP;
  for (size_t i = 0; i < n; i++) {
    if (run_one(&hooks[i], state_json, default_env, e) == 0)
      continue;
    err_wrap(e, "%s hook %s", oci_hook_name(kind), hooks[i].path);
    if (!warn_only)
      return -1;
    log_warn("%s", e->msg);
    err_clear(e);
  }
  return 0;
}
