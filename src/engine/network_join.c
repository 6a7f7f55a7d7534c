/* --network container:NAME: a container in another's network namespace,
 * as docker's "container" network mode. Its plan names the other by id and
 * takes its hostname; at each start the other must run, and its namespace
 * (the engine's bind under .net/ns/, or its init's /proc/PID/ns/net when
 * its runtime made it) is bound at this container's own .net/ns/<id>, the
 * path its OCI config names; /etc/hosts and /etc/resolv.conf are copies of
 * the other's. A state is written first, so that engine_net_down (rm, exit,
 * system check) removes the bind as for any network. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/network_internal.h"
#include "net/netns.h"
#include "util/cleanup.h"
#include "util/fs.h"

int engine_net_join_plan(const struct engine *eng, const struct run_opts *o, const char *name,
                         char id[65], char *hostname, size_t cap, err_t *e) {
  /* docker's words for what the other container's network decides. */
  if (o->hostname)
    return err_set(e, EINVAL, "conflicting options: hostname and the network mode");
  if ((o->dns && *o->dns) || (o->dns_search && *o->dns_search) ||
      (o->dns_options && *o->dns_options))
    return err_set(e, EINVAL, "conflicting options: dns and the network mode");
  if (o->add_hosts && *o->add_hosts)
    return err_set(e, EINVAL, "conflicting options: custom host-to-IP mapping and the network "
                              "mode");
  struct container_record other;
  if (container_dir_find(eng, name, &other, e) < 0)
    return err_wrap(e, "--network container:%s", name);
  memcpy(id, other.id, 65);
  engine_net_hostname(&other, hostname, cap);
  container_record_free(&other);
  return 0;
}

static int copy_file(const struct engine *eng, const char *from, const char *to_id,
                     const char *leaf, err_t *e) {
  _cleanup_free_ char *path = container_path(eng, from, leaf);
  _cleanup_free_ char *text = path ? read_file(path, 1 << 20, NULL, e) : NULL;
  if (!text)
    return path ? -1 : err_sys(e, "container %s", leaf);
  return engine_net_write_file(eng, to_id, leaf, text, e);
}

int engine_net_join(const struct engine *eng, const struct container_record *r, const char *ns,
                    err_t *e) {
  const char *other = json_string_value(json_object_get(engine_net_plan_of(r), "container"));
  struct container_state st;
  if (!other || container_state_current(eng, other, &st, e) < 0)
    return other ? -1 : err_set(e, EINVAL, "container %.12s: no container to join", r->id);
  if (strcmp(st.status, "running") || st.pid <= 0)
    return err_set(e, EINVAL, "cannot join network of a non running container: %.12s", other);
  _cleanup_free_ char *bound = engine_net_path(eng, "ns", other);
  char proc[40];
  snprintf(proc, sizeof proc, "/proc/%d/ns/net", st.pid);
  const char *source = bound && access(bound, F_OK) == 0 ? bound : proc;
  if (netns_bind(source, ns, e) < 0)
    return err_wrap(e, "join the network of container %.12s", other);
  if (copy_file(eng, other, r->id, "hosts", e) < 0 ||
      copy_file(eng, other, r->id, "resolv.conf", e) < 0)
    return -1;
  return 0;
}
