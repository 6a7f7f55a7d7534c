/* Documents built while memory runs short are refused, never saved without
 * members: jansson's allocator is replaced by one whose Nth allocation fails
 * (one failure, as when memory is short for a moment: the serialisation after
 * it would succeed), for every N until the save succeeds; each attempt must
 * either fail (-1, nothing written) or write the whole document. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "image/archive_lib.h"
#include "image/store.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

/* Allocations that succeed before the one that fails; SIZE_MAX: none fails. */
static size_t allocs_left = SIZE_MAX;

static void *failing_malloc(size_t n) {
  if (allocs_left == SIZE_MAX)
    return malloc(n);
  if (allocs_left-- == 0) {
    allocs_left = SIZE_MAX;
    return NULL;
  }
  return malloc(n);
}

/* Back to no failure; returns whether the armed one happened. */
static bool disarm(void) {
  bool hit = allocs_left == SIZE_MAX;
  allocs_left = SIZE_MAX;
  return hit;
}

static void test_state_save(const char *dir) {
  err_t e = ERR_INIT;
  const char *cg_doc =
      "{\"mode\":\"v2\",\"path\":\"/capsule/x\",\"hierarchies\":[{\"name\":\"\",\"mount\":"
      "\"/sys/fs/cgroup\",\"dir\":\"/sys/fs/cgroup/capsule/x\",\"options\":\"rw\",\"v2\":true}]}";
  _cleanup_json_ json_t *cg_json = json_loads(cg_doc, 0, NULL);
  struct container_state st = {.id = strdup("x"), .bundle = strdup("/b"), .rootfs = strdup("/r"),
                               .created = strdup("2026-01-01T00:00:00Z"), .pid = 1,
                               .annotations = json_pack("{s:s}", "k", "v")};
  CHECK(cgroup_from_json(cg_json, &st.cgroup, &e) == 0);
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int failures = 0;
  for (size_t n = 0;; n++) {
    unlinkat(dfd, "state.json", 0);
    err_clear(&e);
    allocs_left = n;
    int rc = state_save(dfd, &st, &e);
    bool hit = disarm();
    if (rc < 0) {
      failures++;
      CHECK(faccessat(dfd, "state.json", F_OK, 0) < 0);
      continue;
    }
    struct container_state back;
    CHECK(state_load(dfd, "x", &back, &e) == 0);
    CHECK(back.cgroup != NULL && back.annotations != NULL);
    if (!back.cgroup || !back.annotations)
      fprintf(stderr, "state.json saved incomplete when allocation %zu failed: %s\n", n, e.msg);
    state_free(&back);
    if (!hit)
      break;
  }
  CHECK(failures > 2); /* the allocator did fail in the builder */
  state_free(&st);
}

/* One image (one empty layer) added to a new store at `root` while
 * allocation `n` fails: either refused, or recorded with its chain and
 * creation time. Returns whether the failure happened. */
static bool add_image_once(const char *root, size_t n, int *failures) {
  err_t e = ERR_INIT;
  struct image_store *s = NULL;
  CHECK(image_store_open(root, 0, &s, &e) == 0);
  if (!s)
    return false;
  static char tar[1024]; /* an empty tar: two zero blocks */
  char layer[DIGEST_BUF], config[DIGEST_BUF], manifest[DIGEST_BUF];
  CHECK(image_store_put_blob(s, tar, sizeof(tar), NULL, layer, &e) == 0);
  char cfg[512], man[1024];
  snprintf(cfg, sizeof(cfg),
           "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2026-01-01T00:00:00Z\","
           "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
           layer);
  CHECK(image_store_put_blob(s, cfg, strlen(cfg), NULL, config, &e) == 0);
  snprintf(man, sizeof(man),
           "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
           "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
           "\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
           "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
           config, strlen(cfg), layer, sizeof(tar));
  CHECK(image_store_put_blob(s, man, strlen(man), NULL, manifest, &e) == 0);
  allocs_left = n;
  int rc = image_store_add_image(s, manifest, NULL, NULL, &e);
  bool hit = disarm();
  _cleanup_image_info_ struct image_info img = {0};
  err_t lookup = ERR_INIT;
  int found = image_store_resolve(s, manifest, &img, &lookup);
  if (rc < 0) {
    (*failures)++;
    CHECK(found < 0);
  } else {
    CHECK(found == 0 && img.n_layers == 1 && img.created != NULL);
    if (found < 0 || img.n_layers != 1 || !img.created)
      fprintf(stderr, "image record saved incomplete when allocation %zu failed\n", n);
  }
  image_store_close(s);
  err_t ignored = ERR_INIT;
  remove_tree_at(AT_FDCWD, root, &ignored);
  return hit;
}

static void test_image_record(const char *dir) {
  char root[512];
  snprintf(root, sizeof(root), "%s/store", dir);
  int failures = 0;
  for (size_t n = 0; add_image_once(root, n, &failures); n++)
    ;
  CHECK(failures > 2);
}

int main(void) {
  /* On tmpfs when there is one: hundreds of stores are made, each synced. */
  char shm[] = "/dev/shm/capsule-json-oom.XXXXXX", tmp[] = "/tmp/capsule-json-oom.XXXXXX";
  char *dir = mkdtemp(shm) ? shm : mkdtemp(tmp);
  CHECK(dir != NULL);
  err_t e = ERR_INIT;
  CHECK(archive_lib_load(&e) == 0);
  json_set_alloc_funcs(failing_malloc, free);
  test_state_save(dir);
  test_image_record(dir);
  err_t ignored = ERR_INIT;
  remove_tree_at(AT_FDCWD, dir, &ignored);
  return check_report("json_oom");
}
