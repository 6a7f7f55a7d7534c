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
 * no active image shares are reclaimable. `used`: manifests in use. */
static json_t *image_usage(const struct engine *eng, json_t *used, err_t *e) {
  _cleanup_image_store_ struct image_store *s = NULL;
  struct image_info *imgs = NULL;
  size_t n = 0, active = 0;
  if (image_store_open(eng->root, 0, &s, e) < 0 || image_store_list(s, &imgs, &n, e) < 0)
    return NULL;
  _cleanup_json_ json_t *layers = json_object(); /* chain -> true when an active image has it */
  uint64_t size = 0, reclaimable = 0;
  bool failed = !layers;
  for (size_t i = 0; i < n; i++) {
    bool in_use = json_object_get(used, imgs[i].manifest) != NULL;
    active += in_use;
    for (size_t k = 0; k < imgs[i].n_layers; k++) {
      json_t *seen = json_object_get(layers, imgs[i].chains[k]);
      if (!seen || (in_use && !json_is_true(seen)))
        json_set(layers, imgs[i].chains[k], json_boolean(in_use), &failed);
    }
  }
  const char *chain;
  json_t *in_use;
  json_object_foreach(layers, chain, in_use) {
    struct layer_info li;
    err_t ignored = ERR_INIT;
    if (image_store_layer_info(s, chain, &li, &ignored) < 0)
      continue;
    size += li.size;
    reclaimable += json_is_true(in_use) ? 0 : li.size;
  }
  for (size_t i = 0; i < n; i++)
    image_info_free(&imgs[i]);
  free(imgs);
  if (json_built(failed, "system df", e) < 0)
    return NULL;
  return usage(n, active, size, reclaimable);
}

static json_t *volume_usage(const struct engine *eng, json_t *used, err_t *e) {
  _cleanup_json_ json_t *list = NULL;
  if (engine_volume_list(eng, NULL, &list, e) < 0)
    return NULL;
  size_t active = 0, i;
  uint64_t size = 0, reclaimable = 0;
  json_t *vol;
  json_array_foreach(list, i, vol) {
    bool in_use = json_object_get(used, json_string_value(json_object_get(vol, "Name")));
    uint64_t bytes = dir_bytes(json_string_value(json_object_get(vol, "Mountpoint")));
    active += in_use;
    size += bytes;
    reclaimable += in_use ? 0 : bytes;
  }
  return usage(json_array_size(list), active, size, reclaimable);
}

int engine_system_df(const struct engine *eng, json_t **out, err_t *e) {
  struct container_record *list = NULL;
  size_t n = 0, running = 0;
  if (container_dir_list(eng, &list, &n, e) < 0)
    return -1;
  _cleanup_json_ json_t *images = json_object(), *volumes = json_object();
  uint64_t size = 0, reclaimable = 0;
  bool failed = !images || !volumes;
  for (size_t i = 0; i < n; i++) {
    struct container_state st;
    err_t damaged = ERR_INIT;
    bool live = container_state_current(eng, list[i].id, &st, &damaged) == 0 &&
                container_status_live(st.status);
    uint64_t bytes = engine_container_size(eng, list[i].id);
    running += live;
    size += bytes;
    reclaimable += live ? 0 : bytes;
    json_set(images, list[i].image_manifest, json_true(), &failed);
    size_t k;
    json_t *m;
    json_array_foreach(list[i].mounts, k, m) {
      const char *name = json_string_value(json_object_get(m, "Name"));
      if (name)
        json_set(volumes, name, json_true(), &failed);
    }
    container_record_free(&list[i]);
  }
  free(list);
  if (json_built(failed, "system df", e) < 0)
    return -1;
  json_t *img = image_usage(eng, images, e);
  json_t *vol = img ? volume_usage(eng, volumes, e) : NULL;
  if (!img || !vol) {
    json_decref(img);
    return -1;
  }
  *out = json_pack("{s:o, s:o, s:o}", "Images", img, "Containers",
                   usage(n, running, size, reclaimable), "Volumes", vol);
  return *out ? 0 : err_set(e, ENOMEM, "system df");
}
