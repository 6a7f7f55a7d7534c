/* Freezing, listing and signalling the processes of a group.
 *
 * The freezer is v1's freezer.state where that controller is mounted (as
 * runc does on hybrid hosts), else v2's cgroup.freeze, whose completion
 * cgroup.events reports ("frozen 1") and signals with POLLPRI. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define FREEZE_TIMEOUT_MS 5000

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Re-read a control file through an open fd (kernfs regenerates it). */
static int reread(int fd, char *buf, size_t size) {
  ssize_t n = pread(fd, buf, size - 1, 0);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

/* v1: the state goes THAWED -> FREEZING -> FROZEN as tasks stop; the kernel
 * re-checks the tasks on each read of freezer.state. */
static int freeze_v1(const struct cgroup_hierarchy *h, bool frozen, err_t *e) {
  const char *want = frozen ? "FROZEN" : "THAWED";
  if (cgroup_write(h, "freezer.state", want, e) < 0)
    return -1;
  _cleanup_close_ int fd = cgroup_open(h, "freezer.state", O_RDONLY, e);
  if (fd < 0)
    return -1;
  long deadline = now_ms() + FREEZE_TIMEOUT_MS;
  struct timespec pause = {0, 100000};
  char state[32];
  for (;;) {
    if (reread(fd, state, sizeof state) < 0)
      return err_sys(e, "cgroup: read %s/freezer.state", h->dir);
    if (!strncmp(state, want, strlen(want)))
      return 0;
    if (now_ms() > deadline) {
      if (frozen) /* do not leave it half frozen */
        cgroup_write(h, "freezer.state", "THAWED", &(err_t)ERR_INIT);
      return err_set(e, ETIMEDOUT, "cgroup: %s still %.*s after %d ms", h->dir,
                     (int)strcspn(state, "\n"), state, FREEZE_TIMEOUT_MS);
    }
    nanosleep(&pause, NULL);
    if (pause.tv_nsec < 16000000)
      pause.tv_nsec *= 2;
  }
}

/* "frozen 0|1" from cgroup.events text; -1 if absent. */
static int events_frozen(const char *events) {
  const char *p = strstr(events, "frozen ");
  return p && (p == events || p[-1] == '\n') ? p[7] == '1' : -1;
}

static int freeze_v2(const struct cgroup_hierarchy *h, bool frozen, err_t *e) {
  if (cgroup_write(h, "cgroup.freeze", frozen ? "1" : "0", e) < 0)
    return -1;
  _cleanup_close_ int fd = cgroup_open(h, "cgroup.events", O_RDONLY, e);
  if (fd < 0)
    return -1;
  long deadline = now_ms() + FREEZE_TIMEOUT_MS;
  char events[256];
  for (;;) {
    if (reread(fd, events, sizeof events) < 0)
      return err_sys(e, "cgroup: read %s/cgroup.events", h->dir);
    int state = events_frozen(events);
    if (state < 0)
      return err_set(e, ENOTSUP, "cgroup: %s/cgroup.events has no frozen field", h->dir);
    if (state == frozen)
      return 0;
    long left = deadline - now_ms();
    if (left <= 0) {
      if (frozen)
        cgroup_write(h, "cgroup.freeze", "0", &(err_t)ERR_INIT);
      return err_set(e, ETIMEDOUT, "cgroup: %s not %s after %d ms", h->dir,
                     frozen ? "frozen" : "thawed", FREEZE_TIMEOUT_MS);
    }
    struct pollfd p = {.fd = fd, .events = POLLPRI};
    if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
      return err_sys(e, "cgroup: poll %s/cgroup.events", h->dir);
  }
}

/* The hierarchy that freezes: v1's freezer, else the v2 tree; NULL if none. */
static const struct cgroup_hierarchy *freezer(const struct cgroup *cg) {
  const struct cgroup_hierarchy *h = cgroup_v1(cg, "freezer");
  return h ? h : cgroup_v2(cg);
}

int cgroup_freeze(struct cgroup *cg, bool frozen, err_t *e) {
  const struct cgroup_hierarchy *h = freezer(cg);
  if (!h)
    return err_set(e, ENOTSUP, "cgroup: the host has no freezer (neither v1 freezer nor v2)");
  int rc = h->v2 ? freeze_v2(h, frozen, e) : freeze_v1(h, frozen, e);
  return rc < 0 ? err_wrap(e, "%s %s", frozen ? "freezing" : "thawing", cg->path) : 0;
}

int cgroup_is_frozen(struct cgroup *cg, err_t *e) {
  const struct cgroup_hierarchy *h = freezer(cg);
  if (!h)
    return err_set(e, ENOTSUP, "cgroup: the host has no freezer (neither v1 freezer nor v2)");
  _cleanup_free_ char *s = cgroup_read(h, h->v2 ? "cgroup.events" : "freezer.state", e);
  if (!s)
    return -1;
  if (!h->v2)
    return !strcmp(s, "FROZEN");
  int state = events_frozen(s);
  return state < 0 ? err_set(e, ENOTSUP, "cgroup: %s/cgroup.events has no frozen field", h->dir)
                   : state;
}

struct pid_list {
  pid_t *v;
  size_t n, cap;
};

/* The processes of `dir` and of every group below it. */
static int collect_pids(const char *dir, void *list, err_t *e) {
  struct pid_list *l = list;
  _cleanup_free_ char *procs_path = path_join(dir, "cgroup.procs");
  if (!procs_path)
    return err_sys(e, "cgroup: list %s", dir);
  _cleanup_free_ char *procs = read_file(procs_path, 0, NULL, e);
  if (!procs)
    return e->code == ENOENT ? 0 : -1; /* removed meanwhile */
  for (char *p = procs, *end; *p; p = end) {
    long pid = strtol(p, &end, 10);
    if (end == p)
      break;
    if (array_reserve_sz((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v) < 0)
      return err_sys(e, "cgroup: list %s", dir);
    l->v[l->n++] = (pid_t)pid;
  }
  return cgroup_for_each_child(dir, collect_pids, l, e);
}

static int compare_pids(const void *a, const void *b) {
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, err_t *e) {
  /* Every hierarchy holds all the container's processes; the v2 tree, if
   * any, is the one the kernel keeps consistent across threads. */
  const struct cgroup_hierarchy *h = cgroup_v2(cg);
  if (!h)
    h = &cg->hierarchies[0];
  struct pid_list l = {0};
  if (collect_pids(h->dir, &l, e) < 0) {
    free(l.v);
    return err_wrap(e, "listing processes of %s", cg->path);
  }
  if (l.n) /* qsort() must not be given a NULL array */
    qsort(l.v, l.n, sizeof *l.v, compare_pids);
  size_t kept = 0;
  for (size_t i = 0; i < l.n; i++)
    if (!kept || l.v[kept - 1] != l.v[i])
      l.v[kept++] = l.v[i];
  *pids = l.v;
  *n = kept;
  return 0;
}

static int signal_listed(struct cgroup *cg, int sig, size_t *sent, err_t *e) {
  _cleanup_free_ pid_t *pids = NULL;
  size_t n;
  if (cgroup_pids(cg, &pids, &n, e) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH)
      return err_sys(e, "cgroup: kill %d with signal %d", (int)pids[i], sig);
  *sent = n;
  return 0;
}

int cgroup_signal_all(struct cgroup *cg, int sig, err_t *e) {
  const struct cgroup_hierarchy *v2 = cgroup_v2(cg);
  const struct cgroup_hierarchy *fz = freezer(cg);
  size_t sent;
  /* cgroup.kill (Linux 5.14) kills the whole subtree atomically. */
  if (sig == SIGKILL && v2 && cgroup_write(v2, "cgroup.kill", "1", e) == 0) {
    /* tasks frozen by v1's freezer die only once thawed */
    return fz && !fz->v2 ? cgroup_freeze(cg, false, e) : 0;
  }
  if (!fz) {
    /* No freezer: signal until no new process shows up (bounded). */
    size_t before = SIZE_MAX;
    for (int round = 0; round < 20; round++) {
      if (signal_listed(cg, sig, &sent, e) < 0)
        return -1;
      if (sent == 0 || sent == before)
        return 0;
      before = sent;
    }
    return 0;
  }
  int was_frozen = cgroup_is_frozen(cg, e);
  if (was_frozen < 0 || (!was_frozen && cgroup_freeze(cg, true, e) < 0))
    return -1;
  int rc = signal_listed(cg, sig, &sent, e);
  /* Thaw so the signal is acted on; a paused container stays paused unless
   * the signal is SIGKILL, which it could not act on frozen under v1. */
  err_t thaw_err = ERR_INIT;
  if ((!was_frozen || sig == SIGKILL) && cgroup_freeze(cg, false, &thaw_err) < 0 && rc == 0) {
    *e = thaw_err;
    return -1;
  }
  return rc;
}
