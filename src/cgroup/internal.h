/* What the files of src/cgroup/ share with each other (and with their unit
 * tests); not part of the API the rest of capsule uses. */
#ifndef CAPSULE_CGROUP_INTERNAL_H
#define CAPSULE_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "cgroup/resources.h"
#include "util/error.h"

/* ---- layout.c: the host's cgroup mounts ---- */

/* One mounted hierarchy, from /proc/self/mountinfo. */
struct cgroup_mount {
  char *controllers; /* "cpu,cpuacct", "name=systemd"; "" for the v2 tree */
  char *mount_point; /* "/sys/fs/cgroup/memory" */
  char *root;        /* the mount's root inside the hierarchy, "/" unless bind-mounted */
  bool v2;
};

struct cgroup_layout {
  enum cgroup_mode mode;
  struct cgroup_mount *mounts; /* the v1 hierarchies capsule uses, then the v2 tree if any */
  size_t n_mounts;
};

/* Build a layout for `mode` from the text of a mountinfo file: every v1
 * hierarchy with a controller or name=systemd (first mount under
 * /sys/fs/cgroup wins), and the cgroup2 mount the mode calls for. */
int cgroup_layout_parse(enum cgroup_mode mode, const char *mountinfo, struct cgroup_layout *out,
                        err_t *e);
void cgroup_layout_clear(struct cgroup_layout *l);

/* The host's layout, read once per process (statfs + mountinfo). */
const struct cgroup_layout *cgroup_layout_get(err_t *e);

/* The group of the calling process in hierarchy `m`, from the text of
 * /proc/self/cgroup, made relative to the mount's root: "" or "/a/b". */
int cgroup_own_path(const char *proc_cgroup, const struct cgroup_mount *m, char **out, err_t *e);

/* "cpu,cpuacct" holds "cpu"; names compare whole. */
bool cgroup_controllers_have(const char *list, const char *controller);

/* ---- resolve.c ---- */

/* cgroup_resolve over an explicit layout and /proc/self/cgroup text (NULL:
 * read it when a relative path needs it). */
int cgroup_resolve_in(const struct cgroup_layout *layout, const char *proc_cgroup,
                      const char *cgroups_path, const char *id, struct cgroup **out, err_t *e);

/* ---- knob.c: reading and writing control files ---- */

/* The v1 hierarchy that holds `controller`, or NULL. */
const struct cgroup_hierarchy *cgroup_v1(const struct cgroup *cg, const char *controller);
/* The container's group in the v2 tree, or NULL. */
const struct cgroup_hierarchy *cgroup_v2(const struct cgroup *cg);

/* Write `value` to `file` in the group; the error names the path and value.
 * errno is left set on failure so callers can react to ENOENT or EINVAL. */
int cgroup_write(const struct cgroup_hierarchy *h, const char *file, const char *value, err_t *e);
int cgroup_writef(const struct cgroup_hierarchy *h, const char *file, err_t *e, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
/* Open a control file (O_CLOEXEC added), for several writes or re-reads. */
int cgroup_open(const struct cgroup_hierarchy *h, const char *file, int flags, err_t *e);
/* Read a control file, trailing newline removed. */
char *cgroup_read(const struct cgroup_hierarchy *h, const char *file, err_t *e);

/* Call fn on each group directly below `dir` (a missing dir has none). */
int cgroup_for_each_child(const char *dir, int (*fn)(const char *child, void *arg, err_t *e),
                          void *arg, err_t *e);

/* ---- apply_*.c: one controller each; `where` prefixes error messages ---- */
int cgroup_apply_memory(struct cgroup *cg, const struct cgroup_resources *r, err_t *e);
int cgroup_apply_cpu(struct cgroup *cg, const struct cgroup_resources *r, err_t *e);
int cgroup_apply_cpuset(struct cgroup *cg, const struct cgroup_resources *r, err_t *e);
int cgroup_apply_io(struct cgroup *cg, const struct cgroup_resources *r, err_t *e);

/* ---- devices_bpf.c: device rules on cgroup v2 ---- */

struct bpf_insn;
/* Compile rules (later rules win, per access bit; unmatched access is
 * allowed, as in a new v1 group) into a BPF_PROG_TYPE_CGROUP_DEVICE program.
 * Returns the number of instructions, -1 on allocation failure. */
int cgroup_devices_program(const struct device_rule *rules, size_t n, struct bpf_insn **out);
/* The ids (at most `cap`) and count of the device programs attached to
 * the group open at dirfd; *flags gets the attach flags. -1 on error. */
int cgroup_devices_bpf_query(int dirfd, uint32_t *ids, uint32_t cap, uint32_t *flags);
/* Load the program for `rules` and attach it to the v2 group at `dir`,
 * replacing the one capsule attached before. */
int cgroup_devices_bpf_install(const char *dir, const struct device_rule *rules, size_t n,
                               err_t *e);

/* ---- convert.c: v1 values to v2 ---- */
uint64_t cgroup_shares_to_weight(uint64_t shares);    /* cpu.shares 2..262144 -> cpu.weight */
uint64_t cgroup_blkio_to_io_weight(uint64_t weight); /* blkio 10..1000 -> io.weight */
/* OCI memory+swap to memory.swap.max; -1 means "max". */
int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, err_t *e);

#endif
