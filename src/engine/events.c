/* Container events (`capsule events`): one JSON line per event in
 * <root>/events.log, in docker's shape (what `docker events --format
 * '{{json .}}'` prints), written by whichever command or monitor saw the
 * event.
 *
 * Every line goes in with one write() on an O_APPEND descriptor: the
 * kernel places each write at the end under the file's lock, so lines of
 * concurrent writers never interleave. The log is bounded: a writer that
 * finds it past its cap renames it to events.log.1 (the previous one is
 * dropped), under a lock so that two writers do not rotate twice. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timefmt.h"

#define EVENTS_LOG "events.log"
#define EVENTS_OLD "events.log.1"
#define EVENTS_LOCK "events.lock"
/* A line longer than this is cut: values come from users and images. */
#define EVENT_VALUE_MAX 1024
/* How often a follower looks for new lines. */
#define FOLLOW_POLL_MS 50

static json_t *cut_string(const char *s) {
  return json_stringn(s, strnlen(s, EVENT_VALUE_MAX));
}

static char *event_line(const char *id, const char *name, json_t *labels, const char *image,
                        const char *action, const char *const *attrs, int64_t now) {
  bool failed = false;
  _cleanup_json_ json_t *a = json_object();
  /* The labels as long as they fit in 8 KiB: a line stays bounded. */
  size_t room = 8192;
  const char *key;
  json_t *value;
  json_object_foreach(labels, key, value) {
    size_t len = strlen(key) + strlen(json_string_value(value) ?: "");
    if (json_is_string(value) && len <= room) {
      json_set(a, key, json_string(json_string_value(value)), &failed);
      room -= len;
    }
  }
  if (image && *image)
    json_set(a, "image", cut_string(image), &failed);
  if (name && *name)
    json_set(a, "name", cut_string(name), &failed);
  for (size_t i = 0; attrs && attrs[i] && attrs[i + 1]; i += 2)
    json_set(a, attrs[i], cut_string(attrs[i + 1]), &failed);
  _cleanup_json_ json_t *ev = json_object();
  json_set(ev, "status", cut_string(action), &failed);
  json_set(ev, "id", json_string(id), &failed);
  if (image && *image)
    json_set(ev, "from", cut_string(image), &failed);
  json_set(ev, "Type", json_string("container"), &failed);
  json_set(ev, "Action", cut_string(action), &failed);
  json_set(ev, "Actor", json_pack("{s:s, s:O}", "ID", id, "Attributes", a), &failed);
  json_set(ev, "scope", json_string("local"), &failed);
  json_set(ev, "time", json_integer(now / 1000000000), &failed);
  json_set(ev, "timeNano", json_integer(now), &failed);
  if (failed)
    return NULL;
  char *text = json_dumps(ev, JSON_COMPACT);
  char *line = NULL;
  if (text && asprintf(&line, "%s\n", text) < 0)
    line = NULL;
  free(text);
  return line;
}

static size_t events_cap(const struct engine *eng) {
  return eng->events_max ? eng->events_max : ENGINE_EVENTS_MAX;
}

/* Called after a write left the log at `size`: rotate if it is past the
 * cap, unless another writer did meanwhile (the path then has a new file). */
static int rotate_if_full(const struct engine *eng, off_t size, err_t *e) {
  if ((size_t)size <= events_cap(eng))
    return 0;
  _cleanup_free_ char *lock_path = path_join(eng->root, EVENTS_LOCK);
  _cleanup_free_ char *log = path_join(eng->root, EVENTS_LOG);
  _cleanup_free_ char *old = path_join(eng->root, EVENTS_OLD);
  if (!lock_path || !log || !old)
    return err_sys(e, "events");
  _cleanup_close_ int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX) < 0)
    return err_sys(e, "lock %s", lock_path);
  struct stat st;
  if (stat(log, &st) == 0 && (size_t)st.st_size > events_cap(eng) && rename(log, old) < 0)
    return err_sys(e, "rotate %s", log);
  return 0;
}

int engine_event_write(const struct engine *eng, const char *id, const char *name, json_t *labels,
                       const char *image, const char *action, const char *const *attrs,
                       err_t *e) {
  _cleanup_free_ char *line = event_line(id, name, labels, image, action, attrs, time_now_ns());
  _cleanup_free_ char *log = path_join(eng->root, EVENTS_LOG);
  if (!line || !log)
    return err_sys(e, "event %s", action);
  _cleanup_close_ int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return err_sys(e, "open %s", log);
  /* One write: a short one (a full disk) leaves a line the reader skips. */
  size_t len = strlen(line);
  ssize_t n = write(fd, line, len);
  if (n < 0 || (size_t)n != len)
    return n < 0 ? err_sys(e, "write %s", log) : err_set(e, ENOSPC, "write %s: short", log);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return err_sys(e, "stat %s", log);
  return rotate_if_full(eng, st.st_size, e);
}

void engine_event_of(const struct engine *eng, const struct container_record *r,
                     const char *action, const char *const *attrs) {
  err_t e = ERR_INIT;
  if (engine_event_write(eng, r->id, r->name, r->labels, r->image_ref, action, attrs, &e) < 0)
    log_warn("container %.12s: record the %s event: %s", r->id, action, e.msg);
}

int engine_event(const struct engine *eng, const char *id, const char *name, const char *action,
                 const char *const *attrs, err_t *e) {
  struct container_record r;
  err_t ignored = ERR_INIT;
  bool have = container_dir_load(eng, id, &r, &ignored) == 0;
  int ret = engine_event_write(eng, id, name ? name : have ? r.name : NULL, have ? r.labels : NULL,
                               have ? r.image_ref : NULL, action, attrs, e);
  if (have)
    container_record_free(&r);
  return ret;
}

/* ---- reading ---- */

struct reader {
  const struct engine_events_query *q;
  engine_event_fn fn;
  void *arg;
  char *buf; /* a line not yet complete */
  size_t len, cap;
  bool done; /* the callback asked to stop, or --until passed */
};

/* One complete line: pass it on if it is an event within the window.
 * Lines that do not parse (cut by a full disk) are skipped. */
static int deliver(struct reader *r, const char *line, size_t len, err_t *e) {
  json_error_t jerr;
  _cleanup_json_ json_t *ev = json_loadb(line, len, 0, &jerr);
  json_t *t = json_object_get(ev, "timeNano");
  if (!json_is_object(ev) || !json_is_integer(t))
    return 0;
  int64_t ns = json_integer_value(t);
  if (r->q->since_ns && ns < r->q->since_ns)
    return 0;
  if (r->q->until_ns && ns > r->q->until_ns) {
    r->done = true;
    return 0;
  }
  int rc = r->fn(ev, r->arg, e);
  if (rc < 0)
    return -1;
  if (rc > 0)
    r->done = true;
  return 0;
}

/* Read what `fd` has from its offset on; complete lines go out, the rest
 * waits in the buffer for its end. */
static int drain(struct reader *r, int fd, err_t *e) {
  for (;;) {
    if (r->cap - r->len < 4096) {
      size_t cap = r->cap ? r->cap * 2 : 8192;
      char *grown = realloc(r->buf, cap);
      if (!grown)
        return err_sys(e, "events");
      r->buf = grown;
      r->cap = cap;
    }
    ssize_t n = read(fd, r->buf + r->len, r->cap - r->len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return err_sys(e, "read the events log");
    if (n == 0)
      return 0;
    r->len += (size_t)n;
    size_t start = 0;
    for (char *nl; !r->done && (nl = memchr(r->buf + start, '\n', r->len - start));) {
      size_t end = (size_t)(nl - r->buf);
      if (deliver(r, r->buf + start, end - start, e) < 0)
        return -1;
      start = end + 1;
    }
    if (r->done)
      return 0;
    memmove(r->buf, r->buf + start, r->len - start);
    r->len -= start;
    /* A line past any an event writer makes: drop it, keep reading. */
    if (r->len > 64 * EVENT_VALUE_MAX)
      r->len = 0;
  }
}

static int open_log(const char *path, err_t *e) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT)
    return err_sys(e, "open %s", path);
  return fd < 0 ? -2 : fd;
}

/* Read `path` whole unless it is the file `seen` (fstat'ed) is. */
static int drain_unless(struct reader *r, const char *path, const struct stat *seen, err_t *e) {
  _cleanup_close_ int fd = open_log(path, e);
  struct stat st;
  if (fd == -1)
    return -1;
  if (fd < 0 || fstat(fd, &st) < 0 || (seen && st.st_ino == seen->st_ino &&
                                       st.st_dev == seen->st_dev))
    return 0;
  r->len = 0;
  return drain(r, fd, e);
}

/* Follow the log from `fd` (or from the log's creation if fd < 0): new
 * lines as they come, across rotations, until the callback stops or
 * --until passes. */
static int follow(struct reader *r, const char *path, const char *old, int fd, err_t *e) {
  _cleanup_close_ int cur = fd;
  while (!r->done) {
    if (cur >= 0 && drain(r, cur, e) < 0)
      return -1;
    if (r->done || (r->q->until_ns && time_now_ns() > r->q->until_ns))
      break;
    struct stat now, ours;
    bool have_ours = cur >= 0 && fstat(cur, &ours) == 0;
    if (stat(path, &now) == 0 &&
        (!have_ours || now.st_ino != ours.st_ino || now.st_dev != ours.st_dev)) {
      /* Rotated: ours is drained (we hold it, renamed or gone); a
       * generation made and rotated away since is events.log.1; the new
       * log is read from its start. A partial last line is dropped. */
      if (cur >= 0 && drain(r, cur, e) < 0)
        return -1;
      if (have_ours && !r->done && drain_unless(r, old, &ours, e) < 0)
        return -1;
      if (cur >= 0)
        close(cur);
      r->len = 0;
      if ((cur = open_log(path, e)) == -1)
        return -1;
      continue;
    }
    poll(NULL, 0, FOLLOW_POLL_MS);
  }
  return 0;
}

int engine_events(const struct engine *eng, const struct engine_events_query *q,
                  engine_event_fn fn, void *arg, err_t *e) {
  _cleanup_free_ char *log = path_join(eng->root, EVENTS_LOG);
  _cleanup_free_ char *old = path_join(eng->root, EVENTS_OLD);
  if (!log || !old)
    return err_sys(e, "events");
  struct reader r = {.q = q, .fn = fn, .arg = arg};
  int ret = -1;
  /* Open the current log first: if it rotates while we read the old one,
   * we still hold what came after. */
  int fd = open_log(log, e);
  if (fd == -1)
    return -1;
  bool past = q->since_ns || q->until_ns;
  if (past) {
    /* (If the log rotated since we opened it, events.log.1 is ours.) */
    struct stat ours;
    bool have = fd >= 0 && fstat(fd, &ours) == 0;
    if (drain_unless(&r, old, have ? &ours : NULL, e) < 0)
      goto out;
    r.len = 0;
    if (!r.done && fd >= 0 && drain(&r, fd, e) < 0)
      goto out;
  } else if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
    err_sys(e, "seek %s", log);
    goto out;
  }
  if (!q->follow || r.done || (q->until_ns && time_now_ns() > q->until_ns)) {
    ret = 0;
    goto out;
  }
  ret = follow(&r, log, old, fd, e);
  fd = -1; /* follow() owns it */
out:
  if (fd >= 0)
    close(fd);
  free(r.buf);
  return ret;
}
