/* Facts about processes read from /proc. */
#ifndef CAPSULE_UTIL_PROC_H
#define CAPSULE_UTIL_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* Start time (clock ticks since boot, /proc/PID/stat field 22) and state
 * letter of a process; -1 if it does not exist. */
int proc_stat(pid_t pid, unsigned long long *start_time, char *state);

/* True if `pid` is the same process that had `start_time`, and is not a zombie. */
bool proc_alive(pid_t pid, unsigned long long start_time);

#endif
