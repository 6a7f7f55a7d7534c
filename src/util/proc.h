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

/* The inodes of device `dev` on which a process holds a flock() lock (not
 * one waiting for it), sorted, from one read of /proc/locks: a lock's
 * holder is alive. Locks held from outside our pid namespace are not
 * listed there. */
int proc_flocked_inodes(dev_t dev, unsigned long long **out, size_t *n);

#endif
