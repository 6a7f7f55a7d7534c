/* Name tables of the OCI spec and runc's CLI: capabilities, rlimits, signals. */
#ifndef CAPSULE_OCI_NAMES_H
#define CAPSULE_OCI_NAMES_H

/* "CAP_SYS_ADMIN" -> 21; -1 if unknown. */
int cap_from_name(const char *name);
/* 21 -> "CAP_SYS_ADMIN"; NULL past the table. */
const char *cap_name(int cap);
/* Highest capability this program knows. */
int cap_known_last(void);
/* Highest capability the running kernel supports (/proc/sys/kernel/cap_last_cap). */
int cap_kernel_last(void);

/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 if unknown. */
int rlimit_from_name(const char *name);
const char *rlimit_name(int resource);

/* "TERM", "SIGTERM", "15", "RTMIN+3", "SIGRTMAX-1" -> signal number; -1 if unknown. */
int signal_from_name(const char *name);
/* 15 -> "SIGTERM" (for listings); NULL if not a named signal. */
const char *signal_name(int sig);

#endif
