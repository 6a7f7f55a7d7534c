/* Timestamps as the OCI specs write them. */
#ifndef CAPSULE_UTIL_TIMEFMT_H
#define CAPSULE_UTIL_TIMEFMT_H

/* The current UTC time in RFC 3339 with nanoseconds, on the heap.
 * Formatted by hand: strftime() would load the time zone database. */
char *rfc3339_now(void);

#endif
