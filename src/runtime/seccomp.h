/* linux.seccomp: the spec's full syntax (default action and errno, archs,
 * flags, per-syscall actions with errnoRet, argument filters) compiled to
 * BPF with libseccomp in the runtime process, so a bad profile fails before
 * anything exists; the container's init only loads the finished program. */
#ifndef CAPSULE_RUNTIME_SECCOMP_H
#define CAPSULE_RUNTIME_SECCOMP_H

#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>

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
void seccomp_filter_free(struct seccomp_filter *f);

/* Load into the calling thread. With a notify action, *notify_fd receives
 * the listener fd (else -1). */
int seccomp_load_filter(const struct seccomp_filter *f, int *notify_fd, err_t *e);

/* Names the features command lists. */
extern const char *const seccomp_action_names[];
extern const char *const seccomp_op_names[];
extern const char *const seccomp_arch_names[];
extern const char *const seccomp_flag_names[];

#endif
