/* The CNI protocol (github.com/containernetworking/cni, SPEC.md), runtime
 * side: a plugin is an executable named by the config's "type", found in
 * CNI_PATH, given the command and the container in the environment and its
 * config as JSON on stdin; it answers a result (ADD) or an error object on
 * stdout. A network is a list of plugins run in order for ADD, each given
 * the previous one's result as "prevResult", and in reverse for DEL. */
#ifndef CAPSULE_NET_CNI_H
#define CAPSULE_NET_CNI_H

#include <jansson.h>

#include "util/error.h"

/* Where Debian's containernetworking-plugins and upstream's installs put them. */
#define CNI_DEFAULT_PATH "/usr/lib/cni:/opt/cni/bin"
#define CNI_VERSION "1.0.0"

struct cni_target {
  const char *path;         /* CNI_PATH: directories of plugins */
  const char *container_id; /* CNI_CONTAINERID */
  const char *netns;        /* CNI_NETNS: a path */
  const char *ifname;       /* CNI_IFNAME, e.g. "eth0" */
  int timeout_ms;           /* a plugin that takes longer is killed (0: CNI_TIMEOUT_MS) */
};

/* A plugin's run takes ~0.1 s (bridge with its iptables calls), seconds on
 * a loaded host: one that does not answer in a minute is hung, and would
 * hang `run` with it. */
#define CNI_TIMEOUT_MS 60000

/* Run one plugin (conf's "type") for `command` ("ADD", "DEL", "CHECK").
 * conf must hold "cniVersion" and "name". *result (may be NULL) receives
 * what ADD printed. A plugin's error object becomes e's message. */
int cni_exec(const struct cni_target *t, const char *command, json_t *conf, json_t **result,
             err_t *e);

/* ADD the network `list` ({"cniVersion", "name", "plugins": [...]}) to the
 * target. `saved(result, data)`, if given, is called after each plugin with
 * the result so far, so that a crash leaves enough for a DEL. On failure
 * what was added is deleted again. */
int cni_add(const struct cni_target *t, json_t *list, json_t **result,
            int (*saved)(json_t *result, void *data, err_t *e), void *data, err_t *e);

/* DEL the network `list` from the target, plugins in reverse order, with
 * `result` (from cni_add, may be NULL after a crash) as prevResult. Every
 * plugin runs even if one fails; the first error is returned. */
int cni_del(const struct cni_target *t, json_t *list, json_t *result, err_t *e);

#endif
