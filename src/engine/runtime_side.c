/* What the runtime holds of an engine container: its state under the run
 * root and its cgroup. Removing them must not depend on the runtime's
 * record being whole: a kill -9 can leave it missing, half-made or with a
 * cgroup it no longer leads to, and the engine knows the cgroup's path
 * anyway (it chose it). */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

const char *engine_cgroup_parent(void) {
  const char *p = getenv(ENGINE_CGROUP_PARENT_ENV);
  return p && engine_cgroup_parent_valid(p) ? p : ENGINE_CGROUP_PARENT_DEFAULT;
}

bool engine_cgroup_parent_valid(const char *p) {
  if (p[0] != '/' || strlen(p) > ENGINE_CGROUP_PARENT_MAX || strstr(p, "//") ||
      p[strlen(p) - 1] == '/')
    return false;
  for (const char *c = p; *c; c++)
    if (!(isalnum((unsigned char)*c) || strchr("/-_.", *c)))
      return false;
  return !strstr(p, "/.");
}

void engine_cgroup_path(char *buf, size_t len, const char *id) {
  snprintf(buf, len, "%s/%s", engine_cgroup_parent(), id);
}

struct runtime_ctx engine_runtime(const struct engine *eng) {
  return (struct runtime_ctx){.root = eng->run_root};
}

const char *engine_status(const struct engine *eng, const char *id, json_int_t *pid) {
  struct runtime_ctx rt = engine_runtime(eng);
  _cleanup_json_ json_t *st = NULL;
  err_t e = ERR_INIT;
  *pid = 0;
  if (runtime_state(&rt, id, &st, &e) < 0)
    return e.code == ENOENT ? "exited" : "dead";
  *pid = json_integer_value(json_object_get(st, "pid"));
  const char *s = json_string_value(json_object_get(st, "status"));
  /* Owned by the state object: map to the static names. */
  static const char *const names[] = {"created", "running", "paused", "stopped"};
  for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(s, names[i]))
      return names[i];
  return "unknown";
}

bool engine_status_live(const char *status) {
  return strcmp(status, "stopped") && strcmp(status, "exited") && strcmp(status, "dead");
}

/* Kill what is left in the cgroup the engine gave `id` and remove it, in
 * every hierarchy; *found says whether any of it existed. */
static int remove_cgroup(const char *id, bool *found, err_t *e) {
  char path[ENGINE_CGROUP_MAX];
  engine_cgroup_path(path, sizeof path, id);
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  if (cgroup_resolve(path, id, &cg, e) < 0)
    return -1;
  *found = false;
  for (size_t i = 0; i < cg->n_hierarchies; i++)
    *found |= access(cg->hierarchies[i].dir, F_OK) == 0;
  if (!*found)
    return 0;
  err_t ignored = ERR_INIT; /* the group may be empty, or partly gone */
  cgroup_signal_all(cg, SIGKILL, &ignored);
  return cgroup_destroy(cg, e);
}

int engine_runtime_remove(const struct engine *eng, const char *id, bool *had_state,
                          bool *had_cgroup, err_t *e) {
  struct runtime_ctx rt = engine_runtime(eng);
  _cleanup_free_ char *state = path_join(eng->run_root, id);
  if (!state)
    return err_sys(e, "container %s", id);
  struct stat st;
  bool exists = lstat(state, &st) == 0;
  /* --force: whatever its state, running or not, readable or not. */
  if (exists && runtime_delete(&rt, id, true, e) < 0)
    return err_wrap(e, "container %.12s: delete its runtime state", id);
  bool cgroup = false;
  if (remove_cgroup(id, &cgroup, e) < 0)
    return err_wrap(e, "container %.12s", id);
  if (had_state)
    *had_state = exists;
  if (had_cgroup)
    *had_cgroup = cgroup;
  return 0;
}
