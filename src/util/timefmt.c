#include "util/timefmt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *rfc3339_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char *out = NULL;
  if (asprintf(&out, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec) < 0)
    return NULL;
  return out;
}

int64_t time_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t time_monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define NS_MAX_SECONDS (INT64_MAX / 1000000000 - 1)

/* ".123" after seconds: nanoseconds; *p moves past the digits. */
static int64_t fraction_ns(const char **p) {
  int64_t ns = 0, scale = 100000000;
  if (**p != '.')
    return 0;
  for ((*p)++; isdigit((unsigned char)**p); (*p)++, scale /= 10)
    ns += (**p - '0') * scale;
  return ns;
}

/* "1700000000[.frac]" */
static int parse_unix(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long sec = strtoll(s, &end, 10);
  if (end == s || errno || sec < 0 || sec > NS_MAX_SECONDS || (*end && *end != '.'))
    return -1;
  const char *p = end;
  int64_t frac = fraction_ns(&p);
  if (*p || (*end == '.' && p == end + 1))
    return -1;
  *out = (int64_t)sec * 1000000000 + frac;
  return 0;
}

/* Go's time.ParseDuration for positive values: a sequence of
 * number+unit ("1h30m", "1.5s"). */
static int parse_duration(const char *s, int64_t *out) {
  static const struct {
    const char *unit;
    double ns;
  } units[] = {{"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9},
               {"h", 3600e9}};
  double total = 0;
  const char *p = s;
  if (!*p)
    return -1;
  while (*p) {
    /* digits [. digits], as Go writes them (no sign, exponent or hex) */
    double v = 0, scale = 1;
    const char *start = p;
    for (; isdigit((unsigned char)*p); p++)
      v = v * 10 + (*p - '0');
    if (*p == '.')
      for (p++; isdigit((unsigned char)*p); p++)
        v += (*p - '0') * (scale /= 10);
    if (p == start || (p == start + 1 && *start == '.'))
      return -1;
    size_t best = 0;
    double mult = 0;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
      size_t n = strlen(units[i].unit);
      if (!strncmp(p, units[i].unit, n) && n > best) { /* "ms" before "m" */
        best = n;
        mult = units[i].ns;
      }
    }
    if (!best)
      return -1;
    p += best;
    total += v * mult;
  }
  if (total > (double)INT64_MAX)
    return -1;
  *out = (int64_t)total;
  return 0;
}

/* RFC 3339 and its shorter forms, as docker's GetTimestamp takes them. */
static int parse_calendar(const char *s, int64_t *out) {
  struct tm tm = {0};
  int n = 0;
  if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
    return -1;
  const char *p = s + n;
  int64_t frac = 0;
  if (*p == 'T') {
    int m = 0;
    tm.tm_sec = 0;
    if (sscanf(p + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &m) != 2 || m != 5)
      return -1;
    p += 1 + m;
    if (*p == ':') {
      if (sscanf(p + 1, "%2d%n", &tm.tm_sec, &m) != 1 || m != 2)
        return -1;
      p += 3;
      frac = fraction_ns(&p);
    }
  }
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t t;
  if (!*p) {
    tm.tm_isdst = -1; /* local time */
    t = mktime(&tm);
  } else {
    long off = 0;
    if (*p == '+' || *p == '-') {
      int hh, mm, m = 0;
      if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &m) != 2 || m != 5 || p[6])
        return -1;
      off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
    } else if ((*p != 'Z' && *p != 'z') || p[1]) {
      return -1;
    }
    t = timegm(&tm) - off;
  }
  if (t == (time_t)-1 || t < 0 || t > NS_MAX_SECONDS)
    return -1;
  *out = (int64_t)t * 1000000000 + frac;
  return 0;
}

int time_parse_point(const char *s, int64_t now_ns, int64_t *out_ns, err_t *e) {
  int64_t d;
  if (parse_unix(s, out_ns) == 0 || parse_calendar(s, out_ns) == 0)
    return 0;
  if (parse_duration(s, &d) == 0) {
    *out_ns = d < now_ns ? now_ns - d : 0;
    return 0;
  }
  return err_set(e, EINVAL,
                 "%s: expected a Unix time, an RFC 3339 time (2006-01-02T15:04:05Z) or a "
                 "duration such as 10m",
                 s);
}

void time_format_local_ns(char *buf, size_t len, int64_t ns) {
  time_t sec = (time_t)(ns / 1000000000);
  struct tm tm;
  localtime_r(&sec, &tm);
  char zone[8] = "Z";
  int off = (int)(tm.tm_gmtoff / 60) % (24 * 60); /* minutes, within a day */
  if (off)
    snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
  snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%s", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ns % 1000000000), zone);
}
