/* events: a container's usage (runc's stats events) once or at an
 * interval, and an "oom" event when the kernel kills one of its processes
 * for lack of memory, until the container stops. */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/proc.h"

/* How often the OOM counter and the init are looked at between two stats
 * events: the kernel offers no wakeup that covers v1, v2 and a dying init at
 * once, and two small reads ten times a second cost nothing. */
#define EVENTS_TICK_MS 100

static int emit_event(const char *type, const char *id, json_t *data, runtime_event_fn emit,
                      void *arg, err_t *e) {
  bool failed = false;
  _cleanup_json_ json_t *ev = json_pack("{s:s, s:s}", "type", type, "id", id);
  if (!ev)
    failed = true;
  if (data)
    json_set(ev, "data", data, &failed);
  if (json_built(failed, "event", e) < 0)
    return -1;
  return emit(ev, arg, e);
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) < 0 && errno == EINTR)
    ;
}

static int watch(struct container *c, const char *id, long interval_ms, runtime_event_fn emit,
                 void *arg, err_t *e) {
  err_t ignored = ERR_INIT;
  uint64_t ooms = 0, now;
  cgroup_oom_kills(c->cgroup, &ooms, &ignored);
  for (;;) {
    json_t *data = cgroup_stats(c->cgroup, e);
    if (!data || emit_event("stats", id, data, emit, arg, e) < 0)
      return -1;
    if (interval_ms <= 0)
      return 0; /* --stats: once */
    for (long waited = 0; waited < interval_ms;) {
      long step = interval_ms - waited < EVENTS_TICK_MS ? interval_ms - waited : EVENTS_TICK_MS;
      sleep_ms(step);
      waited += step;
      /* The OOM kill first: it may be what ended the container. */
      if (cgroup_oom_kills(c->cgroup, &now, &ignored) == 0 && now > ooms) {
        ooms = now;
        if (emit_event("oom", id, NULL, emit, arg, e) < 0)
          return -1;
      }
      if (!proc_alive(c->state.pid, c->state.pid_start_time))
        return 0;
    }
  }
}

int runtime_events(const struct runtime_ctx *rt, const char *id, long interval_ms,
                   runtime_event_fn emit, void *arg, err_t *e) {
  struct container *c = NULL;
  enum container_status st;
  if (container_open_unlocked(rt, id, false, &c, &st, e) < 0)
    return -1;
  int ret = -1;
  if (st == STATUS_STOPPED)
    err_set(e, EINVAL, "events: container \"%s\" is not running", id);
  else if (!c->cgroup)
    err_set(e, EINVAL, "events: container \"%s\" has no cgroup", id);
  else
    ret = watch(c, id, interval_ms, emit, arg, e);
  container_release(c);
  return ret;
}
