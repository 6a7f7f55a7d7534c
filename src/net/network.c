/* Network definitions (see network.h). A user network is one file,
 * <root>/networks/<name>.json, written atomically; creations hold a lock
 * on the directory so that two of them never take the same subnet. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <unistd.h>

#include "net/cni.h"
#include "net/network.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/timefmt.h"

void net_network_free(struct net_network *n) {
  json_decref(n->labels);
  n->labels = NULL;
}

int net_ipv4_parse(const char *s, uint32_t *out) {
  struct in_addr a;
  if (inet_pton(AF_INET, s, &a) != 1)
    return -1;
  *out = ntohl(a.s_addr);
  return 0;
}

void net_ipv4_format(uint32_t a, char out[16]) {
  snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static uint32_t prefix_mask(int len) {
  return len ? ~0u << (32 - len) : 0;
}

int net_cidr_parse(const char *s, uint32_t *addr, int *len, err_t *e) {
  char ip[32];
  const char *slash = strchr(s, '/');
  char *end;
  long l = slash ? strtol(slash + 1, &end, 10) : -1;
  if (!slash || (size_t)(slash - s) >= sizeof ip || end == slash + 1 || *end || l < 0 || l > 32)
    return err_set(e, EINVAL, "invalid subnet %s: expected an IPv4 CIDR such as 10.1.2.0/24", s);
  snprintf(ip, sizeof ip, "%.*s", (int)(slash - s), s);
  if (net_ipv4_parse(ip, addr) < 0)
    return err_set(e, EINVAL, "invalid subnet %s: expected an IPv4 CIDR such as 10.1.2.0/24", s);
  if (*addr & ~prefix_mask((int)l))
    return err_set(e, EINVAL, "invalid subnet %s: the address is not the network's (host bits set)",
                   s);
  *len = (int)l;
  return 0;
}

static bool overlap(uint32_t a, int alen, uint32_t b, int blen) {
  uint32_t m = prefix_mask(alen < blen ? alen : blen);
  return (a & m) == (b & m);
}

/* Predefined networks have fixed ids: a digest of their name. */
static void predefined(const char *name, const char *driver, struct net_network *n) {
  memset(n, 0, sizeof *n);
  snprintf(n->name, sizeof n->name, "%s", name);
  snprintf(n->driver, sizeof n->driver, "%s", driver);
  char digest[SHA256_DIGEST_STRLEN + 1];
  char seed[64];
  snprintf(seed, sizeof seed, "capsule network %s", name);
  err_t ignored = ERR_INIT;
  if (sha256_digest(seed, strlen(seed), digest, &ignored) == 0)
    snprintf(n->id, sizeof n->id, "%s", digest + 7);
  snprintf(n->created, sizeof n->created, "0001-01-01T00:00:00Z");
  n->predefined = true;
  if (!strcmp(driver, "bridge")) {
    snprintf(n->subnet, sizeof n->subnet, NET_DEFAULT_SUBNET);
    snprintf(n->gateway, sizeof n->gateway, "10.77.0.1");
    snprintf(n->bridge, sizeof n->bridge, NET_DEFAULT_BRIDGE);
  }
}

static const char *const predefined_names[][2] = {
    {NET_DEFAULT_NAME, "bridge"}, {"host", "host"}, {"none", "null"}};
#define N_PREDEFINED (sizeof predefined_names / sizeof predefined_names[0])

static int from_json(json_t *j, struct net_network *n, const char *file, err_t *e) {
  memset(n, 0, sizeof *n);
  const char *name = NULL, *id = NULL, *subnet = NULL, *gw = NULL, *br = NULL, *created = NULL;
  json_t *labels = NULL;
  if (json_opt_str(j, "Name", file, &name, e) < 0 || json_opt_str(j, "Id", file, &id, e) < 0 ||
      json_opt_str(j, "Subnet", file, &subnet, e) < 0 ||
      json_opt_str(j, "Gateway", file, &gw, e) < 0 || json_opt_str(j, "Bridge", file, &br, e) < 0 ||
      json_opt_str(j, "Created", file, &created, e) < 0 ||
      json_opt_bool(j, "Internal", file, &n->internal, e) < 0 ||
      json_opt_obj(j, "Labels", file, &labels, e) < 0)
    return -1;
  uint32_t a, g;
  int len;
  if (!name || !id || strlen(id) != 64 || !subnet || !gw || !br || strlen(br) >= sizeof n->bridge ||
      strlen(name) >= sizeof n->name || net_cidr_parse(subnet, &a, &len, e) < 0 ||
      net_ipv4_parse(gw, &g) < 0)
    return err_set(e, EINVAL, "%s: not a network definition", file);
  snprintf(n->name, sizeof n->name, "%s", name);
  snprintf(n->id, sizeof n->id, "%s", id);
  snprintf(n->driver, sizeof n->driver, "bridge");
  snprintf(n->subnet, sizeof n->subnet, "%s", subnet);
  snprintf(n->gateway, sizeof n->gateway, "%s", gw);
  snprintf(n->bridge, sizeof n->bridge, "%s", br);
  snprintf(n->created, sizeof n->created, "%s", created ? created : "");
  n->labels = json_incref(labels);
  return 0;
}

static char *networks_dir(const char *root) {
  return path_join(root, "networks");
}

/* docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
static bool valid_name(const char *s) {
  static const char more[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
  return *s && strlen(s) < 100 && strchr(more, *s) && *s != '_' && *s != '.' && *s != '-' &&
         strspn(s, more) == strlen(s);
}

static int load_file(const char *dir, const char *file, struct net_network *n, err_t *e) {
  _cleanup_free_ char *path = path_join(dir, file);
  if (!path)
    return err_sys(e, "network");
  _cleanup_json_ json_t *j = json_load_object_file(path, e);
  return j ? from_json(j, n, path, e) : -1;
}

int net_network_list(const char *root, struct net_network **out, size_t *count, err_t *e) {
  _cleanup_free_ char *dir = networks_dir(root);
  if (!dir)
    return err_sys(e, "networks");
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d && errno != ENOENT)
    return err_sys(e, "networks: %s", dir);
  size_t n = 0, cap = N_PREDEFINED + 8;
  struct net_network *list = calloc(cap, sizeof *list);
  if (!list)
    return err_sys(e, "networks");
  for (size_t i = 0; i < N_PREDEFINED; i++)
    predefined(predefined_names[i][0], predefined_names[i][1], &list[n++]);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json"))
      continue;
    if (n == cap) {
      struct net_network *grown = realloc(list, 2 * cap * sizeof *list);
      if (!grown)
        goto fail_sys;
      list = grown;
      cap *= 2;
    }
    if (load_file(dir, de->d_name, &list[n], e) < 0)
      goto fail;
    n++;
  }
  /* By name after the predefined ones: few networks, a plain insertion sort. */
  for (size_t i = N_PREDEFINED + 1; i < n; i++)
    for (size_t j = i; j > N_PREDEFINED && strcmp(list[j - 1].name, list[j].name) > 0; j--) {
      struct net_network t = list[j];
      list[j] = list[j - 1];
      list[j - 1] = t;
    }
  *out = list;
  *count = n;
  return 0;
fail_sys:
  err_sys(e, "networks");
fail:
  for (size_t i = 0; i < n; i++)
    net_network_free(&list[i]);
  free(list);
  return -1;
}

int net_network_load(const char *root, const char *name, struct net_network *n, err_t *e) {
  struct net_network *list;
  size_t count;
  if (net_network_list(root, &list, &count, e) < 0)
    return -1;
  ssize_t found = -1;
  size_t prefix_hits = 0, len = strlen(name);
  for (size_t i = 0; i < count; i++) {
    if (!strcmp(list[i].name, name) || !strcmp(list[i].id, name)) {
      found = (ssize_t)i;
      prefix_hits = 1;
      break;
    }
    if (len && !strncmp(list[i].id, name, len)) {
      found = (ssize_t)i;
      prefix_hits++;
    }
  }
  int ret = 0;
  if (found < 0)
    ret = err_set(e, ENOENT, "network %s not found", name);
  else if (prefix_hits > 1)
    ret = err_set(e, EINVAL, "network %s is ambiguous (%zu matches)", name, prefix_hits);
  else {
    *n = list[found];
    list[found].labels = NULL;
  }
  for (size_t i = 0; i < count; i++)
    net_network_free(&list[i]);
  free(list);
  return ret;
}

/* Whether a/len meets a route of the host (the default route aside). */
static bool host_route_overlaps(uint32_t a, int len) {
  _cleanup_fclose_ FILE *f = fopen("/proc/net/route", "re");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    unsigned dest, mask;
    if (sscanf(line, "%*s %x %*x %*x %*d %*d %*d %x", &dest, &mask) != 2 || !mask)
      continue;
    uint32_t d = ntohl(dest), m = ntohl(mask);
    int mlen = __builtin_popcount(m);
    if (overlap(a, len, d, mlen))
      return true;
  }
  return false;
}

/* Check n's subnet and gateway, or pick a free subnet. */
static int choose_subnet(struct net_network *n, const struct net_network *others, size_t count,
                         err_t *e) {
  uint32_t a = 0, g;
  int len = 24;
  if (*n->subnet) {
    if (net_cidr_parse(n->subnet, &a, &len, e) < 0)
      return -1;
    if (len > 30)
      return err_set(e, EINVAL, "invalid subnet %s: too small for containers", n->subnet);
  } else {
    uint32_t base;
    int blen;
    err_t ignored = ERR_INIT;
    net_cidr_parse(NET_POOL_BASE, &base, &blen, &ignored);
    a = 0;
    for (uint32_t k = 0; k < (1u << (24 - blen)) && !a; k++) {
      uint32_t cand = base + (k << 8);
      bool used = host_route_overlaps(cand, 24);
      for (size_t i = 0; i < count && !used; i++) {
        uint32_t o;
        int olen;
        used = *others[i].subnet && net_cidr_parse(others[i].subnet, &o, &olen, &ignored) == 0 &&
               overlap(cand, 24, o, olen);
      }
      if (!used)
        a = cand;
    }
    if (!a)
      return err_set(e, ENOSPC, "no free subnet left in %s: give one with --subnet", NET_POOL_BASE);
    char ip[16];
    net_ipv4_format(a, ip);
    snprintf(n->subnet, sizeof n->subnet, "%s/24", ip);
  }
  for (size_t i = 0; i < count; i++) {
    uint32_t o;
    int olen;
    err_t ignored = ERR_INIT;
    if (*others[i].subnet && net_cidr_parse(others[i].subnet, &o, &olen, &ignored) == 0 &&
        overlap(a, len, o, olen))
      return err_set(e, EEXIST, "subnet %s overlaps with network %s (%s)", n->subnet,
                     others[i].name, others[i].subnet);
  }
  /* A given subnet taking the host's LAN, loopback or a routed range would
   * hijack the host's traffic (its gateway an address of our bridge):
   * refused, as podman does. */
  static const struct {
    uint32_t a;
    int len;
  } reserved[] = {{0x00000000, 8}, {0x7f000000, 8}, {0xa9fe0000, 16}, {0xe0000000, 3}};
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (overlap(a, len, reserved[i].a, reserved[i].len))
      return err_set(e, EINVAL, "invalid subnet %s: a reserved range (this network, loopback, "
                     "link-local, multicast)", n->subnet);
  if (host_route_overlaps(a, len))
    return err_set(e, EEXIST, "subnet %s is already used on the host (a route overlaps it: "
                   "ip route)", n->subnet);
  if (!*n->gateway)
    net_ipv4_format(a + 1, n->gateway);
  if (net_ipv4_parse(n->gateway, &g) < 0)
    return err_set(e, EINVAL, "invalid gateway %s: expected an IPv4 address", n->gateway);
  if (!overlap(g, 32, a, len) || g == a || g == (a | ~prefix_mask(len)))
    return err_set(e, EINVAL, "gateway %s is not a host address of subnet %s", n->gateway,
                   n->subnet);
  return 0;
}

static json_t *to_json(const struct net_network *n) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:O*}", "Name", n->name, "Id", n->id,
                   "Created", n->created, "Driver", n->driver, "Subnet", n->subnet, "Gateway",
                   n->gateway, "Bridge", n->bridge, "Internal", n->internal, "Labels", n->labels);
}

int net_network_create(const char *root, struct net_network *n, err_t *e) {
  if (!valid_name(n->name))
    return err_set(e, EINVAL, "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                   n->name);
  if (strcmp(n->driver, "bridge"))
    return err_set(e, EINVAL, "network driver %s is not supported (only bridge)", n->driver);
  _cleanup_free_ char *dir = networks_dir(root);
  if (!dir || mkdir_p_at(AT_FDCWD, dir, 0700, e) < 0)
    return dir ? -1 : err_sys(e, "networks");
  _cleanup_close_ int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock < 0 || flock(lock, LOCK_EX) < 0)
    return err_sys(e, "networks: lock %s", dir);
  struct net_network *list;
  size_t count;
  if (net_network_list(root, &list, &count, e) < 0)
    return -1;
  int ret = -1;
  _cleanup_json_ json_t *j = NULL;
  _cleanup_free_ char *text = NULL, *now = NULL;
  for (size_t i = 0; i < count; i++)
    if (!strcmp(list[i].name, n->name)) {
      err_set(e, EEXIST, "network with name %s already exists", n->name);
      goto out;
    }
  if (choose_subnet(n, list, count, e) < 0)
    goto out;
  unsigned char raw[32];
  if (getrandom(raw, sizeof raw, 0) != sizeof raw) {
    err_sys(e, "network id");
    goto out;
  }
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(n->id + 2 * i, 3, "%02x", raw[i]);
  snprintf(n->bridge, sizeof n->bridge, "br-%.12s", n->id);
  now = rfc3339_now();
  snprintf(n->created, sizeof n->created, "%s", now ? now : "");
  j = to_json(n);
  text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
  char file[160];
  snprintf(file, sizeof file, "%s.json", n->name);
  if (!text)
    err_sys(e, "network %s", n->name);
  else
    ret = atomic_write_at(lock, file, text, strlen(text), 0600, e);
out:
  for (size_t i = 0; i < count; i++)
    net_network_free(&list[i]);
  free(list);
  return ret;
}

/* The bridge plugin makes a network's bridge and never removes it; docker
 * removes its bridge with the network. */
static int remove_bridge(const char *name, err_t *e) {
  _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return err_sys(e, "bridge %s", name);
  struct ifreq r;
  memset(&r, 0, sizeof r);
  snprintf(r.ifr_name, sizeof r.ifr_name, "%s", name);
  if (ioctl(s, SIOCGIFFLAGS, &r) < 0)
    return errno == ENODEV || errno == ENXIO ? 0 : err_sys(e, "bridge %s", name);
  r.ifr_flags &= ~IFF_UP; /* an interface that is up cannot be deleted */
  if (ioctl(s, SIOCSIFFLAGS, &r) < 0 || (ioctl(s, SIOCBRDELBR, name) < 0 && errno != ENXIO))
    return err_sys(e, "remove bridge %s", name);
  return 0;
}

int net_network_remove(const char *root, const struct net_network *n, err_t *e) {
  if (n->predefined)
    return err_set(e, EPERM, "%s is a pre-defined network and cannot be removed", n->name);
  _cleanup_free_ char *dir = networks_dir(root);
  char file[160];
  snprintf(file, sizeof file, "%s.json", n->name);
  _cleanup_free_ char *path = dir ? path_join(dir, file) : NULL;
  if (!path)
    return err_sys(e, "network %s", n->name);
  if (unlink(path) < 0 && errno != ENOENT)
    return err_sys(e, "remove %s", path);
  return remove_bridge(n->bridge, e);
}

bool net_network_host_address(const struct net_network *n, const char *ip) {
  uint32_t a, net, gw = 0;
  int len;
  err_t ignored = ERR_INIT;
  if (net_ipv4_parse(ip, &a) < 0 || net_cidr_parse(n->subnet, &net, &len, &ignored) < 0)
    return false;
  uint32_t mask = len ? ~(uint32_t)0 << (32 - len) : 0;
  net_ipv4_parse(n->gateway, &gw);
  return (a & mask) == net && a != net && a != (net | ~mask) && a != gw;
}

json_t *net_network_cni(const struct net_network *n, const char *ipam_dir, json_t *port_mappings,
                        const char *ip) {
  /* An --internal network reaches nothing beyond its subnet (podman's
   * config): no address on the bridge, no default route. With them its
   * containers reached the other networks' and, unNATed, the outside.
   * Networks are isolated from each other as docker's are: the firewall
   * plugin's same-bridge ingress policy drops traffic between bridges. */
  json_t *routes = n->internal ? json_array() : json_pack("[{s:s}]", "dst", "0.0.0.0/0");
  json_t *plugins = json_pack(
      "[{s:s, s:s, s:b, s:b, s:b, s:{s:s, s:[[{s:s, s:s}]], s:o, s:s}}, {s:s, s:s, s:s}]",
      "type", "bridge", "bridge", n->bridge, "isGateway", !n->internal, "ipMasq", !n->internal,
      "hairpinMode", 1, "ipam", "type", "host-local", "ranges", "subnet", n->subnet, "gateway",
      n->gateway, "routes", routes, "dataDir", ipam_dir, "type", "firewall", "backend",
      "iptables", "ingressPolicy", "same-bridge");
  bool failed = !plugins;
  /* A chosen address: host-local takes it from runtimeConfig.ips (the
   * bridge plugin hands its whole config to its IPAM plugin). */
  if (ip && *ip) {
    char cidr[40];
    snprintf(cidr, sizeof cidr, "%s%s", ip, strchr(n->subnet, '/') ?: "/32");
    json_t *bridge = json_array_get(plugins, 0);
    json_set(bridge, "capabilities", json_pack("{s:b}", "ips", 1), &failed);
    json_set(bridge, "runtimeConfig", json_pack("{s:[s]}", "ips", cidr), &failed);
  }
  if (json_array_size(port_mappings))
    json_push(plugins,
              json_pack("{s:s, s:b, s:{s:b}, s:{s:O}}", "type", "portmap", "snat", 1,
                        "capabilities", "portMappings", 1, "runtimeConfig", "portMappings",
                        port_mappings),
              &failed);
  return json_done(json_pack("{s:s, s:s, s:o*}", "cniVersion", CNI_VERSION, "name", n->name,
                             "plugins", json_done(plugins, failed)),
                   false);
}

json_t *net_network_json(const struct net_network *n, json_t *containers) {
  json_t *config = *n->subnet ? json_pack("[{s:s, s:s}]", "Subnet", n->subnet, "Gateway", n->gateway)
                              : json_array();
  json_t *options = *n->bridge ? json_pack("{s:s}", "com.docker.network.bridge.name", n->bridge)
                               : json_object();
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:{}, s:o*}, s:b, s:b, s:b, s:{s:s}, "
                   "s:b, s:o, s:o, s:o}",
                   "Name", n->name, "Id", n->id, "Created", n->created, "Scope", "local",
                   "Driver", n->driver, "EnableIPv6", 0, "IPAM", "Driver", "default", "Options",
                   "Config", config, "Internal", n->internal, "Attachable", 0, "Ingress", 0,
                   "ConfigFrom", "Network", "", "ConfigOnly", 0, "Containers",
                   containers ? json_incref(containers) : json_object(), "Options", options,
                   "Labels", n->labels ? json_incref(n->labels) : json_object());
}
