/* The engine: containers made from images, daemonless.
 *
 * A container is a directory <root>/containers/<id>/ holding its record
 * (container.json), its OCI bundle config (config.json), and its
 * copy-on-write layer (upper/, work/) over the image's read-only layers,
 * mounted with overlayfs at merged/. The runtime library runs it in-process;
 * its runtime state lives under <run root> (default /run/capsule). The image
 * is pinned in the store while the container exists. */
#ifndef CAPSULE_ENGINE_ENGINE_H
#define CAPSULE_ENGINE_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/store.h"
#include "util/error.h"

#define ENGINE_DEFAULT_RUN_ROOT "/run/capsule"

struct engine {
  const char *root;     /* the image store and containers, e.g. /var/lib/capsule */
  const char *run_root; /* the runtime's state */
  size_t events_max;    /* the events log's cap in bytes, 0: ENGINE_EVENTS_MAX */
};

/* The events log is rotated past this size (one older generation kept). */
#define ENGINE_EVENTS_MAX (1u << 20)

struct run_opts {
  const char *image;
  char **cmd;          /* NULL-terminated, NULL: the image's Cmd */
  char **entrypoint;   /* NULL: the image's; an empty vector: none */
  char **env;          /* "K=V" added after the image's */
  char **volumes;      /* "host:container[:ro]" binds */
  const char *workdir; /* NULL: the image's, else "/" */
  const char *user;    /* NULL: the image's; "uid[:gid]" or "name[:group]" */
  const char *name;    /* NULL: generated */
  const char *hostname;
  bool rm;             /* remove the container when it exits */
  bool detach;
  bool tty;
  bool interactive;    /* -i: keep stdin open */
  bool init;           /* --init: a tiny init as pid 1 */
  const char *restart; /* --restart no|on-failure[:N]|always|unless-stopped, NULL: no */
  const char *stop_signal; /* --stop-signal, NULL: the image's StopSignal, else SIGTERM */
  const char *stop_timeout; /* --stop-timeout seconds, NULL: 10 */
  const char *log_max_size; /* --log-opt max-size= ("10m"), NULL: no cap */
  const char *log_max_file; /* --log-opt max-file=, NULL: 1 */
  bool read_only;      /* mount the root read-only */
  int64_t memory;      /* bytes, 0: no limit */
  int64_t pids_limit;  /* 0: no limit */
  double cpus;         /* 0: no limit */
};

/* Create and start a container from an image. In the foreground, waits and
 * stores the exit status (128+signal if killed) in *status; with rm, the
 * container is gone on return. *id_out (may be NULL) receives the id on the
 * heap. */
int engine_run(const struct engine *eng, const struct run_opts *o, int *status, char **id_out,
               err_t *e);

/* Remove a container by id, id prefix or name; force kills it if running. */
int engine_rm(const struct engine *eng, const char *name, bool force, err_t *e);

/* Containers as JSON objects (id, name, image, imageId, command, created,
 * and their state as docker names it: status (created, running, paused,
 * restarting, exited, dead), pid, exitCode, startedAt, finishedAt,
 * restartCount, oomKilled), newest first; without `all` only running,
 * paused and restarting ones. */
int engine_ps(const struct engine *eng, bool all, json_t **out, err_t *e);

/* `capsule system check`, the containers' part: remove what interrupted
 * commands (run, rm, or a check, killed at any point) left of containers:
 * directories without a whole record, names of no container, pins of no
 * container, runtime state and cgroups of containers that are gone or not
 * running, mounts of their roots. A container that runs, or that a command
 * holds (starting, or running in the foreground), is left alone. `s` is
 * the image store, opened exclusively: no run or rm is half-way meanwhile.
 * Notes as image_store_check: ("repaired", what), ("problem", what),
 * ("ok", summary). -1 with e set if problems are left. */
int engine_check(const struct engine *eng, struct image_store *s, store_note_fn note, void *data,
                 err_t *e);

/* ---- events (events.c) ----
 * docker's container events, kept in <root>/events.log, one JSON line each
 * in the shape `docker events --format '{{json .}}'` prints: status, id,
 * from, Type "container", Action, Actor {ID, Attributes {image, name, ...}},
 * scope, time, timeNano. */

/* Record `action` ("create", "start", "die", "stop", "kill", "pause",
 * "unpause", "destroy", "exec_create: CMD", "exec_start: CMD", "exec_die")
 * of container `id`, now. Name and image come from the container's record;
 * `name` (may be NULL) stands in when the record is gone. `attrs`: NULL or
 * "key", "value", ..., NULL: more of Actor.Attributes (docker's die has
 * "exitCode"). Safe with concurrent writers (the monitors, commands): each
 * line is one O_APPEND write, never interleaved. Callers whose action
 * already happened treat a failure as a warning. */
int engine_event(const struct engine *eng, const char *id, const char *name, const char *action,
                 const char *const *attrs, err_t *e);

struct engine_events_query {
  int64_t since_ns, until_ns; /* 0: unbounded */
  bool follow;                /* wait for new events (until until_ns, if set) */
};
/* Called with each event (a JSON object, borrowed); > 0 stops the reading. */
typedef int (*engine_event_fn)(json_t *event, void *arg, err_t *e);
/* docker's `events`: with since or until, the recorded events in that
 * window first (oldest first); then, following, new events as they are
 * written, until until_ns passes or fn stops it. Without since and until
 * no past event is given. */
int engine_events(const struct engine *eng, const struct engine_events_query *q,
                  engine_event_fn fn, void *arg, err_t *e);

#endif
