/* A container's network, at create (docs/NETWORK.md): the record's
 * "network" plan (the mode, the networks, the ports to publish,
 * --hostname, --add-host, --dns...) checked from the run options, and
 * the OCI config's network namespace and the three files bound over the
 * image's /etc/hostname, /etc/resolv.conf and /etc/hosts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/network_internal.h"
#include "net/cni.h"
#include "net/etc_files.h"
#include "net/netns.h"
#include "net/network.h"
#include "net/ports.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
/* ---- configuration (create) ---- */

int engine_net_port_json(json_t *ports, const struct net_port *p, bool *failed) {
  return json_push(ports,
                   json_pack("{s:s, s:i, s:i, s:s}", "HostIp", p->host_ip, "HostPort",
                             p->host_port, "ContainerPort", p->container_port, "Protocol",
                             p->proto),
                   failed);
}

static bool port_listed(json_t *ports, const struct net_port *p) {
  size_t i;
  json_t *q;
  json_array_foreach(ports, i, q) {
    if (json_integer_value(json_object_get(q, "ContainerPort")) == p->container_port &&
        !strcmp(json_string_value(json_object_get(q, "Protocol")), p->proto))
      return true;
  }
  return false;
}

/* -p specs, then -P's exposed ports that -p did not publish. */
static json_t *ports_config(const struct run_opts *o, const struct image_config *ic, err_t *e) {
  _cleanup_json_ json_t *ports = json_array();
  bool failed = !ports;
  for (char **s = o->publish; s && *s; s++) {
    struct net_port p;
    int n;
    if (net_port_parse(*s, &p, &n, e) < 0)
      return NULL;
    for (int i = 0; i < n; i++, p.container_port++, p.host_port += p.host_port != 0)
      engine_net_port_json(ports, &p, &failed);
  }
  for (char **s = o->publish_all ? ic->exposed_ports : NULL; s && *s; s++) {
    struct net_port p;
    int n;
    if (net_port_parse_exposed(*s, &p, &n, e) < 0)
      return NULL;
    for (int i = 0; i < n; i++, p.container_port++)
      if (!port_listed(ports, &p))
        engine_net_port_json(ports, &p, &failed);
  }
  if (json_built(failed, "ports", e) < 0)
    return NULL;
  return steal_ptr(&ports);
}

const char *engine_net_mode(const char *network) {
  if (!network || !strcmp(network, "none"))
    return "none";
  if (!strcmp(network, "host"))
    return "host";
  return strncmp(network, "container:", 10) ? "bridge" : "container";
}

/* --network's value: as given, else none, or the default bridge network if
 * ports are published (they only make sense there). */
static const char *network_choice(const struct run_opts *o) {
  if (o->network)
    return o->network;
  return o->publish_all || (o->publish && *o->publish) ? NET_DEFAULT_NAME : "none";
}

json_t *engine_net_plan(const struct engine *eng, const struct run_opts *o,
                        const struct image_config *ic, err_t *e) {
  const char *network = network_choice(o);
  const char *mode = engine_net_mode(network);
  _cleanup_json_ json_t *networks = json_array();
  _cleanup_json_ json_t *ports = ports_config(o, ic, e);
  if (!ports || !networks) {
    if (!networks)
      err_sys(e, "network");
    return NULL;
  }
  bool failed = false;
  char joined[65] = "", joined_host[256] = "";
  if (!strcmp(mode, "container") &&
      engine_net_join_plan(eng, o, network + 10, joined, joined_host, sizeof joined_host, e) < 0)
    return NULL;
  if (!strcmp(mode, "bridge")) {
    struct net_network n;
    if (net_network_load(eng->root, network, &n, e) < 0)
      return NULL;
    /* docker's rules: an address of the subnet, on a user network. */
    bool bad_ip = o->ip && (n.predefined || !net_network_host_address(&n, o->ip));
    if (bad_ip && n.predefined)
      err_set(e, EINVAL, "--ip %s: user specified IP address is supported on user defined "
                         "networks only", o->ip);
    else if (bad_ip)
      err_set(e, EINVAL, "--ip %s: no configured subnet contains the IP address (network %s: "
                         "%s, gateway %s)", o->ip, n.name, n.subnet, n.gateway);
    json_push(networks, json_string(n.name), &failed);
    net_network_free(&n);
    if (bad_ip)
      return NULL;
  } else if (json_array_size(ports)) {
    err_set(e, EINVAL, "-p/-P: ports are published on a bridge network, not with --network %s",
            mode);
    return NULL;
  }
  for (char **h = o->add_hosts; h && *h; h++) {
    char buf[512], *name, *ip;
    if (net_add_host_parse(*h, buf, sizeof buf, &name, &ip, e) < 0)
      return NULL;
  }
  for (char **d = o->dns; d && *d; d++)
    if (net_dns_check(*d, e) < 0)
      return NULL;
  for (char **d = o->dns_search; d && *d; d++)
    if (net_dns_search_check(*d, e) < 0)
      return NULL;
  for (char **d = o->dns_options; d && *d; d++)
    if (net_dns_option_check(*d, e) < 0)
      return NULL;
  if (o->ip && strcmp(mode, "bridge")) {
    err_set(e, EINVAL, "--ip %s: user specified IP address is supported on user defined networks "
                       "only", o->ip);
    return NULL;
  }
  /* docker's rule: aliases are names on a user network. */
  bool user_net = !strcmp(mode, "bridge") && strcmp(network, NET_DEFAULT_NAME);
  if (o->aliases && *o->aliases && !user_net) {
    err_set(e, EINVAL, "--network-alias: network-scoped aliases are supported only for "
                       "containers on user-defined networks");
    return NULL;
  }
  for (char **a = o->aliases; a && *a; a++)
    if (!**a || strlen(*a) >= HOST_NAME_MAX || strpbrk(*a, " \t\r\n#")) {
      err_set(e, EINVAL, "invalid argument \"%s\" for --network-alias", *a);
      return NULL;
    }
  /* Written into the container's /etc/hosts and /etc/hostname: a newline
   * in it added host entries of the user's choosing. */
  for (const char *c = o->hostname; c && *c; c++)
    if ((unsigned char)*c <= ' ' || *c == 0x7f || c - o->hostname >= HOST_NAME_MAX) {
      err_set(e, EINVAL, "invalid hostname \"%s\": at most %d characters, no space or control "
              "character", o->hostname, HOST_NAME_MAX);
      return NULL;
    }
  _cleanup_json_ json_t *add = json_string_array((const char *const *)o->add_hosts);
  _cleanup_json_ json_t *dns = json_string_array((const char *const *)o->dns);
  json_t *plan = json_pack("{s:s, s:O, s:O, s:s, s:O, s:O, s:o, s:o, s:o, s:s*, s:s*}", "mode",
                           mode, "networks", networks, "ports", ports, "hostname",
                           *joined ? joined_host : o->hostname ? o->hostname : "", "addHosts",
                           add, "dns", dns,
                           "dnsSearch", json_string_array((const char *const *)o->dns_search),
                           "dnsOptions", json_string_array((const char *const *)o->dns_options),
                           "aliases", json_string_array((const char *const *)o->aliases),
                           "ip", o->ip, "container", *joined ? joined : NULL);
  if (failed || !plan) {
    json_decref(plan);
    err_sys(e, "network");
    return NULL;
  }
  return plan;
}

json_t *engine_net_plan_of(const struct container_record *r) {
  static json_t *none;
  if (r->network)
    return r->network;
  if (!none)
    none = json_pack("{s:s, s:[], s:[], s:s, s:[], s:[]}", "mode", "none", "networks", "ports",
                     "hostname", "", "addHosts", "dns");
  return none;
}

const char *engine_net_mode_of(const struct container_record *r) {
  return json_string_value(json_object_get(engine_net_plan_of(r), "mode")) ?: "none";
}

/* --hostname, else the host's with host networking, else the id's first
 * 12 digits. */
void engine_net_hostname(const struct container_record *r, char *out, size_t cap) {
  const char *given = json_string_value(json_object_get(engine_net_plan_of(r), "hostname"));
  if (given && *given)
    snprintf(out, cap, "%s", given);
  else if (!strcmp(engine_net_mode_of(r), "host") && gethostname(out, cap - 1) == 0)
    out[cap - 1] = '\0';
  else
    snprintf(out, cap, "%.12s", r->id);
}

/* Whether the container joins a namespace the engine made (a bind under
 * .net/ns/, which CNI plugins enter) rather than one its runtime makes:
 * only when it has networks to attach. Without (--network none) the runtime
 * brings lo up, and the bind would cost a start and its unmount. */
bool engine_net_own_namespace(const struct container_record *r) {
  return json_array_size(json_object_get(engine_net_plan_of(r), "networks")) > 0 ||
         !strcmp(engine_net_mode_of(r), "container");
}

int engine_net_oci(const struct engine *eng, const struct container_record *r, json_t *spec,
                   err_t *e) {
  json_t *namespaces = json_object_get(json_object_get(spec, "linux"), "namespaces");
  bool host = !strcmp(engine_net_mode_of(r), "host");
  bool joined = !strcmp(engine_net_mode_of(r), "container");
  _cleanup_free_ char *ns = engine_net_path(eng, "ns", r->id);
  if (!ns)
    return err_sys(e, "network namespace");
  bool failed = false;
  for (size_t i = json_array_size(namespaces); i-- > 0;) {
    json_t *n = json_array_get(namespaces, i);
    if (strcmp(json_string_value(json_object_get(n, "type")) ?: "", "network"))
      continue;
    if (host)
      json_checked(json_array_remove(namespaces, i), &failed);
    else if (engine_net_own_namespace(r))
      json_set(n, "path", json_string(ns), &failed);
  }
  char hostname[256];
  engine_net_hostname(r, hostname, sizeof hostname);
  if (host || joined) { /* the host's, the other container's */
    char env[300];
    snprintf(env, sizeof env, "HOSTNAME=%s", hostname);
    json_set(spec, "hostname", json_string(hostname), &failed);
    json_env_set(json_object_get(json_object_get(spec, "process"), "env"), env, &failed);
  }
  json_t *mounts = json_object_get(spec, "mounts");
  static const char *const files[] = {"hostname", "hosts", "resolv.conf"};
  for (size_t i = 0; i < 3; i++) {
    _cleanup_free_ char *src = container_path(eng, r->id, files[i]);
    char dest[32];
    snprintf(dest, sizeof dest, "/etc/%s", files[i]);
    json_push(mounts,
              src ? json_pack("{s:s, s:s, s:s, s:[s, s]}", "destination", dest, "type", "bind",
                              "source", src, "options", "rbind", "rprivate")
                  : NULL,
              &failed);
  }
  return json_built(failed, "network config", e);
}
