/* A container as the runtime's commands hold it: its locked state
 * directory, loaded state, configuration and cgroup. Internal to
 * src/runtime/ and src/checkpoint/ (which makes containers from CRIU's images
 * instead of cloning an init). */
#ifndef CAPSULE_RUNTIME_CONTAINER_H
#define CAPSULE_RUNTIME_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "oci/spec.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"
#include "runtime/state.h"

struct container {
  const struct runtime_ctx *rt;
  const char *id;
  int dirfd;                      /* the locked state directory */
  struct container_state state;   /* what state.json holds */
  struct oci_spec *spec;          /* the configuration, when loaded */
  struct seccomp_filter *seccomp; /* compiled at create */
  struct cgroup *cgroup;          /* == state.cgroup */
  pid_t pid;                      /* the init, once cloned */
  int sync_fd;                    /* handshake with the init (create/run) */
  int console_master;             /* foreground terminal: the pty master, else -1 */
  bool cgroup_made;               /* we created the cgroup directories */
  bool detached_run;              /* run -d: no start socket */
};

/* For create/run: check the config and the host, make the state directory
 * and save the config in it. Nothing else exists yet. */
int container_new(const struct runtime_ctx *rt, const char *id, const struct create_opts *o,
                  struct container **out, err_t *e);
/* For every other command: lock and load an existing container. With
 * `with_spec` the saved config is parsed too. */
int container_open(const struct runtime_ctx *rt, const char *id, bool with_spec,
                   struct container **out, err_t *e);

/* container_open for commands that last (exec, events): the status is
 * read under the lock, which is then let go (it is for changes of state);
 * the container stays loaded. */
int container_open_unlocked(const struct runtime_ctx *rt, const char *id, bool with_spec,
                            struct container **out, enum container_status *status, err_t *e);

/* The seccomp program cache of the state root: <root>/.seccomp. */
char *container_seccomp_cache(const struct runtime_ctx *rt);

/* Create the cgroup directories (before the init exists: it is born in
 * the v2 group and joins the v1 ones itself, see cgroup/join.c). */
int container_make_cgroup(struct container *c, err_t *e);
/* The device rules (config's, configured devices, defaults), written
 * before the init exists: v1 sets them as "a" to devices.deny (which drops
 * every exception) and then one allow line each, so a process already in
 * the group is denied every device in between (the init's mknod failed
 * with EPERM under load). */
int container_limit_devices(struct container *c, err_t *e);
/* Apply the other configured limits (while the init builds its root). */
int container_limit_cgroup(struct container *c, err_t *e);

/* Once the init's pid (c->pid) is known: the state and the pid file, written
 * while the child is still building its root (the lock keeps readers out
 * until the create is complete); restore writes them for CRIU's init. */
int container_record_init(struct container *c, const struct create_opts *o, err_t *e);

/* Hooks of one kind with the current state on stdin. */
int container_run_hooks(struct container *c, enum oci_hook_kind kind,
                        enum container_status status, err_t *e);
/* poststart and poststop failures are warnings, as the spec says. */
void container_run_hooks_warn(struct container *c, enum oci_hook_kind kind,
                              enum container_status status);

/* Wait for the init in the foreground, forwarding signals to it, then
 * delete the container; *status is the exit code (128+signal if killed). */
int container_wait_and_delete(struct container *c, int *status, err_t *e);

/* Remove what exists of a container: processes (SIGKILL), cgroup, state
 * directory; poststop hooks run if the config has them. A cgroup that
 * cannot be removed keeps the state, so that a later delete finds it.
 * Frees c. */
int container_destroy(struct container *c, err_t *e);
/* Undo a failed create; frees c. */
void container_abort(struct container *c);
/* Free without touching the host. */
void container_release(struct container *c);

#endif
