/* containers/<id>/state.json: what changes over a container's life (docker's
 * State), apart from its record, which is written once. The process that
 * waits for the container's init (its monitor, or a foreground `run`)
 * writes it at each change; readers check it against the live system, so a
 * writer killed before its last word never makes a dead container look
 * alive. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/proc.h"
#include "util/timefmt.h"

static const char *const statuses[] = {"created", "running", "paused", "restarting", "exited",
                                       "dead"};

bool container_status_live(const char *status) {
  return !strcmp(status, "running") || !strcmp(status, "paused") ||
         !strcmp(status, "restarting");
}

static int copy_str(char *dst, size_t cap, json_t *j, const char *key, err_t *e) {
  const char *s = NULL;
  if (json_opt_str(j, key, "state", &s, e) < 0)
    return -1;
  snprintf(dst, cap, "%s", s ? s : "");
  return 0;
}

int container_state_load(const struct engine *eng, const char *id, struct container_state *st,
                         err_t *e) {
  memset(st, 0, sizeof *st);
  snprintf(st->status, sizeof st->status, "created");
  _cleanup_free_ char *path = container_path(eng, id, "state.json");
  if (!path)
    return err_sys(e, "container %s", id);
  /* No state yet: created. */
  size_t len;
  _cleanup_free_ char *text = read_file(path, JSON_DOC_MAX_BYTES, &len, e);
  if (!text && e->code == ENOENT) {
    *e = (err_t)ERR_INIT;
    return 0;
  }
  _cleanup_json_ json_t *j = text ? json_load_object_buf(text, len, path, e) : NULL;
  if (!j)
    return -1;
  int64_t pid = 0, code = 0, restarts = 0, monitor = 0;
  uint64_t monitor_start = 0;
  if (copy_str(st->status, sizeof st->status, j, "status", e) < 0 ||
      json_opt_i64(j, "pid", "state", &pid, e) < 0 ||
      json_opt_i64(j, "exitCode", "state", &code, e) < 0 ||
      json_opt_bool(j, "oomKilled", "state", &st->oom_killed, e) < 0 ||
      copy_str(st->started_at, sizeof st->started_at, j, "startedAt", e) < 0 ||
      copy_str(st->finished_at, sizeof st->finished_at, j, "finishedAt", e) < 0 ||
      json_opt_i64(j, "restartCount", "state", &restarts, e) < 0 ||
      json_opt_bool(j, "manuallyStopped", "state", &st->manually_stopped, e) < 0 ||
      json_opt_i64(j, "monitorPid", "state", &monitor, e) < 0 ||
      json_opt_u64(j, "monitorStartTime", "state", &monitor_start, e) < 0 ||
      copy_str(st->error, sizeof st->error, j, "error", e) < 0)
    return err_wrap(e, "%s", path);
  bool known = false;
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
    known |= !strcmp(st->status, statuses[i]);
  if (!known || pid < 0 || pid > INT32_MAX || code < 0 || code > 255 || restarts < 0 ||
      restarts > INT32_MAX || monitor < 0 || monitor > INT32_MAX)
    return err_set(e, EINVAL, "%s: invalid state", path);
  st->pid = (int)pid;
  st->exit_code = (int)code;
  st->restart_count = (int)restarts;
  st->monitor_pid = (int)monitor;
  st->monitor_start = monitor_start;
  return 0;
}

int container_state_save(const struct engine *eng, const char *id, const struct container_state *st,
                         bool durable, err_t *e) {
  _cleanup_json_ json_t *j = json_pack(
      "{s:s, s:i, s:i, s:b, s:s, s:s, s:i, s:b, s:i, s:I, s:s}", "status", st->status, "pid",
      st->pid, "exitCode", st->exit_code, "oomKilled", st->oom_killed, "startedAt", st->started_at,
      "finishedAt", st->finished_at, "restartCount", st->restart_count, "manuallyStopped",
      st->manually_stopped, "monitorPid",
      st->monitor_pid, "monitorStartTime", (json_int_t)st->monitor_start, "error", st->error);
  /* Compact: ps parses every container's state, white space included. */
  _cleanup_free_ char *text = j ? json_dump_checked(j, JSON_COMPACT) : NULL;
  _cleanup_free_ char *path = container_path(eng, id, "state.json");
  if (!text || !path)
    return err_set(e, ENOMEM, "container state");
  return durable ? atomic_write_at(AT_FDCWD, path, text, strlen(text), 0600, e)
                 : atomic_replace_at(AT_FDCWD, path, text, strlen(text), 0600, e);
}

bool container_cgroup_busy(const char *id) {
  char path[ENGINE_CGROUP_MAX];
  engine_cgroup_path(path, sizeof path, id);
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  err_t e = ERR_INIT;
  if (cgroup_resolve(path, id, &cg, &e) < 0 || cgroup_pids(cg, &pids, &n, &e) < 0)
    return false; /* no group: nothing of the container runs */
  /* A zombie waiting for whoever adopted it (its monitor killed) runs no
   * more. */
  for (size_t i = 0; i < n; i++) {
    char st;
    if (proc_stat(pids[i], NULL, &st) == 0 && st != 'Z' && st != 'X')
      return true;
  }
  return false;
}

int container_state_current(const struct engine *eng, const char *id, struct container_state *st,
                            err_t *e) {
  return container_state_watched(eng, id, false, st, e);
}

int container_state_watched(const struct engine *eng, const char *id, bool locked,
                            struct container_state *st, err_t *e) {
  if (container_state_load(eng, id, st, e) < 0)
    return -1;
  if (!container_status_live(st->status) || locked ||
      (st->monitor_pid && proc_alive(st->monitor_pid, st->monitor_start)))
    return 0;
  /* Nobody watches it any more: its cgroup tells whether it runs. */
  if (strcmp(st->status, "restarting") && container_cgroup_busy(id))
    return 0;
  snprintf(st->status, sizeof st->status, "exited");
  st->pid = 0;
  st->exit_code = 255;
  snprintf(st->error, sizeof st->error, "the container's monitor is gone: exit status unknown");
  return 0;
}

int container_state_running(const struct engine *eng, const char *id, int pid, bool restarted,
                            bool durable, err_t *e) {
  struct container_state st;
  if (container_state_load(eng, id, &st, e) < 0)
    return -1;
  _cleanup_free_ char *now = rfc3339_now();
  if (!now)
    return err_sys(e, "container state");
  snprintf(st.status, sizeof st.status, "running");
  st.pid = pid;
  st.exit_code = 0;
  st.oom_killed = false;
  snprintf(st.started_at, sizeof st.started_at, "%s", now);
  st.restart_count += restarted;
  st.manually_stopped = false;
  st.monitor_pid = getpid();
  st.monitor_start = 0;
  if (proc_stat(st.monitor_pid, &st.monitor_start, NULL) < 0)
    return err_sys(e, "read our own /proc stat");
  st.error[0] = '\0';
  return container_state_save(eng, id, &st, durable, e);
}

int container_state_exited(const struct engine *eng, const char *id, int code, bool oom_killed,
                           bool by_user, bool durable, err_t *e) {
  return container_state_ended(eng, id, "exited", code, oom_killed, by_user, durable, e);
}

int container_state_ended(const struct engine *eng, const char *id, const char *status, int code,
                          bool oom_killed, bool by_user, bool durable, err_t *e) {
  struct container_state st;
  if (container_state_load(eng, id, &st, e) < 0)
    return -1;
  _cleanup_free_ char *now = rfc3339_now();
  if (!now)
    return err_sys(e, "container state");
  snprintf(st.status, sizeof st.status, "%s", status);
  st.pid = 0;
  st.exit_code = code;
  st.oom_killed = oom_killed;
  st.manually_stopped = by_user;
  snprintf(st.finished_at, sizeof st.finished_at, "%s", now);
  if (strcmp(status, "restarting")) { /* else the monitor goes on */
    st.monitor_pid = 0;
    st.monitor_start = 0;
  }
  return container_state_save(eng, id, &st, durable, e);
}
