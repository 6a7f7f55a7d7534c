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

/* Containers' cgroups are <parent>/<id> in every hierarchy. The parent is
 * /capsule unless CAPSULE_CGROUP_PARENT names another one (a cgroup path:
 * absolute, [A-Za-z0-9._-] components, no "." or ".." component), so that
 * several engines on one machine (scripts/cluster's hosts) each have their
 * own, with its own CPU and memory share. The front end refuses an invalid
 * value; the library falls back to the default on one. */
#define ENGINE_CGROUP_PARENT_ENV "CAPSULE_CGROUP_PARENT"
#define ENGINE_CGROUP_PARENT_DEFAULT "/capsule"
enum { ENGINE_CGROUP_PARENT_MAX = 100 };
const char *engine_cgroup_parent(void);
bool engine_cgroup_parent_valid(const char *p);

/* CAPSULE_CNI_PATH (directories, as CNI_PATH) and CAPSULE_CNI_TIMEOUT_MS (a
 * plugin's deadline, 1 to 3600000) replace the CNI plugins' defaults
 * (net/cni.h), for the engine and the monitors it starts alike. The front
 * end refuses an invalid timeout; the library falls back to the default. */
#define ENGINE_CNI_PATH_ENV "CAPSULE_CNI_PATH"
#define ENGINE_CNI_TIMEOUT_ENV "CAPSULE_CNI_TIMEOUT_MS"
/* A timeout's value in ms, 0 if it is not one. */
int engine_cni_timeout_ms(const char *v);

struct engine {
  const char *root;     /* the image store and containers, e.g. /var/lib/capsule */
  const char *run_root; /* the runtime's state */
  size_t events_max;    /* the events log's cap in bytes, 0: ENGINE_EVENTS_MAX */
  const char *monitor;  /* the capsule-monitor binary (detached and attached containers) */
  const char *vminit;   /* capsule-vminit, the guest's pid 1 (run --vm) */
  const char *vm_kernel; /* the guest's kernel (a vmlinuz), NULL: Debian's newest in /boot */
  int vm_boot_timeout;  /* seconds a VM may take to start its process, 0: 120 */
  const char *vm_cache; /* kernels, initramfs and disks of VMs, NULL: <root>/vm */
};

/* The events log is rotated past this size (one older generation kept). */
#define ENGINE_EVENTS_MAX (1u << 20)

struct run_opts {
  const char *image;
  char **cmd;          /* NULL-terminated, NULL: the image's Cmd */
  char **entrypoint;   /* NULL: the image's; an empty vector: none */
  char **env;          /* "K=V" added after the image's */
  char **volumes;      /* -v: "SOURCE:TARGET[:MODE]" or "TARGET" (mounts.c) */
  const char *workdir; /* NULL: the image's, else "/" */
  const char *user;    /* NULL: the image's; "uid[:gid]" or "name[:group]" */
  const char *name;    /* NULL: generated */
  const char *hostname;
  bool rm;             /* remove the container when it exits */
  int attach_fd;       /* in the foreground (with --rm: then the monitor removes it): one
                          end of a socketpair, the container's first attached client
                          (engine_attach's protocol) */
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
  /* As given on the command line (every one a string, a vector of them or
   * a plain value, so that the options can be saved and read back): */
  char **mounts;       /* --mount "type=...,source=...,target=..." */
  char **tmpfs;        /* --tmpfs "/path[:options]" */
  char **devices;      /* --device "HOST[:CONTAINER[:rwm]]" */
  char **labels;       /* -l "KEY=VALUE" (over the image's) */
  char **cap_add, **cap_drop; /* "NET_ADMIN", "CAP_NET_ADMIN", "ALL" */
  char **security_opt; /* "no-new-privileges", "seccomp=FILE|unconfined" */
  char **ulimits;      /* "nofile=1024[:2048]" */
  bool privileged;
  const char *cidfile;      /* written with the id once the container exists */
  /* Networking (docs/NETWORK.md) */
  const char *network; /* "none" (NULL: the default, none), "host", "bridge" or a network */
  char **publish;      /* -p "[IP:][HOST:]CONTAINER[/PROTO]" */
  bool publish_all;    /* -P: the image's ExposedPorts on free host ports */
  char **add_hosts;    /* --add-host "NAME:IP" */
  char **dns;          /* --dns IP */
  char **dns_search;   /* --dns-search DOMAIN ("." : none) */
  char **dns_options;  /* --dns-option OPTION */
  char **aliases;      /* --network-alias NAME (user networks) */
  const char *ip;      /* --ip ADDRESS on the (user) network, NULL: any */
  bool vm;             /* --vm: boot the image as a microVM (vm/vm.h), in the foreground */
};

/* Create and start a container from an image. In the foreground with rm,
 * in-process: waits and stores the exit status (128+signal if killed) in
 * *status, and the container is gone on return. Else under a monitor,
 * returning once it runs: detached, or (foreground) with o->attach_fd as
 * its attached client. *id_out (may be NULL) receives the id on the heap. */
int engine_run(const struct engine *eng, const struct run_opts *o, int *status, char **id_out,
               err_t *e);

/* Remove a container by id, id prefix or name; force kills it if running;
 * with volumes, its anonymous volumes too (rm -v). */
int engine_rm(const struct engine *eng, const char *name, bool force, bool volumes, err_t *e);

/* The environment -e and --env-file give (docker's rules): the files'
 * lines first, then each -e; "NAME" alone takes the caller's value, and
 * an unset NAME is left out. A NULL-terminated heap vector of "K=V". */
int engine_env_resolve(char **env, char **env_files, char ***out, err_t *e);
/* The labels of -l and --label-file the same way ("KEY" alone: an empty
 * value). */
int engine_labels_resolve(char **labels, char **label_files, char ***out, err_t *e);

/* ---- volumes (volume.c): <root>/volumes/<name>/{volume.json,_data} ---- */

/* Make a volume (name NULL: an anonymous one, named by 64 hex digits);
 * labels "K=V"; opts (may be NULL) the local driver's "type=tmpfs",
 * "device=tmpfs", "o=size=64m,...": a tmpfs mounted for each container
 * that uses the volume. An existing one is fine, as docker. *name_out (may
 * be NULL) gets its name on the heap. */
int engine_volume_create(const struct engine *eng, const char *name, char **labels, char **opts,
                         char **name_out, err_t *e);
/* docker's JSON of a volume: {CreatedAt, Driver, Labels, Mountpoint, Name,
 * Options, Scope}. */
int engine_volume_inspect(const struct engine *eng, const char *name, json_t **out, err_t *e);
/* The volumes as engine_volume_inspect shows them, by name, passing the
 * filters (docker's: "name=", "label=K[=V]", "dangling=true|false",
 * "driver=local"). */
int engine_volume_list(const struct engine *eng, char **filters, json_t **out, err_t *e);
/* Remove a volume no container uses ("volume is in use" otherwise, as
 * docker); with force a missing one is fine. */
int engine_volume_rm(const struct engine *eng, const char *name, bool force, err_t *e);
/* Remove the volumes no container uses: anonymous ones, or all with
 * `all` (docker 23's rule), passing the filters. *removed: their names;
 * *reclaimed: the bytes of their files. */
int engine_volume_prune(const struct engine *eng, bool all, char **filters, json_t **removed,
                        uint64_t *reclaimed, err_t *e);
/* A container's "Mounts" in docker's shape, from its record's mounts. */
json_t *engine_container_mounts(json_t *record_mounts);

/* `capsule cp FROM TO`: each of FROM and TO is "CONTAINER:PATH", a host
 * path or "-" (a tar read from in_fd, written to out_fd), with docker's
 * rules ("DIR/." copies the contents, a missing destination is created,
 * an existing directory receives the source). */
struct cp_opts {
  bool archive; /* keep owners (else: root in the container, the caller on the host) */
  bool follow;  /* follow a symlink that is the source */
};
int engine_cp(const struct engine *eng, const char *from, const char *to,
              const struct cp_opts *o, int in_fd, int out_fd, err_t *e);

/* `capsule diff`: docker's [{"Path": "/etc/x", "Kind": 0 changed, 1 added,
 * 2 deleted}], sorted by path. */
int engine_diff(const struct engine *eng, const char *name, json_t **out, err_t *e);

/* `capsule commit`: a new image, the container's image with a layer of its
 * changes on top (history and config kept, `changes` applied); its ID
 * ("sha256:...") in `id`. */
struct commit_opts {
  const char *message, *author, *reference; /* or NULL */
  const char *const *changes;               /* Dockerfile instructions, NULL-terminated */
  bool pause;                               /* pause a running container meanwhile */
};
int engine_commit(const struct engine *eng, const char *name, const struct commit_opts *o,
                  char id[DIGEST_BUF], err_t *e);

/* A build step (src/build/): a container made from o->image as `run --rm`
 * makes it, its root mounted (an image without layers gets an empty one).
 * `fill` (may be NULL) is called with an fd on the container's root; then
 * o->cmd runs in the foreground unless `run` is false (*status: its exit
 * code, 128+signal if killed); if it exited 0, `done` is called with an fd
 * on the container's upper dir (its changes, for a layer). The container
 * is removed whatever happened. A failure to start the command is -1 with
 * e set, and *status the code engine_exit_status gives. */
typedef int (*engine_step_fn)(void *arg, int dirfd, err_t *e);
struct engine_step {
  bool run;
  engine_step_fn fill, done;
  void *arg;
};
int engine_build_step(const struct engine *eng, const struct run_opts *o,
                      const struct engine_step *step, int *status, err_t *e);

/* user.c: docker's --user "user[:group]" (names or ids) as ids, names looked up in
 * the container's /etc/passwd and /etc/group under `rootfd` (its root,
 * never leaving it); a user alone takes its primary group. */
int engine_user_lookup(int rootfd, const char *spec, unsigned long *uid, unsigned long *gid,
                       err_t *e);

/* `capsule export`: the container's root (its overlay, without volumes) as
 * a tar written to `fd`. */
int engine_export(const struct engine *eng, const char *name, int fd, err_t *e);

/* `capsule inspect` of a container: docker's JSON object (Id, Created,
 * Path, Args, State, Image, Name "/name", RestartCount, Config, HostConfig,
 * GraphDriver, Mounts, NetworkSettings). */
int engine_container_inspect(const struct engine *eng, const char *name, json_t **out,
                             err_t *e);

/* The bytes of a container's own files (its layer), for ps -s. */
uint64_t engine_container_size(const struct engine *eng, const char *id);

/* `capsule container prune`: remove every container that does not run
 * (exited, created, dead) and no command holds; their ids in *removed,
 * the bytes of their layers in *reclaimed. */
int engine_container_prune(const struct engine *eng, json_t **removed, uint64_t *reclaimed,
                           err_t *e);

/* `capsule system df`: {"Images", "Containers", "Volumes"}, each {Total,
 * Active (used by a container, or running), Size, Reclaimable} in bytes;
 * `verbose` (df -v) adds "ImageList" ({Ref, Id, Created, Size, SharedSize,
 * UniqueSize, Containers}), "ContainerList" ({Id, Image, Command,
 * LocalVolumes, Size, Created, Status, ExitCode, StartedAt, FinishedAt,
 * Name}) and "VolumeList" ({Name, Links, Size}). */
int engine_system_df(const struct engine *eng, bool verbose, json_t **out, err_t *e);

/* `capsule rename`: give the container another name (not taken). */
int engine_rename(const struct engine *eng, const char *name, const char *new_name, err_t *e);

/* Containers as JSON objects (id, name, image, imageId, imageManifest,
 * command, created, labels, ports (ps's text), mounts (docker's Mounts),
 * networks (names), and their state as docker names it: status (created, running, paused,
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
 * Volumes too: what interrupted commands left under volumes/.tmp/ (volumes
 * half made, copied into or removed) goes; a volume a record names but that
 * does not exist (a run killed in between) is made.
 * Notes as image_store_check: ("repaired", what), ("problem", what),
 * ("ok", summary). -1 with e set if problems are left. */
int engine_check(const struct engine *eng, struct image_store *s, store_note_fn note, void *data,
                 err_t *e);

/* docker's exit statuses for what is not the container's own code. */
#define ENGINE_EXIT_ERROR 125         /* the engine's own error */
#define ENGINE_EXIT_CANNOT_INVOKE 126 /* the command cannot be invoked */
#define ENGINE_EXIT_NOT_FOUND 127     /* the command is not found */

struct engine_exec_opts {
  char **cmd;          /* NULL-terminated, required */
  char **env;          /* "K=V", over the container's env */
  const char *workdir; /* absolute; NULL: the container's */
  const char *user;    /* "user[:group]", names or ids; NULL: the container's */
  bool tty;            /* a terminal (not with detach) */
  bool detach;         /* return once it runs; its stdio is /dev/null */
  bool privileged;     /* every capability */
};

/* docker exec: run cmd in the running container `name` (id, prefix or
 * name). *status: the process's exit code (0 when detached); on failure
 * (-1, e set) ENGINE_EXIT_NOT_FOUND or _CANNOT_INVOKE when the command
 * could not be started, ENGINE_EXIT_ERROR otherwise ("container X is not
 * running"). Records exec_create, exec_start, exec_die events. Runs the
 * runtime's exec: the caller must run from a sealed binary. */
int engine_exec(const struct engine *eng, const char *name, const struct engine_exec_opts *o,
                int *status, err_t *e);

/* pause (true) or unpause (false) container `name`: its processes frozen
 * or thawed; records the event. */
int engine_pause(const struct engine *eng, const char *name, bool pause, err_t *e);

/* docker top: `ps` run on the host with ps_args (NULL-terminated; none:
 * "-ef"), the lines of the container's processes only. *out: docker's
 * {"Titles": [...], "Processes": [[...], ...]}. */
int engine_top(const struct engine *eng, const char *name, char **ps_args, json_t **out,
               err_t *e);

/* One sample of a container's usage (docker stats). A container that is
 * not running has zeros. Free `name` with free(). */
struct engine_stats {
  char id[65];
  char *name;
  bool running;
  int64_t read_ns;     /* CLOCK_MONOTONIC when read */
  uint64_t cpu_ns;     /* CPU time used since it started */
  uint64_t mem_usage;  /* without inactive page cache, as docker shows it */
  uint64_t mem_limit;  /* its limit, or the host's memory */
  uint64_t pids;
  uint64_t net_rx, net_tx, blk_read, blk_write; /* bytes */
};
int engine_stats(const struct engine *eng, const char *name, struct engine_stats *out,
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
/* ---- networks (network_cmds.c, docs/NETWORK.md) ---- */

struct network_opts {
  const char *name;
  const char *driver;  /* NULL: bridge, the only one */
  const char *subnet;  /* NULL: a free /24 */
  const char *gateway; /* NULL: the subnet's first address */
  bool internal;       /* no outbound NAT */
  char **labels;       /* "K=V" */
};

/* `network create`: *id gets the new network's id. */
int engine_network_create(const struct engine *eng, const struct network_opts *o, char id[65],
                          err_t *e);
/* Every network (the predefined bridge, host, none first), docker's shape. */
int engine_network_list(const struct engine *eng, json_t **out, err_t *e);
/* One network by name or id (prefix), docker's `network inspect` shape,
 * with the running containers on it. */
int engine_network_inspect(const struct engine *eng, const char *name, json_t **out, err_t *e);
/* Remove a user network; refused (EBUSY) while a container names it. */
int engine_network_rm(const struct engine *eng, const char *name, err_t *e);
/* Remove every unused user network; *removed: their names. */
int engine_network_prune(const struct engine *eng, json_t **removed, err_t *e);
/* Connect a container to a network (connect) or disconnect it. */
int engine_network_connect(const struct engine *eng, const char *network, const char *container,
                           bool connect, err_t *e);
/* A running container's published ports: [{"HostIp", "HostPort",
 * "ContainerPort", "Protocol"}]. */
int engine_port(const struct engine *eng, const char *name, json_t **out, err_t *e);

/* ---- lifecycle (lifecycle.c, monitor*.c) ----
 * A container that is not run in the foreground with --rm is watched by
 * its monitor, a small process (capsule-monitor) that outlives the command
 * which started it: it holds the container's stdio, writes its log, records
 * its exit in state.json, applies its restart policy and serves attach,
 * wait, stop and kill on containers/<id>/attach.sock (docs/ENGINE.md). */

/* A size as docker's flags take it: "64m", "1g", "512k", "100" (bytes),
 * units powers of 1024, an optional b; -1 if it is not one. */
int engine_parse_size(const char *s, int64_t *out);

/* The exit status a front end gives for a failed run or start: 126 when
 * the container's command cannot be invoked, 127 when it is not found,
 * else 125 (the engine's own error), as docker. */
int engine_exit_status(const err_t *e);

/* create: the container, made as run makes it, not started. *id_out
 * receives its id on the heap. */
int engine_create(const struct engine *eng, const struct run_opts *o, char **id_out, err_t *e);

/* start: a created or exited container (a running one: nothing to do).
 * With attach >= 0, that fd (one end of a socketpair) becomes an attached
 * client of the monitor from the start (engine_attach's protocol), so no
 * output is missed. */
int engine_start(const struct engine *eng, const char *name, int attach, err_t *e);
/* start --all: every container that does not run; with `policies` (n > 0),
 * only those whose restart policy is one of them, and never an
 * `unless-stopped` one the user stopped or killed: docker's rule when its
 * daemon starts, which `start --all --filter restart-policy=always --filter
 * restart-policy=unless-stopped` applies after a host reboot (podman's
 * restart service). `done` is told each container tried (err NULL when
 * it started). */
typedef void (*engine_started_fn)(const char *name, const err_t *err, void *data);
int engine_start_all(const struct engine *eng, char **policies, size_t n, engine_started_fn done,
                     void *data, err_t *e);

/* stop: the stop signal (the record's), then SIGKILL after `timeout`
 * seconds (< 0: the record's); returns once it exited. A container that
 * does not run is left as it is. */
int engine_stop(const struct engine *eng, const char *name, int timeout, err_t *e);
/* kill: send `sig` to the container's init; the restart policy no longer
 * applies to it (docker's). */
int engine_kill(const struct engine *eng, const char *name, int sig, err_t *e);
/* wait: until it no longer runs; its exit code in *code. */
int engine_wait(const struct engine *eng, const char *name, int *code, err_t *e);
/* restart: stop (timeout as engine_stop) then start. */
int engine_restart(const struct engine *eng, const char *name, int timeout, err_t *e);

/* The record's settings a client of attach needs. */
struct engine_attach_info {
  char id[65];
  bool tty, interactive;
};
int engine_attach_info(const struct engine *eng, const char *name,
                       struct engine_attach_info *info, err_t *e);
/* attach: a connection to the monitor streaming the container's output
 * (frames: 1 byte stream 1 stdout, 2 stderr, 3 exit (payload: the code in
 * decimal); 4 bytes length, big-endian; the payload), and taking what is
 * written to it as the container's stdin when `with_stdin` (a shutdown of
 * the writing side closes the container's stdin). */
int engine_attach(const struct engine *eng, const char *name, bool with_stdin,
                  struct engine_attach_info *info, err_t *e);
/* Send a one-line request to a container's monitor ("signal 2", "resize 24
 * 80") without waiting for its effect. */
int engine_monitor_notify(const struct engine *eng, const char *id, const char *request, err_t *e);

struct engine_logs_opts {
  bool follow;      /* -f: until the container no longer runs */
  bool timestamps;  /* -t */
  int64_t tail;     /* --tail N: the last N lines; < 0: all */
  int64_t since_ns, until_ns; /* 0: unbounded */
  int streams;      /* bits (1 << 1) stdout, (1 << 2) stderr */
};
/* Called per log record: `stream` 1 or 2, `timestamp` (RFC 3339, only with
 * timestamps, at the start of a line, else NULL), the text without its
 * newline, and whether it ends a line. */
typedef int (*engine_log_fn)(void *arg, int stream, const char *timestamp, const char *text,
                             size_t len, bool end_of_line, err_t *e);
int engine_logs(const struct engine *eng, const char *name, const struct engine_logs_opts *o,
                engine_log_fn fn, void *arg, err_t *e);

/* The monitor program's main (capsule-monitor): argv as monitor_spawn
 * gives it. */
int engine_monitor_main(int argc, char **argv);

#endif
