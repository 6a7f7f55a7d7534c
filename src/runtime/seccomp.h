/* linux.seccomp: the spec's full syntax (default action and errno, archs,
 * flags, per-syscall actions with errnoRet, argument filters) compiled to
 * BPF with libseccomp in the runtime process, so a bad profile fails before
 * anything exists; the container's init only loads the finished program. */
#ifndef CAPSULE_RUNTIME_SECCOMP_H
#define CAPSULE_RUNTIME_SECCOMP_H

#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

struct seccomp_filter {
  struct sock_filter *insns;
  unsigned short len;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool notify;        /* some action is SCMP_ACT_NOTIFY */
  const char *listener_path;     /* borrowed from the spec */
  const char *listener_metadata; /* borrowed from the spec */
};

int seccomp_compile(json_t *seccomp, struct seccomp_filter **out, err_t *e);
/* The same through a cache of finished programs in `cache_dir` (NULL: no
 * cache); see seccomp_cache.c. */
int seccomp_compile_cached(json_t *seccomp, const char *cache_dir, struct seccomp_filter **out,
                           err_t *e);
void seccomp_filter_free(struct seccomp_filter *f);

/* Load into the calling thread. With a notify action, *notify_fd receives
 * the listener fd (else -1). */
int seccomp_load_filter(const struct seccomp_filter *f, int *notify_fd, err_t *e);

/* SCMP_ACT_NOTIFY: the listener at linux.seccomp.listenerPath gets, once,
 * over its own connection, the notify fd with the container process state
 * (runtime-spec: {ociVersion, fds: ["seccompFd"], pid, metadata, state}).
 * The connection is made before the process enters the container (the
 * path is on the host); the message goes right after the filter is
 * loaded, before execve. */
struct seccomp_listener {
  int sock;      /* connected, SOCK_STREAM */
  char *message; /* the container process state, JSON */
};

/* Connect to the filter's listener; the message is built by
 * seccomp_listener_message() once the pid is known. */
int seccomp_listener_connect(const struct seccomp_filter *f, struct seccomp_listener *l, err_t *e);
/* Build the message: `pid` as the runtime sees it, `state` the container's
 * state object (borrowed). */
int seccomp_listener_message(const struct seccomp_filter *f, struct seccomp_listener *l, pid_t pid,
                             json_t *state, err_t *e);
/* Send the notify fd and the message, then close the connection. */
int seccomp_listener_send(struct seccomp_listener *l, int notify_fd, err_t *e);
void seccomp_listener_close(struct seccomp_listener *l);

/* Names the features command lists. */
extern const char *const seccomp_action_names[];
extern const char *const seccomp_op_names[];
extern const char *const seccomp_arch_names[];
extern const char *const seccomp_flag_names[];

#endif
