#include "proto/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"

void series_add(struct series *s, double x) {
  if (array_reserve_sz((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v) < 0)
    return; /* the sample is lost, from the mean as from the quantiles */
  s->v[s->n++] = x;
  s->sum += x;
  if (x > s->max)
    s->max = x;
}

void series_free(struct series *s) {
  free(s->v);
  memset(s, 0, sizeof *s);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double series_quantile(struct series *s, double q) {
  if (!s->n)
    return 0;
  qsort(s->v, s->n, sizeof *s->v, cmp_double);
  size_t rank = (size_t)(q * (double)s->n);
  if (rank >= s->n)
    rank = s->n - 1;
  return s->v[rank];
}

void sched_run_stats_free(struct sched_run_stats *s) {
  series_free(&s->partition_size);
  series_free(&s->solve_wall);
  series_free(&s->solve_cpu);
  series_free(&s->solve_charged);
  series_free(&s->apply_time);
  series_free(&s->isp_time);
}

void sched_run_stats_fail(struct sched_run_stats *s, uint64_t *counter, const char *msg) {
  if (!s->first_failure[0])
    snprintf(s->first_failure, sizeof s->first_failure, "%s", msg);
  (*counter)++;
}

double sched_run_stats_solve(struct sched_run_stats *s, const struct transport *t, int32_t node,
                             int32_t nodes, const struct sched_solve_stats *st) {
  s->solves++;
  series_add(&s->partition_size, nodes);
  series_add(&s->solve_wall, st->seconds);
  series_add(&s->solve_cpu, st->cpu_seconds);
  struct work_cost w = {.wall = st->seconds, .cpu = st->cpu_seconds, .nodes = nodes,
                        .ves = st->ves};
  double delay = t->ops->charge(t->ctx, node, &w);
  series_add(&s->solve_charged, delay);
  return delay;
}
