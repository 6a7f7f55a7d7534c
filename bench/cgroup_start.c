/* The cgroup work of one container start, as `run` does it, timed per phase
 * in a fresh process each time (the layout is read once per process, so a
 * warm loop would hide that cost):
 *   resolve (statfs, mountinfo, /proc/self/cgroup) -> create -> apply
 *   (memory, pids, cpu shares, 12 device rules) -> attach -> destroy
 * side by side with the floor: mkdir + cgroup.procs write + rmdir in the
 * same hierarchies, with nothing else.
 *
 *   build/bench/cgroup_start [ITERATIONS]      (root; default 200)
 *   build/bench/cgroup_start --once            one start, for strace -c -f */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "util/json.h"

enum { RESOLVE, CREATE, APPLY, ATTACH, DESTROY, TOTAL, FLOOR, N_PHASES };
static const char *const names[] = {"resolve", "create", "apply", "attach", "destroy",
                                    "total",   "floor: mkdir+procs+rmdir"};

static const char *const resources_json =
    "{\"memory\": {\"limit\": 268435456}, \"pids\": {\"limit\": 512},"
    " \"cpu\": {\"shares\": 1024}, \"devices\": ["
    " {\"allow\": false, \"access\": \"rwm\"},"
    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"},"
    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"rwm\"},"
    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 7, \"access\": \"rwm\"},"
    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 8, \"access\": \"rwm\"},"
    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 9, \"access\": \"rwm\"},"
    " {\"allow\": true, \"type\": \"c\", \"major\": 5, \"minor\": 0, \"access\": \"rwm\"},"
    " {\"allow\": true, \"type\": \"c\", \"major\": 5, \"minor\": 1, \"access\": \"rwm\"},"
    " {\"allow\": true, \"type\": \"c\", \"major\": 5, \"minor\": 2, \"access\": \"rwm\"},"
    " {\"allow\": true, \"type\": \"c\", \"major\": 136, \"access\": \"rwm\"},"
    " {\"allow\": false, \"type\": \"c\", \"major\": 10, \"minor\": 200, \"access\": \"rwm\"},"
    " {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rwm\"}]}";

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void die(const char *what, const err_t *e) {
  fprintf(stderr, "cgroup_start: %s: %s\n", what, e->msg);
  exit(1);
}

/* One start in this (fresh) process; the times go to out[]. */
static void start_once(const char *path, const struct cgroup_resources *res, double *out) {
  err_t e = ERR_INIT;
  struct cgroup *cg = NULL;
  double t0 = now_us();
  if (cgroup_resolve(path, "unused", &cg, &e) < 0)
    die("resolve", &e);
  double t1 = now_us();
  if (cgroup_create(cg, &e) < 0)
    die("create", &e);
  double t2 = now_us();
  if (cgroup_apply(cg, res, &e) < 0)
    die("apply", &e);
  double t3 = now_us();
  if (cgroup_attach(cg, getpid(), &e) < 0)
    die("attach", &e);
  double t4 = now_us();
  out[RESOLVE] = t1 - t0;
  out[CREATE] = t2 - t1;
  out[APPLY] = t3 - t2;
  out[ATTACH] = t4 - t3;
  cgroup_free(cg);
}

/* The floor: the same directories made and joined by hand in a fresh
 * process (timed there, as start_once is), then removed. */
static double floor_once(const struct cgroup *cg) {
  int fds[2];
  if (pipe(fds) < 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d", getpid());
    double t0 = now_us();
    for (size_t i = 0; i < cg->n_hierarchies; i++) {
      char procs[4096];
      if (mkdir(cg->hierarchies[i].dir, 0755) < 0)
        _exit(1);
      if (strstr(cg->hierarchies[i].name, "cpuset")) /* v1 cpuset: cannot join empty */
        continue;
      snprintf(procs, sizeof procs, "%s/cgroup.procs", cg->hierarchies[i].dir);
      int fd = open(procs, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
        _exit(1);
      close(fd);
    }
    double t = now_us() - t0;
    (void)!write(fds[1], &t, sizeof t);
    _exit(0);
  }
  close(fds[1]);
  double t = -1;
  if (read(fds[0], &t, sizeof t) != sizeof t)
    t = -1;
  close(fds[0]);
  int st;
  waitpid(pid, &st, 0);
  double t0 = now_us();
  for (size_t i = cg->n_hierarchies; i-- > 0;)
    while (rmdir(cg->hierarchies[i].dir) < 0 && errno == EBUSY)
      ;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 && t >= 0 ? t + now_us() - t0 : -1;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  bool once = argc > 1 && !strcmp(argv[1], "--once");
  int n = argc > 1 && !once ? atoi(argv[1]) : 200;
  if (geteuid() != 0 || n < 1) {
    fprintf(stderr, "usage (as root): cgroup_start [ITERATIONS|--once]\n");
    return 2;
  }
  err_t e = ERR_INIT;
  json_t *j = json_loads(resources_json, 0, NULL);
  struct cgroup_resources res;
  if (cgroup_resources_from_json(j, "linux.resources", &res, &e) < 0)
    die("resources", &e);
  json_decref(j);
  char path[64];
  snprintf(path, sizeof path, "/capsule-bench-%d", (int)getpid());
  if (once) /* one start and its destroy, for strace -c -f */
    n = 1;
  double *samples[N_PHASES];
  for (int p = 0; p < N_PHASES; p++)
    samples[p] = calloc((size_t)n, sizeof(double));
  struct cgroup *mine = NULL; /* this process's view, for destroy and the floor */
  if (cgroup_resolve(path, "unused", &mine, &e) < 0)
    die("resolve", &e);
  enum cgroup_mode mode;
  cgroup_detect(&mode, &e);
  for (int i = 0; i < n; i++) {
    int fds[2];
    if (pipe(fds) < 0)
      return 1;
    pid_t pid = fork();
    if (pid == 0) {
      double t[N_PHASES];
      start_once(path, &res, t);
      (void)!write(fds[1], t, sizeof t);
      _exit(0);
    }
    double t[N_PHASES] = {0};
    close(fds[1]);
    ssize_t got = read(fds[0], t, sizeof t);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    if (got != (ssize_t)sizeof t || !WIFEXITED(st) || WEXITSTATUS(st)) {
      fprintf(stderr, "cgroup_start: iteration %d failed\n", i);
      return 1;
    }
    double t0 = now_us();
    if (cgroup_destroy(mine, &e) < 0)
      die("destroy", &e);
    t[DESTROY] = now_us() - t0;
    t[TOTAL] = t[RESOLVE] + t[CREATE] + t[APPLY] + t[ATTACH] + t[DESTROY];
    t[FLOOR] = once ? 0 : floor_once(mine);
    if (t[FLOOR] < 0) {
      fprintf(stderr, "cgroup_start: floor iteration %d failed\n", i);
      return 1;
    }
    for (int p = 0; p < N_PHASES; p++)
      samples[p][i] = t[p];
  }
  if (once) {
    cgroup_free(mine);
    cgroup_resources_free(&res);
    return 0;
  }
  printf("cgroup_start: %d starts, %s layout, %zu hierarchies, median microseconds\n", n,
         cgroup_mode_name(mode), mine->n_hierarchies);
  double medians[N_PHASES];
  for (int p = 0; p < N_PHASES; p++) {
    qsort(samples[p], (size_t)n, sizeof(double), compare);
    medians[p] = samples[p][n / 2];
    printf("  %-28s %8.1f\n", names[p], medians[p]);
    free(samples[p]);
  }
  printf("  ratio total / floor          %8.2f\n", medians[TOTAL] / medians[FLOOR]);
  cgroup_free(mine);
  cgroup_resources_free(&res);
  return 0;
}
