#include "cli/capsule/human.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

void human_size(char *buf, size_t len, uint64_t bytes) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = (double)bytes;
  size_t u = 0;
  while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
    v /= 1000;
    u++;
  }
  snprintf(buf, len, "%.3g%s", v, units[u]);
}

void human_duration(char *buf, size_t len, double d) {
  static const struct {
    double secs;
    const char *unit;
  } steps[] = {{365.25 * 86400, "year"}, {30 * 86400, "month"}, {7 * 86400, "week"},
               {86400, "day"},           {3600, "hour"},        {60, "minute"}};
  if (d < 1) {
    snprintf(buf, len, "Less than a second");
    return;
  }
  for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
    long n = (long)(d / steps[i].secs);
    if (n < 1)
      continue;
    /* docker: "About an hour", "About a minute" */
    if (n == 1 && (steps[i].secs == 3600 || steps[i].secs == 60))
      snprintf(buf, len, "About a%s %s", steps[i].secs == 3600 ? "n" : "", steps[i].unit);
    else
      snprintf(buf, len, "%ld %s%s", n, steps[i].unit, n == 1 ? "" : "s");
    return;
  }
  snprintf(buf, len, "%ld second%s", (long)d, (long)d == 1 ? "" : "s");
}

void human_ago(char *buf, size_t len, time_t t) {
  if (t == 0) {
    snprintf(buf, len, "N/A");
    return;
  }
  char d[64];
  human_duration(d, sizeof d, difftime(time(NULL), t));
  snprintf(buf, len, "%s ago", d);
}

void human_container_status(char *buf, size_t len, const char *status, int exit_code,
                            const char *started_at, const char *finished_at) {
  char d[64];
  if (!strcmp(status, "running") || !strcmp(status, "paused")) {
    human_duration(d, sizeof d, difftime(time(NULL), parse_rfc3339(started_at)));
    snprintf(buf, len, "Up %s%s", d, strcmp(status, "paused") ? "" : " (Paused)");
  } else if (!strcmp(status, "exited") || !strcmp(status, "restarting")) {
    time_t t = parse_rfc3339(finished_at);
    if (t)
      human_ago(d, sizeof d, t);
    snprintf(buf, len, "%s (%d)%s%s", !strcmp(status, "exited") ? "Exited" : "Restarting",
             exit_code, t ? " " : "", t ? d : "");
  } else {
    snprintf(buf, len, "%c%s", status[0] ? status[0] - 'a' + 'A' : '?', status[0] ? status + 1 : "");
  }
}

time_t parse_rfc3339(const char *s) {
  struct tm tm = {0};
  const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
  if (!rest)
    return 0;
  if (*rest == '.')
    rest += 1 + strspn(rest + 1, "0123456789");
  time_t t = timegm(&tm);
  if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (sscanf(rest + 1, "%d:%d", &hh, &mm) == 2)
      t -= (*rest == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
  }
  return t;
}

void short_id(char *buf, size_t len, const char *digest, int full) {
  const char *hex = strncmp(digest, "sha256:", 7) ? digest : digest + 7;
  if (full)
    snprintf(buf, len, "%s", digest);
  else
    snprintf(buf, len, "%.12s", hex);
}

/* docker's COMMAND: the command line quoted, cut to 20 characters. */
char *human_command(json_t *command, bool full) {
  /* Built by hand: a memory stream per row was a tenth of ps -a at 1,000. */
  size_t len = 0, i;
  json_t *arg;
  json_array_foreach(command, i, arg) len += (i ? 1 : 0) + strlen(json_string_value(arg) ?: "");
  char *out = malloc(len + sizeof "\"…\""), *p = out;
  if (!out)
    return NULL;
  *p++ = '"';
  json_array_foreach(command, i, arg) {
    const char *a = json_string_value(arg) ?: "";
    if (i)
      *p++ = ' ';
    p = stpcpy(p, a);
  }
  if (!full && len > 20) /* the first 19 bytes, as "%.19s" */
    p = stpcpy(out + 1 + 19, "…");
  strcpy(p, "\"");
  return out;
}
