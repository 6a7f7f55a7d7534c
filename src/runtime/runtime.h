/* The OCI runtime: container lifecycle over a state directory, no daemon.
 *
 * Each call is one runc-style command. State lives in <root>/<id>/ (see
 * state.h); a container's init is a child of the calling process, so the
 * caller (or its subreaper, e.g. conmon) reaps it. Every function returns -1
 * and fills `e` on failure, having undone what it created. */
#ifndef CAPSULE_RUNTIME_RUNTIME_H
#define CAPSULE_RUNTIME_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/resources.h"
#include "oci/spec.h"
#include "util/error.h"

#define RUNTIME_DEFAULT_ROOT "/run/capsule-runtime"

struct runtime_ctx {
  const char *root;    /* state root */
  bool systemd_cgroup; /* --systemd-cgroup: refused unless systemd runs */
};

struct create_opts {
  const char *bundle;         /* absolute path */
  const char *pid_file;       /* NULL: none */
  const char *console_socket; /* NULL: none */
  int console_fd; /* > 0: a connected unix socket to send the pty master to,
                     instead of connecting to console_socket (an in-process caller) */
  bool no_pivot;
  bool no_new_keyring;
  bool keep; /* run in the foreground: keep the stopped container's state for delete */
  int preserve_fds; /* fds 3 .. 3+n-1 pass to the container */
  /* The container's stdin, stdout, stderr, when not the caller's own
   * (has_stdio): a detached engine container writes to its log. */
  bool has_stdio;
  int stdio_fds[3];
  /* In-process callers (the engine) may hand a parsed config instead of
   * bundle/config.json; the runtime then saves it as the state's config. */
  json_t *config;
  /* runtime_run: called once the container's process runs, before a
   * foreground run waits for it (the engine records its start then). */
  void (*started)(void *arg);
  void *started_arg;
};

/* create: set up the container; its process waits for start. */
int runtime_create(const struct runtime_ctx *rt, const char *id, const struct create_opts *o,
                   err_t *e);
int runtime_start(const struct runtime_ctx *rt, const char *id, err_t *e);

/* run: create + start. In the foreground (detach false) it waits for the
 * container, forwards signals to it, deletes it and stores the exit status
 * (128+signal for a killed process) in *status. */
int runtime_run(const struct runtime_ctx *rt, const char *id, const struct create_opts *o,
                bool detach, int *status, err_t *e);

/* The state as the OCI spec defines it (ociVersion, id, status, pid, bundle,
 * annotations), plus "created" and "owner" for listings. */
int runtime_state(const struct runtime_ctx *rt, const char *id, json_t **out, err_t *e);

int runtime_kill(const struct runtime_ctx *rt, const char *id, int sig, bool all, err_t *e);
int runtime_delete(const struct runtime_ctx *rt, const char *id, bool force, err_t *e);
int runtime_pause(const struct runtime_ctx *rt, const char *id, err_t *e);
int runtime_resume(const struct runtime_ctx *rt, const char *id, err_t *e);
int runtime_ps(const struct runtime_ctx *rt, const char *id, pid_t **pids, size_t *n, err_t *e);
int runtime_update(const struct runtime_ctx *rt, const char *id,
                   const struct cgroup_resources *res, err_t *e);

/* Every container under the root, as runtime_state objects, sorted by id. */
int runtime_list(const struct runtime_ctx *rt, json_t **out, err_t *e);

struct exec_opts {
  /* A complete OCI process object (--process), or NULL: then the
   * container's own process with these overrides, as runc does. */
  json_t *process;
  char **args;      /* NULL-terminated; required without `process` */
  char **env;       /* added to the container's env */
  const char *cwd;  /* NULL: keep */
  const char *user; /* "uid[:gid]", NULL: keep */
  int tty;          /* -1: keep, 0/1: process.terminal */
  const char *console_socket; /* for process.terminal */
  const char *pid_file;
  bool detach;
  int preserve_fds;
  /* These also apply to a --process object. */
  bool no_new_privs;          /* --no-new-privs: set process.noNewPrivileges */
  const char *const *caps;    /* --cap: added to the bounding, effective and permitted sets */
  const gid_t *gids;          /* --additional-gids: added to process.user.additionalGids */
  size_t n_gids;
  /* --cgroup "[controller[,controller]:]path": run in an existing group below
   * the container's (cgroup_sub); NULL-terminated, NULL or empty: its own. */
  const char *const *cgroups;
  bool ignore_paused; /* exec into a paused container (the process waits for resume) */
  /* The process's stdin, stdout, stderr when not the caller's own
   * (has_stdio): a detached engine exec's go to /dev/null. */
  bool has_stdio;
  int stdio_fds[3];
  /* Called once the process runs its program, before a foreground exec
   * waits for it (the engine records exec_start then). */
  void (*started)(void *arg);
  void *started_arg;
};

/* exec: run another process in a running container. In the foreground it
 * waits and stores the exit status in *status. */
int runtime_exec(const struct runtime_ctx *rt, const char *id, const struct exec_opts *o,
                 int *status, err_t *e);

/* events: calls `emit` with each event, runc's {"type", "id", "data"}
 * objects: a "stats" event (data: cgroup_stats) at once and then every
 * `interval_ms`, and an "oom" event when the kernel kills a process of the
 * container for lack of memory, until the container stops (0) or emit
 * fails. interval_ms <= 0: the one stats event. A stopped container is
 * an error. */
typedef int (*runtime_event_fn)(json_t *event, void *arg, err_t *e);
int runtime_events(const struct runtime_ctx *rt, const char *id, long interval_ms,
                   runtime_event_fn emit, void *arg, err_t *e);

/* The runtime-spec features document. */
json_t *runtime_features(void);

/* A container id is [A-Za-z0-9][A-Za-z0-9_.-]* and at most 1024 bytes. */
int runtime_check_id(const char *id, err_t *e);

#endif
