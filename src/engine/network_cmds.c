/* The `network` commands, `port`, and a container's network in docker's
 * inspect shape (docs/NETWORK.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "net/network.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

int engine_network_create(const struct engine *eng, const struct network_opts *o, char id[65],
                          err_t *e) {
  struct net_network n = {0};
  if (strlen(o->name) >= sizeof n.name || (o->subnet && strlen(o->subnet) >= sizeof n.subnet) ||
      (o->gateway && strlen(o->gateway) >= sizeof n.gateway))
    return err_set(e, EINVAL, "network %.64s: a value is too long", o->name);
  snprintf(n.name, sizeof n.name, "%s", o->name);
  snprintf(n.driver, sizeof n.driver, "%s", o->driver ? o->driver : "bridge");
  snprintf(n.subnet, sizeof n.subnet, "%s", o->subnet ? o->subnet : "");
  snprintf(n.gateway, sizeof n.gateway, "%s", o->gateway ? o->gateway : "");
  if (o->gateway && !o->subnet)
    return err_set(e, EINVAL, "--gateway needs --subnet");
  n.internal = o->internal;
  n.labels = json_object();
  for (char **l = o->labels; n.labels && l && *l; l++) {
    const char *eq = strchr(*l, '=');
    char key[256];
    snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - *l) : (int)strlen(*l), *l);
    json_object_set_new(n.labels, key, json_string(eq ? eq + 1 : ""));
  }
  int ret = n.labels ? net_network_create(eng->root, &n, e) : err_sys(e, "labels");
  if (ret == 0)
    memcpy(id, n.id, 65);
  net_network_free(&n);
  return ret;
}

/* The containers of this root whose network config names network `name`,
 * as docker's network inspect lists them (the running ones with their
 * addresses). */
static int network_users(const struct engine *eng, const char *name, json_t *users,
                         json_t *endpoints, err_t *e) {
  struct container_record *list = NULL;
  size_t n = 0;
  if (container_dir_list(eng, &list, &n, e) < 0)
    return -1;
  bool failed = false;
  for (size_t i = 0; i < n; i++) {
    json_t *conf = engine_net_plan_of(&list[i]);
    _cleanup_json_ json_t *st = engine_net_state(eng, list[i].id);
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(conf, "networks"), k, v) {
      if (strcmp(json_string_value(v), name))
        continue;
      if (users)
        json_push(users, json_string(list[i].name), &failed);
      json_t *att = json_object_get(json_object_get(st, "networks"), name);
      if (!endpoints || !att)
        continue;
      char cidr[64];
      snprintf(cidr, sizeof cidr, "%s/%d", json_string_value(json_object_get(att, "ip")) ?: "",
               (int)json_integer_value(json_object_get(att, "prefixLen")));
      json_set(endpoints, list[i].id,
               json_pack("{s:s, s:s, s:O, s:s, s:s}", "Name", list[i].name, "EndpointID", "",
                         "MacAddress", json_object_get(att, "mac") ?: json_null(), "IPv4Address",
                         cidr, "IPv6Address", ""),
               &failed);
    }
    container_record_free(&list[i]);
  }
  free(list);
  return json_built(failed, "network users", e);
}

int engine_network_list(const struct engine *eng, json_t **out, err_t *e) {
  struct net_network *list;
  size_t n;
  if (net_network_list(eng->root, &list, &n, e) < 0)
    return -1;
  json_t *arr = json_array();
  bool failed = !arr;
  for (size_t i = 0; i < n; i++) {
    json_push(arr, net_network_json(&list[i], NULL), &failed);
    net_network_free(&list[i]);
  }
  free(list);
  if (json_built(failed, "networks", e) < 0) {
    json_decref(arr);
    return -1;
  }
  *out = arr;
  return 0;
}

int engine_network_inspect(const struct engine *eng, const char *name, json_t **out, err_t *e) {
  struct net_network n;
  if (net_network_load(eng->root, name, &n, e) < 0)
    return -1;
  _cleanup_json_ json_t *endpoints = json_object();
  if (!endpoints || network_users(eng, n.name, NULL, endpoints, e) < 0) {
    net_network_free(&n);
    return endpoints ? -1 : err_sys(e, "network");
  }
  *out = net_network_json(&n, endpoints);
  net_network_free(&n);
  return *out ? 0 : err_sys(e, "network %s", name);
}

/* Remove a user network no container uses; with `quiet_if_used`, a used one
 * is skipped (1) rather than refused. */
static int remove_network(const struct engine *eng, const struct net_network *n,
                          bool quiet_if_used, err_t *e) {
  _cleanup_json_ json_t *users = json_array();
  if (!users || network_users(eng, n->name, users, NULL, e) < 0)
    return users ? -1 : err_sys(e, "network");
  if (json_array_size(users)) {
    if (quiet_if_used)
      return 1;
    return err_set(e, EBUSY,
                   "error while removing network: network %s id %.12s has active endpoints "
                   "(container %s)",
                   n->name, n->id, json_string_value(json_array_get(users, 0)));
  }
  /* host-local's leases and lock of the network, none of them in use. */
  _cleanup_free_ char *ipam = engine_net_path(eng, "ipam", n->name);
  if (!ipam)
    return err_sys(e, "network %s", n->name);
  if (net_network_remove(eng->root, n, e) < 0 || remove_tree_at(AT_FDCWD, ipam, e) < 0)
    return -1;
  return 0;
}

int engine_network_rm(const struct engine *eng, const char *name, err_t *e) {
  struct net_network n;
  if (net_network_load(eng->root, name, &n, e) < 0)
    return -1;
  int ret = remove_network(eng, &n, false, e);
  net_network_free(&n);
  return ret;
}

int engine_network_prune(const struct engine *eng, json_t **removed, err_t *e) {
  struct net_network *list;
  size_t n;
  if (net_network_list(eng->root, &list, &n, e) < 0)
    return -1;
  json_t *names = json_array();
  int ret = names ? 0 : err_sys(e, "network prune");
  for (size_t i = 0; i < n; i++) {
    bool failed = false;
    if (ret == 0 && !list[i].predefined) {
      int rc = remove_network(eng, &list[i], true, e);
      if (rc < 0)
        ret = -1;
      else if (rc == 0)
        json_push(names, json_string(list[i].name), &failed);
      if (failed)
        ret = err_sys(e, "network prune");
    }
    net_network_free(&list[i]);
  }
  free(list);
  if (ret < 0)
    json_decref(names);
  else
    *removed = names;
  return ret;
}

int engine_network_connect(const struct engine *eng, const char *network, const char *container,
                           bool connect, err_t *e) {
  return engine_net_connect(eng, network, container, connect, e);
}

/* The published ports of a container whose network is up (docker shows
 * none for a stopped one). */
int engine_port(const struct engine *eng, const char *name, json_t **out, err_t *e) {
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  json_t *st = engine_net_state(eng, r.id);
  json_t *ports = json_object_get(st, "ports");
  *out = ports ? json_incref(ports) : json_array();
  json_decref(st);
  container_record_free(&r);
  return *out ? 0 : err_sys(e, "port");
}

char *engine_net_ports_text(const struct engine *eng, const char *id) {
  _cleanup_json_ json_t *st = engine_net_state(eng, id);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return NULL;
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(st, "ports"), i, p) {
    const char *ip = json_string_value(json_object_get(p, "HostIp"));
    fprintf(f, "%s%s:%d->%d/%s", i ? ", " : "", ip && *ip ? ip : "0.0.0.0",
            (int)json_integer_value(json_object_get(p, "HostPort")),
            (int)json_integer_value(json_object_get(p, "ContainerPort")),
            json_string_value(json_object_get(p, "Protocol")) ?: "tcp");
  }
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

/* {"80/tcp": [{"HostIp", "HostPort"}]} from published ports. */
static json_t *ports_map(json_t *ports, bool *failed) {
  json_t *map = json_object();
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) {
    char key[32], host_port[8];
    snprintf(key, sizeof key, "%d/%s", (int)json_integer_value(json_object_get(p, "ContainerPort")),
             json_string_value(json_object_get(p, "Protocol")) ?: "tcp");
    snprintf(host_port, sizeof host_port, "%d",
             (int)json_integer_value(json_object_get(p, "HostPort")));
    const char *ip = json_string_value(json_object_get(p, "HostIp"));
    json_t *list = json_object_get(map, key);
    if (!list)
      json_set(map, key, list = json_array(), failed);
    json_push(list, json_pack("{s:s, s:s}", "HostIp", ip && *ip ? ip : "0.0.0.0", "HostPort",
                              host_port),
              failed);
  }
  return map;
}

json_t *engine_net_settings(const struct engine *eng, const struct container_record *r) {
  const char *id = r->id;
  err_t ignored = ERR_INIT;
  json_t *conf = engine_net_plan_of(r);
  _cleanup_json_ json_t *st = engine_net_state(eng, id);
  _cleanup_free_ char *ns = engine_net_path(eng, "ns", id);
  bool failed = !ns;
  json_t *nets = json_object();
  const char *mode = json_string_value(json_object_get(conf, "mode")) ?: "none";
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(conf, "networks"), i, v) {
    const char *name = json_string_value(v);
    json_t *att = json_object_get(json_object_get(st, "networks"), name);
    struct net_network n;
    bool known = net_network_load(eng->root, name, &n, &ignored) == 0;
    json_set(nets, name,
             json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s}",
                       "IPAMConfig", "Links", "Aliases", "NetworkID", known ? n.id : "",
                       "EndpointID", "", "Gateway",
                       json_string_value(json_object_get(att, "gateway")) ?: "", "IPAddress",
                       json_string_value(json_object_get(att, "ip")) ?: "", "IPPrefixLen",
                       (int)json_integer_value(json_object_get(att, "prefixLen")),
                       "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
                       "MacAddress", json_string_value(json_object_get(att, "mac")) ?: ""),
             &failed);
    if (known)
      net_network_free(&n);
  }
  if (!strcmp(mode, "host") || !strcmp(mode, "none"))
    json_set(nets, mode,
             json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s}", "IPAMConfig", "Links",
                       "Aliases", "NetworkID", "", "EndpointID", "", "Gateway", "", "IPAddress",
                       "", "IPPrefixLen", 0, "MacAddress", ""),
             &failed);
  /* docker fills the top-level address from the default network only. */
  json_t *def = json_object_get(json_object_get(st, "networks"), NET_DEFAULT_NAME);
  json_t *out = json_pack(
      "{s:s, s:s, s:b, s:s, s:i, s:o, s:s, s:s, s:s, s:i, s:s, s:o}", "Bridge", "", "SandboxID",
      st ? id : "", "HairpinMode", 0, "LinkLocalIPv6Address", "", "LinkLocalIPv6PrefixLen", 0,
      "Ports", ports_map(json_object_get(st, "ports"), &failed), "SandboxKey", st ? ns : "",
      "Gateway", json_string_value(json_object_get(def, "gateway")) ?: "", "IPAddress",
      json_string_value(json_object_get(def, "ip")) ?: "", "IPPrefixLen",
      (int)json_integer_value(json_object_get(def, "prefixLen")), "MacAddress",
      json_string_value(json_object_get(def, "mac")) ?: "", "Networks", nets);
  return json_done(out, failed);
}

json_t *engine_net_host_config(const struct container_record *r) {
  json_t *conf = engine_net_plan_of(r);
  json_t *networks = json_object_get(conf, "networks");
  const char *mode = json_string_value(json_object_get(conf, "mode")) ?: "none";
  const char *first = json_string_value(json_array_get(networks, 0));
  bool failed = false;
  /* Configured ports: a host port of 0 is docker's "" (any free one). */
  json_t *bindings = json_object();
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(conf, "ports"), i, p) {
    char key[32], host_port[8] = "";
    snprintf(key, sizeof key, "%d/%s", (int)json_integer_value(json_object_get(p, "ContainerPort")),
             json_string_value(json_object_get(p, "Protocol")) ?: "tcp");
    json_int_t hp = json_integer_value(json_object_get(p, "HostPort"));
    if (hp)
      snprintf(host_port, sizeof host_port, "%d", (int)hp);
    json_t *list = json_object_get(bindings, key);
    if (!list)
      json_set(bindings, key, list = json_array(), &failed);
    json_push(list,
              json_pack("{s:s, s:s}", "HostIp",
                        json_string_value(json_object_get(p, "HostIp")) ?: "", "HostPort",
                        host_port),
              &failed);
  }
  json_t *search = json_object_get(conf, "dnsSearch");
  json_t *options = json_object_get(conf, "dnsOptions");
  char joined[80];
  snprintf(joined, sizeof joined, "container:%s",
           json_string_value(json_object_get(conf, "container")) ?: "");
  json_t *out = json_pack("{s:s, s:o, s:O, s:o, s:o, s:O}", "NetworkMode",
                          !strcmp(mode, "bridge") && first ? first
                          : !strcmp(mode, "container")     ? joined
                                                           : mode,
                          "PortBindings",
                          bindings, "Dns", json_object_get(conf, "dns") ?: json_null(),
                          "DnsSearch", search ? json_incref(search) : json_array(),
                          "DnsOptions", options ? json_incref(options) : json_array(),
                          "ExtraHosts", json_object_get(conf, "addHosts") ?: json_null());
  return json_done(out, failed);
}
