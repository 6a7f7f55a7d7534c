/* The events log: lines of concurrent writers never interleave, the log
 * stays bounded (rotation keeps one older generation), the reader's
 * --since/--until window and its following across a rotation; and the
 * time points docker's --since/--until take. Runs without root. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/timefmt.h"

static char root[] = "/tmp/engine-events.XXXXXX";

#define WRITERS 4
#define PER_WRITER 300

struct seen {
  int count;
  int bad;
  int64_t last_ns;
  int out_of_order;
  char first_action[64];
};

static int count_event(json_t *ev, void *arg, err_t *e) {
  (void)e;
  struct seen *s = arg;
  json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
  const char *action = json_string_value(json_object_get(ev, "Action"));
  int64_t ns = json_integer_value(json_object_get(ev, "timeNano"));
  if (!action || !json_is_object(attrs) || ns <= 0)
    s->bad++;
  if (ns < s->last_ns)
    s->out_of_order++;
  s->last_ns = ns;
  if (!s->count && action)
    snprintf(s->first_action, sizeof s->first_action, "%s", action);
  s->count++;
  return 0;
}

static int read_all_events(const struct engine *eng, struct seen *s) {
  memset(s, 0, sizeof *s);
  struct engine_events_query q = {.since_ns = 1};
  err_t e = ERR_INIT;
  return engine_events(eng, &q, count_event, s, &e);
}

static void concurrent_writers_never_interleave(void) {
  struct engine eng = {.root = root, .events_max = 64 << 20};
  /* A long attribute makes each line several KiB: interleaving would show. */
  static char big[1000];
  memset(big, 'x', sizeof big - 1);
  for (int w = 0; w < WRITERS; w++) {
    pid_t pid = fork();
    CHECK_FATAL(pid >= 0);
    if (pid == 0) {
      for (int i = 0; i < PER_WRITER; i++) {
        err_t e = ERR_INIT;
        const char *attrs[] = {"a", big, "b", big, "c", big, NULL};
        if (engine_event(&eng, "c0ffee", "writer", "start", attrs, &e) < 0)
          _exit(1);
      }
      _exit(0);
    }
  }
  for (int w = 0; w < WRITERS; w++) {
    int st;
    CHECK(wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  struct seen s;
  CHECK(read_all_events(&eng, &s) == 0);
  CHECK(s.count == WRITERS * PER_WRITER);
  CHECK(s.bad == 0);
  CHECK_STR(s.first_action, "start");
  /* Every line parses: the reader skips broken ones, so count them too. */
  _cleanup_free_ char *log = path_join(root, "events.log");
  _cleanup_free_ char *text = read_file(log, 0, NULL, &(err_t)ERR_INIT);
  int lines = 0;
  for (char *p = text; p && (p = strchr(p, '\n')); p++)
    lines++;
  CHECK(lines == WRITERS * PER_WRITER);
  unlink(log);
}

static void the_log_is_bounded(void) {
  struct engine eng = {.root = root, .events_max = 16 << 10};
  for (int i = 0; i < 2000; i++) {
    err_t e = ERR_INIT;
    char n[16];
    snprintf(n, sizeof n, "%d", i);
    const char *attrs[] = {"n", n, NULL};
    CHECK_FATAL(engine_event(&eng, "c0ffee", "x", "die", attrs, &e) == 0);
  }
  struct stat cur, old;
  _cleanup_free_ char *log = path_join(root, "events.log");
  _cleanup_free_ char *log1 = path_join(root, "events.log.1");
  CHECK(stat(log, &cur) == 0 && cur.st_size <= (16 << 10) + 1024);
  CHECK(stat(log1, &old) == 0 && old.st_size <= (16 << 10) + 1024);
  /* The newest events are all there, oldest first. */
  struct seen s;
  CHECK(read_all_events(&eng, &s) == 0);
  CHECK(s.count > 50 && s.count < 2000);
  CHECK(s.out_of_order == 0);
  unlink(log);
  unlink(log1);
}

struct window {
  int64_t ns[3];
  int got;
  int64_t first;
};

static int collect(json_t *ev, void *arg, err_t *e) {
  (void)e;
  struct window *w = arg;
  if (!w->got)
    w->first = json_integer_value(json_object_get(ev, "timeNano"));
  w->got++;
  return 0;
}

static void since_and_until_select_a_window(void) {
  struct engine eng = {.root = root};
  struct window w = {0};
  for (int i = 0; i < 3; i++) {
    err_t e = ERR_INIT;
    w.ns[i] = time_now_ns();
    CHECK_FATAL(engine_event(&eng, "c0ffee", "x", "start", NULL, &e) == 0);
    usleep(2000);
  }
  err_t e = ERR_INIT;
  /* since after the first event, until before the last: only the second */
  struct engine_events_query q = {.since_ns = w.ns[1], .until_ns = w.ns[2]};
  CHECK(engine_events(&eng, &q, collect, &w, &e) == 0);
  CHECK(w.got == 1);
  CHECK(w.first >= w.ns[1] && w.first < w.ns[2]);
  /* following with an until already past ends at once */
  w.got = 0;
  q.follow = true;
  CHECK(engine_events(&eng, &q, collect, &w, &e) == 0);
  CHECK(w.got == 1);
  _cleanup_free_ char *log = path_join(root, "events.log");
  unlink(log);
}

/* A follower sees events written after it started, across a rotation. */
static void *write_later(void *arg) {
  const struct engine *eng = arg;
  usleep(100000);
  for (int i = 0; i < 40; i++) {
    err_t e = ERR_INIT;
    usleep(1000); /* ~12 events a generation: two rotations in a poll at most */
    engine_event(eng, "c0ffee", "late", i == 39 ? "destroy" : "start", NULL, &e);
  }
  return NULL;
}

static int until_destroy(json_t *ev, void *arg, err_t *e) {
  (void)e;
  int *n = arg;
  (*n)++;
  return strcmp(json_string_value(json_object_get(ev, "Action")), "destroy") ? 0 : 1;
}

static void following_sees_new_events_across_rotation(void) {
  struct engine eng = {.root = root, .events_max = 4096};
  err_t e = ERR_INIT;
  CHECK_FATAL(engine_event(&eng, "c0ffee", "old", "create", NULL, &e) == 0);
  pthread_t t;
  CHECK_FATAL(pthread_create(&t, NULL, write_later, &eng) == 0);
  int n = 0;
  /* since: from now on (the old event is before); until: a bound on a
   * broken test */
  int64_t now = time_now_ns();
  struct engine_events_query q = {.follow = true, .since_ns = now, .until_ns = now + 10000000000LL};
  CHECK(engine_events(&eng, &q, until_destroy, &n, &e) == 0);
  pthread_join(t, NULL);
  /* Not the old event; the new ones all, a generation rotated away
   * between two looks included. */
  if (n != 40)
    fprintf(stderr, "followed %d events of 40\n", n);
  CHECK(n == 40);
}

static void time_points(void) {
  int64_t now = 1796206393LL * 1000000000 + 5, out = 0;
  err_t e = ERR_INIT;
  CHECK(time_parse_point("1796206393", now, &out, &e) == 0 && out == 1796206393LL * 1000000000);
  CHECK(time_parse_point("1796206393.25", now, &out, &e) == 0 &&
        out == 1796206393LL * 1000000000 + 250000000);
  CHECK(time_parse_point("2026-12-02T10:00:00Z", now, &out, &e) == 0 &&
        out == 1796205600LL * 1000000000);
  CHECK(time_parse_point("2026-12-02T11:00:00.5+01:00", now, &out, &e) == 0 &&
        out == 1796205600LL * 1000000000 + 500000000);
  CHECK(time_parse_point("10m", now, &out, &e) == 0 && out == now - 600LL * 1000000000);
  CHECK(time_parse_point("1h30m", now, &out, &e) == 0 && out == now - 5400LL * 1000000000);
  CHECK(time_parse_point("250ms", now, &out, &e) == 0 && out == now - 250000000);
  CHECK(time_parse_point("1.5s", now, &out, &e) == 0 && out == now - 1500000000);
  const char *bad[] = {"", "soon", "10", "-5m", "1e3s", "2026-13-01", "2026-12-02T10:00:00+1",
                       "10x", ".s", "0x10s"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    err_t be = ERR_INIT;
    int r = time_parse_point(bad[i], now, &out, &be);
    /* "10" is a Unix time, the others are errors */
    CHECK(i == 2 ? r == 0 : (r < 0 && be.code == EINVAL));
  }
  char buf[64];
  setenv("TZ", "UTC", 1);
  time_format_local_ns(buf, sizeof buf, 1796205600LL * 1000000000 + 7);
  CHECK_STR(buf, "2026-12-02T10:00:00.000000007Z");
}

int main(void) {
  CHECK_FATAL(mkdtemp(root));
  concurrent_writers_never_interleave();
  the_log_is_bounded();
  since_and_until_select_a_window();
  following_sees_new_events_across_rotation();
  time_points();
  _cleanup_free_ char *lock = path_join(root, "events.lock");
  unlink(lock);
  rmdir(root);
  return check_report("engine_events");
}
