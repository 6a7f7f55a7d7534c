/* Sizes and times as docker prints them. */
#ifndef CAPSULE_CLI_CAPSULE_HUMAN_H
#define CAPSULE_CLI_CAPSULE_HUMAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "4.26MB", "512B": decimal units, three significant digits. */
void human_size(char *buf, size_t len, uint64_t bytes);

/* "2 weeks ago", "About an hour ago"; "N/A" for t == 0. */
void human_ago(char *buf, size_t len, time_t t);

/* A duration as docker words it: "Less than a second", "3 seconds",
 * "About a minute", "2 hours". */
void human_duration(char *buf, size_t len, double seconds);

/* A container's STATUS column as docker's: "Up 3 seconds", "Up 2 minutes
 * (Paused)", "Exited (7) 3 seconds ago", "Created", "Restarting (1) 2
 * seconds ago", "Dead"; from the fields of engine_ps. */
void human_container_status(char *buf, size_t len, const char *status, int exit_code,
                            const char *started_at, const char *finished_at);

/* Seconds since the epoch of an RFC 3339 time ("2024-05-01T12:00:00.5Z",
 * "...+02:00"); 0 when it cannot be read. */
time_t parse_rfc3339(const char *s);

/* docker's COMMAND column: the command line (an array of strings)
 * quoted, cut to 20 characters unless `full`; on the heap. */
char *human_command(json_t *command, bool full);

/* The first `n` characters of the hex of a digest, or all of it with `full`. */
void short_id(char *buf, size_t len, const char *digest, int full);

#endif
