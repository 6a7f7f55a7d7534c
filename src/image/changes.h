/* Dockerfile-like instructions applied to an image's container config, as
 * `podman import --change` and `docker commit --change` take them:
 * CMD, ENTRYPOINT (JSON array, or shell form run by /bin/sh -c), ENV K=V...
 * (or ENV K V), EXPOSE PORT[/proto]..., LABEL K=V..., STOPSIGNAL, USER,
 * VOLUME (JSON array or paths), WORKDIR. "INSTR VALUE" or "INSTR=VALUE". */
#ifndef CAPSULE_IMAGE_CHANGES_H
#define CAPSULE_IMAGE_CHANGES_H

#include <jansson.h>

#include "util/error.h"

/* Apply `change` to `config` (the "config" object of an image config).
 * Errors name the change: "--change 'FOO x': unsupported instruction ...". */
int image_config_apply_change(json_t *config, const char *change, err_t *e);

#endif
