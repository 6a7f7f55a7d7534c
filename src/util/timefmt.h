/* Timestamps as the OCI specs and docker write and read them. */
#ifndef CAPSULE_UTIL_TIMEFMT_H
#define CAPSULE_UTIL_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The current UTC time in RFC 3339 with nanoseconds, on the heap.
 * Formatted by hand: strftime() would load the time zone database. */
char *rfc3339_now(void);

/* CLOCK_REALTIME in nanoseconds since the epoch. */
int64_t time_now_ns(void);
/* CLOCK_MONOTONIC in milliseconds: for deadlines. */
int64_t time_monotonic_ms(void);

/* A point in time as docker's --since and --until take it: a Unix time
 * ("1700000000", "1700000000.5"), an RFC 3339 time with or without a zone
 * ("2026-12-02T10:00:00Z", "2026-12-02T10:00:00.5+01:00", local time
 * without one), a date ("2026-12-02", local midnight), or a Go duration
 * back from `now_ns` ("10m", "1h30m", "1.5s", "250ms"). */
int time_parse_point(const char *s, int64_t now_ns, int64_t *out_ns, err_t *e);

/* `ns` in local time as docker prints event times:
 * "2026-12-02T10:00:00.123456789Z" (UTC) or "...+01:00". */
void time_format_local_ns(char *buf, size_t len, int64_t ns);

#endif
