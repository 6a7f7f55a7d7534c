/* Checkpoint and restore of runtime containers through CRIU (criu.h), with
 * runc's semantics: `checkpoint` dumps a running container's process tree,
 * namespaces, mounts and cgroup settings into an image directory (and, unless
 * leave_running, the container is then gone); `restore` makes a container
 * from a bundle and such images, its processes continuing where they were.
 * See docs/CHECKPOINT.md. */
#ifndef CAPSULE_CHECKPOINT_CHECKPOINT_H
#define CAPSULE_CHECKPOINT_CHECKPOINT_H

#include <stdbool.h>

#include "runtime/runtime.h"
#include "util/error.h"

/* Options both directions share (runc's flags of the same names). */
struct criu_opts_common {
  const char *image_path;   /* required */
  const char *work_path;    /* logs; NULL: image_path */
  bool tcp_established;     /* open TCP connections are dumped/restored */
  bool ext_unix_sk;         /* unix sockets connected outside the container */
  bool shell_job;           /* the process has a controlling terminal of the caller */
  bool file_locks;
  const char *manage_cgroups_mode; /* soft|full|strict|ignore, NULL: soft */
  const char *empty_ns;     /* "network": that namespace is made empty, not dumped */
};

struct checkpoint_opts {
  struct criu_opts_common c;
  const char *parent_path;  /* an earlier pre-dump, relative to image_path */
  bool leave_running;
  bool pre_dump;            /* memory only, the container keeps running */
};

struct restore_opts {
  struct criu_opts_common c;
  const char *bundle;         /* absolute */
  const char *pid_file;       /* NULL: none */
  const char *console_socket; /* for a container with a terminal */
  bool detach;
  bool no_pivot;
};

int checkpoint_container(const struct runtime_ctx *rt, const char *id,
                         const struct checkpoint_opts *o, err_t *e);

/* In the foreground (not detach) waits for the container, deletes it and
 * stores its exit status in *status, as `run` does. */
int restore_container(const struct runtime_ctx *rt, const char *id, const struct restore_opts *o,
                      int *status, err_t *e);

#endif
