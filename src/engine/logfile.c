/* A container's log, containers/<id>/container.log, in the k8s-file format
 * (CRI's, which podman's conmon writes too), one record a line:
 *
 *   2026-12-02T10:00:00.123456789Z stdout F hello
 *
 * time (RFC 3339, nanoseconds, UTC), stream (stdout or stderr), tag (F: the
 * record ends a line of the container's output; P: a partial line, whose
 * rest follows in the next records), then the text without its newline.
 * Partial records are written as the output comes (nothing is held back,
 * so a line without its newline is in the log at once and the monitor
 * needs no per-stream buffer). With a size cap (--log-opt max-size) the
 * file is rotated before a write would pass it: container.log.1 is the
 * previous file, up to max-file - 1 old files are kept; with max-file 1 the
 * file starts over empty, as docker's json-file does. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/timefmt.h"

#define LOG_NAME "container.log"
/* Run for every chunk of output: kept beside the monitor's loop. */
#define HOT __attribute__((hot))
/* Room for one record's prefix: time, stream, tag. */
#define PREFIX_MAX 48

int log_writer_open(struct log_writer *w, const char *dir, int64_t max_size, int max_file,
                    err_t *e) {
  memset(w, 0, sizeof *w);
  w->max_size = max_size;
  w->max_file = max_file < 1 ? 1 : max_file;
  w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (w->dirfd < 0)
    return err_sys(e, "open %s", dir);
  w->fd = openat(w->dirfd, LOG_NAME, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  struct stat st;
  if (w->fd < 0 || fstat(w->fd, &st) < 0) {
    err_sys(e, "open %s/%s", dir, LOG_NAME);
    log_writer_close(w);
    return -1;
  }
  w->size = st.st_size;
  return 0;
}

void log_writer_close(struct log_writer *w) {
  if (w->fd > 0)
    close(w->fd);
  if (w->dirfd > 0)
    close(w->dirfd);
  w->fd = w->dirfd = -1;
}

/* container.log, container.log.N (no printf: see timestamp()). */
HOT static void log_name(char buf[32], int index) {
  memcpy(buf, LOG_NAME, sizeof LOG_NAME);
  if (!index)
    return;
  char *at = buf + sizeof LOG_NAME - 1;
  *at++ = '.';
  char tmp[12];
  int n = 0;
  for (; index > 0 && n < 11; index /= 10)
    tmp[n++] = (char)('0' + index % 10);
  while (n > 0)
    *at++ = tmp[--n];
  *at = '\0';
}

/* Make room for `len` more bytes under the cap. Errors leave the file as
 * it is: a log that cannot rotate keeps growing rather than losing output. */
HOT static void rotate_for(struct log_writer *w, size_t len) {
  if (!w->max_size || w->size + (int64_t)len <= w->max_size || w->size == 0)
    return;
  if (w->max_file == 1) {
    if (ftruncate(w->fd, 0) == 0)
      w->size = 0;
    return;
  }
  for (int i = w->max_file - 1; i >= 1; i--) {
    char from[32], to[32];
    log_name(from, i - 1);
    log_name(to, i);
    renameat(w->dirfd, from, w->dirfd, to);
  }
  int fd = openat(w->dirfd, LOG_NAME, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  close(w->fd);
  w->fd = fd;
  w->size = 0;
}

/* Digits, right-aligned, zero-padded. */
HOT static void digits(char *at, unsigned long v, int n) {
  for (int i = n - 1; i >= 0; i--, v /= 10)
    at[i] = (char)('0' + v % 10);
}

/* Now in RFC 3339 with nanoseconds, UTC: 30 characters. Formatted by hand
 * (the civil date from days since the epoch), as this runs for every chunk
 * of output in the monitor, whose idle memory is the code it touched:
 * printf and the time zone code are big. */
#define TIMESTAMP_LEN 30
HOT static void timestamp(char buf[TIMESTAMP_LEN]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
  /* Howard Hinnant's days_from_civil, inverted. */
  long z = days + 719468, era = z / 146097, doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  long y = yoe + era * 400 + (m <= 2);
  memcpy(buf, "0000-00-00T00:00:00.000000000Z", TIMESTAMP_LEN);
  digits(buf, (unsigned long)y, 4);
  digits(buf + 5, (unsigned long)m, 2);
  digits(buf + 8, (unsigned long)d, 2);
  digits(buf + 11, (unsigned long)(secs / 3600), 2);
  digits(buf + 14, (unsigned long)(secs / 60 % 60), 2);
  digits(buf + 17, (unsigned long)(secs % 60), 2);
  digits(buf + 20, (unsigned long)ts.tv_nsec, 9);
}

HOT static void flush(struct log_writer *w, const char *out, size_t len) {
  rotate_for(w, len);
  if (write_all(w->fd, out, len) == 0)
    w->size += (int64_t)len;
}

HOT void log_writer_write(struct log_writer *w, int stream, const char *data, size_t len) {
  static char out[LOG_CHUNK_MAX * 2 + PREFIX_MAX * 64];
  char ts[TIMESTAMP_LEN];
  timestamp(ts);
  const char *name = stream == 2 ? " stderr " : " stdout ";
  size_t at = 0;
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    size_t line = nl ? (size_t)(nl - data) : len;
    if (at + line + PREFIX_MAX + 2 > sizeof out) {
      if (at)
        flush(w, out, at);
      at = 0;
      if (line + PREFIX_MAX + 2 > sizeof out)
        line = sizeof out - PREFIX_MAX - 2, nl = NULL;
    }
    memcpy(out + at, ts, TIMESTAMP_LEN);
    memcpy(out + at + TIMESTAMP_LEN, name, 8);
    at += TIMESTAMP_LEN + 8;
    out[at++] = nl ? 'F' : 'P';
    out[at++] = ' ';
    memcpy(out + at, data, line);
    at += line;
    out[at++] = '\n';
    size_t used = line + (nl ? 1 : 0);
    data += used;
    len -= used;
  }
  if (at)
    flush(w, out, at);
}

/* ---- reading ---- */

/* One record: its time in ns, stream (1, 2), whether it ends a line. */
struct record {
  int64_t ns;
  int stream;
  bool full;
  const char *text;
  size_t len;
  const char *time;
  size_t time_len;
};

static bool parse_record(char *line, size_t n, bool want_time, struct record *r,
                         err_t *scratch) {
  if (n && line[n - 1] == '\n')
    line[--n] = '\0';
  char *sp1 = memchr(line, ' ', n);
  if (!sp1 || (size_t)(sp1 - line) + 10 > n)
    return false;
  r->time = line;
  r->time_len = (size_t)(sp1 - line);
  r->ns = 0;
  if (want_time) {
    *sp1 = '\0';
    int bad = time_parse_point(line, 0, &r->ns, scratch);
    *sp1 = ' ';
    if (bad < 0)
      return false;
  }
  const char *rest = sp1 + 1;
  if (!strncmp(rest, "stdout ", 7))
    r->stream = 1;
  else if (!strncmp(rest, "stderr ", 7))
    r->stream = 2;
  else
    return false;
  rest += 7;
  if ((rest[0] != 'F' && rest[0] != 'P') || rest[1] != ' ')
    return false;
  r->full = rest[0] == 'F';
  r->text = rest + 2;
  r->len = n - (size_t)(r->text - line);
  return true;
}

struct reader {
  const struct engine_logs_opts *o;
  engine_log_fn fn;
  void *arg;
  int64_t skip;      /* lines to pass over (--tail) */
  bool in_line[3];   /* per stream: its last record was partial */
  bool skipping;     /* the current line is passed over */
  bool line_started; /* a partial record was shown: its line goes on */
  int64_t lines;
};

/* Feed one file's records from `f` to the reader (counting only: fn NULL). */
static int read_records(struct reader *rd, FILE *f, err_t *e) {
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    struct record r;
    err_t scratch = ERR_INIT;
    if (!parse_record(line, (size_t)n, rd->o->since_ns || rd->o->until_ns, &r, &scratch))
      continue;
    /* A line is a run of P records ended by an F record, or by the end. */
    bool starts = !rd->in_line[r.stream];
    rd->in_line[r.stream] = !r.full;
    if (!rd->fn) {
      rd->lines += starts;
      continue;
    }
    if (starts)
      rd->skipping = rd->skip > 0 && rd->skip--;
    if (rd->skipping)
      continue;
    if ((rd->o->since_ns && r.ns < rd->o->since_ns) || (rd->o->until_ns && r.ns > rd->o->until_ns))
      continue;
    if (!(rd->o->streams & (1 << r.stream)))
      continue;
    char ts[48];
    snprintf(ts, sizeof ts, "%.*s", (int)r.time_len, r.time);
    if (rd->fn(rd->arg, r.stream, rd->o->timestamps && !rd->line_started ? ts : NULL, r.text,
               r.len, r.full, e) < 0)
      return -1;
    rd->line_started = !r.full;
  }
  return 0;
}

static FILE *open_log(int dirfd, int index) {
  char name[32];
  log_name(name, index);
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
  if (fd >= 0 && !f)
    close(fd);
  return f;
}

/* The rotated files, oldest first, then the current one, which is left
 * open at its end in *cur (for -f). */
static int read_all_files(struct reader *rd, int dirfd, int max_file, FILE **cur, err_t *e) {
  for (int i = max_file - 1; i >= 1; i--) {
    _cleanup_fclose_ FILE *f = open_log(dirfd, i);
    if (f && read_records(rd, f, e) < 0)
      return -1;
  }
  _cleanup_fclose_ FILE *f = open_log(dirfd, 0);
  if (f && read_records(rd, f, e) < 0)
    return -1;
  if (cur)
    *cur = steal_ptr(&f);
  return 0;
}

/* -f: the current file from where we are, reopened when it was rotated
 * (its inode changed) or started over (it shrank), until the container no
 * longer runs and nothing more came. */
static int follow(struct reader *rd, const struct engine *eng, const char *id, int dirfd, FILE *f,
                  err_t *e) {
  for (;;) {
    if (f) {
      clearerr(f);
      if (read_records(rd, f, e) < 0)
        break;
    }
    struct container_state st;
    err_t scratch = ERR_INIT;
    bool live = container_state_current(eng, id, &st, &scratch) == 0 &&
                container_status_live(st.status);
    struct stat now, cur;
    bool moved = fstatat(dirfd, LOG_NAME, &now, 0) == 0 &&
                 (!f || fstat(fileno(f), &cur) < 0 || now.st_ino != cur.st_ino ||
                  now.st_size < ftell(f));
    if (moved) {
      if (f)
        fclose(f);
      f = open_log(dirfd, 0);
      continue;
    }
    if (!live) {
      if (f)
        fclose(f);
      return 0;
    }
    poll(NULL, 0, 100);
  }
  if (f)
    fclose(f);
  return -1;
}

int engine_logs(const struct engine *eng, const char *name, const struct engine_logs_opts *o,
                engine_log_fn fn, void *arg, err_t *e) {
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  _cleanup_free_ char *dir = container_path(eng, r.id, NULL);
  int max_file = r.run.log_max_file;
  char id[65];
  memcpy(id, r.id, sizeof id);
  container_record_free(&r);
  _cleanup_close_ int dirfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (dirfd < 0)
    return err_sys(e, "open %s", dir ? dir : "container directory");
  struct reader rd = {.o = o, .fn = NULL, .arg = arg};
  if (o->tail >= 0) {
    if (read_all_files(&rd, dirfd, max_file, NULL, e) < 0)
      return -1;
    rd.skip = rd.lines > o->tail ? rd.lines - o->tail : 0;
  }
  rd.fn = fn;
  memset(rd.in_line, 0, sizeof rd.in_line);
  FILE *cur = NULL;
  if (read_all_files(&rd, dirfd, max_file, o->follow ? &cur : NULL, e) < 0)
    return -1;
  return o->follow ? follow(&rd, eng, id, dirfd, cur, e) : 0;
}
