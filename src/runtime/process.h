/* Turning the calling process into the configured container process: the
 * steps shared by a container's init and by `exec`, run inside the
 * container's namespaces and root. */
#ifndef CAPSULE_RUNTIME_PROCESS_H
#define CAPSULE_RUNTIME_PROCESS_H

#include <stdbool.h>

#include "oci/spec.h"
#include "runtime/seccomp.h"
#include "util/error.h"

/* rlimits, oom_score_adj: before the user switch (lowering needs no
 * privilege, raising does). */
int process_apply_limits(const struct oci_process *p, err_t *e);

/* Supplementary groups, gid, uid (keeping capabilities across the switch),
 * then the capability sets. When a seccomp filter must be loaded without
 * no_new_privs, CAP_SYS_ADMIN is kept until process_exec() loads it. */
int process_apply_identity(const struct oci_process *p, bool keep_admin_for_seccomp, err_t *e);

/* chdir to process.cwd and make sure it is inside our root (a leaked fd or
 * a /proc/self/fd path could otherwise point the cwd at the host). */
int process_enter_cwd(const struct oci_process *p, err_t *e);

/* Socket activation: how many fds from 3 on the runtime's caller handed it
 * as listening sockets, as LISTEN_FDS says in the runtime's environment
 * (0 when it is absent or not a count). LISTEN_PID is not checked, as crun
 * does not: podman hands crun LISTEN_PID=1, which is never the runtime's. */
int process_listen_fds(void);

/* The environment (HOME added from /etc/passwd when missing) and the
 * executable resolved through the container's PATH, checked for execute
 * permission as the process user. With `listen_fds` > 0 (socket
 * activation), LISTEN_FDS=listen_fds is added unless the environment has
 * one, and LISTEN_PID is the process's own pid as it sees itself. */
int process_prepare_exec(const struct oci_process *p, int listen_fds, char ***envp, char **path,
                         err_t *e);

/* Close every fd from `first` up, except those listed in keep[0..n). */
int close_fds_from(int first, const int *keep, size_t n_keep, err_t *e);

/* The last steps: umask, no_new_privs, seccomp (its notify fd handed to
 * `listener` when the filter has SCMP_ACT_NOTIFY), final capabilities,
 * execve. Returns only on failure. */
int process_exec(const struct oci_process *p, const struct seccomp_filter *seccomp,
                 struct seccomp_listener *listener, bool kept_admin, const char *path,
                 char **envp, err_t *e);

/* Does loading `seccomp` need CAP_SYS_ADMIN kept past the capability drop? */
bool process_needs_admin_for_seccomp(const struct oci_process *p,
                                     const struct seccomp_filter *seccomp);

#endif
