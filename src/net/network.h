/* Networks: their definitions under <root>/networks/<name>.json, the
 * predefined ones (bridge, host, none, as docker has), and the CNI plugin
 * list that puts a container on one. */
#ifndef CAPSULE_NET_NETWORK_H
#define CAPSULE_NET_NETWORK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

/* The default network: docker's name, its own bridge and subnet. */
#define NET_DEFAULT_NAME "bridge"
#define NET_DEFAULT_BRIDGE "capsule0"
#define NET_DEFAULT_SUBNET "10.77.0.0/16"
/* host-local's leases of the default network: its bridge is the same for
 * every run root on the host, so its addresses are too (a user network's
 * bridge is its own, and its leases live in its run root). */
#define NET_DEFAULT_IPAM_DIR "/run/capsule-net/ipam"
/* `network create` without --subnet takes the first free /24 from here. */
#define NET_POOL_BASE "10.78.0.0/16"

struct net_network {
  char name[128];
  char id[65];
  char driver[16];  /* "bridge", or "host" / "null" for the predefined ones */
  char subnet[32];  /* "10.78.0.0/24", "" for host and none */
  char gateway[16]; /* "10.78.0.1" */
  char bridge[16];  /* the host's bridge device, "br-" + 12 digits of the id */
  char created[64];
  bool internal;    /* no outbound NAT */
  bool predefined;  /* bridge, host, none: cannot be removed */
  json_t *labels;   /* object, may be NULL */
};

void net_network_free(struct net_network *n);

/* IPv4 "a.b.c.d" -> host order; -1 if not one. */
int net_ipv4_parse(const char *s, uint32_t *out);
void net_ipv4_format(uint32_t a, char out[16]);
/* "a.b.c.d/len" -> the network address and prefix length (the address
 * must be the network's). */
int net_cidr_parse(const char *s, uint32_t *addr, int *len, err_t *e);

/* A network by name, full id or unique id prefix (predefined ones too). */
int net_network_load(const char *root, const char *name, struct net_network *n, err_t *e);

/* Create `n` (name, driver "bridge", optional subnet/gateway/internal/
 * labels filled by the caller): checks the name, gives it an id, a bridge
 * and (without a subnet) the first free /24 of NET_POOL_BASE not used by
 * another network of this root or a route of the host. */
int net_network_create(const char *root, struct net_network *n, err_t *e);

/* Every network, predefined first, then by name. */
int net_network_list(const char *root, struct net_network **out, size_t *n, err_t *e);

/* Remove a user network's definition and its bridge (the caller checks it
 * is unused). */
int net_network_remove(const char *root, const struct net_network *n, err_t *e);

/* The CNI plugin list that puts a container on bridge network `n`: bridge
 * (host-local addresses, leases under `ipam_dir`), firewall, and portmap
 * when `port_mappings` (CNI's runtimeConfig.portMappings) is not empty. */
json_t *net_network_cni(const struct net_network *n, const char *ipam_dir, json_t *port_mappings,
                        const char *ip);
/* Whether IPv4 address `ip` is one of n's subnet a container may take (not
 * its network, gateway or broadcast address). */
bool net_network_host_address(const struct net_network *n, const char *ip);

/* docker's `network inspect` shape; `containers` (borrowed, may be NULL):
 * the object of its attached containers. */
json_t *net_network_json(const struct net_network *n, json_t *containers);

#endif
