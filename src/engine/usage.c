/* Disk use and its reclaiming: a container's size (ps -s), container
 * prune, system df. Sizes count the bytes of regular files, as docker
 * does (a container's layer is its upper dir; an image's are its layers,
 * each counted once however many images share it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static uint64_t dir_bytes(const char *dir) {
  _cleanup_close_ int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  return fd >= 0 ? tree_file_bytes(fd) : 0;
}

uint64_t engine_container_size(const struct engine *eng, const char *id) {
  _cleanup_free_ char *upper = container_path(eng, id, "upper");
  return dir_bytes(upper);
}

int engine_container_prune(const struct engine *eng, json_t **removed, uint64_t *reclaimed,
                           err_t *e) {
  struct container_record *list = NULL;
  size_t n = 0;
  *reclaimed = 0;
  if (container_dir_list(eng, &list, &n, e) < 0)
    return -1;
  json_t *ids = json_array();
  bool failed = !ids;
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    struct container_state st;
    err_t skip = ERR_INIT;
    /* Stopped ones: exited, created (never started), dead. */
    if (rc == 0 && container_state_current(eng, list[i].id, &st, &skip) == 0 &&
        !container_status_live(st.status)) {
      uint64_t size = engine_container_size(eng, list[i].id);
      if (engine_rm(eng, list[i].id, false, false, &skip) == 0) {
        *reclaimed += size;
        json_push(ids, json_string(list[i].id), &failed);
      } else if (skip.code != EBUSY && skip.code != ENOENT) { /* a command's, or gone */
        *e = skip;
        rc = -1;
      }
    }
    container_record_free(&list[i]);
  }
  free(list);
  if (rc == 0 && json_built(failed, "container prune", e) < 0)
    rc = -1;
  if (rc < 0) {
    json_decref(ids);
    return -1;
  }
  *removed = ids;
  return 0;
}

/* {Total, Active, Size, Reclaimable} */
static json_t *usage(size_t total, size_t active, uint64_t size, uint64_t reclaimable) {
  return json_pack("{s:I, s:I, s:I, s:I}", "Total", (json_int_t)total, "Active",
                   (json_int_t)active, "Size", (json_int_t)size, "Reclaimable",
                   (json_int_t)reclaimable);
}

/* Images: those a container uses are active; the layers of the others that
 * no active image shares are reclaimable. `used`: manifests in use, each
 * with its number of containers. With `list` (df -v), one entry per image:
 * docker's Size, SharedSize (layers another image has too), UniqueSize,
 * Containers. */
static json_t *image_usage(const struct engine *eng, json_t *used, json_t *list, err_t *e) {
  _cleanup_image_store_ struct image_store *s = NULL;
  struct image_info *imgs = NULL;
  size_t n = 0, active = 0;
  if (image_store_open(eng->root, 0, &s, e) < 0 || image_store_list(s, &imgs, &n, e) < 0)
    return NULL;
  _cleanup_json_ json_t *layers = json_object(); /* chain -> true when an active image has it */
  _cleanup_json_ json_t *holders = json_object(); /* chain -> how many images have it */
  uint64_t size = 0, reclaimable = 0;
  bool failed = !layers || !holders;
  for (size_t i = 0; i < n; i++) {
    bool in_use = json_object_get(used, imgs[i].manifest) != NULL;
    active += in_use;
    for (size_t k = 0; k < imgs[i].n_layers; k++) {
      json_t *seen = json_object_get(layers, imgs[i].chains[k]);
      if (!seen || (in_use && !json_is_true(seen)))
        json_set(layers, imgs[i].chains[k], json_boolean(in_use), &failed);
      json_int_t had = json_integer_value(json_object_get(holders, imgs[i].chains[k]));
      json_set(holders, imgs[i].chains[k], json_integer(had + 1), &failed);
    }
  }
  _cleanup_json_ json_t *sizes = json_object(); /* chain -> bytes */
  const char *chain;
  json_t *in_use;
  json_object_foreach(layers, chain, in_use) {
    struct layer_info li;
    err_t ignored = ERR_INIT;
    if (image_store_layer_info(s, chain, &li, &ignored) < 0)
      continue;
    size += li.size;
    reclaimable += json_is_true(in_use) ? 0 : li.size;
    json_set(sizes, chain, json_integer((json_int_t)li.size), &failed);
  }
  for (size_t i = 0; i < n; i++) {
    uint64_t total = 0, shared = 0;
    for (size_t k = 0; list && k < imgs[i].n_layers; k++) {
      uint64_t bytes = (uint64_t)json_integer_value(json_object_get(sizes, imgs[i].chains[k]));
      total += bytes;
      shared += json_integer_value(json_object_get(holders, imgs[i].chains[k])) > 1 ? bytes : 0;
    }
    if (list)
      json_push(list,
                json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "Ref",
                          imgs[i].refs && imgs[i].refs[0] ? imgs[i].refs[0] : "", "Id",
                          imgs[i].config, "Created", imgs[i].created ? imgs[i].created : "",
                          "Size", (json_int_t)total, "SharedSize", (json_int_t)shared,
                          "UniqueSize", (json_int_t)(total - shared), "Containers",
                          json_integer_value(json_object_get(used, imgs[i].manifest))),
                &failed);
    image_info_free(&imgs[i]);
  }
  free(imgs);
  if (json_built(failed, "system df", e) < 0)
    return NULL;
  return usage(n, active, size, reclaimable);
}

/* Volumes: `used` holds the names in use, each with its number of
 * containers (docker's LINKS). */
static json_t *volume_usage(const struct engine *eng, json_t *used, json_t *out, err_t *e) {
  _cleanup_json_ json_t *list = NULL;
  if (engine_volume_list(eng, NULL, &list, e) < 0)
    return NULL;
  size_t active = 0, i;
  uint64_t size = 0, reclaimable = 0;
  bool failed = false;
  json_t *vol;
  json_array_foreach(list, i, vol) {
    const char *name = json_string_value(json_object_get(vol, "Name"));
    json_int_t links = json_integer_value(json_object_get(used, name));
    uint64_t bytes = dir_bytes(json_string_value(json_object_get(vol, "Mountpoint")));
    active += links > 0;
    size += bytes;
    reclaimable += links ? 0 : bytes;
    if (out)
      json_push(out, json_pack("{s:s, s:I, s:I}", "Name", name, "Links", links, "Size",
                               (json_int_t)bytes),
                &failed);
  }
  if (json_built(failed, "system df", e) < 0)
    return NULL;
  return usage(json_array_size(list), active, size, reclaimable);
}

static void count(json_t *counts, const char *key, bool *failed) {
  json_set(counts, key, json_integer(json_integer_value(json_object_get(counts, key)) + 1), failed);
}

int engine_system_df(const struct engine *eng, bool verbose, json_t **out, err_t *e) {
  struct container_record *list = NULL;
  size_t n = 0, running = 0;
  if (container_dir_list(eng, &list, &n, e) < 0)
    return -1;
  _cleanup_json_ json_t *images = json_object(), *volumes = json_object();
  _cleanup_json_ json_t *lists = verbose ? json_pack("{s:[], s:[], s:[]}", "ImageList",
                                                     "ContainerList", "VolumeList")
                                         : NULL;
  uint64_t size = 0, reclaimable = 0;
  bool failed = !images || !volumes || (verbose && !lists);
  for (size_t i = 0; i < n; i++) {
    struct container_state st;
    err_t damaged = ERR_INIT;
    if (container_state_current(eng, list[i].id, &st, &damaged) < 0)
      snprintf(st.status, sizeof st.status, "dead");
    bool live = container_status_live(st.status);
    uint64_t bytes = engine_container_size(eng, list[i].id);
    running += live;
    size += bytes;
    reclaimable += live ? 0 : bytes;
    count(images, list[i].image_manifest, &failed);
    size_t k, local = 0;
    json_t *m;
    json_array_foreach(list[i].mounts, k, m) {
      const char *name = json_string_value(json_object_get(m, "Name"));
      if (name) {
        count(volumes, name, &failed);
        local++;
      }
    }
    if (lists)
      json_push(json_object_get(lists, "ContainerList"),
                json_pack("{s:s, s:s, s:O, s:I, s:I, s:s, s:s, s:i, s:s, s:s, s:s}", "Id",
                          list[i].id, "Image", list[i].image_ref, "Command", list[i].command,
                          "LocalVolumes", (json_int_t)local, "Size", (json_int_t)bytes,
                          "Created", list[i].created, "Status", st.status, "ExitCode",
                          st.exit_code, "StartedAt", st.started_at, "FinishedAt",
                          st.finished_at, "Name", list[i].name),
                &failed);
    container_record_free(&list[i]);
  }
  free(list);
  if (json_built(failed, "system df", e) < 0)
    return -1;
  json_t *img = image_usage(eng, images, json_object_get(lists, "ImageList"), e);
  json_t *vol = img ? volume_usage(eng, volumes, json_object_get(lists, "VolumeList"), e) : NULL;
  if (!img || !vol) {
    json_decref(img);
    return -1;
  }
  *out = json_pack("{s:o, s:o, s:o}", "Images", img, "Containers",
                   usage(n, running, size, reclaimable), "Volumes", vol);
  if (*out && lists && json_object_update(*out, lists) < 0)
    json_decref(steal_ptr(out));
  return *out ? 0 : err_set(e, ENOMEM, "system df");
}
