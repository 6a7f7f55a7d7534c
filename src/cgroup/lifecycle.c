/* Creating the container's groups, moving processes in, removing them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define DESTROY_WAIT_MS 2000

/* mkdir -p of h->dir below h->mount; *first gets the topmost directory this
 * call created (NULL if the group existed), so a failure can undo it. */
static int make_group_dirs(const struct cgroup_hierarchy *h, char **first, err_t *e) {
  *first = NULL;
  if (mkdir(h->dir, 0755) == 0)
    return (*first = strdup(h->dir)) ? 0 : err_sys(e, "cgroup: mkdir %s", h->dir);
  if (errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return err_sys(e, "cgroup: mkdir %s", h->dir);
  _cleanup_free_ char *path = strdup(h->dir);
  if (!path)
    return err_sys(e, "cgroup: mkdir %s", h->dir);
  /* each ancestor below the mount, then the group itself (p == NULL) */
  for (char *p = strchr(path + strlen(h->mount) + 1, '/');; p = strchr(p + 1, '/')) {
    if (p)
      *p = '\0';
    int rc = mkdir(path, 0755);
    if (rc < 0 && errno != EEXIST) {
      err_sys(e, "cgroup: mkdir %s", path);
      if (p)
        *p = '/';
      return -1;
    }
    if (rc == 0 && !*first && !(*first = strdup(path)))
      return err_sys(e, "cgroup: mkdir %s", path);
    if (!p)
      return 0;
    *p = '/';
  }
}

/* rmdir from the leaf up to and including `first`, undoing make_group_dirs. */
static void remove_created(const char *dir, const char *first) {
  _cleanup_free_ char *path = strdup(dir);
  size_t stop = strlen(first);
  while (path && strlen(path) >= stop) {
    if (rmdir(path) < 0 && errno != ENOENT)
      log_debug("cgroup: cleanup: rmdir %s: %s", path, strerror(errno));
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
      break;
    *slash = '\0';
  }
}

/* A new v1 cpuset group starts with no cpus and no memory nodes, and no
 * process can join it until both are set: copy them from the nearest
 * ancestor that has them, filling every empty level on the way down.
 * `created` says `dir` is new (so empty: no need to read it). */
static int cpuset_fill(const struct cgroup_hierarchy *h, const char *dir, bool created,
                       char **cpus, char **mems, err_t *e) {
  struct cgroup_hierarchy at = *h;
  at.dir = (char *)dir;
  if (!created) {
    if (!(*cpus = cgroup_read(&at, "cpuset.cpus", e)) || !(*mems = cgroup_read(&at, "cpuset.mems", e)))
      return -1;
    if ((**cpus && **mems) || !strcmp(dir, h->mount))
      return 0;
    free(*cpus);
    free(*mems);
    *cpus = *mems = NULL;
  }
  _cleanup_free_ char *parent = strdup(dir);
  if (!parent)
    return err_sys(e, "cgroup: cpuset");
  *strrchr(parent, '/') = '\0';
  if (cpuset_fill(h, parent, false, cpus, mems, e) < 0)
    return -1;
  return cgroup_write(&at, "cpuset.cpus", *cpus, e) < 0 || cgroup_write(&at, "cpuset.mems", *mems, e) < 0
             ? -1
             : 0;
}

/* cgroup v2 offers a controller's files in a group only when its parent
 * lists the controller in cgroup.subtree_control. Enable everything the
 * nearest existing ancestor offers, there and in each level created below
 * it. Failures are not fatal here (an ancestor that holds processes cannot
 * delegate, for one): the write of a resource then names what is missing. */
static void enable_v2_controllers(const struct cgroup_hierarchy *h, const char *first) {
  err_t e = ERR_INIT;
  _cleanup_free_ char *top = strdup(first);
  if (!top)
    return;
  *strrchr(top, '/') = '\0';
  struct cgroup_hierarchy at = *h;
  at.dir = top;
  _cleanup_free_ char *available = cgroup_read(&at, "cgroup.controllers", &e);
  if (!available || !*available)
    return;
  char enable[512] = "";
  char *save = NULL;
  for (char *c = strtok_r(available, " ", &save); c; c = strtok_r(NULL, " ", &save))
    snprintf(enable + strlen(enable), sizeof enable - strlen(enable), "%s+%s", *enable ? " " : "",
             c);
  /* from the existing ancestor down to the leaf's parent */
  _cleanup_free_ char *dir = strdup(h->dir);
  if (!dir)
    return;
  size_t leaf_parent = (size_t)(strrchr(dir, '/') - dir);
  for (size_t len = strlen(top);;) {
    dir[len] = '\0';
    at.dir = dir;
    if (cgroup_write(&at, "cgroup.subtree_control", enable, &e) < 0)
      log_debug("cgroup: enable %s in %s: %s", enable, dir, e.msg);
    dir[len] = '/';
    if (len >= leaf_parent)
      break;
    len = (size_t)(strchrnul(dir + len + 1, '/') - dir);
  }
}

int cgroup_create(struct cgroup *cg, err_t *e) {
  _cleanup_free_ char **first = calloc(cg->n_hierarchies, sizeof *first);
  if (!first)
    return err_sys(e, "cgroup: create");
  size_t i;
  for (i = 0; i < cg->n_hierarchies; i++) {
    const struct cgroup_hierarchy *h = &cg->hierarchies[i];
    if (make_group_dirs(h, &first[i], e) < 0)
      goto undo;
    if (!first[i])
      continue; /* the group exists: it is set up already */
    if (h->v2)
      enable_v2_controllers(h, first[i]);
    else if (cgroup_controllers_have(h->name, "cpuset")) {
      _cleanup_free_ char *cpus = NULL, *mems = NULL;
      if (cpuset_fill(h, h->dir, true, &cpus, &mems, e) < 0)
        goto undo;
    }
  }
  for (i = 0; i < cg->n_hierarchies; i++)
    free(first[i]);
  return 0;
undo:
  err_wrap(e, "creating cgroup %s", cg->path);
  for (size_t j = 0; j <= i && j < cg->n_hierarchies; j++) {
    if (first[j])
      remove_created(cg->hierarchies[j].dir, first[j]);
    free(first[j]);
  }
  return -1;
}

int cgroup_attach(struct cgroup *cg, pid_t pid, err_t *e) {
  for (size_t i = 0; i < cg->n_hierarchies; i++)
    if (cgroup_writef(&cg->hierarchies[i], "cgroup.procs", e, "%d", (int)pid) < 0)
      return err_wrap(e, "cgroup: moving pid %d into %s", (int)pid, cg->path);
  return 0;
}

/* One attempt at removing a group and the groups below it, leaves first. */
static int remove_group_tree(const char *dir, void *unused, err_t *e) {
  if (rmdir(dir) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY && errno != ENOTEMPTY)
    return err_sys(e, "cgroup: rmdir %s", dir);
  if (cgroup_for_each_child(dir, remove_group_tree, unused, e) < 0)
    return -1;
  if (rmdir(dir) == 0 || errno == ENOENT)
    return 0;
  return err_sys(e, "cgroup: rmdir %s", dir);
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Exiting processes leave their group a moment after they are reaped;
 * EBUSY in that window is retried until `deadline` (shared by all the
 * hierarchies, so live processes cost the wait once). */
static int remove_group(const char *dir, long deadline, err_t *e) {
  struct timespec pause = {0, 1000000};
  for (;;) {
    if (remove_group_tree(dir, NULL, e) == 0)
      return 0;
    if (e->code != EBUSY)
      return -1;
    if (now_ms() >= deadline)
      return err_wrap(e, "still in use after %d ms (live processes?)", DESTROY_WAIT_MS);
    nanosleep(&pause, NULL);
    if (pause.tv_nsec < 64000000)
      pause.tv_nsec *= 2;
  }
}

int cgroup_destroy(struct cgroup *cg, err_t *e) {
  int rc = 0;
  long deadline = now_ms() + DESTROY_WAIT_MS;
  for (size_t i = 0; i < cg->n_hierarchies; i++) {
    err_t one = ERR_INIT;
    if (remove_group(cg->hierarchies[i].dir, deadline, &one) < 0 && rc == 0) {
      *e = one; /* keep going: leave as little behind as possible */
      rc = -1;
    }
  }
  return rc < 0 ? err_wrap(e, "removing cgroup %s", cg->path) : 0;
}
