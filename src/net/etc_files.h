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

/* A --dns-search domain (docker's check: "." or a name of at most 255
 * characters, no space) or a --dns-option (no space). */
int net_dns_search_check(const char *domain, err_t *e);
int net_dns_option_check(const char *option, err_t *e);

/* What replaces lines of the host's resolv.conf (each NULL-terminated, may
 * be NULL or empty: the host's lines are kept). */
struct net_resolv_opts {
  char **dns;     /* nameserver lines */
  char **search;  /* the search line; {"."}: none */
  char **options; /* the options line */
};

/* /etc/resolv.conf from the host's (`host_text`, may be NULL), its lines
 * replaced as `o` says; with `filter_local` (the container has its own
 * network namespace) nameservers on 127.0.0.0/8 and ::1, which it cannot
 * reach, are dropped, and if none is left Google's public ones are used, as
 * docker does. On the heap. */
char *net_resolv_text(const char *host_text, const struct net_resolv_opts *o, bool filter_local);

#endif
