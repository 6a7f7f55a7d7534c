/* What the engine's files share; not part of its API. */
#ifndef CAPSULE_ENGINE_INTERNAL_H
#define CAPSULE_ENGINE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "image/config.h"
#include "util/error.h"

/* ---- security_profile.c ---- */
json_t *engine_default_caps(void);
json_t *engine_default_seccomp(void);

/* ---- container_dir.c: <root>/containers/<id>/ ---- */

struct container_record {
  char id[65];
  char *name;
  char *image_ref;      /* as the user typed it */
  char *image_manifest; /* the pinned image */
  char *image_id;       /* its config digest */
  json_t *command;      /* array of strings */
  char *created;        /* RFC 3339 */
};

/* Reserve a new container: a fresh id, a unique name (the given one, or
 * one made from the id), its directory with upper/, work/, merged/, and the
 * record, written durably unless the container is `transient` (--rm: it
 * cannot outlive the machine, and fsyncs would cost it dearly). */
int container_dir_create(const struct engine *eng, struct container_record *r, bool transient,
                         err_t *e);
/* Find a container by id, unique id prefix, or name. */
int container_dir_find(const struct engine *eng, const char *name, struct container_record *r,
                       err_t *e);
/* Every container's record; free each with container_record_free. */
int container_dir_list(const struct engine *eng, struct container_record **out, size_t *n,
                       err_t *e);
/* Unmount and remove the container's directory, and free its name. */
int container_dir_remove(const struct engine *eng, const struct container_record *r, err_t *e);
/* "<root>/containers/<id>/<leaf>" on the heap. */
char *container_path(const struct engine *eng, const char *id, const char *leaf);
void container_record_free(struct container_record *r);

/* ---- overlay.c ---- */

/* Mount the layers (lowest first) under upper/ and work/ at merged/. */
int overlay_mount(const char *merged, char **layers, const char *upper, const char *work,
                  err_t *e);
/* Unmount merged/ if mounted (a missing mount is fine). */
int overlay_unmount(const char *merged, err_t *e);

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

#endif
