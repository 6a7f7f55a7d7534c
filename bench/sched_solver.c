/* Solver benchmark: solve time against partition size on generated
 * partitions with the VMPlaceS load model, and BtrPlace's standard
 * instances, every plan verified by the independent checker.
 *
 *   sched_solver [--runs N] [--seed S] [--sizes 4,16,64,256] [--btrplace DIR|--no-btrplace]
 *
 * Generated partitions: nodes of 700 CPU units and 32 GB, 10 VEs of 1 GB per
 * node, loads drawn from N(60, 20) clamped to 0..100 in steps of 10 (the
 * published experiments' model); node 0 is redrawn until it is overloaded,
 * as a DVMS partition always holds the overloaded node that started it. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/btrplace.h"
#include "sched/checker.h"
#include "sched/solver.h"
#include "util/rng.h"

#define HOST_CPU 700
#define HOST_MEM 32768
#define VE_MEM 1024
#define VES_PER_NODE 10
#define CLUSTER_NODES 10000

static double clock_s(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double now(void) {
  return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this thread: what the solver costs, whatever else the
 * machine runs at the same time. */
static double cpu_now(void) {
  return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static int64_t draw_load(rng_t *r) {
  double g = rng_gaussian(r, 60, 20);
  g = g < 0 ? 0 : g > 100 ? 100 : g;
  return (int64_t)lround(g / 10) * 10;
}

static void die(const char *what, const err_t *e) {
  fprintf(stderr, "sched_solver: %s: %s\n", what, e->msg);
  exit(1);
}

/* A partition of n nodes whose node 0 is overloaded. */
static void generate(struct sched_model *m, int32_t n, rng_t *r) {
  err_t e = ERR_INIT;
  if (sched_model_init(m, n, n * VES_PER_NODE, &e) < 0)
    die("model", &e);
  for (int32_t i = 0; i < n; i++)
    sched_node_set_capacity(m, i, HOST_CPU, HOST_MEM);
  for (int32_t v = 0; v < n * VES_PER_NODE; v++) {
    sched_ve_set_demand(m, v, draw_load(r), VE_MEM);
    if (sched_ve_place(m, v, v / VES_PER_NODE, &e) < 0)
      die("place", &e);
  }
  while (sched_node_viable(m, 0))
    for (int32_t v = 0; v < VES_PER_NODE; v++)
      sched_ve_set_cpu(m, v, draw_load(r));
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double quantile(const double *sorted, int n, double q) {
  int i = (int)ceil(q * n) - 1;
  return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

struct tally {
  double *wall, *cpu;
  int runs, solved, searched, invalid;
  long migrations, pivots;
};

/* Solve one partition, check its plan, count. */
static void run_one(struct sched_solver *s, struct tally *t, const struct sched_model *m,
                    const int32_t *part, int32_t n, uint64_t seed, struct sched_plan *p) {
  struct sched_solve_opts o = {.seed = seed, .time_limit = 1};
  struct sched_solve_stats st;
  err_t e = ERR_INIT;
  double c0 = cpu_now();
  int rc = sched_solve(s, m, part, n, NULL, &o, p, &st, &e);
  t->cpu[t->runs] = cpu_now() - c0;
  t->wall[t->runs++] = st.seconds;
  if (rc < 0)
    die("solve", &e);
  t->searched += st.searched;
  if (rc != SCHED_SOLVED)
    return;
  t->solved++;
  t->migrations += p->migrations;
  t->pivots += p->pivots;
  if (sched_check_plan(m, NULL, p, part, n, &e) < 0) {
    t->invalid++;
    fprintf(stderr, "sched_solver: %d nodes, run %d: invalid plan: %s\n", n, t->runs, e.msg);
  }
}

static void report(struct tally *t, int32_t nodes) {
  qsort(t->wall, t->runs, sizeof(double), cmp_double);
  qsort(t->cpu, t->runs, sizeof(double), cmp_double);
  printf("%6d %6d %6d %9.1f %9.1f %9.1f %9.1f %9.1f %7.1f%% %5.2f %6ld %6d %7d\n", nodes,
         nodes * VES_PER_NODE, t->runs, quantile(t->wall, t->runs, 0.5) * 1e6,
         quantile(t->wall, t->runs, 0.99) * 1e6, t->wall[t->runs - 1] * 1e6,
         quantile(t->cpu, t->runs, 0.5) * 1e6, quantile(t->cpu, t->runs, 0.99) * 1e6,
         100.0 * t->solved / t->runs, t->solved ? (double)t->migrations / t->solved : 0.0,
         t->pivots, t->searched, t->invalid);
  free(t->wall);
  free(t->cpu);
}

static struct tally tally_new(int runs) {
  struct tally t = {.wall = malloc(sizeof(double) * runs), .cpu = malloc(sizeof(double) * runs)};
  if (!t.wall || !t.cpu) {
    fprintf(stderr, "sched_solver: out of memory\n");
    exit(1);
  }
  return t;
}

static void print_header(const char *title) {
  printf("\n%s; times in us\n", title);
  printf("%6s %6s %6s %9s %9s %9s %9s %9s %8s %5s %6s %6s %7s\n", "nodes", "VEs", "runs",
         "wall p50", "wall p99", "wall max", "cpu p50", "cpu p99", "solved", "migr", "pivots",
         "search", "invalid");
}

/* Standalone partitions of n nodes. */
static void bench_size(struct sched_solver *s, int32_t n, int runs, uint64_t seed) {
  struct tally t = tally_new(runs);
  rng_t r;
  rng_seed(&r, seed, (uint64_t)n);
  struct sched_plan p;
  sched_plan_init(&p);
  for (int i = 0; i < runs; i++) {
    struct sched_model m;
    generate(&m, n, &r);
    run_one(s, &t, &m, NULL, 0, seed + (uint64_t)i, &p);
    sched_model_free(&m);
  }
  sched_plan_free(&p);
  report(&t, n);
}

/* Partitions of n nodes inside a 10,000-node cluster: an overloaded node and
 * n - 1 others drawn at random, as a DVMS event would gather them. */
static void bench_in_cluster(struct sched_solver *s, const struct sched_model *m, int32_t n,
                             int runs, uint64_t seed) {
  struct tally t = tally_new(runs);
  rng_t r;
  rng_seed(&r, seed, 1000 + (uint64_t)n);
  int32_t *part = malloc(sizeof(*part) * n);
  if (!part) {
    fprintf(stderr, "sched_solver: out of memory\n");
    exit(1);
  }
  struct sched_plan p;
  sched_plan_init(&p);
  for (int i = 0; i < runs; i++) {
    part[0] = m->bad[rng_below(&r, m->nbad)];
    for (int32_t k = 1; k < n; k++) {
      bool fresh;
      do {
        part[k] = (int32_t)rng_below(&r, m->nnodes);
        fresh = true;
        for (int32_t j = 0; j < k; j++)
          fresh = fresh && part[j] != part[k];
      } while (!fresh);
    }
    run_one(s, &t, m, part, n, seed + (uint64_t)i, &p);
  }
  sched_plan_free(&p);
  free(part);
  report(&t, n);
}

/* Entropy's case: one solve over every node of a cluster in its stationary
 * state, a few percent of the nodes overloaded. */
static void bench_centralized(struct sched_solver *s, int32_t n, uint64_t seed) {
  struct sched_model m;
  rng_t r;
  rng_seed(&r, seed, 0xce + (uint64_t)n);
  generate(&m, n, &r);
  int32_t bad = m.nbad;
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_opts o = {.seed = seed, .time_limit = 60};
  struct sched_solve_stats st;
  err_t e = ERR_INIT;
  double c0 = cpu_now();
  int rc = sched_solve(s, &m, NULL, 0, NULL, &o, &p, &st, &e);
  double cpu = cpu_now() - c0;
  if (rc < 0)
    die("solve", &e);
  const char *verdict = rc == SCHED_SOLVED ? "valid" : st.why;
  if (rc == SCHED_SOLVED && sched_check_plan(&m, NULL, &p, NULL, 0, &e) < 0)
    verdict = e.msg;
  printf("%6d %7d %6d %8.3f %8.3f %6d %6d %6d  %s\n", n, n * VES_PER_NODE, bad, st.seconds * 1e3,
         cpu * 1e3, p.migrations, p.pivots, p.nsteps, verdict);
  sched_plan_free(&p);
  sched_model_free(&m);
}

static void bench_instance(struct sched_solver *s, const char *path, const char *name) {
  struct sched_instance inst;
  err_t e = ERR_INIT;
  double t0 = now();
  if (sched_instance_load(&inst, path, &e) < 0)
    die("load", &e);
  double load = now() - t0;
  int32_t running = 0;
  for (int32_t v = 0; v < inst.model.nves; v++)
    running += inst.model.ves[v].host != SCHED_NOWHERE;
  int32_t bad = inst.model.nbad;
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_opts o = {.seed = 1, .time_limit = 60};
  struct sched_solve_stats st;
  int rc = sched_solve(s, &inst.model, NULL, 0, &inst.cstrs, &o, &p, &st, &e);
  if (rc < 0)
    die(name, &e);
  int32_t boots = 0;
  for (int32_t i = 0; i < p.nactions; i++)
    boots += p.actions[i].kind == SCHED_BOOT_VE;
  double t1 = now();
  const char *verdict = "valid";
  if (rc != SCHED_SOLVED)
    verdict = st.why;
  else if (sched_check_plan(&inst.model, &inst.cstrs, &p, NULL, 0, &e) < 0)
    verdict = e.msg;
  double check = now() - t1;
  printf("%-6s %6d %6d %6d %7d %6d %9.1f %6d %6d %6d %8.3f %8.3f %8.3f  %s\n", name,
         inst.model.nnodes, running, inst.model.nves - running, inst.cstrs.n, bad,
         (double)p.mem_moved, p.migrations, boots, p.nsteps, load, st.seconds, check, verdict);
  sched_plan_free(&p);
  sched_instance_free(&inst);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void bench_btrplace(struct sched_solver *s, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "sched_solver: %s: %s (skipping the BtrPlace instances)\n", dir,
            strerror(errno));
    return;
  }
  char *names[64];
  int n = 0;
  for (struct dirent *de; (de = readdir(d)) && n < 64;)
    if (strstr(de->d_name, ".json"))
      names[n++] = strdup(de->d_name);
  closedir(d);
  qsort(names, n, sizeof(*names), cmp_str);
  printf("\nBtrPlace std-perf instances (centralized repair, all nodes)\n");
  printf("%-6s %6s %6s %6s %7s %6s %9s %6s %6s %6s %8s %8s %8s  %s\n", "name", "nodes",
         "run", "ready", "cstrs", "bad", "MB moved", "migr", "boots", "steps", "load s",
         "solve s", "check s", "checker");
  for (int i = 0; i < n; i++) {
    char path[4096], name[64];
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    snprintf(name, sizeof(name), "%.*s", (int)strcspn(names[i], "."), names[i]);
    bench_instance(s, path, name);
    free(names[i]);
  }
}

int main(int argc, char **argv) {
  int runs = 1000;
  uint64_t seed = 1;
  const char *sizes = "4,16,64,256";
  const char *btr = "/work/shared/data/btrplace-std-perf";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
      seed = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
      sizes = argv[++i];
    else if (!strcmp(argv[i], "--btrplace") && i + 1 < argc)
      btr = argv[++i];
    else if (!strcmp(argv[i], "--no-btrplace"))
      btr = NULL;
    else {
      fprintf(stderr, "usage: sched_solver [--runs N] [--seed S] [--sizes 4,16,64,256] "
                      "[--btrplace DIR | --no-btrplace]\n");
      return 2;
    }
  }
  if (runs < 1) {
    fprintf(stderr, "sched_solver: --runs must be at least 1\n");
    return 2;
  }
  err_t e = ERR_INIT;
  struct sched_solver *s = sched_solver_new(&e);
  if (!s)
    die("solver", &e);
  print_header("Generated partitions: 10 VEs per node, N(60,20) loads, node 0 overloaded");
  for (const char *p = sizes; *p;) {
    int32_t n = (int32_t)strtol(p, (char **)&p, 10);
    if (n > 0)
      bench_size(s, n, runs, seed);
    p += *p == ',';
  }
  struct sched_model cluster;
  rng_t r;
  rng_seed(&r, seed, 0xc1);
  generate(&cluster, CLUSTER_NODES, &r);
  print_header("Partitions inside a 10,000-node / 100,000-VE cluster (stationary loads)");
  for (const char *p = sizes; *p;) {
    int32_t n = (int32_t)strtol(p, (char **)&p, 10);
    if (n > 0 && n <= CLUSTER_NODES)
      bench_in_cluster(s, &cluster, n, runs, seed);
    p += *p == ',';
  }
  sched_model_free(&cluster);
  printf("\nCentralized repair of a whole cluster (stationary loads)\n");
  printf("%6s %7s %6s %8s %8s %6s %6s %6s  %s\n", "nodes", "VEs", "bad", "wall ms", "cpu ms",
         "migr", "pivots", "steps", "checker");
  bench_centralized(s, 1024, seed);
  bench_centralized(s, CLUSTER_NODES, seed);
  if (btr)
    bench_btrplace(s, btr);
  sched_solver_free(s);
  return 0;
}
