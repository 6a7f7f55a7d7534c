/* A container's network (docs/NETWORK.md): its plan is made at create
 * (network_plan.c), its /etc files written at each start (network_hosts.c).
 *
 * Here the runtime side, at each start (engine_net_up) and undone when it exits or
 * is removed (engine_net_down), all under <run root>/.net/:
 *   state/<id>.json  what was set up: the CNI lists and their results, the
 *                    claimed ports; written first and removed last, so a
 *                    crash always leaves it to undo the rest from
 *   ns/<id>          the network namespace (a bind), which the runtime joins
 *   ports/           host port claims (net/ports.h)
 *   ipam/            host-local's leases (the default network's are host-wide:
 *                    NET_DEFAULT_IPAM_DIR, its bridge being every root's)
 * The state names its root: a run root may serve several roots, and
 * `system check` only touches its own root's containers. */
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
char *engine_net_path(const struct engine *eng, const char *sub, const char *leaf) {
  char *p = NULL;
  if (asprintf(&p, "%s/.net/%s%s%s", eng->run_root, sub, leaf ? "/" : "", leaf ? leaf : "") < 0)
    return NULL;
  return p;
}

static char *state_path(const struct engine *eng, const char *id) {
  char leaf[80];
  snprintf(leaf, sizeof leaf, "%s.json", id);
  return engine_net_path(eng, "state", leaf);
}
/* ---- runtime side (start, exit) ---- */

/* The state, replaced atomically; `first`: the file is new, written in
 * place (a rename costs milliseconds here under load, and with `--network
 * none` this is the only write): a kill half-way leaves a state that does
 * not parse, before anything else of the network was made (see
 * engine_net_down). */
static int save_state_as(const struct engine *eng, const char *id, json_t *state, bool first,
                         err_t *e) {
  _cleanup_free_ char *dir = engine_net_path(eng, "state", NULL);
  _cleanup_free_ char *path = state_path(eng, id);
  _cleanup_free_ char *text = json_dumps(state, JSON_COMPACT);
  if (!dir || !path || !text)
    return err_sys(e, "network state");
  if (mkdir_p_at(AT_FDCWD, dir, 0700, e) < 0)
    return -1;
  if (!first)
    return atomic_replace_at(AT_FDCWD, path, text, strlen(text), 0600, e);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || write_all(fd, text, strlen(text)) < 0)
    return err_sys(e, "write %s", path);
  return 0;
}

int engine_net_state_save(const struct engine *eng, const char *id, json_t *state, err_t *e) {
  return save_state_as(eng, id, state, false, e);
}

json_t *engine_net_state_load(const struct engine *eng, const char *id, err_t *e) {
  _cleanup_free_ char *path = state_path(eng, id);
  if (!path) {
    err_sys(e, "network state");
    return NULL;
  }
  return json_load_object_file(path, e);
}

/* Serializes the changes of /etc/hosts files between containers. */
int engine_net_lock(const struct engine *eng, err_t *e) {
  _cleanup_free_ char *dir = engine_net_path(eng, "", NULL);
  if (!dir || mkdir_p_at(AT_FDCWD, dir, 0700, e) < 0)
    return dir ? -1 : err_sys(e, "network lock");
  _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || flock(fd, LOCK_EX) < 0)
    return err_sys(e, "network lock %s", dir);
  return steal_fd(&fd);
}

static char *real_root(const struct engine *eng) {
  return realpath(eng->root, NULL);
}

/* Call fn on every state of this root. A state that does not parse was
 * cut short by a kill in its first write (save_state_as): it is this
 * root's if its container is, and fn gets it as NULL. */
int engine_net_each_state(const struct engine *eng,
                          int (*fn)(const char *id, json_t *state, void *data), void *data,
                          err_t *e) {
  _cleanup_free_ char *dir = engine_net_path(eng, "state", NULL);
  _cleanup_free_ char *root = real_root(eng);
  if (!dir || !root)
    return err_sys(e, "network states");
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : err_sys(e, "network states: %s", dir);
  struct dirent *de;
  while ((de = readdir(d))) {
    char id[65];
    if (strlen(de->d_name) != 69 || strcmp(de->d_name + 64, ".json"))
      continue;
    snprintf(id, sizeof id, "%.64s", de->d_name);
    err_t load = ERR_INIT;
    _cleanup_json_ json_t *st = engine_net_state_load(eng, id, &load);
    const char *its = json_string_value(json_object_get(st, "root"));
    _cleanup_free_ char *cdir = st ? NULL : container_path(eng, id, NULL);
    bool mine = st ? its && !strcmp(its, root)
                   : load.code == EINVAL && cdir && access(cdir, F_OK) == 0;
    if (mine && fn(id, st, data) < 0)
      return err_sys(e, "network states");
  }
  return 0;
}

struct saver {
  const struct engine *eng;
  const char *id;
  json_t *state, *att;
};

int engine_cni_timeout_ms(const char *v) {
  char *end;
  errno = 0;
  long ms = strtol(v, &end, 10);
  return end != v && !*end && !errno && ms > 0 && ms <= 3600000 ? (int)ms : 0;
}

static struct cni_target engine_cni_target(const char *id, const char *ns, const char *ifname) {
  const char *path = getenv(ENGINE_CNI_PATH_ENV);
  const char *timeout = getenv(ENGINE_CNI_TIMEOUT_ENV);
  return (struct cni_target){.path = path && *path ? path : CNI_DEFAULT_PATH,
                             .container_id = id, .netns = ns, .ifname = ifname,
                             .timeout_ms = timeout ? engine_cni_timeout_ms(timeout) : 0};
}

static int save_result(json_t *result, void *data, err_t *e) {
  struct saver *s = data;
  if (json_object_set(s->att, "result", result) < 0)
    return err_set(e, ENOMEM, "network state");
  return engine_net_state_save(s->eng, s->id, s->state, e);
}

/* The first address of a CNI result, its gateway and the MAC of its
 * interface, into the attachment. */
static void take_address(json_t *att, json_t *result, bool *failed) {
  json_t *ip = json_array_get(json_object_get(result, "ips"), 0);
  const char *cidr = json_string_value(json_object_get(ip, "address"));
  if (!cidr)
    return;
  const char *slash = strchr(cidr, '/');
  char addr[64];
  snprintf(addr, sizeof addr, "%.*s", slash ? (int)(slash - cidr) : (int)strlen(cidr), cidr);
  json_set(att, "ip", json_string(addr), failed);
  json_set(att, "prefixLen", json_integer(slash ? atoi(slash + 1) : 32), failed);
  json_set(att, "gateway", json_incref(json_object_get(ip, "gateway")) ?: json_string(""), failed);
  json_t *iface = json_object_get(ip, "interface");
  json_t *ifc = iface ? json_array_get(json_object_get(result, "interfaces"),
                                       (size_t)json_integer_value(iface))
                      : NULL;
  json_set(att, "mac", json_incref(json_object_get(ifc, "mac")) ?: json_string(""), failed);
}

/* Put the container on network `name` as interface `ifname`, publishing
 * `ports` (an array of ports config entries, may be empty) there, at
 * address `ip` (NULL: any). */
static int attach(const struct engine *eng, const char *id, json_t *state, const char *name,
                  const char *ifname, json_t *ports, const char *ip, err_t *e) {
  struct net_network n;
  if (net_network_load(eng->root, name, &n, e) < 0)
    return -1;
  _cleanup_free_ char *ipam = engine_net_path(eng, "ipam", NULL);
  _cleanup_free_ char *port_dir = engine_net_path(eng, "ports", NULL);
  _cleanup_free_ char *ns = engine_net_path(eng, "ns", id);
  size_t count = json_array_size(ports);
  struct net_port *list = calloc(count + 1, sizeof *list);
  _cleanup_json_ json_t *mappings = NULL;
  int ret = -1;
  bool failed = false;
  if (!ipam || !port_dir || !ns || !list) {
    err_sys(e, "network %s", name);
    goto out;
  }
  for (size_t i = 0; i < count; i++) {
    json_t *q = json_array_get(ports, i);
    struct net_port *p = &list[i];
    snprintf(p->host_ip, sizeof p->host_ip, "%s",
             json_string_value(json_object_get(q, "HostIp")) ?: "");
    p->host_port = (uint16_t)json_integer_value(json_object_get(q, "HostPort"));
    p->container_port = (uint16_t)json_integer_value(json_object_get(q, "ContainerPort"));
    snprintf(p->proto, sizeof p->proto, "%s",
             json_string_value(json_object_get(q, "Protocol")) ?: "tcp");
  }
  if (net_ports_claim(port_dir, id, list, count, e) < 0)
    goto out;
  mappings = net_ports_cni(list, count);
  json_t *att = json_pack("{s:s, s:s, s:o*}", "ifname", ifname, "networkId", n.id, "cni",
                          mappings ? net_network_cni(&n, n.predefined ? NET_DEFAULT_IPAM_DIR : ipam,
                                                     mappings, ip)
                                   : NULL);
  json_set(json_object_get(state, "networks"), name, att, &failed);
  json_t *published = json_array();
  for (size_t i = 0; i < count; i++)
    engine_net_port_json(published, &list[i], &failed);
  if (count)
    json_set(state, "ports", published, &failed);
  else
    json_decref(published);
  if (!att || !json_object_get(att, "cni") || failed) {
    err_set(e, ENOMEM, "network %s", name);
    goto release;
  }
  if (engine_net_state_save(eng, id, state, e) < 0)
    goto release;
  struct cni_target t = engine_cni_target(id, ns, ifname);
  struct saver s = {eng, id, state, att};
  json_t *result = NULL;
  if (cni_add(&t, json_object_get(att, "cni"), &result, save_result, &s, e) < 0) {
    err_wrap(e, "network %s", name);
    goto release;
  }
  take_address(att, result, &failed);
  json_decref(result);
  if (json_built(failed, "network state", e) == 0 &&
      engine_net_state_save(eng, id, state, e) == 0) {
    ret = 0;
    goto out;
  }
  /* The attachment stays in the state: engine_net_down undoes it. */
  goto out;
release:;
  err_t ignored = ERR_INIT;
  net_ports_release(port_dir, id, &ignored);
  json_object_del(json_object_get(state, "networks"), name);
  json_object_del(state, "ports");
  engine_net_state_save(eng, id, state, &ignored);
out:
  free(list);
  net_network_free(&n);
  return ret;
}

static int bring_up(const struct engine *eng, const struct container_record *r, json_t *state,
                    err_t *e) {
  json_t *conf = engine_net_plan_of(r);
  _cleanup_free_ char *ns_dir = engine_net_path(eng, "ns", NULL);
  _cleanup_free_ char *ns = engine_net_path(eng, "ns", r->id);
  if (!ns_dir || !ns)
    return err_sys(e, "network");
  json_t *networks = json_object_get(conf, "networks");
  if (!engine_net_own_namespace(r))
    return engine_net_write_hosts_of(eng, r, state, e);
  if (save_state_as(eng, r->id, state, true, e) < 0 || mkdir_p_at(AT_FDCWD, ns_dir, 0700, e) < 0)
    return -1;
  if (!strcmp(engine_net_mode_of(r), "container")) /* no networks of its own: no peers */
    return engine_net_join(eng, r, ns, e);
  if (netns_create(ns, e) < 0)
    return -1;
  size_t i;
  json_t *net;
  json_array_foreach(networks, i, net) {
    char ifname[32];
    snprintf(ifname, sizeof ifname, "eth%zu", i);
    /* docker publishes on the first network, where --ip applies. */
    json_t *ports = i == 0 ? json_object_get(conf, "ports") : NULL;
    const char *ip = i == 0 ? json_string_value(json_object_get(conf, "ip")) : NULL;
    if (attach(eng, r->id, state, json_string_value(net), ifname, ports, ip, e) < 0)
      return -1;
  }
  if (engine_net_save_hosts_base(r, state, e) < 0 ||
      engine_net_state_save(eng, r->id, state, e) < 0)
    return -1;
  _cleanup_close_ int lock = engine_net_lock(eng, e);
  if (lock < 0 || engine_net_write_hosts(eng, r->id, state, e) < 0)
    return -1;
  return engine_net_update_peers(eng, r->id, state, e);
}

int engine_net_up(const struct engine *eng, const struct container_record *r, err_t *e) {
  if (engine_net_write_etc_files(eng, r, e) < 0)
    return -1;
  if (!strcmp(engine_net_mode_of(r), "host")) {
    _cleanup_free_ char *text = engine_net_host_hosts(engine_net_plan_of(r));
    return text ? engine_net_write_file(eng, r->id, "hosts", text, e) : err_sys(e, "hosts");
  }
  _cleanup_free_ char *root = real_root(eng);
  _cleanup_json_ json_t *state =
      root ? json_pack("{s:s, s:s, s:{}, s:O*}", "root", root, "name", r->name ?: "", "networks",
                       "aliases", json_object_get(engine_net_plan_of(r), "aliases"))
           : NULL;
  if (!state)
    return err_sys(e, "network");
  if (bring_up(eng, r, state, e) == 0)
    return 0;
  err_t undo = ERR_INIT;
  engine_net_down(eng, r->id, &undo);
  return -1;
}

/* CNI DEL of one attachment. */
static int detach(const char *id, const char *ns, const char *name, json_t *att, err_t *e) {
  struct cni_target t =
      engine_cni_target(id, ns, json_string_value(json_object_get(att, "ifname")) ?: "eth0");
  if (cni_del(&t, json_object_get(att, "cni"), json_object_get(att, "result"), e) < 0)
    return err_wrap(e, "network %s", name);
  return 0;
}

int engine_net_down(const struct engine *eng, const char *id, err_t *e) {
  _cleanup_free_ char *ns = engine_net_path(eng, "ns", id);
  _cleanup_free_ char *port_dir = engine_net_path(eng, "ports", NULL);
  _cleanup_free_ char *path = state_path(eng, id);
  if (!ns || !port_dir || !path)
    return err_sys(e, "network");
  err_t load = ERR_INIT;
  _cleanup_json_ json_t *state = engine_net_state_load(eng, id, &load);
  /* A state that does not parse was cut short by a kill in its first write
   * (save_state_as), before anything else was made: only it is left. */
  if (!state && load.code != ENOENT && load.code != EINVAL) {
    *e = load;
    return err_wrap(e, "network state of %.12s", id);
  }
  int ret = 0;
  const char *name;
  json_t *att;
  json_object_foreach(json_object_get(state, "networks"), name, att) {
    err_t one = ERR_INIT;
    if (detach(id, ns, name, att, &one) < 0 && ret == 0)
      ret = err_set(e, one.code, "%s", one.msg);
  }
  if (ret < 0)
    return -1; /* the state stays, to be tried again (rm, system check) */
  if (net_ports_release(port_dir, id, e) < 0 || netns_remove(ns, e) < 0)
    return -1;
  if (unlink(path) < 0 && errno != ENOENT)
    return err_sys(e, "remove %s", path);
  if (state && json_object_size(json_object_get(state, "networks"))) {
    _cleanup_close_ int lock = engine_net_lock(eng, e);
    if (lock < 0 || engine_net_update_peers(eng, id, state, e) < 0)
      return -1;
  }
  return 0;
}

json_t *engine_net_state(const struct engine *eng, const char *id) {
  err_t ignored = ERR_INIT;
  return engine_net_state_load(eng, id, &ignored);
}

static int add_id(const char *id, json_t *state, void *ids) {
  (void)state;
  return json_object_set_new(ids, id, json_true());
}

int engine_net_add_ids(const struct engine *eng, json_t *ids, err_t *e) {
  return engine_net_each_state(eng, add_id, ids, e);
}

static int change_networks(const struct engine *eng, const struct container_record *r,
                           const struct net_network *n, bool connect, err_t *e) {
  json_t *conf = engine_net_plan_of(r);
  const char *mode = engine_net_mode_of(r);
  json_t *networks = json_object_get(conf, "networks");
  size_t at = json_array_size(networks), i;
  json_t *v;
  json_array_foreach(networks, i, v) {
    if (!strcmp(json_string_value(v), n->name))
      at = i;
  }
  if (strcmp(n->driver, "bridge") || strcmp(mode, "bridge"))
    return err_set(e, EINVAL, "container %s: a container on the %s network cannot be %s a network",
                   r->name, strcmp(mode, "bridge") ? mode : n->name,
                   connect ? "connected to another" : "disconnected from");
  if (connect == (at < json_array_size(networks)))
    return err_set(e, connect ? EEXIST : ENOENT,
                   connect ? "endpoint with name %s already exists in network %s"
                           : "container %s is not connected to network %s",
                   r->name, n->name);
  _cleanup_json_ json_t *state = engine_net_state(eng, r->id);
  _cleanup_free_ char *ns = engine_net_path(eng, "ns", r->id);
  if (!ns)
    return err_sys(e, "network");
  /* A container whose network is up changes now; any other at its next start. */
  if (state && connect) {
    char ifname[32];
    snprintf(ifname, sizeof ifname, "eth%zu", json_object_size(json_object_get(state, "networks")));
    if (attach(eng, r->id, state, n->name, ifname, NULL, NULL, e) < 0)
      return -1;
  } else if (state) {
    json_t *att = json_object_get(json_object_get(state, "networks"), n->name);
    if (att && detach(r->id, ns, n->name, att, e) < 0)
      return -1;
    _cleanup_json_ json_t *gone = json_pack("{s:{s:O*}}", "networks", n->name, att);
    /* The ports were published there (the first network): their DNAT went
     * with the DEL, their claims go now. */
    _cleanup_free_ char *port_dir = engine_net_path(eng, "ports", NULL);
    bool published = false;
    size_t k;
    json_t *plugin;
    json_array_foreach(json_object_get(json_object_get(att, "cni"), "plugins"), k, plugin) {
      published |= !strcmp(json_string_value(json_object_get(plugin, "type")) ?: "", "portmap");
    }
    if (!port_dir || (published && net_ports_release(port_dir, r->id, e) < 0))
      return port_dir ? -1 : err_sys(e, "network");
    if (published)
      json_object_del(state, "ports");
    json_object_del(json_object_get(state, "networks"), n->name);
    if (engine_net_state_save(eng, r->id, state, e) < 0 ||
        (gone && engine_net_update_peers(eng, r->id, gone, e) < 0))
      return -1;
  }
  if (connect ? json_array_append_new(networks, json_string(n->name))
              : json_array_remove(networks, at))
    return err_set(e, ENOMEM, "network config");
  if (container_record_save(eng, r, e) < 0)
    return -1;
  if (state && engine_net_write_hosts(eng, r->id, state, e) < 0)
    return -1;
  return state && connect ? engine_net_update_peers(eng, r->id, state, e) : 0;
}

int engine_net_connect(const struct engine *eng, const char *network, const char *container,
                       bool connect, err_t *e) {
  struct container_record r;
  struct net_network n;
  if (container_dir_find(eng, container, &r, e) < 0)
    return -1;
  int ret = -1;
  if (net_network_load(eng->root, network, &n, e) == 0) {
    int lock = engine_net_lock(eng, e);
    if (lock >= 0) {
      ret = change_networks(eng, &r, &n, connect, e);
      close(lock);
    }
    net_network_free(&n);
  }
  container_record_free(&r);
  return ret;
}

bool engine_net_has_state(const struct engine *eng, const char *id) {
  _cleanup_free_ char *path = state_path(eng, id);
  return path && access(path, F_OK) == 0;
}

/* Remove the entries of `sub` (ns: binds, ipam/<net>: leases) that belong
 * to no container's state; returns how many. */
static int sweep_dir(const struct engine *eng, const char *dir, bool leases, err_t *e) {
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : err_sys(e, "%s", dir);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || !strcmp(de->d_name, "lock") ||
        !strncmp(de->d_name, "last_reserved_ip", 16))
      continue;
    _cleanup_free_ char *path = path_join(dir, de->d_name);
    char id[65] = "";
    if (!path)
      return err_sys(e, "%s", dir);
    if (leases) {
      /* host-local writes "<container id>\r\n<ifname>". */
      _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      ssize_t r = fd >= 0 ? read(fd, id, 64) : -1;
      id[r > 0 ? r : 0] = '\0';
    } else {
      snprintf(id, sizeof id, "%.64s", de->d_name);
    }
    if (strlen(id) != 64 || engine_net_has_state(eng, id))
      continue;
    if (leases ? unlink(path) < 0 && errno != ENOENT : netns_remove(path, e) < 0)
      return leases ? err_sys(e, "remove %s", path) : -1;
    n++;
  }
  return n;
}

/* Remove the temp files ("<name>.tmp.<pid>", util/fs.h's and the port
 * claims') of writers that are gone; returns how many. */
static int sweep_temps(const char *dir, err_t *e) {
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : err_sys(e, "%s", dir);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *tmp = strstr(de->d_name, ".tmp.");
    char *end;
    long pid = tmp ? strtol(tmp + 5, &end, 10) : 0;
    if (!tmp || *end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
      continue;
    if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
      return err_sys(e, "remove %s/%s", dir, de->d_name);
    n++;
  }
  return n;
}

int engine_net_sweep(const struct engine *eng, char *what, size_t cap, err_t *e) {
  _cleanup_free_ char *ns = engine_net_path(eng, "ns", NULL);
  _cleanup_free_ char *ipam = engine_net_path(eng, "ipam", NULL);
  _cleanup_free_ char *ports = engine_net_path(eng, "ports", NULL);
  _cleanup_json_ json_t *owners = json_object();
  if (!ns || !ipam || !ports || !owners)
    return err_sys(e, "network");
  _cleanup_free_ char *states = engine_net_path(eng, "state", NULL);
  int binds = sweep_dir(eng, ns, false, e), leases = 0, claims = 0, temps = 0;
  if (binds < 0 || !states || (temps = sweep_temps(states, e)) < 0)
    return binds < 0 || states ? -1 : err_sys(e, "network");
  int k = sweep_temps(ports, e);
  if (k < 0)
    return -1;
  temps += k;
  _cleanup_closedir_ DIR *d = opendir(ipam);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    _cleanup_free_ char *sub = de->d_name[0] == '.' ? NULL : path_join(ipam, de->d_name);
    int swept = sub ? sweep_dir(eng, sub, true, e) : 0;
    if (swept < 0)
      return -1;
    leases += swept;
  }
  if (net_ports_owners(ports, owners, e) < 0)
    return -1;
  const char *id;
  json_t *unused;
  json_object_foreach(owners, id, unused) {
    if (engine_net_has_state(eng, id))
      continue;
    if (net_ports_release(ports, id, e) < 0)
      return -1;
    claims++;
  }
  snprintf(what, cap, "%d network namespace%s, %d address lease%s, %d port claim%s, %d temp file%s",
           binds, binds == 1 ? "" : "s", leases, leases == 1 ? "" : "s", claims,
           claims == 1 ? "" : "s", temps, temps == 1 ? "" : "s");
  return binds + leases + claims + temps;
}
