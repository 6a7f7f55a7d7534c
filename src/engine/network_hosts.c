/* The files bound over a container's /etc/hostname, /etc/resolv.conf and
 * /etc/hosts (containers/<id>/hostname, resolv.conf, hosts), written at
 * each start; and on a user network its peers in /etc/hosts, rewritten when
 * one comes or goes (docs/NETWORK.md, "Names on a user network"). */
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
/* Write a file of the container's directory in place: /etc/hosts is bound
 * to its inode, which a rename would leave behind. */
int engine_net_write_file(const struct engine *eng, const char *id, const char *leaf,
                          const char *text, err_t *e) {
  _cleanup_free_ char *path = container_path(eng, id, leaf);
  if (!path)
    return err_sys(e, "container %s", leaf);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  size_t len = strlen(text);
  if (fd < 0 || write_all(fd, text, len) < 0 || ftruncate(fd, (off_t)len) < 0)
    return err_sys(e, "write %s", path);
  return 0;
}

/* /etc/hostname and /etc/resolv.conf (the host's resolver, as docker takes
 * it at each start; host networking keeps loopback nameservers, which it
 * can reach). */
int engine_net_write_etc_files(const struct engine *eng, const struct container_record *r,
                               err_t *e) {
  char hostname[256], text[260];
  engine_net_hostname(r, hostname, sizeof hostname);
  snprintf(text, sizeof text, "%s\n", hostname);
  _cleanup_strv_ char **dns = NULL, **search = NULL, **options = NULL;
  json_t *plan = engine_net_plan_of(r);
  if (json_opt_strv(plan, "dns", "network", &dns, e) < 0 ||
      json_opt_strv(plan, "dnsSearch", "network", &search, e) < 0 ||
      json_opt_strv(plan, "dnsOptions", "network", &options, e) < 0)
    return -1;
  err_t ignored = ERR_INIT;
  _cleanup_free_ char *host = read_file("/etc/resolv.conf", 1 << 20, NULL, &ignored);
  struct net_resolv_opts ro = {.dns = dns, .search = search, .options = options};
  _cleanup_free_ char *resolv = net_resolv_text(host, &ro, strcmp(engine_net_mode_of(r), "host"));
  if (!resolv)
    return err_sys(e, "resolv.conf");
  if (engine_net_write_file(eng, r->id, "hostname", text, e) < 0 ||
      engine_net_write_file(eng, r->id, "resolv.conf", resolv, e) < 0)
    return -1;
  return 0;
}

struct peers {
  const char *self;
  json_t *networks; /* the user networks of interest (object: name -> true) */
  char *text;       /* "IP\tNAME\n" lines */
  size_t len;
  FILE *f;
  json_t *members;  /* ids of the containers on those networks */
};

static int collect_peer(const char *id, json_t *st, void *data) {
  struct peers *p = data;
  const char *name = json_string_value(json_object_get(st, "name"));
  const char *net;
  json_t *att;
  json_object_foreach(json_object_get(st, "networks"), net, att) {
    const char *ip = json_string_value(json_object_get(att, "ip"));
    if (!json_object_get(p->networks, net) || !ip)
      continue;
    if (p->members && json_object_set_new(p->members, id, json_true()) < 0)
      return -1;
    if (p->f && strcmp(id, p->self) && name) {
      fprintf(p->f, "%s\t%s", ip, name);
      size_t i;
      json_t *alias;
      json_array_foreach(json_object_get(st, "aliases"), i, alias)
        fprintf(p->f, " %s", json_string_value(alias));
      fputc('\n', p->f);
    }
  }
  return 0;
}

/* The user networks (not the default one: docker resolves no names there)
 * of a state, as a set. */
static json_t *user_networks(json_t *st) {
  json_t *set = json_object();
  const char *net;
  json_t *att;
  json_object_foreach(json_object_get(st, "networks"), net, att) {
    if (strcmp(net, NET_DEFAULT_NAME) && set)
      json_object_set_new(set, net, json_true());
  }
  return set;
}

/* Rewrite the /etc/hosts of container `id`: its own lines, then its peers. */
int engine_net_write_hosts(const struct engine *eng, const char *id, json_t *st, err_t *e) {
  _cleanup_json_ json_t *nets = user_networks(st);
  struct peers p = {.self = id, .networks = nets};
  if (!nets || !(p.f = open_memstream(&p.text, &p.len)))
    return err_sys(e, "hosts");
  fputs(json_string_value(json_object_get(st, "hostsBase")) ?: "", p.f);
  int rc = json_object_size(nets) ? engine_net_each_state(eng, collect_peer, &p, e) : 0;
  if (fclose(p.f) != 0 && rc == 0)
    rc = err_sys(e, "hosts");
  if (rc == 0)
    rc = engine_net_write_file(eng, id, "hosts", p.text, e);
  free(p.text);
  return rc;
}

/* Rewrite the /etc/hosts of every container on the user networks of `st`
 * (a container that joined or left them), `id` aside. Held: engine_net_lock. */
int engine_net_update_peers(const struct engine *eng, const char *id, json_t *st, err_t *e) {
  _cleanup_json_ json_t *nets = user_networks(st);
  _cleanup_json_ json_t *members = json_object();
  struct peers p = {.self = id, .networks = nets, .members = members};
  if (!nets || !members)
    return err_sys(e, "hosts");
  if (!json_object_size(nets) || engine_net_each_state(eng, collect_peer, &p, e) < 0)
    return json_object_size(nets) ? -1 : 0;
  const char *peer;
  json_t *unused;
  json_object_foreach(members, peer, unused) {
    if (!strcmp(peer, id))
      continue;
    err_t one = ERR_INIT;
    _cleanup_json_ json_t *pst = engine_net_state_load(eng, peer, &one);
    /* A peer going away meanwhile is no error. */
    if (pst)
      engine_net_write_hosts(eng, peer, pst, &one);
  }
  return 0;
}

/* The host's /etc/hosts (host networking), then the --add-host lines. */
char *engine_net_host_hosts(json_t *conf) {
  _cleanup_free_ char *base = read_file("/etc/hosts", 1 << 20, NULL, &(err_t)ERR_INIT);
  _cleanup_strv_ char **add = NULL;
  err_t ignored = ERR_INIT;
  json_opt_strv(conf, "addHosts", "network", &add, &ignored);
  _cleanup_free_ char *extra = net_hosts_text(add, NULL, NULL, NULL);
  const char *tail = extra ? extra + strcspn(extra, "\n") : NULL;
  /* Skip the standard head of net_hosts_text: the host's file has its own. */
  for (int i = 0; tail && *tail && i < 5; i++)
    tail += 1 + strcspn(tail + 1, "\n");
  char *text = NULL;
  if (asprintf(&text, "%s%s", base ? base : "", tail && *tail ? tail + 1 : "") < 0)
    return NULL;
  return text;
}

/* The container's own lines of /etc/hosts: its address on the first
 * network with its hostname, and its name on a user network (resolved
 * there by name), after the --add-host ones. */
static char *hosts_base(const struct container_record *r, json_t *state) {
  json_t *conf = engine_net_plan_of(r);
  json_t *networks = json_object_get(conf, "networks");
  const char *first = json_string_value(json_array_get(networks, 0)) ?: "";
  char hostname[256];
  engine_net_hostname(r, hostname, sizeof hostname);
  const char *ip = json_string_value(
      json_object_get(json_object_get(json_object_get(state, "networks"), first), "ip"));
  _cleanup_strv_ char **add = NULL;
  err_t ignored = ERR_INIT;
  json_opt_strv(conf, "addHosts", "network", &add, &ignored);
  bool user = *first && strcmp(first, NET_DEFAULT_NAME);
  bool named = r->name && user && strcmp(r->name, hostname);
  _cleanup_free_ char *names = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&names, &len);
  if (!f)
    return NULL;
  fprintf(f, "%s%s%s", hostname, named ? " " : "", named ? r->name : "");
  size_t i;
  json_t *alias;
  json_array_foreach(json_object_get(conf, "aliases"), i, alias)
    fprintf(f, " %s", json_string_value(alias));
  if (fclose(f) != 0)
    return NULL;
  return net_hosts_text(add, ip, names, NULL);
}

/* The container's own lines of /etc/hosts, kept in the state for the
 * rewrites when peers come and go. */
int engine_net_save_hosts_base(const struct container_record *r, json_t *state, err_t *e) {
  _cleanup_free_ char *base = hosts_base(r, state);
  bool failed = false;
  json_set(state, "hostsBase", base ? json_string(base) : NULL, &failed);
  return json_built(failed, "hosts", e);
}

/* Without networks (--network none) no peer ever rewrites the container's
 * /etc/hosts, and nothing is set up to be undone: no state. */
int engine_net_write_hosts_of(const struct engine *eng, const struct container_record *r,
                              json_t *state, err_t *e) {
  if (engine_net_save_hosts_base(r, state, e) < 0)
    return -1;
  return engine_net_write_hosts(eng, r->id, state, e);
}
