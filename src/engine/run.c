/* run, rm: containers from images, run in-process by the runtime. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/internal.h"
#include "image/store.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

/* Undo prepare(), or remove a container: what the runtime holds of it,
 * its directory and name, then its pin (a pin outlives its container at
 * both ends: a crash in between leaves a pin of no container, which
 * `system check` removes). */
static int remove_container(const struct engine *eng, struct image_store *store,
                            const struct container_record *r, int pin_flags, bool volumes,
                            err_t *e) {
  if (engine_runtime_remove(eng, r->id, NULL, NULL, e) < 0 || engine_net_down(eng, r->id, e) < 0 ||
      container_dir_remove(eng, r->id, r->name, e) < 0)
    return -1;
  /* Once the record is gone: then no container names them. A crash
   * before leaves volumes of no container, which `volume prune` removes. */
  if (volumes && volumes_remove_anonymous(eng, r->mounts, e) < 0)
    return -1;
  engine_event_of(eng, r, "destroy", NULL);
  return image_store_unpin(store, r->id, pin_flags, e);
}

/* The record's labels: the image's, then the command line's. */
static int record_labels(const struct run_opts *o, const struct image_config *ic,
                          struct container_record *r, err_t *e) {
  bool failed = !(r->labels = json_object());
  for (int pass = 0; pass < 2; pass++)
    for (char **l = pass ? o->labels : ic->labels; l && *l; l++) {
      const char *eq = strchr(*l, '=');
      _cleanup_free_ char *k = strndup(*l, eq ? (size_t)(eq - *l) : strlen(*l));
      if (!k)
        return err_sys(e, "labels");
      if (!*k)
        return err_set(e, EINVAL, "invalid label '%s': empty name", *l);
      json_set(r->labels, k, json_string(eq ? eq + 1 : ""), &failed);
    }
  return json_built(failed, "labels", e);
}

/* A container that cannot outlive its command (run --rm in the
 * foreground): its files need no fsync. */
static bool transient(const struct run_opts *o) {
  return o->rm && !o->detach;
}

/* An image without layers (a build FROM scratch): overlayfs wants a lower
 * dir, an empty one of the container's. */
static int empty_lower(const struct engine *eng, const char *id, char ***layers, err_t *e) {
  _cleanup_free_ char *dir = container_path(eng, id, "lower");
  if (!dir || (mkdir(dir, 0755) < 0 && errno != EEXIST))
    return err_sys(e, "container %s: lower dir", id);
  char **v = calloc(2, sizeof *v);
  if (!v)
    return err_sys(e, "container %s", id);
  v[0] = steal_ptr(&dir);
  strv_free(*layers);
  *layers = v;
  return 0;
}

/* Resolve the image, make the container, pin the image to it and mount
 * its root. Returns the image config and the container's lock (see
 * container_dir_lock) through the out parameters; on failure nothing is
 * left. The store is held (shared) throughout, so `system check` never
 * sees a container half-made. */
static int prepare(const struct engine *eng, const struct run_opts *o, struct container_record *r,
                   struct image_config *ic, int *lock, err_t *e) {
  _cleanup_image_store_ struct image_store *store = NULL;
  struct image_info img = {0};
  _cleanup_strv_ char **layers = NULL;
  _cleanup_free_ char *upper = NULL, *work = NULL, *merged = NULL;
  int ret = -1;
  if (image_store_open(eng->root, 0, &store, e) < 0 ||
      image_store_resolve(store, o->image, &img, e) < 0)
    return -1;
  if (image_store_config(store, &img, ic, e) < 0 ||
      image_store_layer_dirs(store, &img, &layers, e) < 0 ||
      engine_run_config(o, ic->stop_signal, &r->run, e) < 0 ||
      !(r->command = engine_process_args(o, ic, e)) ||
      !(r->mounts = engine_mounts_plan(eng, o, ic, e)) ||
      !(r->network = engine_net_plan(eng, o, ic, e)) || record_labels(o, ic, r, e) < 0)
    goto out;
  r->name = o->name ? strdup(o->name) : NULL;
  r->image_ref = strdup(o->image);
  r->image_manifest = strdup(img.manifest);
  r->image_id = strdup(img.config);
  if (!r->image_ref || !r->image_manifest || !r->image_id || (o->name && !r->name)) {
    err_sys(e, "container");
    goto out;
  }
  /* The pin keeps rmi and prune off the image's layers while we use them. */
  int pin_flags = transient(o) ? IMAGE_PIN_TRANSIENT : 0;
  if (container_id_new(r, e) < 0 || image_store_pin(store, r->id, img.manifest, pin_flags, e) < 0)
    goto out;
  /* Held from before the record names the volumes until they exist: a
   * volume rm or prune meanwhile sees the record, or waits. */
  bool volumes = engine_mounts_have_volumes(r->mounts);
  int volumes_held = volumes ? volumes_lock(eng, false, e) : -1;
  if ((volumes && volumes_held < 0) || (*lock = container_dir_create(eng, r, transient(o), e)) < 0) {
    err_t undo = ERR_INIT;
    if (volumes_held >= 0)
      close(volumes_held);
    image_store_unpin(store, r->id, pin_flags, &undo);
    goto out;
  }
  engine_event_of(eng, r, "create", NULL);
  upper = container_path(eng, r->id, "upper");
  work = container_path(eng, r->id, "work");
  merged = container_path(eng, r->id, "merged");
  if (upper && !layers[0] && empty_lower(eng, r->id, &layers, e) < 0)
    upper = NULL; /* fails below, e set */
  if (!upper || !work || !merged || overlay_mount(merged, layers, upper, work, e) < 0 ||
      (volumes && engine_mounts_volumes(eng, r->mounts, merged, e) < 0)) {
    err_t undo = ERR_INIT;
    if (volumes_held >= 0)
      close(volumes_held); /* before the removal takes it exclusively */
    remove_container(eng, store, r, pin_flags, true, &undo);
    close(*lock);
    *lock = -1;
    goto out;
  }
  if (volumes_held >= 0)
    close(volumes_held);
  ret = 0;
out:
  image_info_free(&img);
  if (ret < 0)
    image_config_free(ic);
  return ret;
}

/* A foreground container has exited, or a start failed: its root is no
 * longer needed, and with --rm (or after a failure) nothing of it is. */
static int finish_run(const struct engine *eng, const struct run_opts *o,
                      const struct container_record *r, bool failed, err_t *e) {
  if (!failed && !o->rm) {
    _cleanup_free_ char *merged = container_path(eng, r->id, "merged");
    if (engine_net_down(eng, r->id, e) < 0)
      return -1;
    return merged ? overlay_unmount(merged, e) : err_sys(e, "container %s", r->id);
  }
  _cleanup_image_store_ struct image_store *store = NULL;
  if (image_store_open(eng->root, 0, &store, e) < 0)
    return -1;
  return remove_container(eng, store, r, transient(o) ? IMAGE_PIN_TRANSIENT : 0, true, e);
}

/* --cidfile: claimed before the container is made (an existing file is
 * refused, as docker: another container may own it). */
static int cidfile_claim(const char *path, err_t *e) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST)
    return err_set(e, EEXIST, "container ID file found, make sure the other container isn't "
                              "running or delete %s", path);
  return fd < 0 ? err_sys(e, "create the container ID file %s", path) : fd;
}

struct started {
  const struct engine *eng;
  const struct container_record *r;
};

static void record_start(void *arg) {
  struct started *s = arg;
  engine_event_of(s->eng, s->r, "start", NULL);
}

/* The foreground run with --rm, in-process: nothing outlives it, so it
 * needs no monitor, and its start is as fast as the runtime's. */
static int run_here(const struct engine *eng, const struct container_record *r, json_t *config,
                    int *status, err_t *e) {
  _cleanup_free_ char *bundle = container_path(eng, r->id, NULL);
  struct runtime_ctx rt = engine_runtime(eng);
  struct started started = {eng, r};
  struct create_opts co = {.bundle = bundle, .config = config, .started = record_start,
                           .started_arg = &started};
  /* The state says who waits for the init: we do. */
  if (!bundle || container_state_running(eng, r->id, 0, false, false, e) < 0 ||
      runtime_run(&rt, r->id, &co, false, status, e) < 0)
    return -1;
  char code[16];
  snprintf(code, sizeof code, "%d", *status);
  engine_event_of(eng, r, "die", (const char *const[]){"exitCode", code, NULL});
  return 0;
}

static int save_config(const struct engine *eng, const struct container_record *r,
                       const json_t *config, err_t *e) {
  _cleanup_free_ char *path = container_path(eng, r->id, "config.json");
  _cleanup_free_ char *text = json_dump_checked(config, JSON_COMPACT);
  if (!path || !text)
    return err_set(e, ENOMEM, "container config");
  return atomic_write_at(AT_FDCWD, path, text, strlen(text), 0600, e);
}

/* --init: the monitor's binary (static) bound read-only at
 * /sbin/capsule-init runs the command as the container's pid 1's child. */
static int add_init(const struct engine *eng, json_t *config, err_t *e) {
  if (!eng->monitor)
    return err_set(e, EINVAL, "--init: no capsule-monitor binary configured");
  json_t *proc = json_object_get(config, "process");
  json_t *args = json_object_get(proc, "args");
  _cleanup_json_ json_t *init = json_pack("[s, s]", "/sbin/capsule-init", "--");
  bool failed = !init || json_array_extend(init, args) < 0;
  json_set(proc, "args", json_incref(init), &failed);
  json_push(json_object_get(config, "mounts"),
            json_pack("{s:s, s:s, s:s, s:[s, s, s, s]}", "destination", "/sbin/capsule-init",
                      "type", "bind", "source", eng->monitor, "options", "bind", "ro",
                      "nosuid", "nodev"),
            &failed);
  return json_built(failed, "--init", e);
}

/* The VM of run --vm in the foreground: its output to ours, and to its
 * log if the container stays. */
static int vm_foreground(const struct engine *eng, const struct run_opts *o,
                         const struct container_record *r, const json_t *config, int *status,
                         err_t *e) {
  struct log_writer log;
  _cleanup_free_ char *dir = container_path(eng, r->id, NULL);
  if (!dir)
    return err_sys(e, "container %s", r->id);
  if (!o->rm && log_writer_open(&log, dir, r->run.log_max_size, r->run.log_max_file, e) < 0)
    return -1;
  struct engine_vm_io io = {.stdio = true, .log = o->rm ? NULL : &log, .ready_fd = -1};
  int ret = engine_vm_run(eng, o, r, config, &io, status, e);
  if (!o->rm)
    log_writer_close(&log);
  return ret;
}

/* The process of run --vm -d that runs the VM as a foreground run would,
 * its output to the log; once QEMU runs (said on ready_fd), the container
 * is its to finish. Returns its exit status. */
static int vm_relay(const struct engine *eng, const struct run_opts *o,
                    const struct container_record *r, const json_t *config, int ready_fd) {
  struct log_writer log;
  err_t e = ERR_INIT;
  _cleanup_free_ char *dir = container_path(eng, r->id, NULL);
  if (!dir || log_writer_open(&log, dir, r->run.log_max_size, r->run.log_max_file, &e) < 0) {
    write_all(ready_fd, e.msg, strlen(e.msg));
    return 1;
  }
  struct engine_vm_io io = {.log = &log, .ready_fd = ready_fd, .detached = true};
  int status = 0, ret = engine_vm_run(eng, o, r, config, &io, &status, &e);
  log_writer_close(&log);
  if (!io.ran)
    return 1; /* the caller undoes the container */
  err_t ignored = ERR_INIT;
  if (ret < 0) /* e.g. it never booted: the reason is in its log */
    container_state_exited(eng, r->id, 125, false, false, !o->rm, &ignored);
  finish_run(eng, o, r, false, &ignored);
  return 0;
}

/* run --vm -d: vm_relay in a process of its own (double fork, setsid),
 * returning once QEMU runs, or with why it does not. */
static int vm_detach(const struct engine *eng, const struct run_opts *o,
                     const struct container_record *r, const json_t *config, err_t *e) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return err_sys(e, "pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return err_sys(e, "fork");
  }
  if (pid == 0) {
    close(p[0]);
    if (setsid() < 0 || fork() != 0)
      _exit(0);
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
      _exit(1);
    _exit(vm_relay(eng, o, r, config, p[1]));
  }
  close(p[1]);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  char msg[ERR_MSG_MAX];
  ssize_t n = read_all(p[0], msg, sizeof msg - 1);
  close(p[0]);
  if (n == 2 && !memcmp(msg, "ok", 2))
    return 0;
  msg[n > 0 ? n : 0] = '\0';
  return err_set(e, EIO, "%s", n > 0 ? msg : "the VM's process ended before QEMU ran");
}

/* run and create: the container made, its root mounted, its OCI config
 * built; then run in the foreground (--rm), handed to a monitor, or
 * (create) left for start with config.json saved. */
/* A build step's fill (before its command) or done (after). */
static int step_call(const struct engine *eng, const struct container_record *r, const char *leaf,
                     engine_step_fn fn, void *arg, err_t *e) {
  _cleanup_free_ char *path = container_path(eng, r->id, leaf);
  if (!path)
    return err_sys(e, "container %s", r->id);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "open %s", path);
  return fn(arg, fd, e);
}

static int make_and(const struct engine *eng, const struct run_opts *o, bool create, int *status,
                    char **id_out, const struct engine_step *step, err_t *e) {
  struct container_record r = {0};
  struct image_config ic = {0};
  /* Held until we return (or by the monitor): while it is, `system check`
   * leaves the container alone (it is starting, or runs). */
  _cleanup_close_ int lock = -1;
  _cleanup_close_ int cid = o->cidfile ? cidfile_claim(o->cidfile, e) : -1;
  if ((o->cidfile && cid < 0))
    return -1;
  if (prepare(eng, o, &r, &ic, &lock, e) < 0) {
    if (o->cidfile)
      unlink(o->cidfile);
    container_record_free(&r);
    return -1;
  }
  int ret = -1;
  bool here = !create && !o->detach && ((o->rm && o->attach_fd <= 0) || o->vm);
  _cleanup_free_ char *merged = container_path(eng, r.id, "merged");
  /* The network: its namespace in the config, set up now unless the
   * container is only created (its monitor's start phase does it then). */
  _cleanup_json_ json_t *config = NULL;
  if (merged && (config = engine_oci_config(o, &ic, &r, merged, e)) &&
      ((r.run.init && add_init(eng, config, e) < 0) || engine_net_oci(eng, &r, config, e) < 0 ||
       (!create && engine_net_up(eng, &r, e) < 0))) {
    json_decref(config);
    config = NULL;
  }
  if (config && cid >= 0 && write_all(cid, r.id, strlen(r.id)) < 0) {
    err_sys(e, "write %s", o->cidfile);
    json_decref(steal_ptr(&config));
  }
  if (config && step && step->fill && step_call(eng, &r, "merged", step->fill, step->arg, e) < 0)
    json_decref(steal_ptr(&config));
  if (config && o->vm && !create) /* config.json kept for inspect */
    ret = save_config(eng, &r, config, e) < 0 ? -1
          : o->detach                        ? vm_detach(eng, o, &r, config, e)
                                             : vm_foreground(eng, o, &r, config, status, e);
  else if (config && here && (!step || step->run))
    ret = run_here(eng, &r, config, status, e);
  else if (config && step)
    ret = 0;
  else if (config && save_config(eng, &r, config, e) == 0)
    ret = create ? overlay_unmount(merged, e)
                 : monitor_spawn(eng, r.id, lock, o->detach ? -1 : o->attach_fd, true, e);
  if (ret == 0 && step && step->done && *status == 0 &&
      step_call(eng, &r, "upper", step->done, step->arg, e) < 0)
    ret = -1;
  if (ret < 0 && o->cidfile)
    unlink(o->cidfile);
  err_t undo = ERR_INIT;
  if ((ret < 0 || here) && finish_run(eng, o, &r, ret < 0, &undo) < 0 && ret == 0) {
    *e = undo;
    ret = -1;
  }
  if (ret == 0 && id_out && !(*id_out = strdup(r.id)))
    ret = err_sys(e, "container id");
  container_record_free(&r);
  image_config_free(&ic);
  return ret;
}

/* What a VM container does not do (yet): said before anything is made. */
static int vm_unsupported(const struct run_opts *o, bool create, err_t *e) {
  const char *what = create                                 ? "create"
                     : o->tty || o->interactive             ? "-t and -i"
                     : (o->volumes && *o->volumes) || (o->mounts && *o->mounts) ||
                               (o->tmpfs && *o->tmpfs)      ? "volumes and mounts"
                     : (o->publish && *o->publish) || o->publish_all ||
                               (o->network && strcmp(o->network, "none")) ? "networks"
                     : o->devices && *o->devices            ? "--device"
                     : o->init                              ? "--init"
                     : o->restart && strcmp(o->restart, "no") ? "--restart"
                                                            : NULL;
  return what ? err_set(e, EINVAL, "--vm: %s not supported with a VM yet", what) : 0;
}

int engine_run(const struct engine *eng, const struct run_opts *o, int *status, char **id_out,
               err_t *e) {
  *status = 0;
  if (o->vm && vm_unsupported(o, false, e) < 0)
    return -1;
  if (!o->detach && !o->rm && !o->vm && o->attach_fd <= 0)
    return err_set(e, EINVAL, "run in the foreground without --rm needs an attached client");
  return make_and(eng, o, false, status, id_out, NULL, e);
}

int engine_build_step(const struct engine *eng, const struct run_opts *o,
                      const struct engine_step *step, int *status, err_t *e) {
  *status = 0;
  if (!o->rm || o->detach)
    return err_set(e, EINVAL, "a build step runs in the foreground with --rm");
  /* The label tells `system check` that the container of a killed build
   * can go whatever its state (nothing else needs it). */
  char *labels[] = {ENGINE_BUILD_STEP_LABEL "=true", NULL};
  struct run_opts so = *o;
  so.labels = labels;
  if (make_and(eng, &so, false, status, NULL, step, e) < 0) {
    *status = engine_exit_status(e);
    return -1;
  }
  return 0;
}

int engine_create(const struct engine *eng, const struct run_opts *o, char **id_out, err_t *e) {
  int status;
  if (o->vm && vm_unsupported(o, true, e) < 0)
    return -1;
  return make_and(eng, o, true, &status, id_out, NULL, e);
}

int engine_rm(const struct engine *eng, const char *name, bool force, bool volumes, err_t *e) {
  /* Held (shared) throughout: `system check` waits for a removal to end. */
  _cleanup_image_store_ struct image_store *store = NULL;
  if (image_store_open(eng->root, 0, &store, e) < 0)
    return -1;
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  int ret = -1;
  _cleanup_close_ int lock = -1;
  struct container_state st;
  if (container_state_current(eng, r.id, &st, e) < 0 && !force)
    goto out;
  if (container_status_live(st.status)) {
    if (!force) {
      err_set(e, EBUSY, "container %s is %s: stop it first or use --force", r.name, st.status);
      goto out;
    }
    /* Its monitor kills it, cleans up and lets go of it. */
    if (engine_remove_live(eng, r.id, e) < 0)
      goto out;
  }
  *e = (err_t)ERR_INIT;
  /* Another command starting it or running it in the foreground holds its
   * lock: only --force takes it from under that command. */
  lock = container_dir_lock(eng, r.id, e);
  if (lock < 0 && !(force && e->code == EBUSY))
    goto out;
  *e = (err_t)ERR_INIT;
  ret = remove_container(eng, store, &r, 0, volumes, e);
out:
  container_record_free(&r);
  return ret;
}

int engine_mount_root(const struct engine *eng, const struct container_record *r, err_t *e) {
  _cleanup_image_store_ struct image_store *store = NULL;
  struct image_info img = {0};
  _cleanup_strv_ char **layers = NULL;
  _cleanup_free_ char *upper = container_path(eng, r->id, "upper");
  _cleanup_free_ char *work = container_path(eng, r->id, "work");
  _cleanup_free_ char *merged = container_path(eng, r->id, "merged");
  if (!upper || !work || !merged)
    return err_sys(e, "container %s", r->id);
  int ret = -1;
  if (image_store_open(eng->root, 0, &store, e) == 0 &&
      image_store_resolve(store, r->image_manifest, &img, e) == 0 &&
      image_store_layer_dirs(store, &img, &layers, e) == 0 && overlay_unmount(merged, e) == 0 &&
      overlay_mount(merged, layers, upper, work, e) == 0)
    ret = 0;
  image_info_free(&img);
  return ret;
}
