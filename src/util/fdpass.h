#ifndef CAPSULE_UTIL_FDPASS_H
#define CAPSULE_UTIL_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Send `len` bytes of `buf` on a unix socket with `fd` attached
 * (SCM_RIGHTS), retrying on EINTR, never raising SIGPIPE. Returns the bytes
 * the socket took (a stream socket may take fewer than `len`) or -1 with
 * errno set. */
ssize_t send_with_fd(int sock, const void *buf, size_t len, int fd);

#endif
