/* `capsule inspect` of a container: docker's JSON shape, from the record,
 * the state, the OCI config it runs with and its image's config. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/internal.h"
#include "oci/names.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

/* The image's "config" object (a new reference; {} when unreadable: the
 * image may be gone, removed with --force while pinned). */
static json_t *image_config_object(const struct engine *eng, const struct container_record *r) {
  _cleanup_image_store_ struct image_store *store = NULL;
  err_t ignored = ERR_INIT;
  size_t len;
  _cleanup_free_ char *raw = NULL;
  if (image_store_open(eng->root, 0, &store, &ignored) == 0)
    raw = image_store_read_blob(store, r->image_id, 0, &len, &ignored);
  _cleanup_json_ json_t *cfg = raw ? json_load_object_buf(raw, len, r->image_id, &ignored) : NULL;
  json_t *config = json_object_get(cfg, "config");
  return json_is_object(config) ? json_incref(config) : json_object();
}

/* The OCI config the container was made with, if the engine kept it. */
static json_t *oci_config(const struct engine *eng, const char *id) {
  _cleanup_free_ char *path = container_path(eng, id, "config.json");
  err_t ignored = ERR_INIT;
  return path && access(path, F_OK) == 0 ? json_load_object_file(path, &ignored) : NULL;
}

/* The command split as docker shows it: Entrypoint (the image's, when the
 * command starts with it) and Cmd, Path and Args. */
static void split_command(json_t *command, json_t *image_entrypoint, json_t **entrypoint,
                          json_t **cmd) {
  size_t n = json_array_size(image_entrypoint), i;
  bool from_image = n > 0 && n <= json_array_size(command);
  for (i = 0; from_image && i < n; i++)
    from_image = json_equal(json_array_get(command, i), json_array_get(image_entrypoint, i));
  *entrypoint = from_image ? json_incref(image_entrypoint) : json_null();
  *cmd = json_array();
  for (i = from_image ? n : 0; *cmd && i < json_array_size(command); i++)
    json_array_append(*cmd, json_array_get(command, i));
}

static json_t *state_object(const struct container_state *st) {
  const char *s = st->status;
  return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}", "Status", s,
                   "Running", !strcmp(s, "running") || !strcmp(s, "paused"), "Paused",
                   !strcmp(s, "paused"), "Restarting", !strcmp(s, "restarting"), "OOMKilled",
                   st->oom_killed, "Dead", !strcmp(s, "dead"), "Pid", st->pid, "ExitCode",
                   st->exit_code, "Error", st->error, "StartedAt",
                   st->started_at[0] ? st->started_at : "0001-01-01T00:00:00Z", "FinishedAt",
                   st->finished_at[0] ? st->finished_at : "0001-01-01T00:00:00Z");
}

/* obj[key] (a new reference), or `fallback` (taken). */
static json_t *member_or(json_t *obj, const char *key, json_t *fallback) {
  json_t *v = json_object_get(obj, key);
  if (!v)
    return fallback;
  json_decref(fallback);
  return json_incref(v);
}

static json_t *config_object(const struct container_record *r, json_t *image, json_t *oci,
                             json_t *entrypoint, json_t *cmd) {
  json_t *process = json_object_get(oci, "process");
  json_t *env = json_object_get(process, "env");
  const char *hostname = json_string_value(json_object_get(oci, "hostname"));
  const char *cwd = json_string_value(json_object_get(process, "cwd"));
  const char *user = json_string_value(json_object_get(image, "User"));
  const char *signame = signal_name(r->run.stop_signal);
  char host[13];
  snprintf(host, sizeof host, "%.12s", r->id);
  const char *image_cwd = json_string_value(json_object_get(image, "WorkingDir"));
  /* The runtime's "/" is the default, not a WorkingDir anyone set (docker
   * says ""); only `-w /` is lost to this. */
  if (!cwd || (strcmp(cwd, "/") == 0 && !(image_cwd && *image_cwd)))
    cwd = image_cwd;
  return json_pack(
      "{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:o, s:O, s:s, s:o, s:s, s:O, s:n, s:O, "
      "s:o, s:s, s:i}",
      "Hostname", hostname ? hostname : host, "Domainname", "", "User", user ? user : "",
      "AttachStdin", r->run.interactive, "AttachStdout", true, "AttachStderr", true,
      "Tty", r->run.tty, "OpenStdin", r->run.interactive, "StdinOnce", r->run.interactive,
      "Env", env ? json_incref(env) : member_or(image, "Env", json_null()),
      "Cmd", cmd, "Image", r->image_ref, "Volumes",
      member_or(image, "Volumes", json_null()),
      "WorkingDir", cwd ? cwd : "", "Entrypoint", entrypoint, "OnBuild", "Labels", r->labels,
      "ExposedPorts", member_or(image, "ExposedPorts", json_object()),
      "StopSignal", signame ? signame : "SIGTERM", "StopTimeout", r->run.stop_timeout);
}

static json_t *host_config_object(const struct container_record *r, json_t *oci) {
  json_t *binds = json_array();
  size_t i;
  json_t *m;
  json_array_foreach(r->mounts, i, m) {
    const char *type = json_string_value(json_object_get(m, "Type"));
    if (type && !strcmp(type, "bind"))
      json_push(binds,
                json_sprintf("%s:%s%s", json_string_value(json_object_get(m, "Source")),
                             json_string_value(json_object_get(m, "Destination")),
                             json_is_false(json_object_get(m, "RW")) ? ":ro" : ""),
                NULL);
  }
  json_t *root = json_object_get(oci, "root");
  json_t *hc = json_pack("{s:o, s:{s:s, s:i}, s:b, s:b, s:b, s:{s:s, s:{}}, s:s}", "Binds", binds,
                         "RestartPolicy", "Name", r->run.restart_policy, "MaximumRetryCount",
                         r->run.restart_max, "AutoRemove", r->run.auto_remove, "Init",
                         r->run.init, "ReadonlyRootfs",
                         json_is_true(json_object_get(root, "readonly")), "LogConfig", "Type",
                         "json-file", "Config", "Runtime", r->run.vm ? "vm" : "runc");
  /* NetworkMode, PortBindings, Dns, ExtraHosts (network_cmds.c). */
  _cleanup_json_ json_t *net = engine_net_host_config(r);
  if (hc && (!net || json_object_update(hc, net) < 0)) {
    json_decref(hc);
    return NULL;
  }
  return hc;
}

static json_t *graph_driver(const struct engine *eng, const struct container_record *r) {
  _cleanup_free_ char *upper = container_path(eng, r->id, "upper");
  _cleanup_free_ char *work = container_path(eng, r->id, "work");
  _cleanup_free_ char *merged = container_path(eng, r->id, "merged");
  return json_pack("{s:s, s:{s:s, s:s, s:s}}", "Name", "overlay", "Data", "UpperDir",
                   upper ? upper : "", "WorkDir", work ? work : "", "MergedDir",
                   merged ? merged : "");
}

static json_t *build(const struct engine *eng, const struct container_record *r,
                     const struct container_state *st) {
  _cleanup_json_ json_t *image = image_config_object(eng, r);
  _cleanup_json_ json_t *oci = oci_config(eng, r->id);
  json_t *entrypoint = NULL, *cmd = NULL;
  split_command(r->command, json_object_get(image, "Entrypoint"), &entrypoint, &cmd);
  _cleanup_json_ json_t *args = json_array();
  for (size_t i = 1; args && i < json_array_size(r->command); i++)
    json_array_append(args, json_array_get(r->command, i));
  _cleanup_free_ char *log = container_path(eng, r->id, "container.log");
  _cleanup_free_ char *name = NULL;
  if (asprintf(&name, "/%s", r->name) < 0)
    name = NULL;
  const char *path = json_string_value(json_array_get(r->command, 0));
  json_t *out = json_pack(
      "{s:s, s:s, s:s, s:O, s:o, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:o, s:o, s:o, s:o, "
      "s:o, s:o}",
      "Id", r->id, "Created", r->created, "Path", path ? path : "", "Args", args, "State",
      state_object(st), "Image", r->image_id, "ImageName", r->image_ref, "LogPath",
      log ? log : "", "Name", name ? name : "", "Driver", "overlay", "RestartCount",
      st->restart_count, "Platform", "linux", "MountLabel", "", "HostConfig",
      host_config_object(r, oci), "GraphDriver", graph_driver(eng, r), "Mounts",
      engine_container_mounts(r->mounts), "Config",
      config_object(r, image, oci, entrypoint, cmd), "NetworkSettings",
      engine_net_settings(eng, r), "ProcessLabel", json_string(""));
  json_decref(entrypoint);
  json_decref(cmd);
  return out;
}

int engine_container_inspect(const struct engine *eng, const char *name, json_t **out,
                             err_t *e) {
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  struct container_state st;
  err_t damaged = ERR_INIT;
  if (container_state_current(eng, r.id, &st, &damaged) < 0) {
    memset(&st, 0, sizeof st);
    snprintf(st.status, sizeof st.status, "dead");
    snprintf(st.error, sizeof st.error, "%.*s", (int)sizeof st.error - 1, damaged.msg);
  }
  *out = build(eng, &r, &st);
  container_record_free(&r);
  return *out ? 0 : err_set(e, ENOMEM, "inspect %s", name);
}
