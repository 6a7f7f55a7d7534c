#include "sim/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static double host_time(const struct sim_state *st, double t) {
  return (double)cluster_nhosts(&st->cl) * t;
}

int report_open(struct sim_state *st, err_t *e) {
  if (!st->o->out)
    return 0;
  _cleanup_free_ char *path = path_join(st->o->out, "series.csv");
  if (!path)
    return err_set(e, ENOMEM, "out of memory");
  st->series = fopen(path, "we");
  if (!st->series)
    return err_sys(e, "--out: opening %s", path);
  fprintf(st->series, "time,overloaded,violation_s,violation_pct,load_pct,migrations_active,"
                      "migrations_done,messages,events\n");
  fflush(st->series);
  return 0;
}

void report_series_row(struct sim_state *st, double t) {
  if (!st->series)
    return;
  double v = cluster_violation_at(&st->cl, t);
  double cap = (double)cluster_nhosts(&st->cl) * st->o->host_cpu;
  fprintf(st->series, "%.0f,%d,%.1f,%.4f,%.2f,%d,%llu,%llu,%llu\n", t, st->cl.n_overloaded, v,
          t > 0 ? 100.0 * v / host_time(st, t) : 0.0, 100.0 * st->cl.total_demand / cap,
          st->net.migrations_active, (unsigned long long)st->net.migrations_done,
          (unsigned long long)st->net.messages,
          (unsigned long long)(st->sched.stats ? st->sched.stats->events : 0));
  /* A run cut short (killed, out of time) keeps every row up to its last
   * checkpoint: a few hundred small writes per run. */
  fflush(st->series);
}

void report_close(struct sim_state *st) {
  if (st->series)
    fclose(st->series);
  st->series = NULL;
}

/* {"median", "mean", "p95", "max", "n"} of a series. */
static json_t *summarize(struct series *s) {
  return json_pack("{s:I, s:f, s:f, s:f, s:f}", "n", (json_int_t)s->n, "median",
                   series_quantile(s, 0.5), "mean", series_mean(s), "p95",
                   series_quantile(s, 0.95), "max", s->max);
}

static json_t *sched_json(struct sched_run_stats *s) {
  json_t *j = json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
      " s:I, s:I, s:I, s:I}",
      "events", (json_int_t)s->events, "isp_started", (json_int_t)s->isp_started, "isp_ended",
      (json_int_t)s->isp_ended, "solves", (json_int_t)s->solves, "solved",
      (json_int_t)s->solved, "no_solution", (json_int_t)s->no_solution, "resolved",
      (json_int_t)s->resolved, "gave_up", (json_int_t)s->gave_up, "timeouts",
      (json_int_t)s->timeouts, "stale", (json_int_t)s->stale, "aborted", (json_int_t)s->aborted,
      "merges", (json_int_t)s->merges, "plans", (json_int_t)s->plans, "plans_failed",
      (json_int_t)s->plans_failed, "migrations", (json_int_t)s->migrations,
      "migrations_failed", (json_int_t)s->migrations_failed, "pivots", (json_int_t)s->pivots,
      "suspected", (json_int_t)s->suspected, "tokens_lost", (json_int_t)s->tokens_lost,
      "checks", (json_int_t)s->checks, "check_failures", (json_int_t)s->check_failures,
      "exclusivity_violations", (json_int_t)s->exclusivity_violations);
  bool failed = !j;
  json_set(j, "shortcuts", json_integer((json_int_t)s->shortcuts), &failed);
  json_set(j, "relaxed", json_integer((json_int_t)s->relaxed), &failed);
  json_set(j, "yielded", json_integer((json_int_t)s->yielded), &failed);
  json_set(j, "exclusivity_checks", json_integer((json_int_t)s->exclusivity_checks), &failed);
  json_set(j, "partition_size", summarize(&s->partition_size), &failed);
  json_set(j, "solve_wall_s", summarize(&s->solve_wall), &failed);
  json_set(j, "solve_cpu_s", summarize(&s->solve_cpu), &failed);
  json_set(j, "solve_charged_s", summarize(&s->solve_charged), &failed);
  json_set(j, "apply_time_s", summarize(&s->apply_time), &failed);
  json_set(j, "event_time_s", summarize(&s->isp_time), &failed);
  if (s->first_failure[0])
    json_set(j, "first_failure", json_string(s->first_failure), &failed);
  return json_done(j, failed);
}

static int write_nodes_csv(const struct sim_state *st, err_t *e) {
  size_t cap = 64 + (size_t)cluster_nhosts(&st->cl) * 32, len = 0;
  _cleanup_free_ char *buf = malloc(cap);
  if (!buf)
    return err_set(e, ENOMEM, "out of memory");
  len += snprintf(buf, cap, "node,violation_s,episodes\n");
  for (int h = 0; h < cluster_nhosts(&st->cl); h++)
    len += snprintf(buf + len, cap - len, "%d,%.1f,%d\n", h, st->cl.hosts[h].violation,
                    st->cl.hosts[h].episodes);
  _cleanup_free_ char *path = path_join(st->o->out, "nodes.csv");
  if (!path)
    return err_set(e, ENOMEM, "out of memory");
  return atomic_write_at(AT_FDCWD, path, buf, len, 0644, e);
}

static void fill_result(struct sim_state *st, struct sim_result *r) {
  struct series ep = {.v = st->cl.episode_len, .n = st->cl.n_episodes};
  for (size_t i = 0; i < ep.n; i++) {
    ep.sum += ep.v[i];
    if (ep.v[i] > ep.max)
      ep.max = ep.v[i];
  }
  r->violation = st->cl.violation;
  r->violation_pct = 100.0 * r->violation / host_time(st, st->o->duration);
  r->episodes = ep.n;
  r->episode_median = series_quantile(&ep, 0.5);
  r->episode_mean = series_mean(&ep);
  r->episode_p95 = series_quantile(&ep, 0.95);
  r->mean_load_pct = cluster_mean_load_pct(&st->cl, st->o->duration);
  r->load_events = st->load_events;
}

/* The independent checker's verdicts on the real state (simnet.h). */
static json_t *audit_json(const struct simnet *n) {
  json_t *j = json_pack("{s:I, s:I, s:I}", "steps", (json_int_t)n->audited, "refused_stale",
                        (json_int_t)n->refused_stale, "refused_invalid",
                        (json_int_t)n->refused_invalid);
  bool failed = !j;
  if (n->first_stale[0])
    json_set(j, "first_stale", json_string(n->first_stale), &failed);
  if (n->first_invalid[0])
    json_set(j, "first_invalid", json_string(n->first_invalid), &failed);
  return json_done(j, failed);
}

static json_t *summary_json(struct sim_state *st, const struct sim_result *r) {
  const struct sim_opts *o = st->o;
  double max_node = 0;
  int nodes_hit = 0;
  for (int h = 0; h < cluster_nhosts(&st->cl); h++) {
    double v = st->cl.hosts[h].violation;
    nodes_hit += v > 0;
    if (v > max_node)
      max_node = v;
  }
  json_t *j = json_pack(
      "{s:s, s:I, s:i, s:i, s:f, s:f, s:f, s:f,"
      " s:{s:f, s:f, s:I, s:f, s:f, s:f, s:f, s:i},"
      " s:I, s:{s:I, s:I, s:I, s:f, s:f}, s:{s:I, s:I}, s:f, s:I}",
      "scheduler", o->scheduler, "seed", (json_int_t)o->seed, "hosts", o->hosts, "vms", o->vms,
      "duration_s", o->duration, "load_mean", o->load_mean, "load_std", o->load_std,
      "mean_load_pct", r->mean_load_pct, "violation", "total_s", r->violation, "host_time_pct",
      r->violation_pct, "episodes", (json_int_t)r->episodes, "episode_median_s",
      r->episode_median, "episode_mean_s", r->episode_mean, "episode_p95_s", r->episode_p95,
      "node_max_s", max_node, "nodes_with_violation", nodes_hit, "load_events",
      (json_int_t)r->load_events, "migrations", "started",
      (json_int_t)st->net.migrations_started, "done", (json_int_t)st->net.migrations_done,
      "failed", (json_int_t)st->net.migrations_failed, "median_s",
      series_quantile(&st->net.migration_time, 0.5), "mean_s",
      series_mean(&st->net.migration_time), "messages", "count",
      (json_int_t)st->net.messages, "bytes", (json_int_t)st->net.bytes, "wall_s", r->wall,
      "peak_rss_kb", (json_int_t)r->peak_rss_kb);
  bool failed = !j;
  static const char *const charge[] = {[CHARGE_CPU] = "cpu", [CHARGE_MODEL] = "model",
                                       [CHARGE_WALL] = "wall", [CHARGE_ZERO] = "zero"};
  json_set(j, "cpu_s", json_real(r->cpu), &failed);
  json_set(j, "charge", json_string(charge[o->charge.mode]), &failed);
  struct sim_policy pol;
  char ideas[80];
  sim_sched_policy(o, &pol);
  sim_ideas_format(pol.ideas, ideas, sizeof ideas);
  json_set(j, "ideas", json_string(ideas), &failed);
  json_set(j, "policy",
           json_pack("{s:f, s:f, s:f, s:i, s:f}", "threshold", pol.threshold, "target",
                     pol.target, "fill", pol.fill, "admission", pol.admission, "admission_wait",
                     o->admission_wait),
           &failed);
  const struct admit *a = &st->net.admit;
  json_set(j, "admission",
           json_pack("{s:I, s:I, s:I, s:f, s:i}", "at_once", (json_int_t)a->admitted_at_once,
                     "after_wait", (json_int_t)a->admitted_after_wait, "refused",
                     (json_int_t)st->net.migrations_refused, "mean_wait_s",
                     a->admitted_after_wait ? a->waited / (double)a->admitted_after_wait : 0.0,
                     "max_waiting", a->max_waiting),
           &failed);
  if (st->net.audit)
    json_set(j, "audit", audit_json(&st->net), &failed);
  if (st->sched.stats)
    json_set(j, "scheduler_stats", sched_json(st->sched.stats), &failed);
  return json_done(j, failed);
}

static int write_files(struct sim_state *st, const struct sim_result *r, err_t *e) {
  if (write_nodes_csv(st, e) < 0)
    return -1;
  _cleanup_json_ json_t *j = summary_json(st, r);
  _cleanup_free_ char *text = j ? json_dump_checked(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
  _cleanup_free_ char *path = path_join(st->o->out, "summary.json");
  if (!text || !path)
    return err_set(e, ENOMEM, "out of memory writing the summary");
  size_t len = strlen(text);
  text[len] = '\n';
  int rc = atomic_write_at(AT_FDCWD, path, text, len + 1, 0644, e);
  text[len] = 0;
  return rc;
}

int report_finish(struct sim_state *st, struct sim_result *r, err_t *e) {
  fill_result(st, r);
  report_close(st);
  if (st->o->out && write_files(st, r, e) < 0)
    return -1;
  const struct sched_run_stats *s = st->sched.stats;
  if (st->o->check && s && (s->check_failures || s->exclusivity_violations))
    return err_set(e, EPROTO, "--check: %llu bad plans, %llu exclusivity violations; first: %s",
                   (unsigned long long)s->check_failures,
                   (unsigned long long)s->exclusivity_violations, s->first_failure);
  if (st->o->check && st->net.refused_invalid)
    return err_set(e, EPROTO, "--check: %llu plan steps wrong on the cluster's real state; "
                   "first: %s", (unsigned long long)st->net.refused_invalid,
                   st->net.first_invalid);
  return 0;
}
