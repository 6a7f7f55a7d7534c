/* /etc/hosts, /etc/hostname, /etc/resolv.conf contents (see etc_files.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/etc_files.h"

int net_add_host_parse(const char *spec, char *buf, size_t cap, char **name, char **ip, err_t *e) {
  if (strlen(spec) >= cap)
    return err_set(e, EINVAL, "invalid argument \"%.64s...\" for --add-host", spec);
  snprintf(buf, cap, "%s", spec);
  /* NAME:IP, where IP may be an IPv6 address (with colons): split at the first. */
  char *sep = strpbrk(buf, ":=");
  if (!sep || sep == buf || !sep[1])
    return err_set(e, EINVAL, "invalid argument \"%s\" for --add-host: expected HOST:IP", spec);
  *sep = '\0';
  *name = buf;
  *ip = sep + 1;
  if ((*ip)[0] == '[' && (*ip)[strlen(*ip) - 1] == ']') {
    (*ip)[strlen(*ip) - 1] = '\0';
    (*ip)++;
  }
  if (strpbrk(*name, " \t\n\r#"))
    return err_set(e, EINVAL, "invalid argument \"%s\" for --add-host: bad host name", spec);
  unsigned char tmp[16];
  if (inet_pton(AF_INET, *ip, tmp) != 1 && inet_pton(AF_INET6, *ip, tmp) != 1)
    return err_set(e, EINVAL, "invalid argument \"%s\" for --add-host: invalid IP address %s", spec,
                   *ip);
  return 0;
}

int net_dns_check(const char *ip, err_t *e) {
  unsigned char tmp[16];
  if (inet_pton(AF_INET, ip, tmp) != 1 && inet_pton(AF_INET6, ip, tmp) != 1)
    return err_set(e, EINVAL, "invalid argument \"%s\" for --dns: not an IP address", ip);
  return 0;
}

int net_dns_search_check(const char *domain, err_t *e) {
  if (!*domain || strlen(domain) > 255 || strpbrk(domain, " \t\r\n"))
    return err_set(e, EINVAL, "invalid argument \"%s\" for --dns-search: not a domain", domain);
  return 0;
}

int net_dns_option_check(const char *option, err_t *e) {
  if (!*option || strlen(option) > 255 || strpbrk(option, " \t\r\n"))
    return err_set(e, EINVAL, "invalid argument \"%s\" for --dns-option", option);
  return 0;
}

/* docker's defaultContent (libnetwork/etchosts). */
static const char hosts_head[] = "127.0.0.1\tlocalhost\n"
                                 "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                 "fe00::0\tip6-localnet\n"
                                 "ff00::0\tip6-mcastprefix\n"
                                 "ff02::1\tip6-allnodes\n"
                                 "ff02::2\tip6-allrouters\n";

char *net_hosts_text(char **add_hosts, const char *own_ip, const char *own_names,
                     const char *peers) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return NULL;
  fputs(hosts_head, f);
  for (char **h = add_hosts; h && *h; h++) {
    char buf[512], *name, *ip;
    err_t ignored = ERR_INIT;
    if (net_add_host_parse(*h, buf, sizeof buf, &name, &ip, &ignored) == 0)
      fprintf(f, "%s\t%s\n", ip, name);
  }
  if (own_ip)
    fprintf(f, "%s\t%s\n", own_ip, own_names);
  if (peers)
    fputs(peers, f);
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

static bool local_nameserver(const char *addr) {
  return !strncmp(addr, "127.", 4) || !strcmp(addr, "::1");
}

/* The line "KEY v1 v2...", unless `values` is {"."} (search: none). */
static void put_line(FILE *f, const char *key, char **values) {
  if (!strcmp(values[0], ".") && !values[1])
    return;
  fputs(key, f);
  for (char **v = values; *v; v++)
    fprintf(f, " %s", *v);
  fputc('\n', f);
}

char *net_resolv_text(const char *host_text, const struct net_resolv_opts *o, bool filter_local) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return NULL;
  int servers = 0;
  bool replace = o->dns && *o->dns, search = o->search && *o->search,
       options = o->options && *o->options;
  for (const char *line = host_text; line && *line;) {
    size_t n = strcspn(line, "\n");
    char addr[64];
    bool is_ns = sscanf(line, "nameserver %63s", addr) == 1;
    /* docker drops the host's domain line with a search given: the
     * resolver takes the last of the two. */
    bool replaced = (search && (!strncmp(line, "search", 6) || !strncmp(line, "domain", 6))) ||
                    (options && !strncmp(line, "options", 7));
    if (!replaced && (!is_ns || (!replace && !(filter_local && local_nameserver(addr))))) {
      fprintf(f, "%.*s\n", (int)n, line);
      servers += is_ns;
    }
    line += n + (line[n] == '\n');
  }
  for (char **d = o->dns; d && *d; d++, servers++)
    fprintf(f, "nameserver %s\n", *d);
  if (!servers)
    fputs("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", f);
  if (search)
    put_line(f, "search", o->search);
  if (options)
    put_line(f, "options", o->options);
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}
