/* What dump.c and restore.c share: the request's common options and the
 * storage for its repeated fields. Internal to src/checkpoint/. */
#ifndef CAPSULE_CHECKPOINT_INTERNAL_H
#define CAPSULE_CHECKPOINT_INTERNAL_H

#include "checkpoint/checkpoint.h"
#include "checkpoint/criu.h"
#include "runtime/container.h"

/* runc's name for the stdio targets kept beside the images. */
#define DESCRIPTORS_FILE "descriptors.json"
/* capsule's: the cgroup mounts bound from the host, with their hierarchy. */
#define CGROUP_MOUNTS_FILE "capsule-cgroup-mounts.json"

/* A request being built: the options and what its pointers point into. */
struct criu_req_build {
  CriuReq req;
  CriuOpts opts;
  int images_fd, work_fd;
  ExtMountMap *mnt;      /* n_mnt used */
  ExtMountMap **mnt_ptr;
  InheritFd *inherit;
  InheritFd **inherit_ptr;
  CgroupRoot *cg;
  CgroupRoot **cg_ptr;
  char **strings;        /* owned strings the fields point to */
  size_t n_mnt, n_inherit, n_cg, n_strings, cap;
};

/* Check the flags before anything is looked at. */
int criu_opts_check(const struct criu_opts_common *o, err_t *e);

/* Open (dump: make) the image and work directories and fill the options of
 * `o` shared by both directions; `cap` bounds each repeated field. */
int req_build_init(struct criu_req_build *b, CriuReqType type, const struct criu_opts_common *o,
                   bool make_dirs, size_t cap, err_t *e);
void req_build_free(struct criu_req_build *b);

/* Keep a copy of a string for the request (NULL on ENOMEM). */
char *req_build_str(struct criu_req_build *b, const char *s);
int req_build_ext_mount(struct criu_req_build *b, const char *key, const char *val, err_t *e);
int req_build_inherit(struct criu_req_build *b, const char *key, int fd, err_t *e);
int req_build_cg_root(struct criu_req_build *b, const char *ctrl, const char *path, err_t *e);

/* The bind mounts of the config, which CRIU cannot dump (their source is
 * on the host): marked external by destination, resolved to their source
 * on restore (dump: val = destination, restore: val = source). */
int req_build_bind_mounts(struct criu_req_build *b, const struct oci_spec *s, bool restore,
                          err_t *e);

#endif
