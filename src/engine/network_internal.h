/* What the files of a container's network share (network.c: state, up,
 * down, connect; network_plan.c: create; network_hosts.c: /etc files). */
#ifndef CAPSULE_ENGINE_NETWORK_INTERNAL_H
#define CAPSULE_ENGINE_NETWORK_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/internal.h"
#include "net/ports.h"
#include "util/error.h"

/* ---- network.c: <run root>/.net/state/<id>.json ---- */

/* The state, replaced atomically; loaded (NULL with e set: ENOENT when
 * there is none, EINVAL when it does not parse). */
int engine_net_state_save(const struct engine *eng, const char *id, json_t *state, err_t *e);
json_t *engine_net_state_load(const struct engine *eng, const char *id, err_t *e);
/* Serializes the changes of /etc/hosts files between containers: an fd
 * to close, -1 on error. */
int engine_net_lock(const struct engine *eng, err_t *e);
/* Call fn on every state of this root (NULL for one that does not parse). */
int engine_net_each_state(const struct engine *eng,
                          int (*fn)(const char *id, json_t *state, void *data), void *data,
                          err_t *e);

/* ---- network_plan.c ---- */

/* A port as the plan and the state keep it (docker's HostIp, HostPort,
 * ContainerPort, Protocol), pushed onto `ports`. */
int engine_net_port_json(json_t *ports, const struct net_port *p, bool *failed);
/* The container's hostname: --hostname, the host's (host network), else
 * its id's first 12 digits. */
void engine_net_hostname(const struct container_record *r, char *out, size_t cap);
/* Whether it joins a namespace the engine made and bound under .net/ns/. */
bool engine_net_own_namespace(const struct container_record *r);

/* ---- network_hosts.c ---- */

/* A file of the container's directory, written in place (the bind over the
 * container's /etc file holds its inode). */
int engine_net_write_file(const struct engine *eng, const char *id, const char *leaf,
                          const char *text, err_t *e);
/* /etc/hostname and /etc/resolv.conf. */
int engine_net_write_etc_files(const struct engine *eng, const struct container_record *r,
                               err_t *e);
/* /etc/hosts of host networking: the host's, then --add-host lines. */
char *engine_net_host_hosts(json_t *conf);
/* The container's own lines of /etc/hosts into its state ("hostsBase"). */
int engine_net_save_hosts_base(const struct container_record *r, json_t *state, err_t *e);
/* Rewrite the /etc/hosts of `id` (its own lines, then its peers'). */
int engine_net_write_hosts(const struct engine *eng, const char *id, json_t *st, err_t *e);
/* The same after saving its own lines first. */
int engine_net_write_hosts_of(const struct engine *eng, const struct container_record *r,
                              json_t *state, err_t *e);
/* Rewrite the /etc/hosts of every other container on the user networks of
 * `st`. Held: engine_net_lock. */
int engine_net_update_peers(const struct engine *eng, const char *id, json_t *st, err_t *e);

/* ---- network_join.c: --network container:NAME ---- */

/* At create: check the options against that mode, fill the other's id and
 * hostname. */
int engine_net_join_plan(const struct engine *eng, const struct run_opts *o, const char *name,
                         char id[65], char *hostname, size_t cap, err_t *e);
/* At start (its state saved): bind the other's namespace at `ns`, copy its
 * /etc/hosts and /etc/resolv.conf. */
int engine_net_join(const struct engine *eng, const struct container_record *r, const char *ns,
                    err_t *e);

#endif
