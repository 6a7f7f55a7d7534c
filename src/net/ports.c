/* Published ports (see ports.h). A claim is a file <dir>/<proto>-<port>-<ip>
 * holding the container's id, made with O_EXCL under a lock on <dir> (the
 * check for a wildcard claim against a specific one needs both names). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/network.h"
#include "net/ports.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static int parse_port_num(const char *s, size_t len, uint16_t *out) {
  if (!len || len > 5 || strspn(s, "0123456789") < len)
    return -1;
  unsigned long v = strtoul(s, NULL, 10);
  if (v == 0 || v > 65535)
    return -1;
  *out = (uint16_t)v;
  return 0;
}

/* "N" or "LO-HI": *lo and how many. */
static int parse_port_range(const char *s, uint16_t *lo, int *count) {
  const char *dash = strchr(s, '-');
  uint16_t hi;
  if (!dash) {
    *count = 1;
    return parse_port_num(s, strlen(s), lo);
  }
  if (parse_port_num(s, (size_t)(dash - s), lo) < 0 ||
      parse_port_num(dash + 1, strlen(dash + 1), &hi) < 0 || hi < *lo)
    return -1;
  *count = hi - *lo + 1;
  return 0;
}

int net_port_parse(const char *spec, struct net_port *p, int *count, err_t *e) {
  memset(p, 0, sizeof *p);
  char buf[128];
  if (strlen(spec) >= sizeof buf)
    return err_set(e, EINVAL, "invalid port spec: %.64s...", spec);
  snprintf(buf, sizeof buf, "%s", spec);
  char *proto = strrchr(buf, '/');
  if (proto) {
    *proto++ = '\0';
    if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
      return err_set(e, EINVAL, "invalid proto: %s", proto);
  }
  snprintf(p->proto, sizeof p->proto, "%s", proto ? proto : "tcp");
  /* Split from the right: CONTAINER, then HOST, then IP. */
  char *fields[3] = {NULL, NULL, NULL};
  int n = 0;
  char *rest = buf;
  for (char *c; n < 2 && (c = strrchr(rest, ':'));) {
    *c = '\0';
    fields[n++] = c + 1;
  }
  fields[n++] = rest;
  const char *container = fields[0], *host = n > 1 ? fields[1] : NULL, *ip = n > 2 ? fields[2] : NULL;
  int host_count = 0;
  if (parse_port_range(container, &p->container_port, count) < 0)
    return err_set(e, EINVAL, "invalid containerPort: %s", container);
  if (host && *host && parse_port_range(host, &p->host_port, &host_count) < 0)
    return err_set(e, EINVAL, "invalid hostPort: %s", host);
  if (host_count && host_count != *count)
    return err_set(e, EINVAL, "invalid ranges specified for container and host Ports: %s and %s",
                   container, host);
  if (ip && *ip) {
    uint32_t a;
    if (net_ipv4_parse(ip, &a) < 0)
      return err_set(e, EINVAL, "invalid IP address: %s (an IPv4 address is expected)", ip);
    if (a)
      net_ipv4_format(a, p->host_ip);
  }
  return 0;
}

int net_port_parse_exposed(const char *key, struct net_port *p, int *count, err_t *e) {
  if (strchr(key, ':'))
    return err_set(e, EINVAL, "invalid exposed port %s", key);
  return net_port_parse(key, p, count, e);
}

static void claim_name(const struct net_port *p, char *out, size_t cap) {
  snprintf(out, cap, "%s-%u-%s", p->proto, p->host_port, *p->host_ip ? p->host_ip : "0.0.0.0");
}

static const char *show_ip(const struct net_port *p) {
  return *p->host_ip ? p->host_ip : "0.0.0.0";
}

/* A socket of p's protocol bound to its address (port 0: a free one). */
static int probe_bind(const struct net_port *p, uint16_t *port, err_t *e) {
  bool udp = !strcmp(p->proto, "udp");
  _cleanup_close_ int s = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (s < 0)
    return err_sys(e, "port %s", p->proto);
  int one = 1;
  /* Connections in TIME_WAIT do not hold a port against a new listener. */
  if (!udp)
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(p->host_port)};
  uint32_t a = 0;
  if (*p->host_ip)
    net_ipv4_parse(p->host_ip, &a);
  sa.sin_addr.s_addr = htonl(a);
  if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
    if (errno == EADDRINUSE)
      return err_set(e, EADDRINUSE, "Bind for %s:%u failed: port is already in use on the host",
                     show_ip(p), p->host_port);
    return err_sys(e, "Bind for %s:%u failed", show_ip(p), p->host_port);
  }
  socklen_t len = sizeof sa;
  if (getsockname(s, (struct sockaddr *)&sa, &len) < 0)
    return err_sys(e, "port %s", p->proto);
  *port = ntohs(sa.sin_port);
  return 0;
}

/* The container that holds a claim conflicting with p, in *holder; 0 if none. */
static int find_conflict(int dirfd, const struct net_port *p, char holder[65]) {
  _cleanup_closedir_ DIR *d = fdopendir_dup(dirfd);
  char prefix[32];
  snprintf(prefix, sizeof prefix, "%s-%u-", p->proto, p->host_port);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (strncmp(de->d_name, prefix, strlen(prefix)))
      continue;
    const char *ip = de->d_name + strlen(prefix);
    if (*p->host_ip && strcmp(ip, "0.0.0.0") && strcmp(ip, p->host_ip))
      continue;
    _cleanup_close_ int fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, holder, 64) : -1;
    holder[n > 0 ? n : 0] = '\0';
    return 1;
  }
  return 0;
}

int net_ports_claim(const char *dir, const char *id, struct net_port *ports, size_t n, err_t *e) {
  if (!n)
    return 0;
  if (mkdir_p_at(AT_FDCWD, dir, 0700, e) < 0)
    return -1;
  _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0 || flock(dirfd, LOCK_EX) < 0)
    return err_sys(e, "ports: %s", dir);
  size_t done = 0;
  for (; done < n; done++) {
    struct net_port *p = &ports[done];
    char holder[65], name[64];
    uint16_t port;
    if (probe_bind(p, &port, e) < 0)
      goto undo;
    p->host_port = port;
    if (find_conflict(dirfd, p, holder)) {
      err_set(e, EADDRINUSE, "Bind for %s:%u failed: port is already allocated (container %.12s)",
              show_ip(p), p->host_port, holder);
      goto undo;
    }
    claim_name(p, name, sizeof name);
    /* Written aside, then linked into place: a claim always holds its id
     * (a kill leaves at most the temp file, which system check sweeps). */
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", name, (int)getpid());
    _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = fd < 0 || write_all(fd, id, strlen(id)) < 0 || linkat(dirfd, tmp, dirfd, name, 0) < 0
                 ? err_sys(e, "port claim %s", name)
                 : 0;
    if (fd >= 0)
      unlinkat(dirfd, tmp, 0);
    if (rc < 0)
      goto undo;
  }
  return 0;
undo:
  while (done-- > 0) {
    char name[64];
    claim_name(&ports[done], name, sizeof name);
    unlinkat(dirfd, name, 0);
  }
  return -1;
}

/* Call fn for each claim of `dir` with its holder. */
static int each_claim(const char *dir, int (*fn)(int dirfd, const char *name, const char *holder,
                                                 void *data),
                      void *data, err_t *e) {
  _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return errno == ENOENT ? 0 : err_sys(e, "ports: %s", dir);
  if (flock(dirfd, LOCK_EX) < 0)
    return err_sys(e, "ports: lock %s", dir);
  _cleanup_closedir_ DIR *d = fdopendir_dup(dirfd);
  if (!d)
    return err_sys(e, "ports: %s", dir);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp."))
      continue;
    char holder[65];
    _cleanup_close_ int fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t r = fd >= 0 ? read(fd, holder, 64) : -1;
    holder[r > 0 ? r : 0] = '\0';
    if (fn(dirfd, de->d_name, holder, data) < 0)
      return err_sys(e, "ports: %s/%s", dir, de->d_name);
  }
  return 0;
}

static int release_one(int dirfd, const char *name, const char *holder, void *data) {
  if (strcmp(holder, data))
    return 0;
  return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
}

int net_ports_release(const char *dir, const char *id, err_t *e) {
  return each_claim(dir, release_one, (void *)id, e);
}

static int add_owner(int dirfd, const char *name, const char *holder, void *data) {
  (void)dirfd;
  (void)name;
  bool failed = false;
  if (strlen(holder) == 64)
    json_set(data, holder, json_true(), &failed);
  return failed ? -1 : 0;
}

int net_ports_owners(const char *dir, json_t *ids, err_t *e) {
  return each_claim(dir, add_owner, ids, e);
}

json_t *net_ports_cni(const struct net_port *ports, size_t n) {
  json_t *arr = json_array();
  bool failed = !arr;
  for (size_t i = 0; i < n; i++)
    json_push(arr,
              json_pack("{s:i, s:i, s:s, s:s}", "hostPort", ports[i].host_port, "containerPort",
                        ports[i].container_port, "protocol", ports[i].proto, "hostIP",
                        *ports[i].host_ip ? ports[i].host_ip : ""),
              &failed);
  return json_done(arr, failed);
}
