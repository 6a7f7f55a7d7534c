/* What the build's files share; not part of its API. */
#ifndef CAPSULE_BUILD_INTERNAL_H
#define CAPSULE_BUILD_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "build/build.h"
#include "build/dockerfile.h"
#include "build/ignore.h"
#include "image/store.h"
#include "util/error.h"

struct stage {
  char *name;                /* "AS name", lower case, or NULL */
  char manifest[DIGEST_BUF]; /* the image so far */
  json_t *config;            /* its container config ("config"), being changed */
  json_t *args;              /* ARGs declared in the stage: name -> string or null */
  json_t *shell;             /* SHELL, default ["/bin/sh", "-c"] */
  json_t *onbuild;           /* the base image's ONBUILD triggers, to run after FROM */
  bool cmd_set;              /* a CMD in this stage (ENTRYPOINT clears only an inherited one) */
};

struct builder {
  const struct engine *eng;
  const struct build_opts *o;
  struct image_store *store;
  struct dockerfile df;
  int context;             /* O_PATH fd of the context directory */
  struct ignore ignore;
  json_t *global_args;     /* ARGs before the first FROM: name -> string or null */
  json_t *build_args;      /* --build-arg: name -> string */
  struct stage *stages;
  size_t n_stages;
  /* "[stage/n_built] STEP step/n_steps" as buildah prints it: the steps of
   * the stage at work, the stages up to --target ("[...]" when more than 1). */
  size_t step, n_steps, n_built;
  const struct df_instr *in; /* the instruction at work */
  int status;              /* exit status of a failure */
};

/* The variables an instruction of `s` sees (NULL: a FROM line, the global
 * ARGs): ENV over ARG. */
struct lookup {
  struct builder *b;
  struct stage *s;
};
const char *build_lookup(void *ctx, const char *name);

/* A progress line. */
void build_say(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* instr.c: the instructions that change only the config or the build's
 * state (ENV, LABEL, WORKDIR, USER, CMD, ENTRYPOINT, EXPOSE, VOLUME,
 * STOPSIGNAL, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER, ARG). 1 when
 * `in` is one of them (applied), 0 when not, -1 on error. *history: the
 * history's created_by text, NULL for ARG (no image). */
int build_meta(struct builder *b, struct stage *s, const struct df_instr *in, char **history,
               err_t *e);
/* The stage's argument values for a RUN's environment ("K=V"), those ENV
 * does not override. */
char **build_run_env(struct builder *b, struct stage *s, err_t *e);
/* ARG NAME[=default]...: declare in `args` (the stage's, or the global
 * ones before the first FROM), values from --build-arg first. */
int build_arg(struct builder *b, json_t *args, struct stage *s, const struct df_instr *in,
              err_t *e);

/* `p` made absolute against the working directory `wd` (may be NULL) and
 * cleaned (no ".", "..", "//"); on the heap. */
char *build_path(const char *wd, const char *p);

/* copy.c: COPY and ADD. The key part of the cache (a hash of the sources'
 * names, contents, modes and the flags), then the copy itself as a step. */
int build_copy(struct builder *b, struct stage *s, const struct df_instr *in, err_t *e);

/* build.c: make the step's image from the stage's config: `dirfd` the
 * layer's tree, or -1 for none; the stage moves to it. */
int build_commit(struct builder *b, struct stage *s, int dirfd, const char *history, err_t *e);
/* The cache: the image stored under `key` (a digest) if it is still in the
 * store (1), 0 if none; and recording one. */
int build_cache_get(struct builder *b, const char *key, char manifest[DIGEST_BUF]);
void build_cache_put(struct builder *b, const char *key, const char *manifest);
/* A step that may come from the cache: key = parent + `what` (the step's
 * text and whatever else decides its result). 1 with the stage moved to
 * the cached image, 0 when it must run (key[] filled), -1 on error. */
int build_cached(struct builder *b, struct stage *s, const char *what, char key[DIGEST_BUF],
                 err_t *e);
/* A stage by name or index ("0"), or NULL. */
struct stage *build_stage_named(struct builder *b, const char *name);

#endif
