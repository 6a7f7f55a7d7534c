/* Published ports: docker's -p specs, and the claims that keep two
 * containers of a run root from publishing the same host port (the portmap
 * plugin's DNAT rules would stack silently, the first one winning). */
#ifndef CAPSULE_NET_PORTS_H
#define CAPSULE_NET_PORTS_H

#include <jansson.h>
#include <stdint.h>

#include "util/error.h"

struct net_port {
  char host_ip[16];        /* "" for every address */
  uint16_t host_port;      /* 0: a free one is chosen */
  uint16_t container_port;
  char proto[4];           /* "tcp", "udp" */
};

/* "[IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]" as docker reads it; errors in
 * docker's words ("invalid containerPort: x"). Either port may be a range
 * ("8000-8002:80-82", "80-82" with free host ports): *count ports, the
 * i-th being p's ports plus i (host port 0 stays 0); ranges of both must
 * be as long. */
int net_port_parse(const char *spec, struct net_port *p, int *count, err_t *e);
/* "80/tcp" or "8000-8002/tcp" (an image's ExposedPorts key). */
int net_port_parse_exposed(const char *key, struct net_port *p, int *count, err_t *e);

/* Claim the host ports of `ports` for container `id` under `dir` (made if
 * missing), choosing free ports for those with host_port 0. A port that
 * another container of this run root publishes, or that a host process
 * holds, is refused with one line; then no claim is left. */
int net_ports_claim(const char *dir, const char *id, struct net_port *ports, size_t n, err_t *e);
/* Release what container `id` claimed (all of it; ignores what is not its). */
int net_ports_release(const char *dir, const char *id, err_t *e);
/* The ids that hold claims under `dir`, added to the set `ids`. */
int net_ports_owners(const char *dir, json_t *ids, err_t *e);

/* CNI's runtimeConfig.portMappings for them. */
json_t *net_ports_cni(const struct net_port *ports, size_t n);

#endif
