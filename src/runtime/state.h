/* A container's state directory: <root>/<id>/
 *
 *   state.json   what later commands need (pid and its start time, bundle,
 *                cgroup directories, ...), replaced atomically
 *   config.json  the configuration as it was at create time
 *   start.sock   present while the container is created but not started:
 *                the init waits in accept() on it until `start` connects
 *
 * The directory itself is the lock: every mutating command holds flock()
 * on it. Status is derived, never trusted from the file: a dead or reused
 * pid means stopped, a frozen cgroup means paused, the start socket means created. */
#ifndef CAPSULE_RUNTIME_STATE_H
#define CAPSULE_RUNTIME_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "util/error.h"

enum container_status { STATUS_CREATING, STATUS_CREATED, STATUS_RUNNING, STATUS_PAUSED, STATUS_STOPPED };

struct container_state {
  char *id;
  char *bundle;
  char *rootfs;
  pid_t pid;
  unsigned long long pid_start_time;
  char *created; /* RFC 3339 */
  uid_t owner;
  json_t *annotations; /* object or NULL */
  struct cgroup *cgroup;
  bool systemd_cgroup;
};

const char *container_status_name(enum container_status s);

/* Make <root>/<id> (the root too if missing); refuse an existing id.
 * Returns the locked directory fd. */
int state_dir_create(const char *root, const char *id, err_t *e);
/* Open and lock an existing container's directory. */
int state_dir_open(const char *root, const char *id, err_t *e);
/* Remove <root>/<id> and everything in it. */
int state_dir_remove(const char *root, const char *id, err_t *e);

int state_save(int dirfd, const struct container_state *st, err_t *e);
int state_load(int dirfd, const char *id, struct container_state *st, err_t *e);
void state_free(struct container_state *st);

/* The live status of a loaded container. */
enum container_status state_status(int dirfd, const struct container_state *st);

/* The OCI state object for hooks and `state`. */
json_t *state_to_oci_json(const struct container_state *st, enum container_status status);

#endif
