/* /etc/passwd lookups by parsing the file: a container's own passwd (after
 * pivot_root) or the host's, without glibc's NSS (which a static binary
 * cannot load). */
#ifndef CAPSULE_UTIL_PASSWD_H
#define CAPSULE_UTIL_PASSWD_H

#include <sys/types.h>

enum passwd_field { PASSWD_NAME = 0, PASSWD_HOME = 5 };

/* The field of uid's entry in `path`, on the heap; NULL if there is none. */
char *passwd_lookup(const char *path, uid_t uid, enum passwd_field field);

#endif
