/* What the engine's files share; not part of its API. */
#ifndef CAPSULE_ENGINE_INTERNAL_H
#define CAPSULE_ENGINE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "image/config.h"
#include "image/store.h"
#include "runtime/runtime.h"
#include "util/error.h"

/* ---- security_profile.c ---- */
json_t *engine_default_caps(void);
json_t *engine_default_seccomp(void);

/* A build step's container (engine_build_step): system check removes it
 * once it no longer runs. */
#define ENGINE_BUILD_STEP_LABEL "io.capsule.build-step"

/* ---- container_dir.c: <root>/containers/<id>/ ---- */

/* What start and restart need of the run options, kept in the record
 * (docker's Config and HostConfig); the OCI config itself is saved beside
 * it as config.json. */
struct container_run_config {
  bool tty;          /* -t */
  bool interactive;  /* -i: the container's stdin is a pipe the monitor holds */
  bool auto_remove;  /* --rm */
  bool init;         /* --init */
  char restart_policy[16]; /* "no", "on-failure", "always", "unless-stopped" */
  int restart_max;   /* on-failure:N, 0: no limit */
  int stop_signal;   /* signal number */
  int stop_timeout;  /* seconds */
  int64_t log_max_size; /* bytes per log file, 0: no cap */
  int log_max_file;  /* log files kept (>= 1) */
  bool vm;           /* --vm: a QEMU microVM (vm_run.c), hostConfig.runtime "vm" */
};

struct container_record {
  char id[65];
  char *name;
  char *image_ref;      /* as the user typed it */
  char *image_manifest; /* the pinned image */
  char *image_id;       /* its config digest */
  json_t *command;      /* array of strings */
  char *created;        /* RFC 3339 */
  struct container_run_config run;
  json_t *mounts;       /* mounts.c's form: docker's Mounts + private keys */
  json_t *labels;       /* object: the image's labels, then --label's */
  json_t *network;      /* network.c's plan: mode, networks, ports, hostname, addHosts,
                           dns; NULL (records from before networks): none */
};

/* Write <dir>/summary (what ps reads) from the record r just saved in <dir>. */
int ps_summary_write(const char *dir, const struct container_record *r, err_t *e);
/* `system check`: (re)write the summary of r (just read from its record)
 * if it has none that matches. */
void ps_summary_refresh(const struct engine *eng, const struct container_record *r);

/* The defaults: restart "no", SIGTERM, 10 s, one log file without cap. */
void container_run_config_default(struct container_run_config *c);
/* 64 random hex digits: ids of containers and anonymous volumes. */
int engine_random_id(char id[65], err_t *e);
/* A fresh id for r. */
int container_id_new(struct container_record *r, err_t *e);
/* Make the container r->id: claim its name (the given one, or one made
 * from the id) and build its directory (upper/, work/, merged/ and the
 * record) under containers/tmp/, renamed into place once complete: a
 * container directory always holds its record, and what a crash leaves is
 * in tmp/ under the id. The record is durable unless the container is
 * `transient` (--rm: it cannot outlive the machine, and fsyncs would cost
 * it dearly). Returns the container's lock (container_dir_lock), held. */
int container_dir_create(const struct engine *eng, struct container_record *r, bool transient,
                         err_t *e);
/* Lock a container against `system check`: a run holds its container's
 * lock for its whole life (a kill -9 frees it). -1 with EBUSY if another
 * command holds it. Returns the fd that holds the lock. */
int container_dir_lock(const struct engine *eng, const char *id, err_t *e);
/* Write the record of an existing container again, durably (after a
 * change: network connect). */
int container_record_save(const struct engine *eng, const struct container_record *r, err_t *e);
/* Find a container by id, unique id prefix, or name. */
int container_dir_find(const struct engine *eng, const char *name, struct container_record *r,
                       err_t *e);
/* The record of container `id`; -1 if it has none or it cannot be read. */
int container_dir_load(const struct engine *eng, const char *id, struct container_record *r,
                       err_t *e);
/* Every container's record; free each with container_record_free. */
int container_dir_list(const struct engine *eng, struct container_record **out, size_t *n,
                       err_t *e);
/* Unmount and remove the directory of container `id` wherever it is
 * (in place or in tmp/), and free its `name` (may be NULL). The directory
 * moves to tmp/ first: the record disappears at once. */
int container_dir_remove(const struct engine *eng, const char *id, const char *name, err_t *e);
/* Add to `ids` (an object used as a set) the entries of `dir` (the targets
 * of its links, with `links`) that are container ids. */
int container_ids_in(const char *dir, bool links, json_t *ids, err_t *e);
/* Add to `ids` the id of every container
 * directory, complete or not, and of every name's link. */
int container_dir_add_ids(const struct engine *eng, json_t *ids, err_t *e);
/* Remove the names whose link leads to no container with that name, and
 * give back its name to a container that lost it; each change is noted. */
int container_names_repair(const struct engine *eng, store_note_fn note, void *data, err_t *e);
/* "<root>/containers/<id>/<leaf>" on the heap. */
char *container_path(const struct engine *eng, const char *id, const char *leaf);
void container_record_free(struct container_record *r);

/* ---- state.c: containers/<id>/state.json, the mutable state ---- */

/* docker's State, written atomically by whoever changes it (the monitor,
 * a foreground run, start, system check); read by ps and inspect. Times
 * are RFC 3339 with nanoseconds, "" for never. */
struct container_state {
  char status[12]; /* created, running, paused, restarting, exited, dead */
  int pid;         /* the container's init while it runs, else 0 */
  int exit_code;
  bool oom_killed;
  char started_at[40];
  char finished_at[40];
  int restart_count;
  /* stopped or killed by the user (docker's HasBeenManuallyStopped): the
   * restart policy `unless-stopped` no longer applies, until a start */
  bool manually_stopped;
  int monitor_pid; /* the process that waits for the init (monitor or foreground run) */
  unsigned long long monitor_start; /* its start time (/proc), so a reused pid is not taken for it */
  char error[256];
};

/* The state as last written; a container without state.json is "created". */
int container_state_load(const struct engine *eng, const char *id, struct container_state *st,
                         err_t *e);
/* Replace state.json (atomically; `durable`: fsync'd too). */
int container_state_save(const struct engine *eng, const char *id, const struct container_state *st,
                         bool durable, err_t *e);
/* The truth: the state as written, corrected when whoever should have
 * updated it is gone (monitor killed, run directory wiped, host crash): a
 * container said to run whose monitor is dead runs only if its cgroup
 * still holds processes; otherwise it has exited with an unknown status
 * (255, as docker after an unclean daemon stop). Nothing is written. */
int container_state_current(const struct engine *eng, const char *id, struct container_state *st,
                            err_t *e);
/* The same, told that a live process holds the container's lock (its
 * monitor, or a command running it: ps finds them all in one read of
 * /proc/locks), which then stands for the monitor's check. */
int container_state_watched(const struct engine *eng, const char *id, bool locked,
                            struct container_state *st, err_t *e);
/* The transitions, over the state as last written: running with init
 * `pid` (0: not known) watched by the calling process, restartCount
 * incremented when `restarted`; exited with `code`. */
int container_state_running(const struct engine *eng, const char *id, int pid, bool restarted,
                            bool durable, err_t *e);
int container_state_exited(const struct engine *eng, const char *id, int code, bool oom_killed,
                           bool by_user, bool durable, err_t *e);
/* The same with another status: "restarting" (an exit the restart policy
 * follows: never `exited` in between, which a stop would take for the end). */
int container_state_ended(const struct engine *eng, const char *id, const char *status, int code,
                          bool oom_killed, bool by_user, bool durable, err_t *e);
/* Whether the container's cgroup holds any process. */
bool container_cgroup_busy(const char *id);
/* Whether status is one a live process has (running, paused, restarting). */
bool container_status_live(const char *status);

/* ---- run_config.c ---- */

/* Check the run options and fill the record's part (`image_stop_signal`:
 * the image's StopSignal, may be NULL). */
int engine_run_config(const struct run_opts *o, const char *image_stop_signal,
                      struct container_run_config *c, err_t *e);

/* ---- container_root.c: a container's files, from the host ---- */

struct container_root {
  int fd;                    /* the root directory */
  /* What to release at close: the store (shared) that keeps the layers of
   * an overlay we mounted, the container's lock. */
  struct image_store *store;
  int lock;
};
/* The root of container `r`: with `live`, the one its processes see while
 * it runs (volumes and tmpfs mounts in it, through /proc/<pid>/root), else
 * its overlay alone. A stopped container's overlay and volumes are mounted
 * in a mount namespace of the caller's own (it moves there: for commands,
 * whose mounts then vanish with them). */
int container_root_open(const struct engine *eng, const struct container_record *r, bool live,
                        struct container_root *out, err_t *e);
void container_root_close(struct container_root *cr);

/* ---- logfile.c: container.log ---- */

/* The largest read from a container's output (one log write per read). */
#define LOG_CHUNK_MAX 16384

struct log_writer {
  int dirfd, fd;
  int64_t size, max_size;
  int max_file;
};
int log_writer_open(struct log_writer *w, const char *dir, int64_t max_size, int max_file,
                    err_t *e);
/* Records for `len` bytes of output of stream 1 (stdout) or 2 (stderr). */
void log_writer_write(struct log_writer *w, int stream, const char *data, size_t len);
void log_writer_close(struct log_writer *w);

/* ---- monitor_start.c, monitor.c: the monitor ---- */

#define MONITOR_SOCKET "attach.sock"

/* Start container `id` under a new monitor (double fork, setsid, exec of
 * eng->monitor); returns once it runs, or with the reason it could not
 * start. `lock` (the container's lock, held) and `client` (an attached
 * client, or -1) pass to the monitor. `mounted`: its root is mounted. */
int monitor_spawn(const struct engine *eng, const char *id, int lock, int client, bool mounted,
                  err_t *e);
/* Connect to the monitor of `id`: -1 with ENOENT or ECONNREFUSED in e if
 * it has none (gone, or never started). */
int monitor_connect(const struct engine *eng, const char *id, err_t *e);

/* What the watch phase holds of a running container. */
struct monitor_watch {
  const struct engine *eng;
  const char *id;
  int pid;      /* the container's init, our child */
  int lock;     /* the container's lock */
  int listen;   /* attach.sock */
  int out, err; /* its stdout and stderr pipes; with a terminal out is the pty master */
  int in;       /* its stdin pipe (-i), or -1 */
  int client;   /* an attached client from the start, or -1 */
  int restarts; /* restarts by the policy so far (for the delay) */
};
/* Watch the container until it exits, record it and apply the policy;
 * returns the monitor's exit status, or execs the next start. */
int monitor_watch(const struct monitor_watch *w);
/* Exec our own binary into the start phase again (a restart by the
 * policy); returns only on failure. */
void monitor_exec_start(const struct engine *eng, const char *id, int lock, int listen,
                        int restarts);

/* rm -f of a running container: its monitor, if it has one, kills it,
 * cleans up after it and exits (lifecycle.c). */
int engine_remove_live(const struct engine *eng, const char *id, err_t *e);

/* Mount the container's root (its image's layers under upper/), after
 * unmounting what a killed monitor may have left. */
int engine_mount_root(const struct engine *eng, const struct container_record *r, err_t *e);

/* ---- runtime_side.c: what the runtime holds of a container ---- */

/* The cgroupsPath the engine gives a container (oci_config.c):
 * <parent>/<id>, the parent being engine_cgroup_parent(). */
enum { ENGINE_CGROUP_MAX = 192 };
void engine_cgroup_path(char *buf, size_t len, const char *id);

struct runtime_ctx engine_runtime(const struct engine *eng);
/* The runtime's view of a container: "created", "running", "paused",
 * "stopped", "exited" when the runtime has no state for it, "dead" when its
 * state cannot be read (an interrupted create or delete), "unknown"; its
 * pid, or 0. */
const char *engine_status(const struct engine *eng, const char *id, json_int_t *pid);
/* Whether a status is that of a container whose process may be alive. */
bool engine_status_live(const char *status);
/* Remove what the runtime holds of container `id`, whatever state its
 * runtime record is in (none, half-written, damaged): its processes,
 * runtime state and cgroup in every hierarchy. *had_state and *had_cgroup
 * (may be NULL) say whether a state directory, and a cgroup the runtime's
 * state did not lead to, existed. */
int engine_runtime_remove(const struct engine *eng, const char *id, bool *had_state,
                          bool *had_cgroup, err_t *e);

/* ---- events.c ---- */

/* engine_event() with the name, image and labels (an object, may be NULL:
 * docker puts a container's labels in its events' attributes) given (a
 * caller that has the record, or whose container is gone). */
int engine_event_write(const struct engine *eng, const char *id, const char *name, json_t *labels,
                       const char *image, const char *action, const char *const *attrs,
                       err_t *e);
/* The same for a container whose record we have, for an action that
 * happened already: a failure to record it is a warning (util/log.h). */
void engine_event_of(const struct engine *eng, const struct container_record *r,
                     const char *action, const char *const *attrs);

/* ---- stats.c ---- */

/* CPU time, pids, memory (docker's figure: without inactive file pages;
 * the host's memory for no limit) and block I/O from a cgroup_stats
 * document (v1 or v2 figures). */
void engine_stats_from_cgroup(json_t *cgroup_stats, struct engine_stats *out);

/* ---- overlay.c ---- */

/* Mount the layers (lowest first) under upper/ and work/ at merged/. */
int overlay_mount(const char *merged, char **layers, const char *upper, const char *work,
                  err_t *e);
/* Unmount merged/ if mounted (a missing mount is fine). */
int overlay_unmount(const char *merged, err_t *e);

/* ---- volume.c ---- */

/* "<root>/volumes[/<name>[/<leaf>]]" on the heap. */
char *volume_path(const struct engine *eng, const char *name, const char *leaf);
/* docker's rule for volume names, which are never paths. */
int volume_name_check(const char *name, err_t *e);
/* The volumes' lock (see volume.c), held until the fd is closed. */
int volumes_lock(const struct engine *eng, bool exclusive, err_t *e);
/* The mount options of volume `name` when it is a tmpfs (docker's local
 * driver with type=tmpfs: its "o"), on the heap; NULL otherwise. */
char *volume_tmpfs_options(const struct engine *eng, const char *name);
/* Make volume `name` (labels may be NULL) unless it exists; under the
 * lock. *created says whether it was made here. */
int volume_make(const struct engine *eng, const char *name, json_t *labels, json_t *options,
                bool *created,
                err_t *e);
json_t *volume_anonymous_labels(void);
/* docker's copy-up: an empty volume gets the content of `target` in the
 * image mounted at `rootfs` (resolved inside it), whole or not at all. */
int volume_copy_up(const struct engine *eng, const char *name, const char *rootfs,
                   const char *target, err_t *e);
/* engine_check's part: removes what interrupted commands left under
 * volumes/.tmp/, makes the volumes records name that do not exist, and
 * notes a volume without its metadata or data as a problem (someone's
 * data: to look at, not to delete). */
int volumes_check(const struct engine *eng, store_note_fn note, void *data, err_t *e);
/* Remove the anonymous volumes among `mounts` that no container uses. */
int volumes_remove_anonymous(const struct engine *eng, json_t *mounts, err_t *e);

/* ---- mounts.c ---- */

/* The mounts of a new container from -v, --mount, --tmpfs and the
 * image's VOLUMEs, checked, in the record's form; nothing is made. */
json_t *engine_mounts_plan(const struct engine *eng, const struct run_opts *o,
                           const struct image_config *ic, err_t *e);
bool engine_mounts_have_volumes(json_t *mounts);
/* Make the planned volumes that do not exist and copy the image's content
 * into empty ones; under the volumes' lock. */
int engine_mounts_volumes(const struct engine *eng, json_t *mounts, const char *rootfs,
                          err_t *e);
/* Add the record's mounts to an OCI config's. */
int engine_oci_mounts(json_t *spec, json_t *mounts, err_t *e);

/* ---- oci_options.c ---- */

/* Capabilities, --privileged, --security-opt, --ulimit and --device over
 * the OCI config `spec`. */
int engine_oci_options(json_t *spec, const struct run_opts *o, err_t *e);

/* ---- oci_config.c ---- */

/* The command a container runs: Entrypoint and Cmd after docker's rules
 * (--entrypoint replaces the image's and drops its Cmd; a command replaces
 * Cmd). */
json_t *engine_process_args(const struct run_opts *o, const struct image_config *ic, err_t *e);

/* The OCI config of a container: the image config and the run options over
 * the runtime's defaults and the engine's security profile; it runs
 * r->command. `rootfs` is the merged root, where user names are looked up. */
json_t *engine_oci_config(const struct run_opts *o, const struct image_config *ic,
                          const struct container_record *r, const char *rootfs, err_t *e);

/* ---- network.c: a container's network (docs/NETWORK.md) ---- */

/* "none", "host" or "bridge" (any bridge network) for --network's value. */
const char *engine_net_mode(const char *network);
/* A record's plan (borrowed); records from before networks: none. */
json_t *engine_net_plan_of(const struct container_record *r);
/* A container's network mode: "none", "host" or "bridge". */
const char *engine_net_mode_of(const struct container_record *r);
/* At create, before the record is written: check --network, -p, -P,
 * --add-host, --dns and make the record's `network` plan. */
json_t *engine_net_plan(const struct engine *eng, const struct run_opts *o,
                        const struct image_config *ic, err_t *e);
/* Make the OCI config join the container's network namespace (or the
 * host's) and bind its /etc/hosts, /etc/hostname, /etc/resolv.conf. */
int engine_net_oci(const struct engine *eng, const struct container_record *r, json_t *spec,
                   err_t *e);
/* Before each start: /etc/hostname, /etc/resolv.conf, the network
 * namespace (lo up), the CNI networks, the published ports, /etc/hosts (and
 * the peers'). On failure nothing is left. */
int engine_net_up(const struct engine *eng, const struct container_record *r, err_t *e);
/* After the container exits, or at removal: undo engine_net_up, whatever
 * part of it was done (nothing is fine). */
int engine_net_down(const struct engine *eng, const char *id, err_t *e);
/* Whether a state of container `id` (of any root) is in the run root. */
bool engine_net_has_state(const struct engine *eng, const char *id);
/* What engine_net_up set up (NULL if nothing, or a state cut short). */
json_t *engine_net_state(const struct engine *eng, const char *id);
/* Add to `ids` the containers of this root that have network state. */
int engine_net_add_ids(const struct engine *eng, json_t *ids, err_t *e);
/* `network connect` (or disconnect, with !connect): now if the container's
 * network is up, else at its next start. */
int engine_net_connect(const struct engine *eng, const char *network, const char *container,
                       bool connect, err_t *e);
/* `system check`: remove the network namespaces, address leases and port
 * claims of the run root that no container's state accounts for (a state
 * is written before them and removed after them); what goes in `what`.
 * Returns how many were removed. */
int engine_net_sweep(const struct engine *eng, char *what, size_t cap, err_t *e);
/* docker ps's PORTS of a container ("127.0.0.1:8080->80/tcp, ..."; "" if
 * none), on the heap. */
char *engine_net_ports_text(const struct engine *eng, const char *id);
/* docker inspect's NetworkSettings of a container (network_cmds.c). */
json_t *engine_net_settings(const struct engine *eng, const struct container_record *r);
/* docker inspect's HostConfig fields about the network: NetworkMode,
 * PortBindings, Dns, ExtraHosts (merged into HostConfig). */
json_t *engine_net_host_config(const struct container_record *r);
/* "<run root>/.net/<sub>[/<leaf>]" on the heap. */
char *engine_net_path(const struct engine *eng, const char *sub, const char *leaf);

/* ---- vm_run.c: run --vm ---- */

/* QEMU's QMP socket, in the container's directory. */
#define VM_QMP "qmp.sock"

/* Where a VM's output goes, and who waits to hear it started. */
struct engine_vm_io {
  bool stdio;             /* to our stdout and stderr (a foreground run) */
  struct log_writer *log; /* to container.log, or NULL */
  int ready_fd;           /* told "ok" once QEMU runs (or why not), then closed and set
                             to -1; -1: none */
  bool ran;               /* out: "ok" was told */
  bool detached;          /* we join the container's cgroup too: its stop, kill and rm
                             signal us as they signal its QEMU */
};
/* Boot the container made with `config` as a VM, relay its stdout and
 * stderr, and store its process's exit status in *status. */
int engine_vm_run(const struct engine *eng, const struct run_opts *o,
                  const struct container_record *r, const json_t *config,
                  struct engine_vm_io *io, int *status, err_t *e);
/* pause/unpause of a VM container: QMP stop and cont. */
int engine_vm_pause(const struct engine *eng, const char *id, bool pause, err_t *e);

#endif
