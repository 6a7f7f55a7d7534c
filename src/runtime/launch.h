/* What the runtime process hands to a container's init: everything decided
 * and opened before the clone, so the child only executes. Internal to
 * src/runtime/. */
#ifndef CAPSULE_RUNTIME_LAUNCH_H
#define CAPSULE_RUNTIME_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "oci/spec.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"

struct launch {
  const char *id;
  const struct oci_spec *spec;
  const struct create_opts *opts;
  const struct oci_process *process;
  struct cgroup *cgroup;
  struct seccomp_filter *seccomp; /* NULL: none */

  unsigned long clone_flags; /* namespaces created by the clone itself */
  unsigned long late_flags;  /* namespaces unshared by the init later (cgroup) */
  bool staged;               /* joins or a time namespace need a second fork */
  int ns_fds[NS_KINDS];      /* namespaces to join, -1 if none */

  int sync_fd;      /* child's end of the handshake */
  int start_fd;     /* listening start.sock (create), -1 for run */
  int console_fd;   /* connected --console-socket, -1 if none */
  int cgroup_v2_fd; /* the container's v2 group, for CLONE_INTO_CGROUP; -1 if none */
  struct seccomp_listener listener; /* SCMP_ACT_NOTIFY's listener, sock -1 if none */
  bool hooks_in_parent; /* prestart/createRuntime hooks: pause before pivot */
  bool foreground;  /* run without --detach: errors after READY still reach the parent */
  bool cgroup_ready; /* the parent has put us in the cgroup */
  pid_t host_pid;    /* our pid as the host sees it (sent with SYNC_CGROUP_DONE) */
};

/* The child side: never returns. */
__attribute__((noreturn)) void container_init(struct launch *l);

#endif
