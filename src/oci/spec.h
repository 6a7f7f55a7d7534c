/* An OCI runtime-spec (1.x) container configuration, parsed into plain C.
 *
 * oci_spec_parse() validates types and values up front, so the container's
 * init never meets a malformed field after it has started changing the
 * host. Strings point into the parsed JSON document, which the spec keeps
 * alive (spec->doc); arrays are owned by the spec. */
#ifndef CAPSULE_OCI_SPEC_H
#define CAPSULE_OCI_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/resources.h"
#include "util/error.h"

struct oci_rlimit {
  int resource; /* RLIMIT_* */
  uint64_t soft, hard;
};

/* Capability sets as bit masks (bit N = capability number N). */
struct oci_caps {
  bool present; /* process.capabilities given at all */
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct oci_user {
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool has_umask;
  mode_t umask;
};

struct oci_process {
  bool terminal;
  bool has_console_size;
  unsigned short console_height, console_width;
  struct oci_user user;
  char **args; /* NULL-terminated */
  char **env;  /* NULL-terminated, may be empty */
  const char *cwd;
  struct oci_caps caps;
  struct oci_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  const char *apparmor_profile; /* refused: no AppArmor support */
  const char *selinux_label;    /* refused: no SELinux support */
};

/* One mount of config.json "mounts", flags already decoded. */
struct oci_mount {
  const char *destination;
  const char *source; /* may be NULL for proc/tmpfs/... */
  const char *type;   /* may be NULL: a bind mount then needs "bind" in options */
  unsigned long flags;       /* MS_* set */
  unsigned long clear_flags; /* MS_* explicitly cleared ("rw", "suid", ...) */
  unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC), 0 if none */
  bool bind, recursive_bind;
  bool tmpcopyup;            /* copy the rootfs dir's content into the new tmpfs */
  unsigned rec_attr_set;     /* MOUNT_ATTR_* applied recursively ("rro", "rnosuid", ...) */
  unsigned rec_attr_clear;
  char *data; /* remaining comma-joined options for the filesystem, or NULL */
};

enum oci_hook_kind {
  HOOK_PRESTART,
  HOOK_CREATE_RUNTIME,
  HOOK_CREATE_CONTAINER,
  HOOK_START_CONTAINER,
  HOOK_POSTSTART,
  HOOK_POSTSTOP,
  HOOK_KINDS
};

struct oci_hook {
  const char *path;
  char **args; /* NULL-terminated; NULL means [path] */
  char **env;  /* NULL-terminated; NULL (absent): the runtime's (hooks.h) */
  int timeout; /* seconds; 0 = none */
};

enum oci_ns_kind { NS_PID, NS_NET, NS_MNT, NS_IPC, NS_UTS, NS_USER, NS_CGROUP, NS_TIME, NS_KINDS };

struct oci_namespace {
  bool present;
  const char *path; /* join this namespace if set, else create one */
};

struct oci_id_mapping {
  uint32_t container_id, host_id, size;
};

struct oci_device {
  const char *path;
  char type; /* 'c', 'b', 'u', 'p' */
  int64_t major, minor;
  bool has_mode, has_uid, has_gid;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

struct oci_sysctl {
  const char *key, *value;
};

struct oci_seccomp; /* runtime/seccomp.h: compiled separately, only when present */

struct oci_spec {
  json_t *doc; /* the parsed document, kept alive for the strings */
  const char *oci_version;
  const char *bundle; /* absolute path of the bundle directory (set by caller) */

  const char *root_path; /* absolute, resolved against the bundle */
  char *root_path_abs;
  bool root_readonly;

  bool has_process;
  struct oci_process process;

  const char *hostname, *domainname;

  struct oci_mount *mounts;
  size_t n_mounts;

  struct oci_hook *hooks[HOOK_KINDS];
  size_t n_hooks[HOOK_KINDS];

  json_t *annotations; /* borrowed; object or NULL */

  /* linux */
  struct oci_namespace namespaces[NS_KINDS];
  struct oci_id_mapping *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  struct oci_device *devices;
  size_t n_devices;
  const char *cgroups_path;
  bool has_resources;
  struct cgroup_resources resources;
  struct oci_sysctl *sysctls;
  size_t n_sysctls;
  json_t *seccomp; /* borrowed linux.seccomp object, compiled by runtime/seccomp.c */
  unsigned long rootfs_propagation; /* MS_* | MS_REC, 0 = default (rslave... see mounts.c) */
  char **masked_paths, **readonly_paths;
  const char *mount_label;
  bool has_personality;
  unsigned long personality;
  /* time namespace offsets (linux.timeOffsets) */
  bool has_time_offsets;
  int64_t monotonic_secs, boottime_secs;
  uint32_t monotonic_nsecs, boottime_nsecs;
};

/* Parse config.json of `bundle` (an absolute directory). */
int oci_spec_load(const char *bundle, struct oci_spec **out, err_t *e);
/* Parse an already-loaded document (takes a reference to doc). */
int oci_spec_parse(json_t *doc, const char *bundle, struct oci_spec **out, err_t *e);
void oci_spec_free(struct oci_spec *s);
static inline void cleanup_oci_specp(struct oci_spec **s) {
  oci_spec_free(*s);
}
#define _cleanup_oci_spec_ __attribute__((cleanup(cleanup_oci_specp)))

/* Parse a process object (also used by `exec --process`). Strings borrow
 * from `obj`, which must outlive `p`. */
int oci_process_parse(json_t *obj, const char *where, struct oci_process *p, err_t *e);
void oci_process_free(struct oci_process *p);

const char *oci_ns_name(enum oci_ns_kind k);
const char *oci_hook_name(enum oci_hook_kind k);

#endif
