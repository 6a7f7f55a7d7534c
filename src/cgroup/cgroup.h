/* Control groups: one API over cgroup v1, v2 and hybrid hosts.
 *
 * The layout is detected at run time (cgroup_detect). A `struct cgroup` is a
 * container's group: one directory per v1 hierarchy and/or one in the v2
 * tree. Its resolved directories are saved in the container's state
 * (cgroup_to_json) so later commands (pause, update, ps, delete) act on the
 * same directories whatever cgroup they themselves run in. */
#ifndef CAPSULE_CGROUP_CGROUP_H
#define CAPSULE_CGROUP_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/resources.h"
#include "util/error.h"

enum cgroup_mode {
  CGROUP_MODE_V1,     /* only v1 hierarchies */
  CGROUP_MODE_V2,     /* /sys/fs/cgroup is cgroup2 */
  CGROUP_MODE_HYBRID, /* v1 controllers plus a cgroup2 tree at /sys/fs/cgroup/unified */
};

/* One mounted hierarchy, as the container sees and the host holds it. */
struct cgroup_hierarchy {
  char *name;     /* "memory", "cpu,cpuacct", "name=systemd", "" for the v2 tree */
  char *mount;    /* where the hierarchy is mounted on the host */
  char *dir;      /* the container's directory inside it (absolute host path) */
  char *options;  /* mount options for a new cgroup mount ("memory", "none,name=systemd") */
  bool v2;
};

struct cgroup {
  enum cgroup_mode mode;
  char *path;                           /* the resolved cgroupsPath, e.g. /capsule/ID */
  struct cgroup_hierarchy *hierarchies; /* the v2 tree, if any, is last */
  size_t n_hierarchies;
};

const char *cgroup_mode_name(enum cgroup_mode mode);

/* Detect the host's layout (cached for the life of the process). */
int cgroup_detect(enum cgroup_mode *mode, err_t *e);

/* Resolve a container's group without touching the filesystem beyond
 * reading the host layout. `cgroups_path` is the OCI linux.cgroupsPath:
 * absolute paths are taken from each hierarchy's root, relative ones from
 * the calling process's own group, and NULL means the relative path ID.
 * A systemd "slice:prefix:name" path is refused: capsule drives cgroupfs. */
int cgroup_resolve(const char *cgroups_path, const char *id, struct cgroup **out, err_t *e);

/* Create the directories (parents included). On failure nothing is left. */
int cgroup_create(struct cgroup *cg, err_t *e);

/* Write resource limits; used at create time and by `update`. A field the
 * host cannot honour (e.g. swap without memsw accounting) is an error. */
int cgroup_apply(struct cgroup *cg, const struct cgroup_resources *res, err_t *e);
/* Only res->devices (cgroup_apply writes them too): a runtime writes them
 * before anyone is in the group, as v1 denies everything while it writes. */
int cgroup_apply_devices(struct cgroup *cg, const struct cgroup_resources *res, err_t *e);

/* Move a process (all its threads) into the group in every hierarchy. */
int cgroup_attach(struct cgroup *cg, pid_t pid, err_t *e);

/* For a new, single-threaded process moving itself (join.c): write "0"
 * to each v1 hierarchy's tasks file, which needs no global lock. */
int cgroup_join_self_v1(const struct cgroup *cg, err_t *e);
/* A directory fd on the group in the v2 tree, for clone3(CLONE_INTO_CGROUP);
 * -1 if the host has no v2 tree, -2 on error. */
int cgroup_v2_dir_fd(const struct cgroup *cg, err_t *e);

/* exec --cgroup (runc's): the container's group `cg` with each hierarchy's
 * directory moved to an existing group below it. Each of `specs`
 * (NULL-terminated) is "path" (every hierarchy; then the only spec) or
 * "controller[,controller]:path" (the v1 hierarchies holding those
 * controllers; refused on a pure v2 host, which has one tree). Paths are
 * relative to the container's group, without "." or "..". */
int cgroup_sub(const struct cgroup *cg, const char *const *specs, struct cgroup **out, err_t *e);

/* The group's usage as runc's `events --stats` prints it (the "data" of a
 * stats event: cpu, cpuset, memory, pids, blkio, ...), each controller read
 * from the hierarchy that holds it. */
json_t *cgroup_stats(const struct cgroup *cg, err_t *e);
/* How many processes the kernel killed in the group for lack of memory
 * (0 without a memory controller). */
int cgroup_oom_kills(const struct cgroup *cg, uint64_t *n, err_t *e);

/* Freeze or thaw every process in the group; returns once the kernel
 * reports the new state. */
int cgroup_freeze(struct cgroup *cg, bool frozen, err_t *e);
/* 1 if frozen, 0 if not, -1 on error. */
int cgroup_is_frozen(struct cgroup *cg, err_t *e);

/* The pids in the group (any hierarchy that tracks processes), sorted. */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, err_t *e);

/* Send `sig` to every process in the group (frozen first, so none can fork
 * away). Used by kill --all and delete --force. */
int cgroup_signal_all(struct cgroup *cg, int sig, err_t *e);

/* Remove the directories; waits briefly for exiting processes to leave. */
int cgroup_destroy(struct cgroup *cg, err_t *e);

void cgroup_free(struct cgroup *cg);
static inline void cleanup_cgroupp(struct cgroup **cg) {
  cgroup_free(*cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(cleanup_cgroupp)))

/* The cgroup mounts of a process's mountinfo text that show a group below
 * their hierarchy's root (bound from the host, not a cgroup namespace's own
 * view): fn(mount point, controllers) for each, controllers as a hierarchy's
 * name ("cpu,cpuacct", "name=systemd"; "" for the v2 tree). checkpoint/ tells
 * CRIU they are external. */
typedef int (*cgroup_mount_fn)(const char *mount_point, const char *controllers, void *arg,
                               err_t *e);
int cgroup_bound_mounts(const char *mountinfo, cgroup_mount_fn fn, void *arg, err_t *e);
/* The group's hierarchy holding exactly those controllers (any order), or NULL. */
const struct cgroup_hierarchy *cgroup_hierarchy_named(const struct cgroup *cg,
                                                      const char *controllers);

json_t *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(json_t *j, struct cgroup **out, err_t *e);

#endif
