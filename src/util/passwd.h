/* /etc/passwd lookups by parsing the file: a container's own passwd (after
 * pivot_root) or the host's, without glibc's NSS (which a static binary
 * cannot load). */
#ifndef CAPSULE_UTIL_PASSWD_H
#define CAPSULE_UTIL_PASSWD_H

#include <stdio.h>
#include <sys/types.h>

enum passwd_field { PASSWD_NAME = 0, PASSWD_HOME = 5 };

/* The field of uid's entry in `path`, on the heap; NULL if there is none. */
char *passwd_lookup(const char *path, uid_t uid, enum passwd_field field);

/* A stream over fd (opened O_NONBLOCK) if it is a regular file; else, or
 * on error, fd is closed and NULL returned. A container's passwd or group
 * file may be a FIFO (an open that blocks) or /dev/zero (a read without
 * end): only a regular file is read. */
FILE *passwd_fdopen(int fd);

#endif
