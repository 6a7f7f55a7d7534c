/* create, start, stop, kill, wait, restart, attach: requests to a
 * container's monitor (monitor.c), and what to do when it has none (killed
 * with SIGKILL, or never started): the container's processes are found
 * through its cgroup, and the state is written here. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"

/* The container `name` and its current state. */
static int find(const struct engine *eng, const char *name, struct container_record *r,
                struct container_state *st, err_t *e) {
  if (container_dir_find(eng, name, r, e) < 0)
    return -1;
  if (container_state_current(eng, r->id, st, e) < 0) {
    container_record_free(r);
    return -1;
  }
  return 0;
}

/* Send a request line; with `answer`, read the reply line into it. -1 with
 * ECONNREFUSED/ENOENT in e when there is no monitor to ask. */
static int ask(const struct engine *eng, const char *id, const char *request, char *answer,
               size_t cap, err_t *e) {
  _cleanup_close_ int fd = monitor_connect(eng, id, e);
  if (fd < 0)
    return -1;
  if (write_all(fd, request, strlen(request)) < 0)
    return err_sys(e, "the monitor of container %.12s", id);
  if (!answer)
    return 0;
  ssize_t n = read_all(fd, answer, cap - 1);
  if (n <= 0)
    return err_set(e, ECONNRESET, "the monitor of container %.12s went away", id);
  answer[n] = '\0';
  return 0;
}

/* Nobody listens, or the listener died as we spoke (killed). */
static bool no_monitor(const err_t *e) {
  return e->code == ECONNREFUSED || e->code == ENOENT || e->code == ECONNRESET;
}

int engine_monitor_notify(const struct engine *eng, const char *id, const char *request,
                          err_t *e) {
  char line[128], answer[64];
  snprintf(line, sizeof line, "%s\n", request);
  return ask(eng, id, line, answer, sizeof answer, e);
}

static struct cgroup *container_cgroup(const char *id, err_t *e) {
  char path[ENGINE_CGROUP_MAX];
  engine_cgroup_path(path, sizeof path, id);
  struct cgroup *cg = NULL;
  return cgroup_resolve(path, id, &cg, e) < 0 ? NULL : cg;
}

/* Without a monitor: wait up to `ms` for the cgroup to empty. */
static bool cgroup_empties(const char *id, int64_t ms) {
  for (int64_t waited = 0; container_cgroup_busy(id); waited += 20) {
    if (ms >= 0 && waited >= ms)
      return false;
    poll(NULL, 0, 20);
  }
  return true;
}

/* A container whose monitor is gone: signal what is left of it, then
 * record its end as its monitor would have. */
static int stop_orphan(const struct engine *eng, const char *id, int sig, int timeout, err_t *e) {
  _cleanup_cgroup_ struct cgroup *cg = container_cgroup(id, e);
  if (!cg)
    return -1;
  err_t ignored = ERR_INIT;
  int last = sig;
  cgroup_signal_all(cg, sig, &ignored);
  if (!cgroup_empties(id, timeout < 0 ? -1 : (int64_t)timeout * 1000)) {
    cgroup_signal_all(cg, SIGKILL, &ignored);
    last = SIGKILL;
    cgroup_empties(id, 5000);
  }
  if (engine_runtime_remove(eng, id, NULL, NULL, e) < 0 || engine_net_down(eng, id, e) < 0)
    return -1;
  _cleanup_free_ char *merged = container_path(eng, id, "merged");
  if (!merged || overlay_unmount(merged, e) < 0)
    return -1;
  return container_state_exited(eng, id, 128 + last, false, true, true, e);
}

static int exit_of(const char *answer, int *code, err_t *e) {
  if (sscanf(answer, "exit %d", code) != 1)
    return err_set(e, EPROTO, "unexpected answer from the monitor: %.60s", answer);
  return 0;
}

/* A monitor that went away as we talked to it was finishing (its record
 * comes within moments), or was killed (the state soon says so, and the
 * container is stopped without it). */
static int wait_gone(const struct engine *eng, const char *id, int sig, int timeout, err_t *e) {
  struct container_state st;
  for (int i = 0; i < 100; i++) {
    if (container_state_current(eng, id, &st, e) < 0)
      return -1;
    if (!container_status_live(st.status))
      return 0;
    if (!proc_alive(st.monitor_pid, st.monitor_start))
      return stop_orphan(eng, id, sig, timeout, e);
    poll(NULL, 0, 50);
  }
  return err_set(e, ETIMEDOUT, "container %.12s: its monitor went away", id);
}

/* A VM container's relay (its "monitor", run --vm) forwards a signal to
 * the guest's process; QEMU must not get it (it would quit at once). */
static bool vm_signal(const struct container_state *st, int sig) {
  return st->monitor_pid && proc_alive(st->monitor_pid, st->monitor_start) &&
         kill(st->monitor_pid, sig) == 0;
}

/* stop of a VM container: the stop signal into the guest, then, after the
 * timeout, SIGKILL for QEMU and its relay as for a container without a
 * monitor. */
static int vm_stop(const struct engine *eng, const struct container_record *r,
                   const struct container_state *st, int timeout, err_t *e) {
  if (vm_signal(st, r->run.stop_signal) && cgroup_empties(r->id, (int64_t)timeout * 1000))
    return 0;
  return stop_orphan(eng, r->id, SIGKILL, 0, e);
}

int engine_stop(const struct engine *eng, const char *name, int timeout, err_t *e) {
  struct container_record r;
  struct container_state st;
  if (find(eng, name, &r, &st, e) < 0)
    return -1;
  int ret = 0;
  if (timeout < 0)
    timeout = r.run.stop_timeout;
  if (container_status_live(st.status) && r.run.vm) {
    ret = vm_stop(eng, &r, &st, timeout, e);
  } else if (container_status_live(st.status)) {
    char req[64], answer[64];
    int code;
    snprintf(req, sizeof req, "stop %d %d\n", r.run.stop_signal, timeout);
    if (ask(eng, r.id, req, answer, sizeof answer, e) == 0)
      ret = exit_of(answer, &code, e);
    else if (e->code == ECONNRESET)
      ret = wait_gone(eng, r.id, r.run.stop_signal, timeout, e);
    else if (no_monitor(e) && (*e = (err_t)ERR_INIT, 1))
      ret = stop_orphan(eng, r.id, r.run.stop_signal, timeout, e);
    else
      ret = -1;
  }
  if (ret == 0)
    engine_event_of(eng, &r, "stop", NULL);
  container_record_free(&r);
  return ret;
}

int engine_kill(const struct engine *eng, const char *name, int sig, err_t *e) {
  struct container_record r;
  struct container_state st;
  if (find(eng, name, &r, &st, e) < 0)
    return -1;
  int ret = -1;
  if (!container_status_live(st.status)) {
    err_set(e, EINVAL, "container %s is not running", r.name);
    goto out;
  }
  char req[32], answer[32];
  snprintf(req, sizeof req, "kill %d\n", sig);
  if (r.run.vm && sig != SIGKILL && vm_signal(&st, sig)) {
    ret = 0;
  } else if (ask(eng, r.id, req, answer, sizeof answer, e) == 0) {
    ret = 0;
  } else if (no_monitor(e)) {
    *e = (err_t)ERR_INIT;
    _cleanup_cgroup_ struct cgroup *cg = container_cgroup(r.id, e);
    ret = cg ? cgroup_signal_all(cg, sig, e) : -1;
  }
  if (ret == 0) {
    char s[16];
    snprintf(s, sizeof s, "%d", sig);
    engine_event_of(eng, &r, "kill", (const char *const[]){"signal", s, NULL});
  }
out:
  container_record_free(&r);
  return ret;
}

int engine_wait(const struct engine *eng, const char *name, int *code, err_t *e) {
  struct container_record r;
  struct container_state st;
  if (find(eng, name, &r, &st, e) < 0)
    return -1;
  char id[65];
  memcpy(id, r.id, sizeof id);
  container_record_free(&r);
  char answer[64];
  if (container_status_live(st.status)) {
    if (ask(eng, id, "wait\n", answer, sizeof answer, e) == 0)
      return exit_of(answer, code, e);
    *e = (err_t)ERR_INIT;
    /* No monitor, or it went away as we asked (the container has just
     * exited): the state, checked against the system, tells. */
    while (container_state_current(eng, id, &st, e) == 0 && container_status_live(st.status))
      poll(NULL, 0, 100);
    if (e->code)
      return -1;
  }
  *code = st.exit_code;
  return 0;
}

int engine_start(const struct engine *eng, const char *name, int attach, err_t *e) {
  struct container_record r;
  struct container_state st;
  if (find(eng, name, &r, &st, e) < 0)
    return -1;
  int ret = 0;
  if (!container_status_live(st.status)) {
    _cleanup_close_ int lock = container_dir_lock(eng, r.id, e);
    ret = lock < 0 ? -1 : monitor_spawn(eng, r.id, lock, attach, false, e);
  } else if (attach >= 0) {
    ret = err_set(e, EBUSY, "container %s is already running", r.name);
  }
  container_record_free(&r);
  return ret;
}

/* docker's rule when its daemon starts: a policy among `policies` (any
 * with none), and never `unless-stopped` once the user stopped it. */
static bool policy_restarts(const struct container_record *r, const struct container_state *st,
                            char **policies, size_t n) {
  if (!strcmp(r->run.restart_policy, "unless-stopped") && st->manually_stopped)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(policies[i], r->run.restart_policy))
      return true;
  return n == 0;
}

int engine_start_all(const struct engine *eng, char **policies, size_t n, engine_started_fn done,
                     void *data, err_t *e) {
  struct container_record *all = NULL;
  size_t count = 0;
  if (container_dir_list(eng, &all, &count, e) < 0)
    return -1;
  for (size_t i = 0; i < count; i++) {
    struct container_state st;
    err_t one = ERR_INIT;
    if (container_state_current(eng, all[i].id, &st, &one) == 0 &&
        (container_status_live(st.status) || !policy_restarts(&all[i], &st, policies, n))) {
      container_record_free(&all[i]);
      continue;
    }
    if (!one.code)
      engine_start(eng, all[i].id, -1, &one);
    done(all[i].name, one.code ? &one : NULL, data);
    container_record_free(&all[i]);
  }
  free(all);
  return 0;
}

int engine_restart(const struct engine *eng, const char *name, int timeout, err_t *e) {
  return engine_stop(eng, name, timeout, e) < 0 ? -1 : engine_start(eng, name, -1, e);
}

int engine_attach_info(const struct engine *eng, const char *name,
                       struct engine_attach_info *info, err_t *e) {
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  memcpy(info->id, r.id, sizeof info->id);
  info->tty = r.run.tty;
  info->interactive = r.run.interactive;
  container_record_free(&r);
  return 0;
}

int engine_attach(const struct engine *eng, const char *name, bool with_stdin,
                  struct engine_attach_info *info, err_t *e) {
  struct container_record r;
  struct container_state st;
  if (find(eng, name, &r, &st, e) < 0)
    return -1;
  memcpy(info->id, r.id, sizeof info->id);
  info->tty = r.run.tty;
  info->interactive = r.run.interactive;
  int fd = -1;
  if (strcmp(st.status, "running"))
    err_set(e, EINVAL, "you cannot attach to a %s container, start it first", st.status);
  else if ((fd = monitor_connect(eng, r.id, e)) >= 0 &&
           write_all(fd, with_stdin ? "attach 1\n" : "attach 0\n", 9) < 0) {
    err_sys(e, "attach to container %s", r.name);
    close(fd);
    fd = -1;
  }
  container_record_free(&r);
  return fd;
}

/* rm -f of a container that runs: its monitor kills it, cleans up and
 * exits (saying nothing in state.json); a container without a monitor is
 * left to the removal, which kills through the cgroup. */
int engine_remove_live(const struct engine *eng, const char *id, err_t *e) {
  char answer[64];
  if (ask(eng, id, "remove\n", answer, sizeof answer, e) == 0 || no_monitor(e)) {
    *e = (err_t)ERR_INIT;
    return 0;
  }
  return -1;
}
