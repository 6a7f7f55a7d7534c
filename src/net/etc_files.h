/* The files docker writes for each container and binds over the image's:
 * /etc/hosts, /etc/hostname, /etc/resolv.conf. */
#ifndef CAPSULE_NET_ETC_FILES_H
#define CAPSULE_NET_ETC_FILES_H

#include <stdbool.h>

#include "util/error.h"

/* "NAME:IP" (or docker's newer "NAME=IP"), checked; *name and *ip point
 * into `buf` (a copy of spec, at least as long). */
int net_add_host_parse(const char *spec, char *buf, size_t cap, char **name, char **ip, err_t *e);

/* An IP address (v4 or v6) for --dns. */
int net_dns_check(const char *ip, err_t *e);

/* /etc/hosts as docker writes it: localhost and IPv6 lines, the --add-host
 * entries ("NAME:IP"), then "IP\tNAMES" for the container's own address
 * (`own`, may be NULL), then `peers` (lines already formatted, may be
 * NULL). On the heap. */
char *net_hosts_text(char **add_hosts, const char *own_ip, const char *own_names,
                     const char *peers);

/* /etc/resolv.conf from the host's (`host_text`, may be NULL): with `dns`
 * (NULL-terminated, may be NULL or empty) its nameserver lines are replaced; with `filter_local` (the container has
 * its own network namespace) nameservers on 127.0.0.0/8 and ::1, which it
 * cannot reach, are dropped, and if none is left Google's public ones are
 * used, as docker does. On the heap. */
char *net_resolv_text(const char *host_text, char **dns, bool filter_local);

#endif
