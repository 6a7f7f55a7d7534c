/* Running CNI plugins (see cni.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/cni.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/syscalls.h"
#include "util/timefmt.h"

#define CNI_OUTPUT_MAX (1u << 20)

/* The plugin's file: a bare name looked up in the CNI_PATH directories. */
static int find_plugin(const char *dirs, const char *type, char *out, size_t cap, err_t *e) {
  if (!*type || strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(type))
    return err_set(e, EINVAL, "CNI plugin \"%s\": not a plugin name", type);
  const char *p = dirs;
  while (*p) {
    size_t len = strcspn(p, ":");
    if (len && (size_t)snprintf(out, cap, "%.*s/%s", (int)len, p, type) < cap &&
        access(out, X_OK) == 0)
      return 0;
    p += len + (p[len] == ':');
  }
  return err_set(e, ENOENT,
                 "CNI plugin %s not found in %s (Debian's package: containernetworking-plugins)",
                 type, dirs);
}

/* Whether fd is readable (or hung up) before `deadline` (CLOCK_MONOTONIC, ms). */
static bool wait_readable(int fd, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - time_monotonic_ms();
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = left > 0 ? poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left) : 0;
    if (ready != 0 && !(ready < 0 && errno == EINTR))
      return true; /* an error: the read that follows reports it */
    if (ready == 0)
      return false;
  }
}

/* Read all of fd (at most max bytes) onto the heap, until its end or
 * `deadline` (*timed_out set). */
static char *slurp(int fd, size_t max, size_t *len, int64_t deadline, bool *timed_out) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  *timed_out = false;
  while (buf) {
    if (!wait_readable(fd, deadline)) {
      *timed_out = true;
      break;
    }
    if (n == cap) {
      if (cap >= max)
        break;
      char *grown = realloc(buf, cap * 2 + 1);
      if (!grown) {
        free(buf);
        return NULL;
      }
      buf = grown;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    n += (size_t)r;
  }
  if (buf)
    buf[n] = '\0';
  *len = n;
  return buf;
}

/* The message of a plugin that failed: its error object, else its stderr. */
static int plugin_failed(const char *type, const char *command, int status, const char *out,
                         int errfd, err_t *e) {
  _cleanup_json_ json_t *err = json_loads(out, 0, NULL);
  const char *msg = json_string_value(json_object_get(err, "msg"));
  const char *details = json_string_value(json_object_get(err, "details"));
  if (msg)
    return err_set(e, EIO, "CNI plugin %s %s: %s%s%s", type, command, msg,
                   details && *details ? ": " : "", details ? details : "");
  char text[512] = "";
  ssize_t n = pread(errfd, text, sizeof text - 1, 0);
  text[n > 0 ? n : 0] = '\0';
  text[strcspn(text, "\n")] = '\0';
  if (WIFSIGNALED(status))
    return err_set(e, EIO, "CNI plugin %s %s: killed by signal %d", type, command,
                   WTERMSIG(status));
  return err_set(e, EIO, "CNI plugin %s %s: exit status %d%s%s", type, command,
                 WEXITSTATUS(status), *text ? ": " : "", text);
}

int cni_exec(const struct cni_target *t, const char *command, json_t *conf, json_t **result,
             err_t *e) {
  const char *type = json_string_value(json_object_get(conf, "type"));
  char plugin[4096];
  if (!type)
    return err_set(e, EINVAL, "CNI config without a \"type\"");
  if (find_plugin(t->path, type, plugin, sizeof plugin, e) < 0)
    return -1;
  _cleanup_free_ char *input = json_dumps(conf, JSON_COMPACT);
  char env_cmd[64], env_id[128], env_ns[4200], env_if[64], env_path[4200];
  snprintf(env_cmd, sizeof env_cmd, "CNI_COMMAND=%s", command);
  snprintf(env_id, sizeof env_id, "CNI_CONTAINERID=%s", t->container_id);
  snprintf(env_ns, sizeof env_ns, "CNI_NETNS=%s", t->netns);
  snprintf(env_if, sizeof env_if, "CNI_IFNAME=%s", t->ifname);
  snprintf(env_path, sizeof env_path, "CNI_PATH=%s", t->path);
  /* The plugins run iptables and friends from PATH. */
  char *envp[] = {env_cmd, env_id, env_ns, env_if, env_path,
                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
  char *argv[] = {plugin, NULL};
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  _cleanup_free_ char *text = NULL;
  _cleanup_close_ int errfd = memfd_create("cni-stderr", MFD_CLOEXEC);
  _cleanup_close_ int pidfd = -1;
  if (!input || errfd < 0 || pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
    err_sys(e, "CNI plugin %s", type);
    goto fail_fds;
  }
  pid_t pid = fork();
  if (pid < 0) {
    err_sys(e, "CNI plugin %s: fork", type);
    goto fail_fds;
  }
  if (pid == 0) {
    /* A plugin does not outlive a killed engine: what it half did is in the
     * saved state, which the next DEL (system check) undoes, and a plugin
     * still adding meanwhile would race it. Its own process group: a hung
     * one is killed with what it started (iptables). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(errfd, 2) < 0)
      _exit(127);
    execve(plugin, argv, envp);
    _exit(127);
  }
  setpgid(pid, pid); /* as the child does: whichever runs first */
  pidfd = sys_pidfd_open(pid, 0);
  close(in[0]);
  close(out[1]);
  /* Configs are a few KiB, below a pipe's buffer, and plugins read all of
   * stdin first: writing before reading cannot block for good. */
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);
  write_all(in[1], input, strlen(input));
  close(in[1]);
  size_t len = 0;
  int timeout = t->timeout_ms > 0 ? t->timeout_ms : CNI_TIMEOUT_MS;
  int64_t deadline = time_monotonic_ms() + timeout;
  bool timed_out;
  text = slurp(out[0], CNI_OUTPUT_MAX, &len, deadline, &timed_out);
  close(out[0]);
  signal(SIGPIPE, old);
  /* One that closed its stdout and goes on is as hung. */
  if (!timed_out && pidfd >= 0)
    timed_out = !wait_readable(pidfd, deadline);
  if (timed_out)
    kill(-pid, SIGKILL);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return err_sys(e, "CNI plugin %s: wait", type);
  if (timed_out)
    return err_set(e, ETIMEDOUT, "CNI plugin %s %s: no answer in %d ms: killed", type, command,
                   timeout);
  if (!text)
    return err_sys(e, "CNI plugin %s: output", type);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return plugin_failed(type, command, status, text, errfd, e);
  if (!result)
    return 0;
  json_error_t je;
  if (!(*result = json_loadb(text, len, 0, &je)) || !json_is_object(*result)) {
    json_decref(*result);
    *result = NULL;
    return err_set(e, EIO, "CNI plugin %s %s: its result is not a JSON object", type, command);
  }
  return 0;
fail_fds:
  for (int i = 0; i < 2; i++) {
    if (in[i] >= 0)
      close(in[i]);
    if (out[i] >= 0)
      close(out[i]);
  }
  return -1;
}

/* What plugin `i` of the list is given: its own object plus the list's
 * version and name, and the result so far. */
static json_t *plugin_conf(json_t *list, size_t i, json_t *prev) {
  json_t *conf = json_deep_copy(json_array_get(json_object_get(list, "plugins"), i));
  bool failed = !conf;
  json_set(conf, "cniVersion", json_incref(json_object_get(list, "cniVersion")), &failed);
  json_set(conf, "name", json_incref(json_object_get(list, "name")), &failed);
  if (prev)
    json_set(conf, "prevResult", json_incref(prev), &failed);
  return json_done(conf, failed);
}

int cni_add(const struct cni_target *t, json_t *list, json_t **result,
            int (*saved)(json_t *result, void *data, err_t *e), void *data, err_t *e) {
  size_t n = json_array_size(json_object_get(list, "plugins"));
  _cleanup_json_ json_t *prev = NULL;
  for (size_t i = 0; i < n; i++) {
    _cleanup_json_ json_t *conf = plugin_conf(list, i, prev);
    json_t *next = NULL;
    if (!conf) {
      err_set(e, ENOMEM, "CNI config");
      goto undo;
    }
    if (cni_exec(t, "ADD", conf, &next, e) < 0)
      goto undo;
    json_decref(prev);
    prev = next;
    if (saved && saved(prev, data, e) < 0)
      goto undo;
  }
  *result = steal_ptr(&prev);
  return 0;
undo:;
  err_t ignored = ERR_INIT;
  cni_del(t, list, prev, &ignored);
  return -1;
}

int cni_del(const struct cni_target *t, json_t *list, json_t *result, err_t *e) {
  int ret = 0;
  for (size_t i = json_array_size(json_object_get(list, "plugins")); i-- > 0;) {
    _cleanup_json_ json_t *conf = plugin_conf(list, i, result);
    err_t one = ERR_INIT;
    /* Once more after a failure: the bridge plugin, killed half-way through
     * an ADD, fails its first DEL (a NAT chain it never made) after undoing
     * the rest, and its second DEL then succeeds. */
    int rc = !conf ? err_set(&one, ENOMEM, "CNI config") : cni_exec(t, "DEL", conf, NULL, &one);
    if (rc < 0 && conf && one.code != ETIMEDOUT) /* a hung one would hang again */
      rc = cni_exec(t, "DEL", conf, NULL, &one);
    if (rc < 0 && ret == 0) {
      *e = one;
      ret = -1;
    }
  }
  return ret;
}
