/* The image configuration (OCI image config / Docker container config): what
 * a container started from the image runs, and the layer diff ids. */
#ifndef CAPSULE_IMAGE_CONFIG_H
#define CAPSULE_IMAGE_CONFIG_H

#include <stddef.h>

#include "util/error.h"

struct image_history_entry {
  char *created;    /* RFC 3339, or NULL */
  char *created_by; /* or NULL */
  char *comment;    /* or NULL */
  int empty_layer;  /* 1 when the step made no layer */
};

struct image_config {
  char *architecture; /* "amd64" */
  char *os;           /* "linux" */
  char *variant;      /* or NULL */
  char *created;      /* RFC 3339, or NULL */
  char *author;       /* or NULL */
  /* config.* (all may be NULL: absent) */
  char **entrypoint;     /* NULL-terminated vectors */
  char **cmd;
  char **env;            /* "K=V" */
  char *working_dir;
  char *user;
  char **volumes;        /* keys of config.Volumes: "/data" */
  char **exposed_ports;  /* keys of config.ExposedPorts: "80/tcp" */
  char **labels;         /* "key=value", keys sorted */
  char *stop_signal;
  /* rootfs.diff_ids, lowest layer first */
  char **diff_ids;
  size_t n_diff_ids;
  struct image_history_entry *history;
  size_t n_history;
};

/* Parse a config blob. rootfs.type must be "layers" and every diff id a valid
 * sha256 digest; the rest is optional. */
int image_config_parse(const char *buf, size_t len, struct image_config *out, err_t *e);
void image_config_free(struct image_config *c);

static inline void image_config_freep(struct image_config *c) {
  image_config_free(c);
}
#define _cleanup_image_config_ __attribute__((cleanup(image_config_freep)))

#endif
