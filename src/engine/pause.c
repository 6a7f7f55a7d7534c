/* pause and unpause: the container's processes frozen and thawed through
 * the runtime (the freezer of its cgroup); a VM's vCPUs stopped and
 * resumed by QEMU (QMP). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/internal.h"

int engine_pause(const struct engine *eng, const char *name, bool pause, err_t *e) {
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  int ret = -1;
  json_int_t pid;
  /* A VM has no runtime state: its own state says (its relay keeps it). */
  struct container_state cs;
  err_t unknown = ERR_INIT;
  const char *st = !r.run.vm ? engine_status(eng, r.id, &pid)
                   : container_state_current(eng, r.id, &cs, &unknown) == 0 ? cs.status
                                                                            : "dead";
  struct runtime_ctx rt = engine_runtime(eng);
  if (pause && !strcmp(st, "paused"))
    err_set(e, EINVAL, "container %s is already paused", name);
  else if (pause && strcmp(st, "running"))
    err_set(e, EINVAL, "container %s is not running", name);
  else if (!pause && strcmp(st, "paused"))
    err_set(e, EINVAL, "container %s is not paused", name);
  else if (r.run.vm ? engine_vm_pause(eng, r.id, pause, e) == 0
                    : (pause ? runtime_pause : runtime_resume)(&rt, r.id, e) == 0)
    ret = 0;
  if (ret == 0) {
    /* docker's State.Status says paused too; the monitor writes the rest. */
    err_t ignored = ERR_INIT;
    if (container_state_load(eng, r.id, &cs, &ignored) == 0 &&
        !strcmp(cs.status, pause ? "running" : "paused")) {
      snprintf(cs.status, sizeof cs.status, "%s", pause ? "paused" : "running");
      container_state_save(eng, r.id, &cs, false, &ignored);
    }
    engine_event_of(eng, &r, pause ? "pause" : "unpause", NULL);
  }
  container_record_free(&r);
  return ret;
}
