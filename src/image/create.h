/* New images from a layer: `capsule import` (a rootfs tarball becomes a
 * one-layer image) and, for the engine, `capsule commit` (a container's
 * changes become a layer on top of its image). */
#ifndef CAPSULE_IMAGE_CREATE_H
#define CAPSULE_IMAGE_CREATE_H

#include <jansson.h>
#include <stdbool.h>

#include "image/store.h"

struct image_create_opts {
  const char *parent;            /* image the layer goes on (name or ID), or NULL */
  const char *const *changes;    /* --change instructions (NULL-terminated) or NULL */
  const char *comment;           /* history comment (--message), or NULL */
  const char *created_by;        /* history "created_by", or NULL */
  const char *author;            /* or NULL */
  const char *reference;         /* tag the new image so, or NULL */
  /* For builds (src/build/): */
  json_t *config;                /* the container config ("config") to set whole, or NULL:
                                    the parent's, with `changes` */
  bool empty_layer;              /* no layer: a history entry marked empty_layer */
};

/* Read a layer tarball (tar, tar+gzip, tar+zstd) from `fd` to its end and
 * make it an image. Nothing is left in the store on failure. */
int image_import(struct image_store *s, int fd, const struct image_create_opts *o,
                 struct image_info *out, err_t *e);

/* Make the directory tree `dirfd` (a container's overlayfs upper dir) a
 * layer, converting overlay whiteouts to OCI ones (see layer_tar.h), and an
 * image with it on top of o->parent. */
int image_commit(struct image_store *s, int dirfd, const struct image_create_opts *o,
                 struct image_info *out, err_t *e);

/* A build step's image (`capsule build`): with o->empty_layer, the parent
 * (o->parent, or none) with a new config and history entry only; else the
 * tree `dirfd` as a layer on top, as image_commit. */
int image_build_step(struct image_store *s, int dirfd, const struct image_create_opts *o,
                     struct image_info *out, err_t *e);

#endif
