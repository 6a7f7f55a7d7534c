#include "cli/capsule/progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 24
#define REDRAW_INTERVAL_S 0.1

struct row {
  bool seen;
  const char *kind;
  char digest[24]; /* "sha256:" + 12 hex */
  enum transfer_stage stage;
  uint64_t done, total;
  double started, finished;
};

struct progress_view {
  FILE *out;
  bool tty, quiet;
  const char *verb;
  struct row *rows;
  size_t n_rows;
  size_t n_layers;
  size_t drawn; /* lines drawn last time, to move back over */
  double last_draw;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress_view *progress_view_new(FILE *out, bool quiet, const char *verb) {
  struct progress_view *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  v->out = out;
  v->quiet = quiet;
  v->tty = isatty(fileno(out));
  v->verb = verb;
  return v;
}

static void human_bytes(char *buf, size_t len, double n) {
  static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
  size_t u = 0;
  while (n >= 1000 && u + 1 < sizeof units / sizeof *units) {
    n /= 1000;
    u++;
  }
  snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", n, units[u]);
}

static void row_label(const struct progress_view *v, size_t i, char *buf, size_t len) {
  const struct row *r = &v->rows[i];
  if (!strcmp(r->kind, "config"))
    snprintf(buf, len, "config    %s", r->digest);
  else
    snprintf(buf, len, "layer %zu/%zu %s", i, v->n_layers, r->digest);
}

static const char *stage_word(const struct progress_view *v, enum transfer_stage s) {
  switch (s) {
  case XFER_WAITING:
    return "waiting";
  case XFER_SKIPPED:
    return "already present";
  case XFER_RUNNING:
    return v->verb;
  case XFER_DONE:
    return "done";
  case XFER_MOUNTED:
    return "mounted";
  case XFER_UNPACKED:
    return "unpacked";
  }
  return "";
}

/* "done  12.1 MB in 0.4s (30.2 MB/s)" or a bar with the rate so far. */
static void row_status(const struct progress_view *v, const struct row *r, double t, char *buf,
                       size_t len) {
  char done[16], total[16], rate[16];
  human_bytes(done, sizeof done, (double)r->done);
  human_bytes(total, sizeof total, (double)r->total);
  double end = r->stage == XFER_RUNNING ? t : r->finished;
  double secs = end - r->started;
  human_bytes(rate, sizeof rate, secs > 0 ? (double)r->done / secs : 0);
  if (r->stage == XFER_RUNNING) {
    char bar[BAR_WIDTH + 1];
    size_t fill = r->total ? (size_t)((double)BAR_WIDTH * (double)r->done / (double)r->total) : 0;
    for (size_t i = 0; i < BAR_WIDTH; i++)
      bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    bar[BAR_WIDTH] = '\0';
    snprintf(buf, len, "[%s] %s / %s  %s/s", bar, done, total, rate);
  } else if (r->stage == XFER_DONE && r->started > 0) {
    snprintf(buf, len, "%s  %s (%s/s)", stage_word(v, r->stage), total, rate);
  } else {
    snprintf(buf, len, "%s", stage_word(v, r->stage));
  }
}

static void redraw(struct progress_view *v, double t) {
  if (v->drawn)
    fprintf(v->out, "\033[%zuA", v->drawn);
  v->drawn = 0;
  for (size_t i = 0; i < v->n_rows; i++) {
    if (!v->rows[i].seen)
      continue;
    char label[64], status[128];
    row_label(v, i, label, sizeof label);
    row_status(v, &v->rows[i], t, status, sizeof status);
    fprintf(v->out, "\r\033[K%-32s %s\n", label, status);
    v->drawn++;
  }
  fflush(v->out);
  v->last_draw = t;
}

static void print_line(struct progress_view *v, size_t i, double t) {
  const struct row *r = &v->rows[i];
  if (r->stage == XFER_WAITING || r->stage == XFER_RUNNING)
    return;
  char label[64], status[128];
  row_label(v, i, label, sizeof label);
  row_status(v, r, t, status, sizeof status);
  fprintf(v->out, "%s: %s\n", label, status);
  fflush(v->out);
}

static bool ensure_rows(struct progress_view *v, size_t count) {
  if (count <= v->n_rows)
    return true;
  struct row *bigger = realloc(v->rows, count * sizeof *bigger);
  if (!bigger)
    return false;
  memset(bigger + v->n_rows, 0, (count - v->n_rows) * sizeof *bigger);
  v->rows = bigger;
  v->n_rows = count;
  v->n_layers = count - 1;
  return true;
}

void progress_view_update(void *view, const struct transfer_progress *p) {
  struct progress_view *v = view;
  if (!v || v->quiet || !ensure_rows(v, p->count) || p->index >= v->n_rows)
    return;
  struct row *r = &v->rows[p->index];
  double t = now_s();
  bool changed = !r->seen || r->stage != p->stage;
  r->seen = true;
  r->kind = p->kind;
  snprintf(r->digest, sizeof r->digest, "%.19s", p->digest);
  if (p->stage == XFER_RUNNING && r->stage != XFER_RUNNING)
    r->started = t;
  if (p->stage == XFER_DONE || p->stage == XFER_MOUNTED)
    r->finished = t;
  r->stage = p->stage;
  r->done = p->done;
  r->total = p->total;
  if (!v->tty) {
    if (changed)
      print_line(v, p->index, t);
  } else if (changed || t - v->last_draw >= REDRAW_INTERVAL_S) {
    redraw(v, t);
  }
}

void progress_view_done(struct progress_view *v) {
  if (!v)
    return;
  if (v->tty && !v->quiet && v->n_rows)
    redraw(v, now_s());
  free(v->rows);
  free(v);
}
