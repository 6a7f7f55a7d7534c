/* `capsule build`: an image from a Dockerfile / Containerfile and a
 * context directory (docs/BUILD.md). Each instruction becomes an image in
 * the store (a layer for RUN, COPY and ADD, a config and history entry
 * only for the others), cached under a key of its parent and what the
 * instruction does, so an unchanged rebuild runs nothing. RUN steps run in
 * containers of the engine (engine_build_step), whose changes are the
 * layer. */
#ifndef CAPSULE_BUILD_BUILD_H
#define CAPSULE_BUILD_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "engine/engine.h"
#include "util/error.h"

/* A line of progress ("STEP 2/5: RUN make", "--> Using cache ..."). */
typedef void (*build_progress_fn)(void *arg, const char *line);

struct build_opts {
  const char *context;  /* the context directory */
  const char *file;     /* the Dockerfile's name, for messages */
  const char *text;     /* its content */
  size_t len;
  char **build_args;    /* "K=V" (NULL-terminated, may be NULL) */
  char **tags;          /* references to tag the result with */
  char **labels;        /* "K=V" added to the final image */
  const char *target;   /* the stage to stop at, NULL: the last */
  const char *network;  /* RUN's network: "none" (NULL) or "host" */
  bool no_cache;
  /* Called for a FROM image (and COPY --from image) before it is looked up
   * in the store, to fetch it as the front end's pull policy says; NULL:
   * the store only. */
  int (*pull)(void *arg, const char *ref, err_t *e);
  void *pull_arg;
  build_progress_fn progress; /* may be NULL */
  void *progress_arg;
};

/* Build; `id` gets the image's ID. On failure *status is the exit status
 * to give: a failed RUN's exit code, else 125 (126/127 when a RUN's
 * command cannot be invoked or is not found). Errors name the file, line
 * and step. What a failure leaves is the cache of the steps that
 * finished: no container, mount or half-written layer. */
/* The regular file `name` of a build context (the directory `context`),
 * at most `max` bytes: a symlink may lead only to another file of the
 * context (a hostile context's Containerfile -> /etc/shadow would be
 * echoed in parse errors; -> a device would open the host's). */
char *build_context_file(int context, const char *name, size_t max, size_t *len, err_t *e);

int build_image(const struct engine *eng, const struct build_opts *o, char id[DIGEST_BUF],
                int *status, err_t *e);

/* The images the build cache names under the store `root` (their manifest
 * digests, as an object used as a set): `images` hides the untagged ones
 * that are parents of other images, as docker hides intermediate images. */
int build_cache_images(const char *root, json_t **out, err_t *e);

/* Forget the cache entries whose image is gone (after `image prune`). */
void build_cache_forget_gone(struct image_store *s);

#endif
