/* The parent <-> container-init handshake over a SOCK_SEQPACKET pair.
 *
 * One message per step, so the two sides stay in lock step; an error in
 * the child travels up as a whole err_t and is reported by the parent. The
 * child's end is close-on-exec: EOF after READY means execve() succeeded. */
#ifndef CAPSULE_RUNTIME_SYNC_H
#define CAPSULE_RUNTIME_SYNC_H

#include "util/error.h"

enum sync_type {
  SYNC_IDMAP_REQUEST = 1, /* child -> parent: write my uid/gid maps (value: pid) */
  SYNC_IDMAP_DONE,        /* parent -> child */
  SYNC_INIT_PID,          /* child -> parent: the init's pid, when a second fork made it */
  SYNC_CGROUP_DONE,       /* parent -> child: you are in the cgroup, limits applied */
  SYNC_HOOKS_REQUEST,     /* child -> parent: run prestart/createRuntime hooks now */
  SYNC_HOOKS_DONE,        /* parent -> child */
  SYNC_READY,             /* child -> parent: about to wait for start / exec */
  SYNC_ERROR,             /* child -> parent: err holds why */
  SYNC_CONSOLE,           /* child -> parent or console socket: carries the pty master */
};

struct sync_msg {
  int type;
  int value;
  int fd; /* a file descriptor that came with the message, or -1 */
  err_t err;
};

/* When the peer is gone, the error it sent before going is ours (else an
 * "init exited" error), never the socket's EPIPE. */
int sync_send(int fd, int type, int value, err_t *e);
/* Send an error to the peer (best effort: the child is about to exit). */
void sync_send_error(int fd, const err_t *err);
/* Receive one message. Returns 1, or 0 on EOF, or -1. */
int sync_recv(int fd, struct sync_msg *m, err_t *e);
/* Receive and require `type`; a SYNC_ERROR becomes our error, EOF an
 * "init exited" error. Fills *value if not NULL. */
int sync_expect(int fd, int type, int *value, err_t *e);

/* Send a SYNC_CONSOLE message carrying `fd` (SCM_RIGHTS). */
int sync_send_fd(int sock, int fd, err_t *e);

#endif
