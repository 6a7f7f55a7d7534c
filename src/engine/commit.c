/* `capsule commit` and `capsule export`: a container's files as a new
 * image layer (its upper dir, whiteouts made OCI ones), or as one tar of
 * its whole root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "image/create.h"
#include "image/layer_tar.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The command as one line, as docker's history shows a commit. */
static char *command_line(json_t *command) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f)
    return NULL;
  size_t i;
  json_t *arg;
  json_array_foreach(command, i, arg) fprintf(f, "%s%s", i ? " " : "", json_string_value(arg));
  return memstream_text(f, &out);
}

static int make_image(const struct engine *eng, const struct container_record *r,
                      const struct commit_opts *o, char id[DIGEST_BUF], err_t *e) {
  _cleanup_image_store_ struct image_store *store = NULL;
  _cleanup_free_ char *upper = container_path(eng, r->id, "upper");
  _cleanup_free_ char *by = command_line(r->command);
  if (!upper || !by)
    return err_sys(e, "commit");
  _cleanup_close_ int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "open %s", upper);
  struct image_create_opts co = {.parent = r->image_manifest,
                                 .changes = o->changes,
                                 .comment = o->message,
                                 .author = o->author,
                                 .created_by = by,
                                 .reference = o->reference};
  _cleanup_image_info_ struct image_info img = {0};
  if (image_store_open(eng->root, 0, &store, e) < 0 || image_commit(store, fd, &co, &img, e) < 0)
    return -1;
  snprintf(id, DIGEST_BUF, "%s", img.config);
  return 0;
}

int engine_commit(const struct engine *eng, const char *name, const struct commit_opts *o,
                  char id[DIGEST_BUF], err_t *e) {
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  /* Paused, the layer is one moment of the container's files. */
  json_int_t pid;
  bool paused = o->pause && !strcmp(engine_status(eng, r.id, &pid), "running");
  int rc = -1;
  if (paused && engine_pause(eng, r.id, true, e) < 0)
    goto out;
  rc = make_image(eng, &r, o, id, e);
  err_t resume = ERR_INIT;
  if (paused && engine_pause(eng, r.id, false, &resume) < 0 && rc == 0) {
    *e = resume;
    rc = err_wrap(e, "the image %.19s is made, but container %s stays paused", id, r.name);
  }
out:
  container_record_free(&r);
  return rc;
}

int engine_export(const struct engine *eng, const char *name, int fd, err_t *e) {
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  /* The overlay alone: volumes and tmpfs mounts are not part of it. */
  struct container_root root;
  struct layer_tar_result res;
  int rc = container_root_open(eng, &r, false, &root, e);
  if (rc == 0) {
    rc = layer_tar_write(root.fd, LAYER_TAR, tar_sink_fd, &fd, &res, e);
    container_root_close(&root);
  }
  container_record_free(&r);
  return rc;
}
